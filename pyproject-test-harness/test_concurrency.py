"""Run modes, cell tags and kernel subshells (JEP 91) through jupyter_client.

`// task` and silent cells run beside a busy queue, `// thread` cells in worker threads while the
main thread answers, subshells keep their own queues and execution counts, and the I/O worker
answers subshell requests on control while the main thread spins.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime
from typing import Any

import pytest

from conftest import KERNEL_NAME
from kernel_helpers import (
    Sorter,
    running_kernel,
    control_request,
    create_subshell,
    quiet_client,
    report_figure,
    send_execute,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def kc(shared_kernel):
    kc = quiet_client(*shared_kernel)
    # The shell loads on the first cell: timings below are about scheduling, not start-up.
    sorter = Sorter(kc)
    assert sorter.execution(send_execute(kc, "0")).content["status"] == "ok"
    return kc


def run(kc, code: str, **kwargs):
    """Execute one cell and wait for it (reply and IOPub up to idle)."""
    sorter = Sorter(kc)
    return sorter.execution(send_execute(kc, code, **kwargs))


# A queued cell that waits until the test lets it go (a `// task` cell calls release()): which
# reply comes first is then decided by the kernel's behaviour, never by a clock.
HELD = "await new Promise((r) => { globalThis.release = r; }); 'released'"


def release(s: Sorter, kc) -> None:
    assert s.execution(send_execute(kc, "// task\nglobalThis.release()")).content["status"] == "ok"


def test_task_cell_finishes_while_a_queued_cell_waits(kc) -> None:
    s = Sorter(kc)
    queued = send_execute(kc, HELD)
    task = send_execute(kc, "// task\nconsole.log('from the task'); 6 * 7")
    ex = s.execution(task)
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.result_text == "42" and ex.stdout == "from the task\n", ex.describe()
    assert not s.replied(queued), "the queued cell finished before it was let go"
    release(s, kc)
    assert s.execution(queued).result_text == "'released'"


def test_silent_request_runs_beside_a_busy_queue(kc) -> None:
    s = Sorter(kc)
    queued = send_execute(kc, HELD)
    silent = send_execute(kc, "globalThis.silentRan = 'yes'", silent=True)
    ex = s.execution(silent)
    assert ex.content["status"] == "ok", ex.describe()
    assert [m["msg_type"] for m in ex.iopub] == ["status", "status"], ex.describe()
    assert not s.replied(queued)
    release(s, kc)
    s.execution(queued)
    assert run(kc, "globalThis.silentRan").result_text == "'yes'"


def test_tags_win_over_the_first_line_comment(kc) -> None:
    run(kc, "const onlyInMain = 'main'")
    # `// thread` would not see the main namespace; the `task` tag keeps the cell in it.
    ex = run(kc, "// thread\nonlyInMain", tags=["task"])
    assert ex.result_text == "'main'", ex.describe()
    s = Sorter(kc)
    queued = send_execute(kc, HELD)
    tagged = send_execute(kc, "// queue\n'tagged'", tags=["task"])
    assert s.execution(tagged).result_text == "'tagged'"
    assert not s.replied(queued)
    release(s, kc)
    s.execution(queued)


def test_thread_cell_busy_loop_while_main_answers(kc, tmp_path) -> None:
    s = Sorter(kc)
    # the thread spins until the test lets it go (a file appears): no clock decides the order
    go = tmp_path / "go"
    thread = send_execute(
        kc,
        "// thread\nconsole.log('computing');\n"
        f"const {{ existsSync }} = require('node:fs'); while (!existsSync({json.dumps(str(go))})) {{}}\n"
        "console.log('computed'); display({ shape: 'square' }); 'from the thread'")
    s.wait_output(thread, "stream")  # the loop runs now
    quick = send_execute(kc, "1 + 1")
    reply = s.reply(quick)
    assert reply["content"]["status"] == "ok"
    # the behaviour that matters: the main thread answered while the thread cell still computes
    assert not s.replied(thread), "the thread cell ended before the quick cell was answered"
    quick_ex = s.execution(quick)
    assert [m["msg_type"] for m in quick_ex.iopub] == ["status", "execute_input", "execute_result", "status"], quick_ex.describe()
    go.touch()
    ex = s.execution(thread)
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.stdout == "computing\ncomputed\n"
    assert ex.of_type("display_data")[0]["content"]["data"]["text/plain"] == "{ shape: 'square' }"
    assert ex.result_text == "'from the thread'"


def test_thread_cell_error_reaches_its_cell(kc) -> None:
    run(kc, "const mainOnly = 1")
    ex = run(kc, "// thread\nconsole.log('before'); mainOnly + 1")
    assert ex.content["status"] == "error"
    assert ex.content["ename"] == "ReferenceError", ex.describe()
    assert ex.stdout == "before\n"
    assert ex.of_type("error")[0]["content"]["evalue"] == "mainOnly is not defined"


def test_named_thread_is_reused_and_keeps_its_globals(kc) -> None:
    assert run(kc, "// thread name=store\nvar counter = 1; counter").result_text == "1"
    assert run(kc, "// thread name=store\ncounter += 1; counter").result_text == "2"
    assert run(kc, "counter * 10", tags=["thread name=store"]).result_text == "20"
    assert run(kc, "typeof counter").result_text == "'undefined'"


def test_bad_thread_options_get_a_clear_error(kc) -> None:
    ex = run(kc, "// thread nmae=store\n1")
    assert ex.content["status"] == "error"
    assert ex.content["ename"] == "CellSettingsError"
    assert 'unknown thread option "nmae"' in ex.content["evalue"]


def test_tag_raises_exception(kc) -> None:
    s = Sorter(kc)
    failing = send_execute(kc, "throw new RangeError('expected')", tags=["raises-exception"])
    after = send_execute(kc, "'still runs'")
    assert s.reply(failing)["content"]["ename"] == "RangeError"
    assert s.execution(after).result_text == "'still runs'", "raises-exception stopped the queue"
    ex = run(kc, "1", tags=["raises-exception"])
    assert ex.content["status"] == "error"
    assert ex.content["evalue"] == "An expected exception was not raised"


def test_tag_stop_on_error(kc) -> None:
    s = Sorter(kc)
    a = send_execute(kc, "await new Promise((r) => setTimeout(r, 50)); throw new Error('a')",
                     tags=["stop-on-error=false"])
    b = send_execute(kc, "'b ran'")
    assert s.reply(a)["content"]["status"] == "error"
    assert s.execution(b).result_text == "'b ran'"
    c = send_execute(kc, "await new Promise((r) => setTimeout(r, 50)); throw new Error('c')",
                     tags=["stop_on_error=True"], stop_on_error=False)
    d = send_execute(kc, "'d ran'")
    assert s.reply(c)["content"]["status"] == "error"
    assert s.reply(d)["content"]["ename"] == "ExecutionAborted"


def test_tag_timeout(kc) -> None:
    s = Sorter(kc)
    slow = send_execute(kc, "var beforeTimeout = 'kept'; await new Promise((r) => setTimeout(r, 10000))",
                        tags=["timeout=0.3"])
    after = send_execute(kc, "beforeTimeout")
    ex = s.execution(slow, timeout=5)
    assert ex.content["status"] == "error" and ex.content["ename"] == "TimeoutError", ex.describe()
    assert s.execution(after).result_text == "'kept'", "a timeout stopped the queue"
    spin = run(kc, "// thread\nwhile (true) {}", tags=["timeout=0.2"])
    assert spin.content["ename"] == "TimeoutError", spin.describe()


def test_settings_comments_do_what_the_tags_do(kc) -> None:
    """nbclient, `jupyter execute` and jupyter console send no cell tags: the cell's first lines
    carry the same settings (docs/concurrency.md), read by the kernel itself."""
    s = Sorter(kc)
    a = send_execute(kc, "// stop-on-error=false\nawait new Promise((r) => setTimeout(r, 50)); throw new Error('a')")
    b = send_execute(kc, "'b ran'")
    assert s.reply(a)["content"]["status"] == "error"
    assert s.execution(b).result_text == "'b ran'", "the failure stopped the queue"
    slow = send_execute(kc, "// timeout=0.3\nvar beforeComment = 'kept'; await new Promise(() => {})")
    after = send_execute(kc, "beforeComment")
    ex = s.execution(slow, timeout=5)
    assert ex.content["status"] == "error" and ex.content["ename"] == "TimeoutError", ex.describe()
    assert s.execution(after).result_text == "'kept'", "a timeout stopped the queue"
    ex = run(kc, "// raises-exception\n1")
    assert ex.content["evalue"] == "An expected exception was not raised", ex.describe()
    # A tag wins over the comment.
    c = send_execute(kc, "// stop-on-error=false\nawait new Promise((r) => setTimeout(r, 50)); throw new Error('c')",
                     tags=["stop-on-error=true"])
    d = send_execute(kc, "'d ran'")
    assert s.reply(c)["content"]["status"] == "error"
    assert s.reply(d)["content"]["ename"] == "ExecutionAborted"


def test_tag_timeout_stops_a_loop_after_an_await(kc) -> None:
    """The main thread is stuck in the loop, so its own timer cannot fire: the I/O worker keeps
    the time and raises the cell's deadline, which the cell's guards obey."""
    ex = run(kc, "var beforeSpin = 'kept'; await null; while (true) {}", tags=["timeout=0.3"])
    # the loop never ends by itself: its TimeoutError reply is the proof
    assert ex.content["status"] == "error" and ex.content["ename"] == "TimeoutError", ex.describe()
    assert run(kc, "beforeSpin").result_text == "'kept'"
    # a named thread's loop stops at its guard: the thread survives with its globals
    assert run(kc, "// thread name=timed\nglobalThis.mine = 'still here'; 1").content["status"] == "ok"
    spin = run(kc, "// thread name=timed\nawait null; while (true) {}", tags=["timeout=0.2"])
    assert spin.content["ename"] == "TimeoutError", spin.describe()
    assert "was ended" not in spin.content["evalue"], spin.describe()
    assert run(kc, "// thread name=timed\nmine").result_text == "'still here'"


def test_subshells_interleave_and_count_separately(kc) -> None:
    one, two = create_subshell(kc), create_subshell(kc)
    s = Sorter(kc)
    # `one` waits for `two` to wake it: with a single queue this would never finish.
    waiting = send_execute(kc, "var sharedAcross = 'from one'; await new Promise((r) => (globalThis.wake = r))",
                           subshell_id=one)
    waking = send_execute(kc, "wake(); sharedAcross", subshell_id=two)
    woke = s.execution(waking)
    assert woke.result_text == "'from one'", woke.describe()
    assert woke.content["execution_count"] == 1
    assert s.execution(waiting).content["execution_count"] == 1
    assert run(kc, "2", subshell_id=one).content["execution_count"] == 2
    main = run(kc, "sharedAcross")
    assert main.result_text == "'from one'"
    assert main.content["execution_count"] > 2
    for sid in (one, two):
        assert control_request(kc, "delete_subshell_request", {"subshell_id": sid})["content"]["status"] == "ok"


def test_unknown_subshell_gets_an_error_reply(kc) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, "1", subshell_id="no-such-subshell")
    ex = s.execution(msg_id)
    assert ex.content["status"] == "error"
    assert ex.content["ename"] == "SubshellNotFound"
    states = [m["content"]["execution_state"] for m in ex.iopub if m["msg_type"] == "status"]
    assert states == ["busy", "idle"], ex.describe()
    assert ex.iopub[0]["msg_type"] == "status" and ex.iopub[-1]["msg_type"] == "status"


def test_subshell_requests_answered_while_main_spins(kc) -> None:
    """The main thread spins forever: every answer below came from the I/O worker while it did."""
    s = Sorter(kc)
    spin = send_execute(kc, "console.log('spinning'); while (true) {}")
    s.wait_output(spin, "stream")

    def timed(msg_type: str, content: dict | None = None):
        start = time.monotonic()
        reply = control_request(kc, msg_type, content)
        return reply["content"], time.monotonic() - start

    created, t_create = timed("create_subshell_request")
    sid = created["subshell_id"]
    listed, t_list = timed("list_subshell_request")
    deleted, t_delete = timed("delete_subshell_request", {"subshell_id": sid})
    unknown, t_unknown = timed("delete_subshell_request", {"subshell_id": sid})
    assert created["status"] == "ok"
    assert listed["status"] == "ok" and sid in listed["subshell_id"]
    assert deleted == {"status": "ok"}
    assert unknown["status"] == "error" and unknown["ename"] == "SubshellNotFound", unknown
    assert not s.replied(spin), "the spinning cell ended by itself"
    report_figure("subshell requests while the main thread spun: " + ", ".join(
        f"{name} {took * 1000:.0f} ms" for name, took in [("create", t_create), ("list", t_list), ("delete", t_delete), ("delete unknown", t_unknown)]))
    control_request(kc, "interrupt_request")
    assert s.reply(spin)["content"]["ename"] == "KernelInterrupt"
    s.outputs(spin)


def test_kernel_info_lists_kernel_subshells(kc) -> None:
    reply = control_request(kc, "kernel_info_request")
    assert "kernel subshells" in reply["content"]["supported_features"]



# stop_on_error in a Run All: the failing cell's later cells are sent back to back, and the kernel
# may answer the failure before the last of them has even arrived.

BURSTS = 300


def _date_ms(date: Any) -> float:
    """A header's date (jupyter_client gives a datetime, the wire a string) in ms since the epoch."""
    if isinstance(date, str):
        date = datetime.fromisoformat(date.replace("Z", "+00:00"))
    return date.timestamp() * 1000


# src/io/abort_windows.ts DATE_SLACK_MS: a request made less than this before the reply runs.
DATE_SLACK_MS = 2


@pytest.mark.timeout(180)
@pytest.mark.parametrize("where", ["main shell", "subshell", "task cells"])
def test_stop_on_error_aborts_every_later_cell_made_before_the_failure_went_out(kc, where) -> None:
    """Bursts of a failing cell and four later cells sent with random gaps of 0 to 2 ms (JupyterLab's
    Run All sends every cell at once). No later cell that the client made before the kernel sent the
    failing reply runs after the failure: it gets an ExecutionAborted reply without an execution
    count, with busy and idle. With "task cells" the later cells are `// task` cells, which start
    at once instead of queuing: one that arrived before the failure may run beside the failing
    cell, never after it. In a subshell, main-shell cells sent meanwhile are not aborted. And the
    next burst's failing cell, sent as soon as the last reply is in, is never aborted.
    (A cell made while the failing reply was on its way cannot be told from one sent by a client
    that has read the reply, nor one made within DATE_SLACK_MS before it, the drift of the kernel's
    monotonic clock from the wall clock the dates are on: those are counted, not asserted.)"""
    subshell = create_subshell(kc) if where == "subshell" else None
    s = Sorter(kc)
    setup = s.execution(send_execute(kc, "globalThis.soe = { failed: -1, after: [] }; 0", subshell_id=subshell))
    assert setup.content["status"] == "ok", setup.describe()
    rng = random.Random(12)
    later: list[tuple[str, int, str, float]] = []  # (label, burst, msg_id, the date it was made)
    failing: list[str] = []
    beside: list[str] = []
    for burst in range(BURSTS):
        # The failing cell marks its burst before it throws; a later cell that runs after it says so.
        # It fails after 4 ms, so that some later cells are surely made before it fails (the test
        # must exercise the rule, whatever the machine's load); others are made after.
        failing.append(send_execute(kc, f"globalThis.soe.failed = {burst}; const t0 = Date.now(); while (Date.now() - t0 < 4) {{}}\n"
                                        f"throw new Error('burst {burst}')",
                                    subshell_id=subshell))
        for i in range(4):
            gap = time.perf_counter() + rng.uniform(0, 0.002)
            while time.perf_counter() < gap:
                pass
            label = f"{burst}.{i}"
            code = f"if (globalThis.soe.failed === {burst}) globalThis.soe.after.push('{label}'); 1"
            msg = kc.session.msg("execute_request", {
                "code": ("// task\n" if where == "task cells" else "") + code, "silent": False,
                "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
            if subshell is not None:
                msg["header"]["subshell_id"] = subshell
            kc.shell_channel.send(msg)
            later.append((label, burst, msg["header"]["msg_id"], _date_ms(msg["header"]["date"])))
        if subshell is not None and burst % 10 == 0:
            beside.append(send_execute(kc, "'the main shell carries on'"))
        for _, _, msg_id, _ in later[-4:]:
            s.reply(msg_id)

    made_before = aborted = 0
    went_out = {}
    for burst, msg_id in enumerate(failing):
        reply = s.reply(msg_id)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "Error", (
            f"burst {burst}'s failing cell: {reply['content']}")
        # The kernel's clock is this machine's (in ms): the reply's date is not after it went out.
        went_out[burst] = _date_ms(reply["header"]["date"])
    for label, burst, msg_id, made in later:
        c = s.reply(msg_id)["content"]
        before = made < went_out[burst] - DATE_SLACK_MS
        made_before += before
        if c["status"] != "ok":
            aborted += 1
            assert c["ename"] == "ExecutionAborted" and c["execution_count"] == 0, c
            states = [m["content"]["execution_state"] for m in s.outputs(msg_id) if m["msg_type"] == "status"]
            assert states == ["busy", "idle"], states
        elif before:
            # only a task cell that arrived before the failure runs (beside it)
            assert where == "task cells", f"cell {label}, made before the failure went out, ran: {c}"
    after = s.execution(send_execute(kc, "globalThis.soe.after.join(' ')", subshell_id=subshell)).result_text
    ran_after = (after or "").strip("'").split()
    made_at = {label: (burst, made) for label, burst, _, made in later}
    wrong = [label for label in ran_after if made_at[label][1] < went_out[made_at[label][0]] - DATE_SLACK_MS]
    report_figure(f"stop_on_error bursts ({where}): {BURSTS} bursts, {len(later)} later cells, "
                  f"{made_before} made before the failing reply went out ({len(wrong)} of them ran after it), "
                  f"{aborted} aborted in all, {len(ran_after)} ran after the failure")
    assert not wrong, f"cells made before the failing reply went out ran after the failure: {wrong}"
    # The bursts did make cells before the failure went out (else this test would prove nothing).
    assert made_before >= BURSTS // 20, f"only {made_before} later cells were made before the failing reply"
    for m in beside:
        assert s.reply(m)["content"]["status"] == "ok", "a subshell's failure aborted the main shell"
    if subshell is not None:
        assert control_request(kc, "delete_subshell_request", {"subshell_id": subshell})["content"]["status"] == "ok"


def test_a_failing_reply_is_held_and_the_cells_sent_meanwhile_are_aborted() -> None:
    """The hold itself, with no clock in the pass mark: with a long hold, a failing cell's reply
    has not gone out when the four cells sent after it are made, so all four are aborted, and
    their replies come after the failing one."""
    import os
    env = {**os.environ, "TS_ASYNC_KERNEL_HISTORY": "off", "TS_ASYNC_KERNEL_STOP_ON_ERROR_MS": "10000"}
    with running_kernel(KERNEL_NAME, start_kwargs={"env": env}) as (km, kc):
        s = Sorter(kc)
        failing = send_execute(kc, "throw new Error('first')")
        later = [send_execute(kc, f"globalThis.heldRan = {i}") for i in range(4)]
        assert not s.replied(failing), "the failing reply went out before the hold ended"
        assert s.reply(failing, timeout=60)["content"]["ename"] == "Error"
        for msg_id in later:
            assert s.reply(msg_id)["content"]["ename"] == "ExecutionAborted"
        order = [msg_id for msg_id in s.replies if msg_id in (failing, *later)]  # in the order they came
        assert order == [failing, *later], order
        assert s.execution(send_execute(kc, "typeof globalThis.heldRan")).result_text == "'undefined'"


@pytest.mark.timeout(240)
def test_no_later_cell_of_a_blind_burst_runs() -> None:
    """JupyterLab's Run All, with the kernel's default settings: a failing cell and four later ones
    sent back to back (gaps of 0 to 2 ms) without reading replies, 200 times. The failing reply is
    held a moment before it goes out (src/io/failure_hold.ts), so the later cells of a burst are
    made before it, and every cell made before it is aborted: none runs. (Should this client be
    descheduled for longer than the hold mid-burst, a cell made after the reply went out may run,
    as it would for a client that answers the error: those are counted, and reported.) The next
    burst's failing cell, sent once the replies are read, is never aborted."""
    import os
    env = {**os.environ, "TS_ASYNC_KERNEL_HISTORY": "off"}
    env.pop("TS_ASYNC_KERNEL_STOP_ON_ERROR_MS", None)
    with running_kernel(KERNEL_NAME, start_kwargs={"env": env}) as (km, kc):
        s = Sorter(kc)
        assert s.execution(send_execute(kc, "globalThis.blind = []; 0")).content["status"] == "ok"
        rng = random.Random(7)
        made_before = ran_after_reply = 0
        for burst in range(200):
            failing = send_execute(kc, f"throw new Error('burst {burst}')")
            later: list[tuple[str, float]] = []
            for i in range(4):
                gap = time.perf_counter() + rng.uniform(0, 0.002)
                while time.perf_counter() < gap:
                    pass
                msg = kc.session.msg("execute_request", {
                    "code": f"globalThis.blind.push('{burst}.{i}'); 1", "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
                kc.shell_channel.send(msg)
                later.append((msg["header"]["msg_id"], _date_ms(msg["header"]["date"])))
            # replies read only now: the burst was sent blind
            reply = s.reply(failing)
            assert reply["content"]["ename"] == "Error", f"burst {burst}'s failing cell: {reply['content']}"
            went_out = _date_ms(reply["header"]["date"])
            for msg_id, made in later:
                c = s.reply(msg_id)["content"]
                before = made < went_out - DATE_SLACK_MS
                made_before += before
                if c["status"] == "ok":
                    assert not before, f"burst {burst}: a cell made before the failing reply went out ran"
                    ran_after_reply += 1
                else:
                    assert c["ename"] == "ExecutionAborted", c
        ran = s.execution(send_execute(kc, "globalThis.blind.length")).result_text
        report_figure(f"blind bursts: 200 bursts, 800 later cells, {made_before} made before the failing reply went out, "
                      f"{ran} ran (all made after it)")
        assert int(ran) == ran_after_reply
        # How many ran is a figure, not a pass mark: without the hold most later cells of a burst
        # are made after a quick failure's reply and run (481 of 800 with
        # TS_ASYNC_KERNEL_STOP_ON_ERROR_MS=0); with it none does on a quiet machine, and on a loaded
        # one a client descheduled for longer than the hold makes some after it (23 of 800 beside
        # two busy loops), which run as a client's answer to the error would. What must hold
        # whatever the load is asserted per cell above: none made before the reply went out ran.
