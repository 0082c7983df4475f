"""completion: the first complete_request right after a fresh start; time to its reply, and whether
it had the match."""

from __future__ import annotations

import statistics
import time

from client import Run, complete_once
from phases.startup import phase_startup

# The first completion after a start (design §8: under 300 ms, JupyterLab's completer gives up after
# 1 s): per language, the probe and its expected match, then a plainer probe (a global's member)
# that shows whether a kernel that misses the first completes at all.
COMPLETION_PROBES = {
    "js": (("'abc'.toUpp", "toUpperCase"), ("Math.ma", "max")),
    "py": (("'abc'.upp", "upper"), ("str.upp", "upper")),
}


def phase_completion(run: Run, lang: str, timeout: float) -> dict:
    """Spawns the kernel; right after its first kernel_info_reply (as a frontend that was just
    (re)started, and a user pressing Tab at once) the first probe, then the second. The time from
    sending the first to its reply, and whether each reply had its match."""
    phase_startup(run, timeout)
    (code, want), (code2, want2) = COMPLETION_PROBES[lang]
    deadline = time.perf_counter() + timeout
    dt, c = complete_once(run, code, deadline)
    _, c2 = complete_once(run, code2, deadline)
    return {"s": dt, "hit": want in (c.get("matches") or []), "hit2": want2 in (c2.get("matches") or []),
            "typed": bool((c.get("metadata") or {}).get("_jupyter_types_experimental"))}  # fmt: skip


def completion_summary(samples: list[dict], lang: str) -> dict:
    (code, want), (code2, want2) = COMPLETION_PROBES[lang]
    times = sorted(x["s"] for x in samples)
    return {
        "median_ms": statistics.median(times) * 1e3, "min_ms": times[0] * 1e3, "max_ms": times[-1] * 1e3,
        "n": len(samples), "probe": code, "want": want, "hits": sum(x["hit"] for x in samples),
        "probe2": code2, "want2": want2, "hits2": sum(x["hit2"] for x in samples),
        "typed": sum(x["typed"] for x in samples),
    }  # fmt: skip
