"""memory: RSS of the kernel's process group at idle, and its growth over many executes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from client import Run, Timeout, complete_once, one_execute, reply_error
from phases.completion import COMPLETION_PROBES


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the kernel's process group (the kernel and whatever
    it started), from /proc: each thread's isolate, the heap, the binary's pages in use."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            # the fields after the command name, which may hold spaces and parentheses
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or a kernel thread without VmRSS
    return total / 1024


def settled_rss_mb(pgid: int) -> float:
    """The least of five samples over half a second: a collection about to run does not count."""
    samples = []
    for _ in range(5):
        time.sleep(0.1)
        samples.append(group_rss_mb(pgid))
    return min(samples)


def phase_memory(run: Run, lang: str, typed_warmup: bool, executes: int, settle: float, timeout: float) -> dict:
    """RSS of the kernel's process group at idle, after start-up and what a first completion loads
    (our language service: until its answers carry match kinds, i.e. after its warm-up), `settle`
    seconds later; then after `executes` cells of `1+1` sent as a frontend sends them (each after
    the previous reply and idle). A kernel that stops answering gets the RSS after what it answered."""
    code, _want = COMPLETION_PROBES[lang][0]
    deadline = time.perf_counter() + 30
    while True:
        _, c = complete_once(run, code, deadline)
        if not typed_warmup or (c.get("metadata") or {}).get("_jupyter_types_experimental"):
            break
        time.sleep(0.2)
    time.sleep(settle)
    pgid = run.proc.pid
    idle = settled_rss_mb(pgid)
    done = 0
    t0 = time.perf_counter()
    stopped = ""
    try:
        deadline = t0 + timeout
        for _ in range(executes):
            # a kernel silent for 10 s has stopped answering (tslab does after some hundred cells)
            _, reply = one_execute(run, "1+1", min(deadline, time.perf_counter() + 10))
            if reply["content"].get("status") != "ok":
                stopped = f"an execute failed:{reply_error(reply)}"
                break
            done += 1
    except Timeout:
        stopped = f"{done:,} of {executes:,} answered, then none in 10 s" if time.perf_counter() < deadline else \
            f"{done:,} of {executes:,} answered in {timeout:.0f} s"
    elapsed = time.perf_counter() - t0
    time.sleep(1.0)
    after = settled_rss_mb(pgid)
    out = {"done": done == executes, "idle_mb": idle, "after_mb": after, "growth_mb": after - idle,
           "executes": done, "seconds": elapsed}  # fmt: skip
    if stopped:
        out["note"] = stopped
    return out
