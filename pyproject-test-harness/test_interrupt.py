"""Interrupt that keeps state, through jupyter_client, in both interrupt modes.

`ts-async` is interrupted with `interrupt_request` on control (interrupt_mode "message"),
`ts-async-signal` with SIGINT from jupyter_client (interrupt_mode "signal"). In each, a busy
loop is stopped at the top level of a cell, after an `await`, and inside a timer callback the
cell started; a pending await sees KernelInterrupt (its `finally` runs); the cell's timers and
intervals are cleared; every variable survives; the next request is answered at once. The time
from the interrupt request to the cell's reply is reported as a figure (never a pass/fail bound).
"""

from __future__ import annotations

import time

import pytest

from conftest import KERNEL_NAME, SIGNAL_KERNEL_NAME
from kernel_helpers import (
    report_figure,
    collect_iopub,
    drain_iopub,
    evaluate,
    execute,
    get_reply,
    running_kernel,
    summarize,
)

pytestmark = pytest.mark.timeout(120)



@pytest.fixture(scope="module", params=[KERNEL_NAME, SIGNAL_KERNEL_NAME], ids=["message", "signal"])
def kernel(request):
    with running_kernel(request.param) as (km, kc):
        assert km.kernel_spec.interrupt_mode == ("message" if request.param == KERNEL_NAME else "signal")
        ex = execute(kc, "const keep = 41; let ticks = 0")
        assert ex.content["status"] == "ok", ex.describe()
        yield km, kc


def wait_stream(kc, msg_id: str, text: str, timeout: float = 10.0) -> list[dict]:
    """IOPub of `msg_id` up to the stream output that contains `text` (the cell is running)."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        except Exception:
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(m)
        if m["msg_type"] == "stream" and text in m["content"]["text"]:
            return seen
    raise AssertionError(f"{text!r} not printed by the cell within {timeout}s: {[summarize(m) for m in seen]}")


def interrupt_running(km, kc, code: str, started: str) -> tuple[dict, list[dict], float]:
    """Run `code`, wait until it prints `started`, interrupt it; its reply, IOPub, and the time
    from the interrupt request to the reply."""
    msg_id = kc.execute(code)
    iopub = wait_stream(kc, msg_id, started)
    time.sleep(0.2)  # let it spin (or sleep) for a while
    t0 = time.monotonic()
    km.interrupt_kernel()
    reply = get_reply(kc, msg_id, timeout=10)
    elapsed = time.monotonic() - t0
    iopub += collect_iopub(kc, msg_id)
    return reply, iopub, elapsed


def assert_interrupted(reply: dict, iopub: list[dict], elapsed: float, case: str) -> None:
    content = reply["content"]
    assert content["status"] == "error" and content["ename"] == "KernelInterrupt", f"{case}: {content}"
    errors = [m["content"]["ename"] for m in iopub if m["msg_type"] == "error"]
    assert errors == ["KernelInterrupt"], f"{case}: {[summarize(m) for m in iopub]}"
    # The cell would never end by itself: its reply is the proof. How long it took is a figure
    # (bench/ measures it against peers), never a pass/fail bound.
    report_figure(f"interrupt, {case}: replied {elapsed * 1000:.0f} ms after the request")


def assert_state_kept_and_answering(kc) -> None:
    assert evaluate(kc, "keep + 1") == "42"


def test_busy_loop_at_the_top_level(kernel) -> None:
    km, kc = kernel
    reply, iopub, elapsed = interrupt_running(km, kc, 'console.log("spinning"); while (true) {}', "spinning")
    assert_interrupted(reply, iopub, elapsed, "top-level loop")
    assert_state_kept_and_answering(kc)


def test_a_top_level_loop_keeps_what_it_wrote_to_the_notebook(kernel) -> None:
    """A loop over notebook variables may work on copies (docs/cells.md, "Hot loops"): what it
    wrote is there after the interrupt, whichever stops it (the guard in message mode, the SIGINT's
    termination, which runs no `finally`, in signal mode)."""
    km, kc = kernel
    reply, iopub, elapsed = interrupt_running(km, kc, 'let spun = 0; console.log("spinning"); while (true) spun++', "spinning")
    assert_interrupted(reply, iopub, elapsed, "top-level loop over a notebook variable")
    assert evaluate(kc, "spun > 0") == "true", evaluate(kc, "spun")
    assert_state_kept_and_answering(kc)


def test_busy_loop_after_an_await(kernel) -> None:
    km, kc = kernel
    code = 'await new Promise((r) => setTimeout(r, 10));\nconsole.log("spinning");\nlet n = 0;\nwhile (true) { n++ }'
    reply, iopub, elapsed = interrupt_running(km, kc, code, "spinning")
    assert_interrupted(reply, iopub, elapsed, "loop after await")
    assert any("In[" in line for line in reply["content"]["traceback"]), reply["content"]["traceback"]
    assert_state_kept_and_answering(kc)


def test_busy_loop_in_a_timer_callback_of_the_running_cell(kernel) -> None:
    km, kc = kernel
    code = ('setTimeout(() => { console.log("spinning"); while (true) {} }, 10);\n'
            'await new Promise((r) => setTimeout(r, 60_000))')
    reply, iopub, elapsed = interrupt_running(km, kc, code, "spinning")
    assert_interrupted(reply, iopub, elapsed, "loop in a timer callback")
    assert_state_kept_and_answering(kc)


def test_endless_recursion_after_an_await_stops(kernel) -> None:
    """No loop at all: the guards at function entry stop it."""
    km, kc = kernel
    code = ('const fib = (n: number): number => n < 2 ? n : fib(n - 1) + fib(n - 2);\n'
            'await null; console.log("spinning"); fib(200)')
    reply, iopub, elapsed = interrupt_running(km, kc, code, "spinning")
    assert_interrupted(reply, iopub, elapsed, "recursion")
    assert_state_kept_and_answering(kc)


def test_pending_await_sees_kernel_interrupt_and_its_finally_runs(kernel) -> None:
    km, kc = kernel
    code = ('try {\n  console.log("sleeping");\n  await new Promise((r) => setTimeout(r, 60_000));\n'
            '  console.log("woke up");\n} catch (e) {\n  console.log("caught " + (e as Error).name);\n  throw e;\n'
            '} finally {\n  console.log("cleanup ran");\n}')
    reply, iopub, elapsed = interrupt_running(km, kc, code, "sleeping")
    assert_interrupted(reply, iopub, elapsed, "awaiting sleep")
    out = "".join(m["content"]["text"] for m in iopub if m["msg_type"] == "stream")
    assert "caught KernelInterrupt" in out and "cleanup ran" in out and "woke up" not in out, out
    assert_state_kept_and_answering(kc)


def test_timers_and_intervals_of_the_cell_are_cleared(kernel) -> None:
    km, kc = kernel
    code = ('setInterval(() => { ticks++; console.log("tick") }, 20);\n'
            'setTimeout(() => console.log("late timer fired"), 600);\n'
            'await new Promise((r) => setTimeout(r, 60_000))')
    reply, iopub, elapsed = interrupt_running(km, kc, code, "tick")
    assert_interrupted(reply, iopub, elapsed, "interval")
    time.sleep(0.8)  # past the late timer and many interval periods
    late = [m for m in drain_iopub(kc) if m["parent_header"].get("msg_id") == reply["parent_header"]["msg_id"]]
    assert not late, f"output of the cell after its interrupt: {[summarize(m) for m in late]}"
    ticks = evaluate(kc, "ticks")
    time.sleep(0.2)
    assert evaluate(kc, "ticks") == ticks, "the cell's interval still runs after the interrupt"


def test_interrupt_of_an_idle_kernel_stops_what_earlier_cells_left_running(kernel) -> None:
    km, kc = kernel
    ex = execute(kc, 'globalThis.bg = 0; setInterval(() => { bg++ }, 10); "started"')
    assert ex.content["status"] == "ok", ex.describe()
    time.sleep(0.2)
    assert int(evaluate(kc, "bg")) > 0
    km.interrupt_kernel()
    time.sleep(0.3)
    before = evaluate(kc, "bg")
    time.sleep(0.3)
    assert evaluate(kc, "bg") == before, "an interval of a finished cell survived the interrupt of an idle kernel"
    assert km.is_alive()
    assert_state_kept_and_answering(kc)


def test_a_timer_spinning_after_its_cell_ended_is_stopped_with_the_cell_that_waited_for_it(kernel) -> None:
    """The kernel looks idle but its main thread is stuck in a timer callback. A cell run now is
    shown busy (the I/O worker says so as it takes the request) but cannot start. One interrupt
    frees the main thread and stops that cell too, as it starts: the frontend saw it running when
    it asked. Were the interrupt spent on the timer alone, this cell would then spin for ever."""
    km, kc = kernel
    ex = execute(kc, "setTimeout(() => { while (true) {} }, 100); 'scheduled'")
    assert ex.content["status"] == "ok", ex.describe()
    time.sleep(0.4)  # the callback spins now; an execute waits (had it not, the cell spins instead)
    msg_id = kc.execute("while (true) {}")
    busy = collect_until_busy(kc, msg_id)
    t0 = time.monotonic()
    km.interrupt_kernel()
    reply = get_reply(kc, msg_id, timeout=10)
    elapsed = time.monotonic() - t0
    iopub = busy + collect_iopub(kc, msg_id)
    assert_interrupted(reply, iopub, elapsed, "a cell the stuck main thread had not started")
    assert_state_kept_and_answering(kc)


def test_cells_sent_behind_an_interrupted_cell_that_does_not_stop_the_queue_run(kernel) -> None:
    """An interrupt that stops a running cell is meant for that cell: the cells sent behind it while
    it spun (the main thread has not seen them yet) are left to stop_on_error, which a
    `stop-on-error=false` cell does not apply. They run, as they would had the main thread queued them."""
    km, kc = kernel
    spin = kc.execute('// stop-on-error=false\nconsole.log("spinning"); while (true) {}')
    wait_stream(kc, spin, "spinning")
    behind = kc.execute("keep + 1")
    time.sleep(0.2)  # it reaches the kernel before the interrupt (had it not, it would run all the same)
    km.interrupt_kernel()
    reply = get_reply(kc, spin, timeout=10)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KernelInterrupt", reply["content"]
    reply = get_reply(kc, behind, timeout=10)
    assert reply["content"]["status"] == "ok", reply["content"]
    results = [m["content"]["data"]["text/plain"] for m in collect_iopub(kc, behind) if m["msg_type"] == "execute_result"]
    assert results == ["42"], results


def collect_until_busy(kc, msg_id: str, timeout: float = 10.0) -> list[dict]:
    """IOPub of `msg_id` up to its status busy: the frontend shows the cell running from there."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "busy":
            return seen
    raise AssertionError(f"no status busy for {msg_id} within {timeout}s")


def test_a_package_loop_after_an_await_cannot_be_stopped_but_the_kernel_answers_and_shuts_down(tmp_path) -> None:
    """docs/interrupt.md's limit: a package's code is not guarded, and after an `await` no vm
    evaluation watches. The kernel must stay alive, answer heartbeat and control, and end on a
    shutdown request."""
    from jupyter_client.manager import KernelManager

    from kernel_helpers import STARTUP_TIMEOUT, control_request, kernel_process, wait_exit
    from test_protocol import heartbeat_echo

    pkg = tmp_path / "node_modules" / "spinner"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "spinner", "version": "1.0.0", "main": "index.js"}')
    (pkg / "index.js").write_text("exports.spin = () => { for (;;) {} };\n")
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        msg_id = kc.execute('import { spin } from "spinner";\nawait null;\nconsole.log("spinning");\nspin()')
        wait_stream(kc, msg_id, "spinning")
        km.interrupt_kernel()
        with pytest.raises(AssertionError, match="no shell reply"):
            get_reply(kc, msg_id, timeout=1.0)
        assert heartbeat_echo(km) == b"ping", "heartbeat not answered while a package's loop spins"
        assert control_request(kc, "kernel_info_request", timeout=5)["content"]["status"] == "ok"
        proc = kernel_process(km)
        reply = control_request(kc, "shutdown_request", {"restart": False}, timeout=5)
        assert reply["content"]["status"] == "ok", reply
        assert wait_exit(proc, timeout=10) is not None, "the kernel did not end after shutdown_request"
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
        km.cleanup_resources()


def test_a_thread_cell_loop_is_stopped_and_the_named_thread_keeps_its_globals(kernel) -> None:
    """A `// thread` cell's loop stops at its guard (the thread's own flag): its thread is not
    terminated, so a named thread keeps its globals."""
    km, kc = kernel
    ex = execute(kc, "// thread name=worker\nglobalThis.kept = 'in the thread'; 1")
    assert ex.content["status"] == "ok", ex.describe()
    code = '// thread name=worker\nawait null;\nconsole.log("spinning");\nwhile (true) {}'
    reply, iopub, elapsed = interrupt_running(km, kc, code, "spinning")
    assert_interrupted(reply, iopub, elapsed, "thread cell loop")
    assert evaluate(kc, "// thread name=worker\nkept") == "'in the thread'"
    assert_state_kept_and_answering(kc)


def test_one_interrupt_stops_every_running_cell_and_each_gets_its_reply(kernel) -> None:
    """A `// task` cell awaiting, a `// thread` cell spinning and a queued cell spinning after an
    await run at once; one interrupt answers each with KernelInterrupt, within the bound."""
    km, kc = kernel
    task = kc.execute('// task\nconsole.log("task waiting"); await new Promise((r) => setTimeout(r, 60_000))')
    wait_stream(kc, task, "task waiting")
    thread = kc.execute('// thread\nconsole.log("thread spinning"); await null; while (true) {}')
    wait_stream(kc, thread, "thread spinning")
    queued = kc.execute('await null; console.log("queued spinning"); while (true) {}')
    wait_stream(kc, queued, "queued spinning")
    time.sleep(0.2)
    t0 = time.monotonic()
    km.interrupt_kernel()
    replies = {name: get_reply(kc, msg_id, timeout=10)["content"]
               for name, msg_id in [("queued", queued), ("task", task), ("thread", thread)]}
    elapsed = time.monotonic() - t0
    assert {name: (r["status"], r.get("ename")) for name, r in replies.items()} == {
        name: ("error", "KernelInterrupt") for name in replies}, replies
    report_figure(f"interrupt of a queued, a task and a thread cell: all three replied {elapsed * 1000:.0f} ms after the request")
    # Each shows the error and ends with idle (IOPub read past the streams waited for above).
    by_parent: dict[str, list[str]] = {task: [], thread: [], queued: []}
    deadline = time.monotonic() + 10
    while not all("idle" in seen for seen in by_parent.values()) and time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=10)
        seen = by_parent.get(m["parent_header"].get("msg_id"))
        if seen is not None and m["msg_type"] in ("error", "status"):
            seen.append(m["content"].get("ename") or m["content"].get("execution_state"))
    assert all(seen[-2:] == ["KernelInterrupt", "idle"] for seen in by_parent.values()), by_parent
    assert_state_kept_and_answering(kc)


def test_heartbeat_and_control_answer_while_a_cell_spins(kernel) -> None:
    """The I/O worker answers while the main thread is stuck in a loop that never ends by itself:
    heartbeat, kernel_info, and the interrupt_request itself (its reply, not only its effect)."""
    from kernel_helpers import control_request, send_control
    from test_protocol import heartbeat_echo

    km, kc = kernel
    msg_id = kc.execute('await null; console.log("spinning"); while (true) {}')
    wait_stream(kc, msg_id, "spinning")
    time.sleep(0.2)
    timings = {}
    t0 = time.monotonic()
    assert heartbeat_echo(km) == b"ping"
    timings["heartbeat"] = time.monotonic() - t0
    t0 = time.monotonic()
    assert control_request(kc, "kernel_info_request")["content"]["status"] == "ok"
    timings["kernel_info"] = time.monotonic() - t0
    t0 = time.monotonic()
    reply = get_reply(kc, send_control(kc, "interrupt_request"), "control")
    timings["interrupt"] = time.monotonic() - t0
    assert reply["content"]["status"] == "ok", reply
    assert get_reply(kc, msg_id)["content"]["ename"] == "KernelInterrupt"
    collect_iopub(kc, msg_id)
    report_figure("while a cell spun: " + ", ".join(f"{what} {took * 1000:.0f} ms" for what, took in timings.items()))


def test_shutdown_is_answered_while_a_cell_spins() -> None:
    from kernel_helpers import kernel_process, send_control, wait_exit

    with running_kernel(KERNEL_NAME) as (km, kc):
        proc = kernel_process(km)
        msg_id = kc.execute('await null; console.log("spinning"); while (true) {}')
        wait_stream(kc, msg_id, "spinning")
        # the cell never ends by itself: the reply comes from the I/O worker while it spins
        reply = get_reply(kc, send_control(kc, "shutdown_request", {"restart": False}), "control")
        assert reply["content"] == {"status": "ok", "restart": False}, reply
        assert wait_exit(proc, timeout=10) == 0, "the kernel did not exit cleanly after the shutdown"


def test_output_held_back_when_a_loop_starts_reaches_the_frontend_while_it_spins(kernel) -> None:
    """The main thread hands output over at the end of an event-loop turn, which a loop delays:
    the I/O worker asks for it through the attention flag and the loop's guard hands it over."""
    km, kc = kernel
    code = ('console.log("first");\nconsole.log("second, in the same turn");\n'
            'await null;\nconsole.log("third, after an await");\nwhile (true) {}')
    msg_id = kc.execute(code)
    seen = wait_stream(kc, msg_id, "third")
    types = [m["msg_type"] for m in seen]
    assert "execute_input" in types, [summarize(m) for m in seen]
    text = "".join(m["content"]["text"] for m in seen if m["msg_type"] == "stream")
    assert text == "first\nsecond, in the same turn\nthird, after an await\n", text
    km.interrupt_kernel()
    assert get_reply(kc, msg_id)["content"]["ename"] == "KernelInterrupt"
    collect_iopub(kc, msg_id)


@pytest.mark.parametrize("kernel_name", [KERNEL_NAME, SIGNAL_KERNEL_NAME], ids=["message", "signal"])
def test_a_package_loop_in_the_synchronous_part_is_stopped(tmp_path, kernel_name: str) -> None:
    """A package's code has no guards; in a cell's synchronous part the SIGINT stops it (vm
    breakOnSigint): from the frontend in signal mode, from the I/O worker in message mode once
    the main thread has not acted on the interrupt by itself."""
    from jupyter_client.manager import KernelManager

    from kernel_helpers import STARTUP_TIMEOUT

    pkg = tmp_path / "node_modules" / "spinner"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "spinner", "version": "1.0.0", "main": "index.js"}')
    (pkg / "index.js").write_text("exports.spin = () => { for (;;) {} };\n")
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        assert execute(kc, "var before = 'kept'").content["status"] == "ok"
        reply, iopub, elapsed = interrupt_running(
            km, kc, 'const { spin } = require("spinner");\nconsole.log("spinning");\nspin()', "spinning")
        assert_interrupted(reply, iopub, elapsed, "a package's loop in the synchronous part")
        assert evaluate(kc, "before") == "'kept'"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        km.cleanup_resources()
