"""decl: round trips of declaring cells, on a fresh process and again after many more cells."""

from __future__ import annotations

import statistics
import time

from client import PhaseError, Run, Timeout, one_execute, p99, reply_error

# A cell that declares a function and a class and uses them. "same" re-runs one text that
# re-declares the same names (what re-running a notebook cell does); "new" declares new names each
# time, so the global scope grows with the samples too. Fillers declare new names as well.
DECL_SAME = "function f(x: number) { return x * 2 }\nclass C { v = f(21) }\nnew C().v"
DECL_NEW = "function f{i}(x: number) {{ return x * 2 }}\nclass C{i} {{ v = f{i}(21) }}\nnew C{i}().v"
DECL_PLAIN = "1+1"  # a cell that declares nothing: does every cell get dearer with history?
DECL_FILLER = "const k{i} = {i}\nfunction g{i}(x: number) {{ return x + k{i} }}\nclass D{i} {{ w = g{i}(1) }}"


def phase_decl(run: Run, warmup: int, samples: int, fillers: int, timeout: float) -> dict:
    """Round trips of declaring cells (send -> reply and idle, as in phase_rtt), on a fresh process:
    1 filler cell; `warmup` rounds of (same, new), then `samples` rounds measured; `fillers` filler
    cells; the same measurement again. A cell that fails fails the figure; a kernel that stops
    answering gets a partial figure marked done=False (the driver then diagnoses it)."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    counter = iter(range(1_000_000))
    cells = 0
    total = 1 + 2 * 3 * (warmup + samples) + fillers

    def execute(code: str, what: str) -> float:
        nonlocal cells
        dt, reply = one_execute(run, code, deadline)
        cells += 1
        if reply["content"].get("status") != "ok":
            raise PhaseError(f"{what} failed:{reply_error(reply)}", f"{what} failed ({reply['content'].get('ename', '?')})")
        return dt

    def measure() -> dict:
        history = cells
        times: dict[str, list[float]] = {"same": [], "new": [], "plain": []}
        for k in range(warmup + samples):
            if k == warmup:
                history = cells  # cells run before the first sample, warm-up included
            same = execute(DECL_SAME, "re-declaring cell")
            new = execute(DECL_NEW.format(i=next(counter)), "declaring cell")
            plain = execute(DECL_PLAIN, "`1+1` cell")
            if k >= warmup:
                times["same"].append(same)
                times["new"].append(new)
                times["plain"].append(plain)
        out: dict = {"history": history}
        for variant, ts in times.items():
            ts.sort()
            out[variant] = {"median_ms": statistics.median(ts) * 1e3, "p99_ms": p99(ts) * 1e3, "n": len(ts)}
        return out

    res: dict = {"fillers": fillers}
    try:
        execute(DECL_FILLER.format(i=next(counter)), "filler cell")
        res["first"] = measure()
        for _ in range(fillers):
            execute(DECL_FILLER.format(i=next(counter)), "filler cell")
        res["later"] = measure()
    except Timeout:
        res.update(done=False, cells=cells, text=f"{cells}/{total} cells in {time.perf_counter() - t0:.0f} s")
        return res
    res["done"] = True
    for variant in ("same", "new", "plain"):
        a, b = res["first"][variant], res["later"][variant]
        res[variant] = {"growth": b["median_ms"] / a["median_ms"], "p99_growth": b["p99_ms"] / a["p99_ms"]}
    return res
