"""stdin (input_request / input_reply) and process.exit() in cells, through jupyter_client.

`await input()`, and the blocking `prompt()` / `confirm()`, send an input_request to the cell's
client with the cell's execute_request as parent; jupyter_client answers with `kc.input()` (no
parent header) or, like JupyterLab, with the input_request as parent. Interrupts end them in
both interrupt modes (interrupt_request, SIGINT), also while `prompt()` blocks the main thread.
"""

from __future__ import annotations

import os
import shutil
import time
from queue import Empty
from typing import Any

import nbformat
import pexpect
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import conftest
from conftest import KERNEL_NAME, MAIN_JS, SIGNAL_KERNEL_NAME, describe, run_cli
from kernel_helpers import (
    TIMEOUT,
    Sorter,
    control_request,
    execute,
    get_reply,
    kernel_process,
    quiet_client,
    running_kernel,
    send_control,
    send_execute,
    summarize,
    wait_exit,
)

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module", params=[KERNEL_NAME, SIGNAL_KERNEL_NAME])
def any_mode_kernel(request):
    """A kernel of each interrupt mode: `interrupt_request` on control, and SIGINT."""
    with running_kernel(request.param) as (km, kc):
        yield km, kc


@pytest.fixture
def kc(shared_kernel):
    kc = quiet_client(*shared_kernel)
    drain_stdin(kc)
    return kc


@pytest.fixture
def modes(any_mode_kernel):
    km, kc = any_mode_kernel
    quiet_client(km, kc)
    drain_stdin(kc)
    return km, kc


def drain_stdin(kc) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(kc.get_stdin_msg(timeout=0.05))
        except Empty:
            return out


def input_request(kc, timeout: float = TIMEOUT) -> dict[str, Any]:
    try:
        msg = kc.get_stdin_msg(timeout=timeout)
    except Empty:
        raise AssertionError(f"no input_request within {timeout}s") from None
    assert msg["msg_type"] == "input_request", summarize(msg)
    return msg


def no_input_request(kc, wait: float = 0.5) -> None:
    try:
        msg = kc.get_stdin_msg(timeout=wait)
    except Empty:
        return
    raise AssertionError(f"unexpected stdin message {summarize(msg)}: {msg['content']}")


def answer(kc, value: str, parent: dict[str, Any] | None = None) -> None:
    """An input_reply; with `parent` (an input_request), as JupyterLab sends it."""
    msg = kc.session.msg("input_reply", {"value": value}, parent=parent["header"] if parent else None)
    kc.stdin_channel.send(msg)


def result(sorter: Sorter, msg_id: str) -> str | None:
    ex = sorter.execution(msg_id)
    assert ex.content["status"] == "ok", ex.describe()
    return ex.result_text


def interrupt(km, kc) -> None:
    """An interrupt of the kernel's mode: interrupt_request (message) or SIGINT (signal)."""
    if km.kernel_spec.interrupt_mode == "message":
        reply = control_request(kc, "interrupt_request")
        assert reply["content"]["status"] == "ok", reply["content"]
    else:
        km.interrupt_kernel()


# ---------------------------------------------------------------------------------------------
# Round trips


def test_input_round_trip(kc) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, "console.log('asking'); const name = await input('Name? ');\n"
                              "console.log('hello', name); name.length", allow_stdin=True)
    req = input_request(kc)
    assert req["content"] == {"prompt": "Name? ", "password": False}
    # Frontends match an input_request to its cell by parent.
    assert req["parent_header"]["msg_id"] == msg_id
    assert req["parent_header"]["msg_type"] == "execute_request"
    answer(kc, "Ada")
    ex = s.execution(msg_id)
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.stdout == "asking\nhello Ada\n"
    assert ex.result_text == "3"
    assert result(s, send_execute(kc, "name")) == "'Ada'"


def test_password_and_the_module_import(kc) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, 'import { input as ask } from "ts-async-kernel";\n'
                              "ask === input ? await ask('Secret: ', { password: true }) : 'not the global'",
                          allow_stdin=True)
    req = input_request(kc)
    assert req["content"] == {"prompt": "Secret: ", "password": True}
    answer(kc, "hunter2", parent=req)
    assert result(s, msg_id) == "'hunter2'"


def test_prompt_and_confirm_block_until_answered(kc) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, "console.log('before');\n"
                              "const who = prompt('Who?', 'nobody'), sure = confirm('Sure?'), no = confirm('Again?');\n"
                              "[who, sure, no]", allow_stdin=True)
    req = input_request(kc)
    assert req["content"] == {"prompt": "Who? [nobody]", "password": False}
    # The main thread is blocked in prompt(): what the cell printed before must be out already.
    assert "before\n" in "".join(m["content"]["text"] for m in wait_streams(s, msg_id))
    answer(kc, "")  # empty: the default
    assert input_request(kc)["content"]["prompt"] == "Sure? [y/N]"
    answer(kc, " Yes ")
    assert input_request(kc)["content"]["prompt"] == "Again? [y/N]"
    answer(kc, "n")
    assert result(s, msg_id) == "[ 'nobody', true, false ]"


@pytest.mark.parametrize(("call", "prompt"), [
    ("await input('Enter: ')", "Enter: "),
    ("await input('Enter:')", "Enter:"),
    ("await input()", ""),
    ("prompt('Enter: ')", "Enter: "),
    ("prompt('Enter:')", "Enter:"),
    ("prompt()", ""),
    # a default is shown before the message's trailing whitespace, and adds none of its own
    ("prompt('Enter: ', 'x')", "Enter: [x] "),
    ("prompt('Enter:', 'x')", "Enter: [x]"),
    ("prompt('', 'x')", "[x]"),
    ("confirm('Sure? ')", "Sure? [y/N] "),
    ("confirm('Sure?')", "Sure? [y/N]"),
    ("confirm()", "[y/N]"),
    ("await input('  two lines\\n> ')", "  two lines\n> "),
])
def test_the_prompt_is_sent_as_written(kc, call, prompt) -> None:
    """The input_request's prompt is the string the cell gave: nothing added but the documented
    hint (a default, confirm's [y/N]); ipykernel's input() sends its prompt as given too."""
    s = Sorter(kc)
    msg_id = send_execute(kc, f"JSON.stringify({call})", allow_stdin=True)
    req = input_request(kc)
    answer(kc, "y")  # first: a blocked prompt() would hold up the next test
    assert result(s, msg_id) in ("'\"y\"'", "'true'")
    assert req["content"] == {"prompt": prompt, "password": False}


def wait_streams(s: Sorter, msg_id: str, timeout: float = 3.0) -> list[dict[str, Any]]:
    s.wait_output(msg_id, "stream", timeout=timeout)
    return [m for m in s.iopub[msg_id] if m["msg_type"] == "stream"]


def test_two_pending_inputs_are_answered_by_parent_or_in_order(kc) -> None:
    s = Sorter(kc)
    first = send_execute(kc, "// task\n'first: ' + await input('one')", allow_stdin=True)
    req1 = input_request(kc)
    second = send_execute(kc, "// task\n'second: ' + await input('two')", allow_stdin=True)
    req2 = input_request(kc)
    assert (req1["content"]["prompt"], req2["content"]["prompt"]) == ("one", "two")
    answer(kc, "B", parent=req2)  # the later one first, named by its parent
    assert result(s, second) == "'second: B'"
    assert not s.replied(first)
    answer(kc, "A")  # no parent: the oldest pending request of this client
    assert result(s, first) == "'first: A'"


def test_an_input_answered_while_prompt_blocks_the_main_thread(kc) -> None:
    s = Sorter(kc)
    waiting = send_execute(kc, "// task\n'async: ' + await input('async')", allow_stdin=True)
    req_async = input_request(kc)
    blocking = send_execute(kc, "'sync: ' + prompt('sync')", allow_stdin=True)
    req_sync = input_request(kc)
    assert req_sync["parent_header"]["msg_id"] == blocking
    answer(kc, "a", parent=req_async)
    time.sleep(0.3)
    assert not s.replied(waiting), "input() settled while prompt() still blocks the thread"
    answer(kc, "s", parent=req_sync)
    assert result(s, blocking) == "'sync: s'"
    assert result(s, waiting) == "'async: a'"


# ---------------------------------------------------------------------------------------------
# Where input cannot be asked for: a clear error


@pytest.mark.parametrize("call", ["await input('x')", "prompt('x')", "confirm('x')"])
def test_no_stdin_when_the_request_does_not_allow_it(kc, call: str) -> None:
    ex = Sorter(kc).execution(send_execute(kc, call, allow_stdin=False))
    assert ex.content["status"] == "error", ex.describe()
    assert ex.content["ename"] == "StdinUnavailable"
    name = call.split("(")[0].split()[-1]
    assert ex.content["evalue"] == (f"{name}() was called, but this frontend does not support input "
                                    "requests (its execute_request has allow_stdin: false)")
    no_input_request(kc, 0.2)


def test_no_stdin_in_thread_cells(kc) -> None:
    ex = Sorter(kc).execution(send_execute(kc, "// thread\nawait input('x')", allow_stdin=True))
    assert ex.content["status"] == "error", ex.describe()
    assert ex.content["ename"] == "StdinUnavailable"
    assert "thread cells cannot ask for input" in ex.content["evalue"]
    no_input_request(kc, 0.2)


def test_no_stdin_after_the_cell_has_finished(kc) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, "setTimeout(() => input('late').catch((e) => console.log(`${e.name}: ${e.message}`)), 100); 1",
                          allow_stdin=True)
    s.execution(msg_id)
    no_input_request(kc, 0.5)
    # The timer's output still goes to its cell.
    late = s.wait_output(msg_id, "stream")
    assert late["content"]["text"] == ("StdinUnavailable: input() was called, but its cell has finished: "
                                       "only a running cell can ask for input\n")


# ---------------------------------------------------------------------------------------------
# Interrupts, in both modes


@pytest.mark.parametrize("code, kept", [
    ("await input('waiting')", {"message": "42", "signal": "42"}),
    # Blocked in the cell's synchronous part. Message mode: the I/O worker ends the wait at once
    # and prompt() throws KernelInterrupt (its `finally` runs). Signal mode: the frontend's
    # SIGINT ends the evaluation (breakOnSigint), wait included, and a terminated evaluation runs
    # no `finally`.
    ("prompt('blocking')", {"message": "42", "signal": "41"}),
    # Blocked outside it: the SIGINT watcher (or the I/O worker) wakes the wait, prompt() throws.
    ("await new Promise((r) => setTimeout(r, 10)); confirm('blocking after an await')", {"message": "42", "signal": "42"}),
])
def test_interrupt_ends_an_input_request(modes, code: str, kept: dict[str, str]) -> None:
    km, kc = modes
    s = Sorter(kc)
    assert s.execution(send_execute(kc, "var kept = 41")).content["status"] == "ok"
    msg_id = send_execute(kc, f"try {{ {code} }} finally {{ kept++ }}", allow_stdin=True)
    interrupted = input_request(kc)
    # The request goes out from inside the cell: let it reach its await (or its blocking wait)
    # first, as a user would. A SIGINT in the few microseconds between would end the cell's
    # synchronous part there (signal mode), with no `finally` run.
    time.sleep(0.2)
    interrupt(km, kc)
    ex = s.execution(msg_id)
    assert ex.content["status"] == "error", ex.describe()
    assert ex.content["ename"] == "KernelInterrupt", ex.describe()
    # The next request is answered (within the reply's timeout: it does not wait for the input
    # that will never come), every variable still there.
    quick = send_execute(kc, "kept")
    reply = s.reply(quick)
    assert reply["content"]["status"] == "ok"
    assert s.execution(quick).result_text == kept[km.kernel_spec.interrupt_mode]
    # Asking again works: an answer without parent goes to the new request (the interrupted one
    # is forgotten), and a late answer to the interrupted one is dropped.
    again = send_execute(kc, "[await input('again'), prompt('and again')]", allow_stdin=True)
    assert input_request(kc)["content"]["prompt"] == "again"
    answer(kc, "fresh")
    assert input_request(kc)["content"]["prompt"] == "and again"
    answer(kc, "late", parent=interrupted)
    answer(kc, "fresher")
    assert result(s, again) == "[ 'fresh', 'fresher' ]"
    assert km.is_alive()


@pytest.mark.parametrize("code", [
    "await input('too slow')",
    "prompt('too slow')",  # vm's own timeout ends the synchronous part
    "await null; prompt('too slow')",  # the blocked wait keeps the deadline itself
])
def test_timeout_tag_cancels_a_pending_input(kc, code: str) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, code, tags=["timeout=1"], allow_stdin=True)
    timed_out = input_request(kc)
    ex = s.execution(msg_id)
    assert ex.content["ename"] == "TimeoutError", ex.describe()
    # Named by its parent, as JupyterLab answers: a parent-less answer here could reach the
    # kernel after the next request (stdin and shell are separate sockets) and answer that one.
    answer(kc, "late", parent=timed_out)
    again = send_execute(kc, "await input('next')", allow_stdin=True)
    input_request(kc)
    answer(kc, "on time")
    assert result(s, again) == "'on time'"


def test_shutdown_while_prompt_blocks() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        msg_id = kc.execute("prompt('never answered')", allow_stdin=True)
        input_request(kc)
        reply = get_reply(kc, send_control(kc, "shutdown_request", {"restart": False}), "control")
        assert reply["content"]["status"] == "ok"
        # The blocked prompt() is ended by the shutdown itself (not by the SIGINT the I/O
        # worker sends a main thread that does not respond: that would be a KernelInterrupt).
        ex = get_reply(kc, msg_id)
        assert ex["content"]["ename"] == "StdinUnavailable", ex["content"]
        assert ex["content"]["evalue"] == "prompt() was called, but the kernel is shutting down"
        assert wait_exit(kernel_process(km), 10) == 0


# ---------------------------------------------------------------------------------------------
# process.exit() in a cell: an error, the kernel lives on


@pytest.mark.parametrize("call, shown", [
    ("process.exit(3)", "process.exit(3)"),
    ("process.exit()", "process.exit()"),
    ("process.reallyExit(1)", "process.reallyExit(1)"),
    ("process.abort()", "process.abort()"),
])
def test_process_exit_in_a_cell_is_an_error(kc, call: str, shown: str) -> None:
    s = Sorter(kc)
    s.execution(send_execute(kc, "var survivor = 'still here'"))
    ex = s.execution(send_execute(kc, f"{call}; 'after'"))
    assert ex.content["status"] == "error", ex.describe()
    assert ex.content["ename"] == "ProcessExit"
    assert ex.content["evalue"] == (f"{shown} was called, but the kernel keeps running (with every "
                                    "variable). To end it, shut the kernel down or restart it from the frontend.")
    assert result(s, send_execute(kc, "survivor")) == "'still here'"


def test_process_exit_in_a_timer_goes_to_stderr_and_the_kernel_lives(kc) -> None:
    s = Sorter(kc)
    msg_id = send_execute(kc, "setTimeout(() => process.exit(2), 10);\n"
                              "await new Promise((r) => setTimeout(r, 200)); 'survived'")
    ex = s.execution(msg_id)
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.result_text == "'survived'"
    stderr = "".join(m["content"]["text"] for m in ex.of_type("stream") if m["content"]["name"] == "stderr")
    assert stderr.startswith("Uncaught exception: ProcessExit: process.exit(2) was called"), stderr


def test_process_exit_in_a_thread_cell_ends_that_thread_only(kc) -> None:
    s = Sorter(kc)
    ex = s.execution(send_execute(kc, "// thread name=leaving\nprocess.exit(4)"))
    assert ex.content["status"] == "error", ex.describe()
    assert "exit code 4" in ex.content["evalue"], ex.describe()
    assert result(s, send_execute(kc, "// thread name=leaving\n'a fresh thread'")) == "'a fresh thread'"


def test_the_kernel_still_exits_cleanly_after_a_guarded_exit() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        ex = execute(kc, "process.exit(1)")
        assert ex.content["ename"] == "ProcessExit", ex.describe()
        reply = get_reply(kc, send_control(kc, "shutdown_request", {"restart": False}), "control")
        assert reply["content"]["status"] == "ok"
        assert wait_exit(kernel_process(km), 10) == 0



# ---------------------------------------------------------------------------------------------
# The kernel's own clients: `console` answers from the terminal, `run` (headless) has no stdin


def test_our_console_answers_input_requests_from_the_terminal() -> None:
    env = os.environ.copy()
    env["TERM"] = "dumb"
    # The kernel it launches has its connection file there: found by the harness's leak sweep.
    assert conftest.TMP_ROOT is not None
    (conftest.TMP_ROOT / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(conftest.TMP_ROOT / "tmp")
    child = pexpect.spawn(shutil.which("node"), [str(MAIN_JS), "console"], env=env,
                          encoding="utf-8", timeout=30, dimensions=(40, 200))
    transcript: list[str] = []

    def expect(pattern: str) -> None:
        try:
            child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise AssertionError(f"console: {type(e).__name__} waiting for {pattern!r}; output:\n"
                                 f"{''.join(transcript) + str(child.before)}") from None
        transcript.append(str(child.before) + str(child.after))

    try:
        # Prompts are computed: the terminal's echo of the typed line must not match them.
        expect(r"In \[1\]: ")
        child.sendline("const who = await input('Na' + 'me? ')")
        expect(r"Name\? ")
        child.sendline("Ada")
        expect(r"In \[2\]: ")
        child.sendline("const secret = await input('Sec' + 'ret: ', { password: true })")
        expect(r"Secret: ")
        child.sendline("hunter" + "2")
        expect(r"In \[3\]: ")
        child.sendline("[who, secret.length, secret === 'hunter' + '2']")
        expect(r"Out\[3\]: \[ 'Ada', 7, true \]")
        expect(r"In \[4\]: ")
        # Ctrl-C at a blocking prompt interrupts the cell; the console goes on.
        child.sendline("prompt('Block' + 'ed? ')")
        expect(r"Blocked\? ")
        time.sleep(0.3)
        child.sendintr()
        expect(r"KernelInterrupt")
        expect(r"In \[5\]: ")
        child.sendline("who.toUpperCase()")
        expect(r"Out\[5\]: 'ADA'")
        expect(r"In \[6\]: ")
        assert "hunter2" not in "".join(transcript), "the password was echoed"
        child.sendeof()
        expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.close(force=True)


def test_run_has_no_stdin_and_says_so(tmp_path) -> None:
    path = tmp_path / "asks.ipynb"
    nb = new_notebook()
    nb.cells.append(new_code_cell("const answer = await input('Name? ')"))
    nbformat.write(nb, str(path))
    proc = run_cli("run", str(path), cwd=tmp_path, timeout=60)
    assert proc.returncode == 1, describe(proc)
    assert "In [1] (code cell 1) failed (StdinUnavailable)" in proc.stderr, describe(proc)
    out = nbformat.read(str(path), as_version=4).cells[0].outputs
    errors = [o for o in out if o.output_type == "error"]
    assert errors and errors[0].evalue.startswith("input() was called, but this frontend does not support input requests"), out
