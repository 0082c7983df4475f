"""interrupt, interrupt_sleep: a busy loop or an awaited sleep interrupted as the kernelspec says;
time to the cell's reply, and whether the state survived."""

from __future__ import annotations

import os
import signal
import time

import zmq

from client import KernelDied, PhaseError, Run, Timeout, is_idle, one_execute, reply_error

# (setup, the cell to interrupt, check) per variant and language. Each variant sets a name of its
# own: both run on one process, and a TypeScript kernel may refuse to re-declare a `const`.
INTERRUPT_CODE = {
    "loop": {
        "js": ("const keep = 41", "while (true) {}", "keep + 1"),
        "py": ("keep = 41", "while True:\n    pass", "keep + 1"),
    },
    # nothing runs while the cell waits: the kernel has to cancel the await itself (ipykernel and
    # async-kernel run top-level await in a cell)
    "sleep": {
        "js": ("const kept = 41", "await new Promise(r => setTimeout(r, 60000))", "kept + 1"),
        "py": ("kept = 41", "import asyncio\nawait asyncio.sleep(60)", "kept + 1"),
    },
}
INTERRUPTED = {"loop": "loop", "sleep": "awaiting"}
# The phases measuring phase_interrupt's variants, and what the targets call the cell interrupted.
INTERRUPT_PHASES = {"interrupt": "a busy loop", "interrupt_sleep": "an awaited sleep"}


def phase_interrupt(run: Run, lang: str, mode: str, variant: str = "loop", timeout: float = 10.0) -> dict:
    """A busy loop (variant "loop") or a cell awaiting a long sleep ("sleep"), interrupted the way
    the kernel's kernelspec says (interrupt_mode): SIGINT to its process group as jupyter_client
    does, or an interrupt_request on control. Time from the interrupt to that cell's
    execute_reply, then whether a variable set before survived."""
    setup, cell, check = INTERRUPT_CODE[variant][lang]
    what = INTERRUPTED[variant]
    _, reply = one_execute(run, setup, time.perf_counter() + timeout)
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"setup cell failed:{reply_error(reply)}")
    mid = run.execute(cell)
    for ch, m in run.poll(time.perf_counter() + timeout):
        if ch == "iopub" and m["parent_header"].get("msg_id") == mid and (
            m["msg_type"] == "execute_input" or m["content"].get("execution_state") == "busy"
        ):
            break
    time.sleep(0.3)  # let the loop spin, or the await settle
    while run.shell.poll(0, zmq.POLLIN):  # did the cell end by itself (an error)?
        m = run.recv(run.shell)
        if m["parent_header"].get("msg_id") == mid:
            raise PhaseError(f"the {what} cell ended before the interrupt:{reply_error(m)}", f"{what} cell failed")
    t0 = time.perf_counter()
    if mode == "signal":
        os.killpg(run.proc.pid, signal.SIGINT)
    else:
        run.send(run.control, "interrupt_request", {})
    reply = None
    try:
        for ch, m in run.poll(t0 + timeout):
            if ch == "shell" and m["parent_header"].get("msg_id") == mid:
                reply = m
                break
    except Timeout:
        return {"error": f"no reply in {timeout:.0f} s after the interrupt", "text": f"no reply in {timeout:.0f} s ({mode})",
                "mode": mode}  # fmt: skip
    except KernelDied:
        rc = run.proc.returncode
        how = f"signal {signal.Signals(-rc).name}" if rc is not None and rc < 0 else f"exit code {rc}"
        return {"error": f"kernel died ({how}) on the interrupt", "text": f"kernel died ({mode})", "mode": mode,
                "log_tail": run.log_tail(3).splitlines()}  # fmt: skip
    el = time.perf_counter() - t0
    out = {"done": True, "ms": el * 1e3, "mode": mode, "reply_status": reply["content"].get("status")}
    # is the kernel still there, and is the variable still set? (tried again 0.5 s later if the
    # check is refused, e.g. inside a kernel's abort window after an error)
    for attempt in (1, 2, 3):
        if attempt > 1:
            time.sleep(0.5)  # as a user would, re-run the cell a moment later
        cid = run.execute(check)
        seen, rep, idle = "", None, False
        try:
            for ch, m in run.poll(time.perf_counter() + timeout):
                if m["parent_header"].get("msg_id") != cid:
                    continue
                if ch == "shell":
                    rep = m
                elif m["msg_type"] in ("execute_result", "display_data"):
                    seen += str(m["content"].get("data", {}).get("text/plain", ""))
                elif m["msg_type"] == "stream":
                    seen += m["content"].get("text", "")
                elif is_idle(m, cid):
                    idle = True
                if rep is not None and idle:
                    break
        except Timeout:
            out["after"] = "then no answers"
            return out
        except KernelDied:
            out["after"] = "then the kernel died"
            return out
        out["state_kept"] = "42" in seen
        if out["state_kept"]:
            if attempt > 1:
                out["note"] = "the first cell after the interrupt was refused: " + out.pop("check_output")
            return out
        out["check_output"] = (seen or f"(nothing; reply status {rep['content'].get('status')!r}{reply_error(rep)})")[:200]
    st = rep["content"].get("status")
    out["after"] = f"then cells answered {st!r}" if not seen and st != "ok" else "state LOST"
    return out
