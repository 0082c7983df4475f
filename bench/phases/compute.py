"""compute: compute-bound workloads as top-level cell code, next to the same code as a plain Node
ES module."""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from client import Run, execute_collect, reply_error
from kernels import NODE

# Compute-bound cell code, the same text three ways: top-level code of a cell in each JS kernel, and
# a plain Node ES module (`node file.mjs`) as the reference. Each body is plain JavaScript that is
# also strict TypeScript (parameters typed by their defaults: tslab checks every cell), top-level
# (not in a function: how cell code is written, and what a kernel's cell transform acts on), with
# `{r}` made unique per run (a kernel may refuse to re-declare a `const`). The time is taken inside
# the code (performance.now() around the work), so the protocol costs nothing here; each prints
# `__ms <ms> <check>`, and the check must agree with the plain module's.
COMPUTE_WORKLOADS = [
    ("numeric loop (3e7)", "acc{r}",
     "let acc{r} = 0;\nfor (let i = 0; i < 3e7; i++) acc{r} = (acc{r} + i * 7) % 1000003;"),
    ("method calls (1e7)", "counter{r}.n",
     "class Counter{r} { n = 0; add(k = 0) { this.n = (this.n + k) % 1000003; return this; } }\n"
     "const counter{r} = new Counter{r}();\nfor (let i = 0; i < 1e7; i++) counter{r}.add(i & 7);"),
    ("recursion (fib 30)", "fib{r}(30)",
     "function fib{r}(n = 0): number { return n < 2 ? n : fib{r}(n - 1) + fib{r}(n - 2); }\n"
     "const f{r} = fib{r}(30);"),
    ("sort (1e6 numbers)", "arr{r}[500000]",
     "const arr{r} = Array.from({ length: 1e6 }, (_, i) => (i * 2654435761) % 1000003);\n"
     "arr{r}.sort((a, b) => a - b);"),
    ("string building (2e6 appends)", "s{r}.length",
     "let s{r} = \"\";\nfor (let i = 0; i < 2e6; i++) s{r} += String.fromCharCode(97 + (i % 26));\n"
     "const len{r} = s{r}.length;"),
    ("object/Map churn (1e6 sets)", "m{r}.size",
     "const m{r} = new Map();\n"
     "for (let i = 0; i < 1e6; i++) m{r}.set(\"k\" + (i % 50000), { i, sq: i * i, tag: \"t\" + (i & 15) });"),
    ("closures (1e6 made and called)", "sum{r}",
     "const fns{r} = [];\nfor (let i = 0; i < 1e6; i++) fns{r}.push(() => i * 2);\n"
     "let sum{r} = 0;\nfor (const fn of fns{r}) sum{r} = (sum{r} + fn()) % 1000003;"),
]
COMPUTE_MARK = re.compile(r"__ms (\d+(?:\.\d+)?) (.*)")


def compute_code(body: str, check: str, r: str) -> str:
    """A workload's text for run `r`: timed inside, printing `__ms <ms> <check>`. The TypeScript
    annotation in `fib` (recursive functions need one) is stripped for the plain module."""
    t = f"t0_{r}"
    text = (f"const {t} = performance.now();\n{body}\n"
            f"console.log(`__ms ${{(performance.now() - {t}).toFixed(3)}} ${{String({check})}}`);")  # fmt: skip
    return text.replace("{r}", r)


_node_compute: dict | None = None


def node_compute(repeats: int, timeout: float) -> dict:
    """The reference: each workload as a plain Node ES module, `repeats` fresh processes, the best.
    Measured once per bench run (every JS kernel's compute phase is compared with it)."""
    global _node_compute
    if _node_compute is not None:
        return _node_compute
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-compute-") as tmp:
        for i, (name, check, body) in enumerate(COMPUTE_WORKLOADS):
            path = Path(tmp) / f"w{i}.mjs"
            path.write_text(compute_code(body, check, "0").replace("(n = 0): number", "(n = 0)"))
            best, value = None, None
            for _ in range(repeats):
                p = subprocess.run([NODE, str(path)], capture_output=True, text=True, timeout=timeout)
                m = COMPUTE_MARK.search(p.stdout)
                if p.returncode != 0 or not m:
                    raise RuntimeError(f"plain node, {name}: {p.stderr.strip()[-300:] or p.stdout[-300:]}")
                best = min(best or float("inf"), float(m.group(1)))
                value = m.group(2)
            out[name] = {"ms": best, "check": value}
    _node_compute = out
    return out


def phase_compute(run: Run, repeats: int, timeout: float) -> dict:
    """Each workload as cell code, `repeats` cells (new names each), the best time; next to the plain
    Node module's (the same text, run by `node file.mjs`). A result that differs from the module's
    fails that workload."""
    ref = node_compute(repeats, timeout)
    work: dict[str, dict] = {}
    for name, check, body in COMPUTE_WORKLOADS:
        best, value, err = None, None, ""
        for k in range(repeats):
            reply, msgs = execute_collect(run, compute_code(body, check, f"c{next(_compute_runs)}"),
                                          time.perf_counter() + timeout)  # fmt: skip
            text = "".join(m["content"].get("text", "") for m in msgs if m["msg_type"] == "stream")
            m = COMPUTE_MARK.search(text)
            if reply["content"].get("status") != "ok" or not m:
                err = f"failed:{reply_error(reply) or ' no timing printed'}"
                break
            best = min(best or float("inf"), float(m.group(1)))
            value = m.group(2)
            if best > 5000:
                break  # a slow kernel: one run is enough to tell
        if err:
            work[name] = {"error": err, "node_ms": ref[name]["ms"]}
        elif value != ref[name]["check"]:
            work[name] = {"error": f"result {value!r}, the plain module's {ref[name]['check']!r}", "node_ms": ref[name]["ms"]}
        else:
            work[name] = {"ms": best, "node_ms": ref[name]["ms"], "x_node": best / ref[name]["ms"]}
    ratios = [w["x_node"] for w in work.values() if "x_node" in w]
    out: dict = {"done": len(ratios) == len(work), "workloads": work, "repeats": repeats}
    if ratios:
        out["geomean_x_node"] = statistics.geometric_mean(ratios)
    return out


_compute_runs = iter(range(1_000_000))
