"""Misbehaving cells never end the kernel: errors thrown later (timers, unhandled rejections),
values thrown that break whoever reads them, stack overflows, huge allocations, a thread that
exhausts its heap, display data JSON cannot hold, and cells that replace the globals a program
leans on (console, timers, process). What cannot be survived is in docs/security.md.

process.exit() / abort() in cells are tested in test_stdin.py; interrupts in test_interrupt.py.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from queue import Empty
from typing import Any, Iterator

import pytest
from jupyter_client.session import Session

from conftest import KERNEL_NAME
from kernel_helpers import (
    TIMEOUT,
    control_request,
    evaluate,
    execute,
    get_reply,
    kernel_process,
    quiet_client,
    running_kernel,
    summarize,
    wait_exit,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def kc(shared_kernel):
    return quiet_client(*shared_kernel)


@pytest.fixture
def km(shared_kernel):
    return shared_kernel[0]


def stderr_of(kc, msg_id: str, expect: tuple[str, ...], timeout: float = TIMEOUT) -> str:
    """The stderr text IOPub carries for `msg_id` (also after its idle) until every `expect`
    string is in it; fails with what arrived if they do not all come within `timeout`."""
    text = ""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not all(e in text for e in expect):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"stderr of {msg_id} lacks {expect}: {text!r}; other IOPub: {seen[-10:]}")
        try:
            m = kc.get_iopub_msg(timeout=remaining)
        except Empty:
            continue
        if (m.get("parent_header") or {}).get("msg_id") == msg_id and m["msg_type"] == "stream" \
                and m["content"]["name"] == "stderr":
            text += m["content"]["text"]
        else:
            seen.append(summarize(m))
    return text


def assert_alive(km, kc) -> None:
    assert km.is_alive(), "the kernel process died"
    assert evaluate(kc, "6 * 7") == "42"


# ---------------------------------------------------------------------------------------------
# Errors that escape their cell: reported on the cell that started them, never fatal


def test_errors_thrown_later_show_on_the_cell_that_started_them(km, kc) -> None:
    started = execute(kc, "setTimeout(() => { throw new Error('thrown later') }, 50);\n"
                          "Promise.reject(new Error('never handled'));\n'started'")
    assert started.content["status"] == "ok" and started.result_text == "'started'", started.describe()
    # Another cell is running when the timer fires: the error still goes to the one that set it.
    running = kc.execute("await new Promise((r) => setTimeout(r, 300)); 'second'")
    text = stderr_of(kc, started.msg_id, ("Uncaught exception: Error: thrown later",
                                          "Unhandled promise rejection: Error: never handled"))
    assert re.search(r"\(In\[\d+\]:1:\d+\)", text), f"no cell frame in {text!r}"
    assert get_reply(kc, running)["content"]["status"] == "ok"
    assert_alive(km, kc)


def test_errors_thrown_later_are_the_cells_output_not_the_kernels_log(tmp_path) -> None:
    """What a cell's code throws after the cell (a timer, a rejection nobody handles, a comm
    handler, a thread cell's timer) is the user's output: a traceback on the cell's stderr. The
    kernel's own stderr, which jupyter console, `run` and CI logs show, gets no line for it at the
    default log level; a fault that is not the user's (a message signed with the wrong key) does."""
    env = {k: v for k, v in os.environ.items() if k != "TS_ASYNC_KERNEL_LOG_LEVEL"}
    log_path = tmp_path / "kernel.stderr"
    with open(log_path, "w") as log, running_kernel(KERNEL_NAME, {"env": env, "stderr": log}) as (km, kc):
        timer = execute(kc, "setTimeout(() => { throw new Error('late timer') }, 10);\n'started'")
        text = stderr_of(kc, timer.msg_id, ("Uncaught exception: Error: late timer",))
        assert re.search(r"\(In\[\d+\]:1:\d+\)", text), f"no cell frame in {text!r}"

        rejection = execute(kc, "Promise.reject(new Error('nobody catches'));\n'started'")
        stderr_of(kc, rejection.msg_id, ("Unhandled promise rejection: Error: nobody catches",))

        target = f"test.fail.{uuid.uuid4().hex[:6]}"
        registered = execute(kc, f"""
import {{ registerCommTarget }} from "ts-async-kernel";
registerCommTarget("{target}", (comm) => comm.onMsg(() => {{ throw new RangeError("handler broke") }}));
""")
        assert registered.content["status"] == "ok", registered.describe()
        comm_id = uuid.uuid4().hex
        for msg_type, content in [("comm_open", {"comm_id": comm_id, "target_name": target, "data": {}}),
                                  ("comm_msg", {"comm_id": comm_id, "data": {}})]:
            msg = kc.session.msg(msg_type, content)
            kc.session.send(kc.shell_channel.socket, msg)
        stderr_of(kc, msg["header"]["msg_id"], ("RangeError: handler broke",))

        thread = execute(kc, "// thread\nsetTimeout(() => { throw new Error('late in a thread') }, 10);\n'started'")
        stderr_of(kc, thread.msg_id, ("Uncaught exception: Error: late in a thread",))

        # The kernel's log is there and read: a fault of the kernel's input is logged at once.
        forger = Session(key=b"not the kernel's key", signature_scheme=kc.session.signature_scheme)
        forger.send(kc.shell_channel.socket, forger.msg("kernel_info_request", {}))
        deadline = time.monotonic() + TIMEOUT
        while "dropped invalid message" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert_alive(km, kc)
    kernel_log = log_path.read_text()
    assert "dropped invalid message" in kernel_log, kernel_log
    for marker in ("late timer", "nobody catches", "handler broke", "late in a thread"):
        assert marker not in kernel_log, f"{marker!r} is on the kernel's stderr:\n{kernel_log}"


HOSTILE_LATER = {
    "an object whose getters throw, thrown from a timer":
        "setTimeout(() => { throw { get name() { throw new Error('x') }, get message() { throw new Error('y') },"
        " get stack() { throw new Error('z') } } }, 10)",
    "a Proxy whose every trap throws, thrown from a timer":
        "const trap = () => { throw new Error('trap') };\n"
        "setTimeout(() => { throw new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap }) }, 10)",
    "a rejection with a Proxy whose traps throw":
        "Promise.reject(new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } }))",
    "a rejection with a null-prototype object": "Promise.reject(Object.create(null))",
    "a rejection with undefined": "Promise.reject(undefined)",
}


@pytest.mark.parametrize("code", list(HOSTILE_LATER.values()), ids=list(HOSTILE_LATER))
def test_hostile_values_thrown_later_are_shown_and_survived(km, kc, code: str) -> None:
    ex = execute(kc, f"{code};\n'started'")
    assert ex.content["status"] == "ok", ex.describe()
    text = stderr_of(kc, ex.msg_id, ("Uncaught",))
    assert text.startswith(("Uncaught exception: Uncaught", "Unhandled promise rejection: Uncaught")), text
    assert_alive(km, kc)


def test_a_hostile_value_thrown_by_the_cell_is_its_error(km, kc) -> None:
    ex = execute(kc, "throw new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })")
    assert ex.content["status"] == "error", ex.describe()
    assert (ex.content["ename"], ex.content["evalue"]) == ("Uncaught", "{}"), ex.describe()
    assert [m["content"]["ename"] for m in ex.of_type("error")] == ["Uncaught"]
    assert_alive(km, kc)


def test_stack_overflow_in_a_cell_a_timer_and_a_thread(km, kc) -> None:
    ex = execute(kc, "function down(n: number): number { return down(n + 1) + 1 }\ndown(0)")
    assert (ex.content["ename"], ex.content["evalue"]) == ("RangeError", "Maximum call stack size exceeded"), ex.describe()
    assert any("In[" in line for line in ex.content["traceback"][1:]), ex.content["traceback"]

    later = execute(kc, "setTimeout(function again(): number { return again() + 1 }, 10); 'set'")
    assert later.content["status"] == "ok", later.describe()
    stderr_of(kc, later.msg_id, ("Uncaught exception: RangeError: Maximum call stack size exceeded",))

    thread = execute(kc, "// thread\nfunction down(n: number): number { return down(n + 1) + 1 }\ndown(0)")
    assert thread.content["ename"] == "RangeError", thread.describe()
    assert_alive(km, kc)


# ---------------------------------------------------------------------------------------------
# Huge allocations: an error where Node refuses them, a result where it grants them


@pytest.mark.parametrize("code, ename, evalue", [
    ("'x'.repeat(2 ** 31)", "RangeError", "Invalid string length"),
    ("new ArrayBuffer(Number.MAX_SAFE_INTEGER)", "RangeError", "Array buffer allocation failed"),
    ("new Array(2 ** 32)", "RangeError", "Invalid array length"),
])
def test_allocations_node_refuses_are_errors(km, kc, code: str, ename: str, evalue: str) -> None:
    ex = execute(kc, code)
    assert (ex.content.get("ename"), ex.content.get("evalue")) == (ename, evalue), ex.describe()
    assert_alive(km, kc)


def test_a_2_gb_allocation_is_granted_and_released(km, kc) -> None:
    # Untouched pages: the memory is reserved, not written, so this costs no RAM.
    assert evaluate(kc, "let twoGb: ArrayBuffer | undefined = new ArrayBuffer(2 ** 31); twoGb.byteLength") == "2147483648"
    assert evaluate(kc, "twoGb = undefined; 'released'") == "'released'"
    assert_alive(km, kc)


def test_a_thread_that_exhausts_its_heap_ends_alone() -> None:
    """A heap that fills up ends a thread, not the kernel (the main thread's cannot be
    survived: docs/security.md). A small heap limit keeps this test cheap."""
    env = {**os.environ, "NODE_OPTIONS": "--max-old-space-size=192"}
    with running_kernel(KERNEL_NAME, start_kwargs={"env": env}) as (km, kc):
        assert evaluate(kc, "var kept = 'main namespace'; kept") == "'main namespace'"
        ex = execute(kc, "// thread name=hog\nconst hoard: number[][] = [];\n"
                         "while (true) hoard.push(new Array(100_000).fill(1.5))", timeout=60)
        assert ex.content["ename"] == "ThreadEnded", ex.describe()
        assert "heap out of memory" in ex.content["evalue"], ex.describe()
        assert evaluate(kc, "// thread name=hog\n'a fresh thread'") == "'a fresh thread'"
        assert evaluate(kc, "kept") == "'main namespace'"


# ---------------------------------------------------------------------------------------------
# Display data that JSON cannot hold: the cell's error, not the I/O thread's crash


@pytest.mark.parametrize("code, evalue", [
    ("const m: any = {}; m.m = m; display.html('<b>x</b>', { metadata: m })", "Converting circular structure to JSON"),
    ("display.html('<b>x</b>', { metadata: { n: 10n } as any })", "Do not know how to serialize a BigInt"),
    ("display.html('<b>x</b>', { displayId: { id: 1 } as any })", "a display id must be a string, got object"),
    ("// thread\nconst m: any = {}; m.m = m; display.html('<b>x</b>', { metadata: m })", "Converting circular structure to JSON"),
])
def test_display_metadata_json_cannot_hold_is_the_cells_error(km, kc, code: str, evalue: str) -> None:
    ex = execute(kc, code)
    assert ex.content["ename"] == "TypeError" and ex.content["evalue"].startswith(evalue), ex.describe()
    assert_alive(km, kc)


# ---------------------------------------------------------------------------------------------
# Cells that replace the globals a program leans on: the kernel does not use them


@pytest.fixture(scope="module")
def vandalised() -> Iterator[tuple[Any, Any]]:
    """A kernel whose cells have replaced console, the timer functions, process and more."""
    with running_kernel(KERNEL_NAME) as (km, kc):
        ex = execute(kc, "'warm up'")
        assert ex.content["status"] == "ok", ex.describe()
        ex = execute(kc, "\n".join(f"globalThis.{name} = undefined;" for name in REPLACED) + "\n"
                         "console.log('replaced console.log');\n'replaced'")
        assert ex.content["status"] == "error", "console is gone: console.log must throw: " + ex.describe()
        assert "Cannot read properties of undefined" in ex.content["evalue"], ex.describe()
        yield km, kc


REPLACED = ["console", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval",
            "clearImmediate", "queueMicrotask", "process", "Buffer", "JSON", "Error", "Symbol",
            "performance", "structuredClone", "TextDecoder", "TextEncoder", "URL", "Atomics"]


def test_with_replaced_globals_cells_run_and_output(vandalised) -> None:
    km, kc = vandalised
    ex = execute(kc, "import { setTimeout as sleep } from 'node:timers/promises';\n"
                     "import { stdout } from 'node:process';\n"
                     "await sleep(20); stdout.write('written\\n'); display.html('<i>shown</i>'); [1, 2].map((x) => x * 2)")
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.stdout == "written\n", ex.describe()
    assert ex.of_type("display_data")[0]["content"]["data"]["text/html"] == "<i>shown</i>"
    assert ex.result_text == "[ 2, 4 ]"
    err = execute(kc, "null.x")
    assert err.content["ename"] == "TypeError", err.describe()


def test_with_replaced_globals_the_kernel_answers_and_interrupts(vandalised) -> None:
    km, kc = vandalised
    for request in (kc.kernel_info, lambda: kc.complete("Math.ma", 7),
                    lambda: kc.history(hist_access_type="tail", n=2), lambda: kc.is_complete("1 +")):
        reply = get_reply(kc, request())
        assert reply["content"]["status"] in ("ok", "incomplete"), reply["content"]
    msg_id = kc.execute("while (true) {}")
    time.sleep(0.3)
    assert control_request(kc, "interrupt_request")["content"]["status"] == "ok"
    assert get_reply(kc, msg_id)["content"]["ename"] == "KernelInterrupt"
    assert evaluate(kc, "'after the interrupt'") == "'after the interrupt'"


def test_with_replaced_globals_the_kernel_shuts_down_cleanly(vandalised) -> None:
    km, kc = vandalised
    proc = kernel_process(km)
    assert control_request(kc, "shutdown_request", {"restart": False})["content"]["status"] == "ok"
    assert wait_exit(proc, 10) == 0
