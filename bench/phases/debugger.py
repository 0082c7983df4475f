"""debugger: what a debug session costs, and that none costs nothing. On one process, rounds
alternate: no session (as every other phase runs), then a session attached as JupyterLab attaches
one (initialize, attach, configurationDone, no breakpoints) and disconnected again. Each round
takes round trips of `1+1` and the best of a few runs of the numeric loop of the compute phase.
Kernels without a debugger (`debugger` not in kernel_info) skip it. Whether the kernel without a
session runs as fast as before the debugger existed is `--baseline` against an older commit: its
rtt and compute phases."""

from __future__ import annotations

import statistics
import time

from client import Run, Timeout, one_execute
from phases.compute import COMPUTE_MARK, COMPUTE_WORKLOADS, _compute_runs, compute_code

ROUNDS = 3
"""No-session and attached rounds, alternating (three of each)."""


def control_request(run: Run, msg_type: str, content: dict, deadline: float) -> dict:
    """One request on control; its reply (what else arrives on control is dropped)."""
    mid = run.send(run.control, msg_type, content)
    while time.perf_counter() < deadline:
        if run.control.poll(100):
            m = run.recv(run.control)
            if m["parent_header"].get("msg_id") == mid:
                return m
        run.check_alive()
    raise Timeout()


def dap(run: Run, seq: int, command: str, arguments: dict, deadline: float) -> dict:
    content = {"type": "request", "seq": seq, "command": command, "arguments": arguments}
    response = control_request(run, "debug_request", content, deadline)["content"]
    if not response.get("success"):
        raise RuntimeError(f"debug_request {command}: {response.get('message', response)}")
    return response


def loop_best(run: Run, runs: int, deadline: float) -> float:
    """The compute phase's numeric loop as cell code, the best of `runs` (timed inside the cell)."""
    name, check, body = COMPUTE_WORKLOADS[0]
    best = float("inf")
    for _ in range(runs):
        mid = run.execute(compute_code(body, check, f"d{next(_compute_runs)}"))
        text, done = "", False
        for ch, m in run.poll(deadline):
            if m["parent_header"].get("msg_id") != mid:
                continue
            if ch == "iopub" and m["msg_type"] == "stream":
                text += m["content"]["text"]
            if ch == "iopub" and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                done = True
            if done and (mark := COMPUTE_MARK.search(text)):
                best = min(best, float(mark.group(1)))
                break
    return best


def phase_debugger(run: Run, samples: int, loop_runs: int, timeout: float) -> dict:
    deadline = time.perf_counter() + timeout * 4
    info = control_request(run, "kernel_info_request", {}, deadline)["content"]
    if not info.get("debugger"):
        return {"skipped": True, "text": "no debugger"}
    # warm: the first cells compile what later ones reuse, whichever round they fell in
    for _ in range(samples):
        one_execute(run, "1+1", deadline)
    loop_best(run, 1, deadline)
    rtt: dict[str, list[float]] = {"detached": [], "attached": []}
    loop: dict[str, list[float]] = {"detached": [], "attached": []}
    seq = 0
    for _ in range(ROUNDS):
        for state in ("detached", "attached"):
            if state == "attached":
                for command, arguments in (("initialize", {"clientID": "bench", "adapterID": "bench"}), ("attach", {}),
                                           ("configurationDone", {}), ("setExceptionBreakpoints", {"filters": []})):
                    seq += 1
                    dap(run, seq, command, arguments, deadline)
            for _ in range(samples):
                dt, _reply = one_execute(run, "1+1", deadline)
                rtt[state].append(dt * 1e3)
            loop[state].append(loop_best(run, loop_runs, deadline))
            if state == "attached":
                seq += 1
                dap(run, seq, "disconnect", {"restart": False, "terminateDebuggee": False}, deadline)
    out: dict = {"done": True, "rounds": ROUNDS, "samples": samples}
    for state in ("detached", "attached"):
        out[f"rtt_{state}_ms"] = statistics.median(rtt[state])
        out[f"loop_{state}_ms"] = min(loop[state])
    out["rtt_attached_x"] = out["rtt_attached_ms"] / out["rtt_detached_ms"]
    out["loop_attached_x"] = out["loop_attached_ms"] / out["loop_detached_ms"]
    return out
