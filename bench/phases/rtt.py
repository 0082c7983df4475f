"""rtt: sequential round trips of one execute (send -> execute_reply and its status idle)."""

from __future__ import annotations

import statistics
import time

from client import Run, Timeout, one_execute, p99, reply_error


def phase_rtt(run: Run, code: str, warmup: int, samples: int, timeout: float) -> dict:
    """Sequential round trips. A kernel that stops answering part-way gets a partial figure
    (the samples it answered) marked done=False, so that the driver can diagnose it."""
    deadline = time.perf_counter() + timeout
    status = None
    reply = None
    for _ in range(warmup):
        _, reply = one_execute(run, code, deadline)
        status = reply["content"].get("status")
    if status not in (None, "ok"):
        raise RuntimeError(f"execute_reply status {status!r}: {reply_error(reply)}")
    times = []
    try:
        for _ in range(samples):
            dt, _ = one_execute(run, code, deadline)
            times.append(dt)
    except Timeout:
        if len(times) < 10:
            raise
    times.sort()
    out = {
        "median_ms": statistics.median(times) * 1e3,
        "p99_ms": p99(times) * 1e3,
        "min_ms": times[0] * 1e3,
        "n": len(times),
    }
    if len(times) < samples:
        out["done"] = False
        out["text"] = f"{len(times)} of {samples} answered in {timeout:.0f} s"
    return out
