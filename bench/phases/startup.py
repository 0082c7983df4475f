"""startup: spawn -> first kernel_info_reply; and waiting until a started kernel's iopub delivers,
which every later phase does first."""

from __future__ import annotations

import time

import zmq

from client import Run, Timeout, is_idle


def phase_startup(run: Run, timeout: float) -> float:
    """Spawns the kernel; seconds from spawn to the first kernel_info_reply."""
    t0 = run.spawn()
    sent = {run.send(run.shell, "kernel_info_request", {})}
    next_send = t0 + 0.05
    deadline = t0 + timeout
    while True:
        now = time.perf_counter()
        if now >= deadline:
            raise Timeout()
        wait = max(0.0, min(next_send, deadline) - now)
        if run.shell.poll(wait * 1000, zmq.POLLIN):
            msg = run.recv(run.shell)
            if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") in sent:
                return time.perf_counter() - t0
        elif time.perf_counter() >= next_send:
            run.check_alive()
            sent.add(run.send(run.shell, "kernel_info_request", {}))
            next_send = time.perf_counter() + 0.05


def wait_iopub_ready(run: Run, timeout: float = 15.0) -> str:
    """Like jupyter_client's wait_for_ready: resend kernel_info until iopub delivers something.

    Returns a note ("" when fine). Falls back to an execute when a kernel publishes nothing
    for kernel_info."""
    deadline = time.perf_counter() + timeout
    run.iopub_seen = 0
    next_send = 0.0
    while run.iopub_seen == 0:
        now = time.perf_counter()
        if now >= deadline:
            break
        if now >= next_send:
            run.send(run.shell, "kernel_info_request", {})
            next_send = now + 0.1
        try:
            for _ch, _m in run.poll(min(deadline, now + 0.1)):
                pass
        except Timeout:
            pass
    note = ""
    if run.iopub_seen == 0:
        note = "no iopub message for kernel_info_request"
        mid = run.execute("1+1")
        idle = False
        try:
            for ch, m in run.poll(time.perf_counter() + timeout):
                if ch == "iopub" and is_idle(m, mid):
                    idle = True
                    break
        except Timeout:
            pass
        if not idle:
            raise RuntimeError("iopub never delivered status idle")
    run.drain()
    return note
