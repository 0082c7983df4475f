#!/usr/bin/env python3
"""What each kernel shows for the same cells: the display and stream conventions of this kernel,
Deno's kernel and tslab, measured side by side (docs/conventions.md is written from this).

Every probe cell runs, in order, on a fresh kernel of each kind (ours from dist/, Deno and tslab
from bench/node_modules, started as bench.py starts them). For each cell the iopub messages whose
parent is that cell's request are recorded: stream name and text, execute_result / display_data
MIME keys and text/plain, error ename / evalue (and the start of the traceback), and whether the
message came after the cell's `idle` (late). A message whose parent is another cell is recorded
under that cell: where a timer's output goes is a convention too.

Two outputs are "same" when the lists are equal: output type (execute_result, display_data and
stream apart), stream name and text (consecutive chunks of one stream joined), the set of MIME
keys and the text/plain exactly, error name and value. Not compared: tracebacks, the payload of
rich MIME types, and lateness (Deno publishes part of some cells' output after their idle, at
random); which cell an output goes to is compared, as it is part of the output of each cell.
A second count takes the peer's own convention for our results: Deno's double quotes around
strings, tslab's printing of a cell's value on stdout. Results go to stdout (a table) and to
bench/results/conventions.json.

Set up the peers with `bash bench/run.sh --kernels floor --quick` (bench/node_modules, bench/.venv),
build the kernel (`npm run build`), then:
  bench/.venv/bin/python bench/conventions.py [--kernels ours,deno,tslab] [--only id,id] [--verbose]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import zmq

from bench import (
    BENCH,
    KernelDied,
    Run,
    Timeout,
    _deno_binary,
    _pkg_version,
    _run_out,
    kernel_table,
    phase_startup,
    wait_iopub_ready,
)

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# (id, code, settle): after the cell's idle, keep listening until `settle` seconds pass without a
# message before the next cell is sent (late output; 0: send the next cell at once). The names
# cells declare are unique across probes (tslab type-checks each cell against the earlier ones),
# but for `k1`, declared again on purpose.
PROBES: list[tuple[str, str, float]] = [
    ("str_dq", '"a"', 0.2),
    ("str_sq", "'it\\'s'", 0.2),
    ("str_multiline", '"line 1\\nline 2"', 0.2),
    ("str_long", '"y".repeat(12000)', 0.2),
    ("undefined", "undefined", 0.2),
    ("null", "null", 0.2),
    ("void", "void 42", 0.2),
    ("semicolon", "1 + 1;", 0.2),
    ("declaration", "const decl1 = 5", 0.2),
    ("brace_object", "{ a: 1 }", 0.2),
    ("const_again", "const k1 = 1", 0.2),
    ("const_again2", "const k1 = 2\nk1", 0.2),
    ("const_assign", "k1 = 3", 0.2),
    ("let_not_global", "let lg = 1\n'lg' in globalThis", 0.2),
    ("numbers", "[0.1 + 0.2, -0, NaN, -Infinity, 1e21, 2n ** 64n]", 0.2),
    ("neg_zero", "-0", 0.2),
    ("bigint", "2n ** 64n", 0.2),
    ("object_nested", "({ a: 1, s: 'x', b: { c: [1, 2, { d: { e: { f: 1 } } }] } })", 0.2),
    ("array_long", "Array.from({ length: 120 }, (_, i) => i)", 0.2),
    ("circular", "const circ: any = { name: 'c' }; circ.self = circ; circ", 0.2),
    ("map", "new Map<string, unknown>([['a', 1], ['b', { c: 2 }]])", 0.2),
    ("set", "new Set([1, 'two'])", 0.2),
    ("class_instance", "class Pt { constructor(public x: number, public y: number) {} }\nnew Pt(1, 2)", 0.2),
    ("function", "function add(a: number, b: number) { return a + b }\nadd", 0.2),
    ("arrow", "(x: number) => x * 2", 0.2),
    ("class_value", "class Animal {}\nAnimal", 0.2),
    ("symbol", "Symbol('tag')", 0.2),
    ("date", "new Date(0)", 0.2),
    ("regexp", "/ab+c/gi", 0.2),
    ("error_value", "new RangeError('as a value')", 0.2),
    ("typed_array", "new Float64Array([1.5, 2])", 0.2),
    ("buffer", "const { Buffer: Buf } = await import('node:buffer');\nBuf.from('hi')", 0.2),
    ("promise_resolved", "Promise.resolve(1)", 0.2),
    ("promise_pending", "new Promise(() => {})", 0.2),
    ("promise_rejected", "Promise.reject(new Error('no await'))", 0.5),
    ("top_level_await", "await Promise.resolve(42)", 0.2),
    ("await_rejected", "await Promise.reject(new TypeError('awaited'))", 0.2),
    ("throw_error", "throw new Error('boom')", 0.2),
    ("throw_string", "throw 'a string'", 0.2),
    ("throw_object", "throw { code: 42 }", 0.2),
    ("type_error", "const tn: number = 'x';\ntn", 0.2),
    ("syntax_error", "foo(;", 0.2),
    ("log_args", "console.log('a', 1, { b: [2] }, 'c', null, undefined)", 0.2),
    ("log_format", "console.log('%s is %d years, %o', 'Ann', 42.5, { k: 'v' })", 0.2),
    ("console_error", "console.error('to stderr'); console.warn('warned')", 0.2),
    ("interleave", "console.log('1'); console.error('2'); console.log('3')", 0.2),
    ("console_trace", "function traced() { console.trace('here') }\ntraced()", 0.2),
    ("stdout_write", "process.stdout.write('no newline'); process.stderr.write('err no newline'); 0", 0.2),
    ("console_table", "console.table([{ a: 1, b: 'x' }, { a: 2, b: 'y' }])", 0.2),
    ("console_table_cols", "console.table([{ a: 1, b: 'x' }, { a: 2, b: 'y' }], ['a'])", 0.2),
    ("console_dir", "console.dir({ a: { b: { c: { d: {} } } } }, { depth: 0 })", 0.2),
    ("console_group", "console.group('G'); console.log('inside'); console.groupEnd(); console.log('after')", 0.2),
    ("display_protocol",
     "({ [Symbol.for('Jupyter.display')]() { return { 'text/html': '<b>rich</b>' } } })", 0.2),
    ("timer_late", "setTimeout(() => console.log('late'), 300); 'scheduled'", 0.0),
    ("timer_next", "await new Promise((r) => setTimeout(r, 1000)); 'next'", 0.2),
    ("timer_idle", "setTimeout(() => console.log('fired while idle'), 100); 'scheduled'", 1.0),
    ("rejection_timer", "setTimeout(() => { Promise.reject(new Error('rejected later')) }, 100); 'ok'", 1.0),
    ("long_output", "for (let i = 0; i < 3000; i++) console.log('line ' + i)", 0.5),
]

TIMEOUT = float(__import__("os").environ.get("CONV_TIMEOUT", "30"))


def _trunc(s: str, n: int = 4000) -> str:
    return s if len(s) <= n else s[:n] + f"... [{len(s)} chars]"


def record(msg: dict, late: bool) -> dict | None:
    t, c = msg["msg_type"], msg["content"]
    if t == "stream":
        out = {"type": "stream", "name": c.get("name"), "text": c.get("text", "")}
    elif t in ("execute_result", "display_data", "update_display_data"):
        data = c.get("data", {})
        out = {"type": t, "mime": sorted(data), "text/plain": data.get("text/plain")}
        rich = {k: v for k, v in data.items() if k != "text/plain"}
        if rich:
            out["rich"] = {k: _trunc(v if isinstance(v, str) else json.dumps(v), 300) for k, v in rich.items()}
    elif t == "error":
        tb = [ANSI.sub("", line) for line in c.get("traceback", [])]
        out = {"type": "error", "ename": c.get("ename"), "evalue": c.get("evalue"),
               "traceback": _trunc("\n".join(tb), 600)}
    elif t == "clear_output":
        out = {"type": "clear_output"}
    else:
        return None
    if late:
        out["late"] = True
    return out


def merged(outputs: list[dict]) -> list[dict]:
    """Consecutive chunks of one stream (and lateness) as one output."""
    res: list[dict] = []
    for o in outputs:
        prev = res[-1] if res else None
        if (o["type"] == "stream" and prev and prev["type"] == "stream" and prev["name"] == o["name"]
                and prev.get("late") == o.get("late")):
            prev["text"] += o["text"]
            prev["chunks"] = prev.get("chunks", 1) + 1
        else:
            res.append(dict(o))
    return res


def key(outputs: list[dict]) -> list:
    """What "same" compares: tracebacks, rich payloads and lateness aside (Deno publishes part of
    a cell's output after its idle at random; which cell output goes to still counts)."""
    k: list = []
    for o in outputs:
        t = o["type"]
        if t == "stream":
            if k and k[-1][0] == t and k[-1][1] == o["name"]:
                k[-1] = (t, o["name"], k[-1][2] + o["text"])
            else:
                k.append((t, o["name"], o["text"]))
        elif t == "error":
            k.append((t, o["ename"], o["evalue"]))
        elif t == "clear_output":
            k.append((t,))
        else:
            k.append((t, tuple(o["mime"]), o["text/plain"]))
    return k


def loose(outputs: list[dict], peer: str) -> list:
    """`key` of our outputs as the peer's convention would write them: for Deno, strings in double
    quotes (every `'` of a text/plain as `"`); for tslab, a result printed as a line on stdout."""
    outs = []
    for o in outputs:
        o = dict(o)
        if o["type"] == "execute_result" and peer == "deno" and o["text/plain"] is not None:
            o["text/plain"] = o["text/plain"].replace("'", '"')
        if o["type"] == "execute_result" and peer == "tslab" and o["mime"] == ["text/plain"]:
            o = {"type": "stream", "name": "stdout", "text": o["text/plain"] + "\n"}
        outs.append(o)
    return key(outs)


def start(name: str, spec: dict, ctx: zmq.Context, workdir: Path, index: int) -> Run:
    run = Run(name, spec, ctx, workdir, index)
    phase_startup(run, 60.0)
    wait_iopub_ready(run, 30.0)
    return run


def run_probes(name: str, spec: dict, ctx: zmq.Context, workdir: Path, probes) -> dict:
    launches = iter(range(1000))
    run = start(name, spec, ctx, workdir, next(launches))
    cells: dict[str, dict] = {}
    by_mid: dict[str, str] = {}
    idle_seen: set[str] = set()
    notes: list[str] = []

    def take(m: dict) -> None:
        mid = m["parent_header"].get("msg_id")
        pid = by_mid.get(mid)
        if pid is None:
            return
        if m["msg_type"] == "status" and m["content"].get("execution_state") == "idle":
            idle_seen.add(mid)
            return
        o = record(m, mid in idle_seen)
        if o is not None:
            cells[pid]["raw"].append(o)

    try:
        for pid, code, settle in probes:
            cells[pid] = {"raw": [], "reply": None}
            mid = run.execute(code)
            by_mid[mid] = pid
            t0 = time.perf_counter()
            try:
                for ch, m in run.poll(t0 + TIMEOUT):
                    if ch == "shell" and m["parent_header"].get("msg_id") == mid:
                        c = m["content"]
                        cells[pid]["reply"] = {k: c.get(k) for k in ("status", "ename", "evalue") if k in c}
                    elif ch == "iopub":
                        take(m)
                    if cells[pid]["reply"] is not None and mid in idle_seen:
                        break
                # late output: listen until `settle` seconds pass without a message (at most 20 s);
                # after a failed cell at least 0.5 s, as tslab aborts what comes in the next 200 ms
                # (its jupyter.js `execQueue.reset(200)`) and a frontend's next cell comes later
                if (cells[pid]["reply"] or {}).get("status") == "error":
                    settle = max(settle, 0.5)
                cap = time.perf_counter() + 20.0
                while settle > 0:
                    try:
                        for ch, m in run.poll(min(cap, time.perf_counter() + settle)):
                            if ch == "iopub":
                                take(m)
                            break
                    except Timeout:
                        break
                    if time.perf_counter() >= cap:
                        break
            except Timeout:
                cells[pid]["timeout"] = True
                notes.append(f"{pid}: no reply and idle in {TIMEOUT:.0f} s; the next cells ran on a fresh kernel")
                run.close()
                run = start(name, spec, ctx, workdir, next(launches))
            except KernelDied as e:
                cells[pid]["died"] = str(e)
                notes.append(f"{pid}: the kernel died ({e}); the next cells ran on a fresh kernel")
                run.close()
                run = start(name, spec, ctx, workdir, next(launches))
    finally:
        run.close()
    for c in cells.values():
        c["outputs"] = merged(c.pop("raw"))
    return {"cells": cells, "notes": notes}


def brief(outputs: list[dict], width: int = 70) -> str:
    parts = []
    for o in outputs:
        late = " (late)" if o.get("late") else ""
        if o["type"] == "stream":
            text = o["text"]
            shown = text if len(text) <= 60 else f"{text[:40]}…[{len(text)} chars]"
            parts.append(f"{o['name']}{late}: {shown!r}")
        elif o["type"] == "error":
            parts.append(f"error{late}: {o['ename']}: {o['evalue']}")
        elif o["type"] == "clear_output":
            parts.append(f"clear_output{late}")
        else:
            tp = o["text/plain"]
            tp = "-" if tp is None else (tp if len(tp) <= 50 else f"{tp[:40]}…[{len(tp)} chars]")
            kind = "result" if o["type"] == "execute_result" else "display"
            extra = ",".join(m for m in o["mime"] if m != "text/plain")
            parts.append(f"{kind}{late}{' [' + extra + ']' if extra else ''}: {tp}")
    s = " | ".join(parts) or "(nothing)"
    s = s.replace("\n", "⏎")
    return s if len(s) <= width else s[: width - 1] + "…"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", default="ours,deno,tslab")
    ap.add_argument("--only", default="", help="comma list of probe ids (the others are not run)")
    ap.add_argument("--verbose", action="store_true", help="print every output in full")
    ap.add_argument("--out", default=str(BENCH / "results" / "conventions.json"))
    args = ap.parse_args()
    table = kernel_table()
    kernels = [k for k in args.kernels.split(",") if k]
    only = {s for s in args.only.split(",") if s}
    probes = [p for p in PROBES if not only or p[0] in only]
    deno = _deno_binary()
    versions = {"deno": (_run_out([deno, "--version"]).split() + ["?", "?"])[1] if deno else "missing",
                "tslab": _pkg_version(BENCH / "node_modules" / "tslab" / "package.json")}
    results: dict = {"probes": [{"id": p, "code": c} for p, c, _ in probes], "kernels": {}, "versions": versions}
    ctx = zmq.Context()
    with tempfile.TemporaryDirectory(prefix="tsak-conv-") as tmp:
        for k in kernels:
            spec = table[k]
            needs = spec.get("needs")
            if needs is not None and not Path(needs).exists():
                sys.exit(f"{k}: missing {needs}; run bash bench/run.sh --kernels floor --quick (and npm run build)")
            print(f"== {k}", flush=True)
            results["kernels"][k] = run_probes(k, spec, ctx, Path(tmp), probes)
            for n in results["kernels"][k]["notes"]:
                print(f"   note: {n}")
    ctx.term()

    ours = results["kernels"].get("ours")
    summary = {}
    if ours:
        for peer in (k for k in kernels if k != "ours"):
            theirs = results["kernels"][peer]["cells"]
            same = [p for p, _, _ in probes if key(ours["cells"][p]["outputs"]) == key(theirs[p]["outputs"])]
            close = [p for p, _, _ in probes if p not in same
                     and loose(ours["cells"][p]["outputs"], peer) == key(theirs[p]["outputs"])]
            summary[peer] = {"same": len(same), "of": len(probes), "same_ids": same,
                             "same_in_their_convention": len(same) + len(close), "convention_only_ids": close}
        for p, _, _ in probes:
            for peer in summary:
                ours["cells"][p].setdefault("same_as", {})[peer] = p in summary[peer]["same_ids"]
    results["summary"] = summary

    print()
    print(f"| id | {' | '.join(kernels)} |")
    print(f"|---|{'---|' * len(kernels)}")
    for p, _, _ in probes:
        row = []
        for k in kernels:
            outs = results["kernels"][k]["cells"][p]["outputs"]
            if k != "ours" and ours and key(outs) == key(ours["cells"][p]["outputs"]):
                row.append("= ours")
            else:
                row.append(brief(outs).replace("|", "\\|"))
        print(f"| {p} | {' | '.join(row)} |")
    print()
    for peer, s in summary.items():
        how = "strings in double quotes" if peer == "deno" else "a result printed on stdout"
        print(f"same output as ours on {peer}: {s['same']}/{s['of']} probes; "
              f"{s['same_in_their_convention']}/{s['of']} with {how} ({', '.join(s['convention_only_ids'])})")
    if args.verbose:
        for p, code, _ in probes:
            print(f"\n## {p}: {code}")
            for k in kernels:
                print(f"  {k}: {json.dumps(results['kernels'][k]['cells'][p], ensure_ascii=False)[:1500]}")
    for k in results["kernels"].values():
        for c in k["cells"].values():
            for o in c["outputs"]:
                if o["type"] == "stream" and len(o["text"]) > 4000:
                    o["sha1"] = hashlib.sha1(o["text"].encode()).hexdigest()
                    o["text"] = _trunc(o["text"])
                if o.get("text/plain") and len(o["text/plain"]) > 4000:
                    o["text/plain"] = _trunc(o["text/plain"])
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
