"""One kernel's whole benchmark: which phases run on which process (fresh launches for startup and
completion, one shared process for the rest, a fresh one after any phase that went wrong), and
the diagnosis of a kernel that stopped answering."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import zmq

from client import KernelDied, PhaseError, Run, Timeout
from kernels import ROOT
from phases.comm import phase_comm
from phases.completion import completion_summary, phase_completion
from phases.compute import phase_compute
from phases.debugger import phase_debugger
from phases.decl import phase_decl
from phases.interrupt import phase_interrupt
from phases.memory import phase_memory
from phases.pipelined import phase_pipelined_repeated
from phases.rtt import phase_rtt
from phases.startup import phase_startup, wait_iopub_ready
from phases.stream import JS_STREAM, PY_STREAM, phase_stream
from report import fmt_phase

# Phases measured on a process of their own, not after the earlier phases' cells.
FRESH_PHASES = {"decl", "memory", "compute", "debugger"}


def bench_kernel(name: str, spec: dict, ctx: zmq.Context, workdir: Path, opts) -> dict:
    res: dict = {"label": spec["label"], "argv": [a.replace(str(ROOT) + "/", "") for a in spec["argv"]]}
    needs = spec.get("needs")
    if needs is not None and not Path(needs).exists():
        res["error"] = f"missing {Path(needs).relative_to(ROOT)}"
        return res
    code = "1+1"
    stream_code = JS_STREAM if spec["lang"] == "js" else PY_STREAM
    launch = iter(range(1000))

    # 1. startup: N launches, each killed right after its first kernel_info_reply
    startups = []
    for _ in range(0 if "startup" in opts.skip else opts.launches):
        run = Run(name, spec, ctx, workdir, next(launch))
        try:
            startups.append(phase_startup(run, opts.timeout))
        except (Timeout, KernelDied) as e:
            err = f"no kernel_info_reply in {opts.timeout:.0f} s" if isinstance(e, Timeout) else str(e)
            res["startup"] = {"error": err}
            res["log_tail"] = run.log_tail()
            res["error"] = f"startup: {err}"
            return res
        finally:
            run.close()
    res["startup"] = {
        "median_ms": statistics.median(startups) * 1e3,
        "min_ms": min(startups) * 1e3,
        "max_ms": max(startups) * 1e3,
        "n": len(startups),
    } if startups else {"skipped": True}
    print(f"    startup: {fmt_phase('startup', res['startup'])}", flush=True)

    # 1b. the first completion: N more launches, each asked to complete right after its first reply
    if spec.get("no_stream") or "completion" in opts.skip:
        res["completion"] = {"skipped": True}
    else:
        samples = []
        for _ in range(opts.completion_launches):
            run = Run(name, spec, ctx, workdir, next(launch))
            try:
                samples.append(phase_completion(run, spec["lang"], opts.timeout))
            except (Timeout, KernelDied) as e:
                res["completion"] = {"error": "no complete_reply" if isinstance(e, Timeout) else str(e)}
                res["log_tail"] = run.log_tail()
                break
            finally:
                run.close()
        else:
            res["completion"] = completion_summary(samples, spec["lang"])
        print(f"    completion: {fmt_phase('completion', res['completion'])}", flush=True)

    # 2. the other phases share one process; a phase that times out, fails or kills the
    # kernel gets the next phase a fresh process, so one bad phase cannot spoil the next
    phases = [
        ("rtt", lambda run: phase_rtt(run, code, opts.warmup, opts.samples, opts.timeout)),
        ("pipelined", lambda run: phase_pipelined_repeated(run, code, opts.pipelined, opts.timeout, opts.repeats)),
        ("stream", None if spec.get("no_stream") else
            lambda run: phase_stream(run, stream_code, opts.timeout, opts.stream_repeats)),
        ("comm", None if not spec.get("widgets") else
            lambda run: phase_comm(run, spec["lang"], opts.comm_messages, opts.repeats, opts.timeout)),
        ("interrupt", None if spec.get("no_stream") else
            lambda run: phase_interrupt(run, spec["lang"], spec.get("interrupt_mode", "signal"))),
        ("interrupt_sleep", None if spec.get("no_stream") else
            lambda run: phase_interrupt(run, spec["lang"], spec.get("interrupt_mode", "signal"), "sleep")),
        ("decl", None if spec.get("no_stream") or spec["lang"] != "js" else
            lambda run: phase_decl(run, opts.decl_warmup, opts.decl_samples, opts.decl_fillers, opts.timeout)),
        ("memory", None if spec.get("no_stream") else
            lambda run: phase_memory(run, spec["lang"], name in ("ours", "ours_gtk", "ours_tk", "baseline"), opts.memory_executes, opts.settle,
                                     3 * opts.timeout)),
        ("compute", None if spec.get("no_stream") or spec["lang"] != "js" else
            lambda run: phase_compute(run, opts.compute_repeats, opts.timeout)),
        ("debugger", None if spec.get("no_stream") or spec["lang"] != "js" else
            lambda run: phase_debugger(run, max(20, opts.samples // 6), opts.compute_repeats, opts.timeout)),
    ]  # fmt: skip
    notes: list[str] = []
    run: Run | None = None
    retry_done: dict[str, bool] = {}
    queue = list(phases)
    try:
        while queue:
            phase, fn = queue.pop(0)
            if fn is None or phase in opts.skip:
                res[phase] = {"skipped": True}
                continue
            if phase in FRESH_PHASES and run is not None:
                run.close()  # its figures are about the cells before it: start from none
                run = None
            if run is None:
                run = Run(name, spec, ctx, workdir, next(launch))
                try:
                    phase_startup(run, opts.timeout)
                    note = wait_iopub_ready(run)
                    if note and note not in notes:
                        notes.append(note)
                    # The same quiet time for every kernel: work a kernel does in the background
                    # after start-up (our language service loading TypeScript, a peer's own
                    # warm-up) is start-up cost, not the round trip's.
                    time.sleep(opts.settle)
                except Exception as e:  # noqa: BLE001
                    res[phase] = {"error": f"relaunch failed: {type(e).__name__}: {e}"}
                    res["log_tail"] = run.log_tail()
                    run.close()
                    run = None
                    print(f"    {phase}: {fmt_phase(phase, res[phase])}", flush=True)
                    continue
            clean = False
            try:
                res[phase] = fn(run)
                # a phase may also return its error (phase_interrupt: the kernel died, no reply):
                # that process is not fit for the next phase either
                clean = "error" not in res[phase] and res[phase].get("done", True) and "after" not in res[phase]
            except Timeout:
                res[phase] = {"error": "timeout", "text": f"timeout ({opts.timeout:.0f} s)"}
            except KernelDied as e:
                res[phase] = {"error": str(e)}
                res["log_tail"] = run.log_tail()
            except Exception as e:  # noqa: BLE001
                res[phase] = {"error": f"{type(e).__name__}: {e}"}
                if isinstance(e, PhaseError):
                    res[phase]["text"] = e.short
            if clean:
                run.drain()
            else:
                slow = res[phase].get("error") == "timeout" or res[phase].get("done") is False
                diag = probe_stall(run) if slow else ""
                if diag:
                    res[phase]["diagnosis"] = diag
                run.close()
                run = None
                if diag.startswith(("stalled", "hung")) and not retry_done.get(phase):
                    # a wake-up bug or a hang, not slowness: note it, and measure once more on a
                    # fresh process (a kernel "stuck" on executes is not retried: that repeats)
                    retry_done[phase] = True
                    print(f"    {phase}: {fmt_phase(phase, res[phase])} -- {diag}; retrying once", flush=True)
                    res.setdefault("notes", []).append(f"{phase}, first try: {fmt_phase(phase, res[phase])} ({diag})")
                    queue.insert(0, (phase, fn))
                    continue
            print(f"    {phase}: {fmt_phase(phase, res[phase])}", flush=True)
    finally:
        if run is not None:
            run.close()
    if notes:
        res.setdefault("notes", []).extend(notes)
    return res


def probe_stall(run: Run) -> str:
    """After a phase timed out: was the kernel slow, or silent with requests outstanding?
    A silent kernel is poked with a kernel_info_request on shell, then one on control. If that
    makes the held-back answers come out, it was "stalled" (woken by the next message); if it
    answers the poke but never the outstanding executes, "stuck"; if nothing answers, "hung"."""
    silent = time.perf_counter() - run.last_rx
    if run.proc is None or run.proc.poll() is not None:
        return "kernel exited"
    if silent < 5.0:
        return ""  # still answering when the phase's time ran out: slow, not stalled
    woke = 0
    answered = []
    run.poller.register(run.control, zmq.POLLIN)
    try:
        for sock, where in ((run.shell, "shell"), (run.control, "control")):
            poke = run.send(sock, "kernel_info_request", {})
            end = time.perf_counter() + 3.0
            while time.perf_counter() < end:
                for s, _ in run.poller.poll(100):
                    try:
                        m = run.recv(s)
                    except zmq.Again:
                        continue
                    if m["parent_header"].get("msg_id") == poke:
                        if m["msg_type"] == "kernel_info_reply":
                            answered.append(where)
                    elif m["parent_header"].get("msg_type") != "kernel_info_request":
                        woke += 1
            if woke or answered:
                break
    finally:
        run.poller.unregister(run.control)
    if woke:
        return (f"stalled: silent for {silent:.0f} s with requests outstanding; a kernel_info_request on "
                f"{where} woke it and {woke} held-back messages came out")  # fmt: skip
    if answered:
        return (f"stuck: silent for {silent:.0f} s with executes outstanding, yet it answers "
                f"kernel_info_request on {answered[0]}; the outstanding executes never came out")  # fmt: skip
    return f"hung: silent for {silent:.0f} s; no answer to kernel_info_request on shell nor on control"
