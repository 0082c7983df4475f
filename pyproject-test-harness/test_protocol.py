"""Protocol, robustness, interrupt, restart and shutdown tests against the real kernel process.

Driven through jupyter_client (start_new_kernel + BlockingKernelClient), and through raw pyzmq
sockets with jupyter_client.session.Session where frames must be forged.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, Callable

import pytest
import zmq
from jupyter_client.session import DELIM, Session

from conftest import KERNEL_NAME, SIGNAL_KERNEL_NAME
from kernel_helpers import (
    TIMEOUT,
    collect_iopub,
    drain_iopub,
    drain_shell,
    evaluate,
    execute,
    get_reply,
    quiet_client,
    kernel_process,
    running_kernel,
    send_control,
    send_shell,
    summarize,
    wait_exit,
)

pytestmark = pytest.mark.timeout(60)


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:2])


# ---------------------------------------------------------------------------------------------
# One kernel shared by the tests that leave it in a normal state.


@pytest.fixture
def kc(shared_kernel):
    return quiet_client(*shared_kernel)


@pytest.fixture
def km(shared_kernel):
    return shared_kernel[0]


# ---------------------------------------------------------------------------------------------
# 1. Forged, unsigned, replayed and malformed messages are dropped; the kernel lives on.


def recv_all(sock: zmq.Socket, timeout: float) -> list[list[bytes]]:
    """Every multipart message that arrives on `sock` within `timeout` seconds."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return out
        if sock.poll(int(remaining * 1000)):
            out.append(sock.recv_multipart())


def recv_until_reply_to(sock: zmq.Socket, reader: Session, msg_id: str,
                        timeout: float = TIMEOUT) -> tuple[dict[str, Any], list[Any]]:
    """Read a DEALER socket until the reply to `msg_id`; returns it and whatever came before."""
    before: list[Any] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no reply to {msg_id} within {timeout}s; before it: {before}")
        if not sock.poll(int(remaining * 1000)):
            continue
        frames = sock.recv_multipart()
        _idents, msg_list = reader.feed_identities(frames)
        msg = reader.deserialize(msg_list)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg, before
        before.append(summarize(msg))


def execute_content(code: str) -> dict[str, Any]:
    return {"code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}


def test_forged_and_malformed_messages_are_dropped(km, kc) -> None:
    info = km.get_connection_info()
    key, scheme = info["key"], info["signature_scheme"]
    assert key, "the harness expects a signed connection (non-empty key)"
    forger = Session(key=key, signature_scheme=scheme, username="forger")
    reader = Session(key=key, signature_scheme=scheme)
    wrong_key = Session(key=b"not-the-key", signature_scheme=scheme)
    counter = f"__forged_{uuid.uuid4().hex[:8]}"
    bump = f"globalThis.{counter} = (globalThis.{counter} ?? 0) + 1"

    shell = km.connect_shell()
    control = km.connect_control()
    try:
        # A valid execute that we will replay: it runs exactly once.
        valid = forger.msg("execute_request", execute_content(bump))
        valid_frames = forger.serialize(valid)
        shell.send_multipart(valid_frames)
        reply, before = recv_until_reply_to(shell, reader, valid["header"]["msg_id"])
        assert reply["content"]["status"] == "ok", reply["content"]
        collect_iopub(kc, valid["header"]["msg_id"])

        def signed(frames4: list[bytes]) -> list[bytes]:
            return [DELIM, forger.sign(frames4), *frames4]

        def exec_frames(code: str) -> list[bytes]:
            return forger.serialize(forger.msg("execute_request", execute_content(code)))

        bad_sig = exec_frames(bump)
        bad_sig[1] = wrong_key.sign(bad_sig[2:6])
        flipped = exec_frames(bump)
        flipped[1] = flipped[1][:-1] + (b"0" if flipped[1][-1:] != b"0" else b"1")
        unsigned = exec_frames(bump)
        unsigned[1] = b""
        tampered = exec_frames("1")
        tampered[5] = json.dumps(execute_content(bump)).encode()  # content changed after signing
        h, p, md, c = exec_frames(bump)[2:6]
        dropped_on_shell: dict[str, list[bytes]] = {
            "bad signature (wrong key)": bad_sig,
            "bad signature (one hex digit changed)": flipped,
            "missing signature": unsigned,
            "content changed after signing": tampered,
            "replayed valid message": valid_frames,
            "one garbage frame": [b"garbage"],
            "no delimiter": [h, p, md, c],
            "delimiter and signature only (2 frames)": [DELIM, forger.sign([h, p, md, c])],
            "signed invalid JSON header": signed([b"{not json", p, md, c]),
            "signed invalid JSON content": signed([h, p, md, b"{\"code\": "]),
            "signed invalid UTF-8": signed([h, p, md, b"\xff\xfe\xfd"]),
        }
        for frames in dropped_on_shell.values():
            shell.send_multipart(frames)

        shutdown = forger.msg("shutdown_request", {"restart": False})
        bad_shutdown = forger.serialize(shutdown)
        bad_shutdown[1] = wrong_key.sign(bad_shutdown[2:6])
        unsigned_shutdown = forger.serialize(forger.msg("shutdown_request", {"restart": False}))
        unsigned_shutdown[1] = b""
        control.send_multipart(bad_shutdown)
        control.send_multipart(unsigned_shutdown)
        control.send_multipart([b"garbage"])

        # Sentinels: the kernel handles each socket's messages in order, so once the sentinel
        # is answered everything sent before it on that socket has been dealt with.
        sentinel = forger.msg("kernel_info_request", {})
        shell.send_multipart(forger.serialize(sentinel))
        ctrl_sentinel = forger.msg("kernel_info_request", {})
        control.send_multipart(forger.serialize(ctrl_sentinel))

        reply, before = recv_until_reply_to(shell, reader, sentinel["header"]["msg_id"])
        assert reply["content"]["status"] == "ok"
        assert before == [], f"the kernel answered dropped shell messages: {before}"
        reply, before = recv_until_reply_to(control, reader, ctrl_sentinel["header"]["msg_id"])
        assert reply["content"]["status"] == "ok"
        assert before == [], f"the kernel answered dropped control messages: {before}"

        others: list[dict[str, Any]] = []
        collect_iopub(kc, sentinel["header"]["msg_id"], others=others)
        others = [m for m in others
                  if m["parent_header"].get("msg_id") != ctrl_sentinel["header"]["msg_id"]]
        assert others == [], (
            "IOPub traffic (busy/idle or output) for dropped messages: "
            f"{[summarize(m) for m in others]}")

        late = recv_all(shell, 0.3) + recv_all(control, 0.1)
        assert late == [], f"late replies to dropped messages: {late}"
    finally:
        shell.close(linger=0)
        control.close(linger=0)

    # The kernel lives on and still answers normally.
    assert km.is_alive(), "the kernel process died"
    msg_id = kc.kernel_info()
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"
    assert evaluate(kc, f"globalThis.{counter}") == "1", (
        "the forged/replayed executes must not run: only the first valid one")
    assert evaluate(kc, "6 * 7") == "42"


def test_unknown_message_types_are_survived(km, kc) -> None:
    bogus = send_shell(kc, "no_such_request", {"x": 1})
    bogus_ctrl = send_control(kc, "no_such_control_request", {})
    msg_id = kc.kernel_info()
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok"
    cid = send_control(kc, "kernel_info_request")
    assert get_reply(kc, cid, "control")["content"]["status"] == "ok"
    assert km.is_alive()
    assert evaluate(kc, "1 + 2") == "3"
    # Whatever the kernel did with the unknown requests, it did not answer them as if known.
    for m in drain_shell(kc):
        assert m["parent_header"].get("msg_id") != bogus or m["msg_type"] != "execute_reply"
    del bogus_ctrl


def test_signatures_over_wrong_types_and_missing_fields_do_not_crash(km, kc) -> None:
    """Validly signed messages with wrong shapes: the kernel may answer or drop, never die."""
    forger = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
    shell = km.connect_shell()
    try:
        def send4(header: Any, content: Any) -> None:
            frames = [json.dumps(header).encode(), b"{}", b"{}", json.dumps(content).encode()]
            shell.send_multipart([DELIM, forger.sign(frames), *frames])

        base = forger.msg_header("execute_request")
        base["date"] = base["date"].isoformat()
        send4([], {})
        send4({"msg_id": "no-type"}, {})
        send4({**base, "msg_id": str(uuid.uuid4())}, {"code": 42})
        send4({**base, "msg_id": str(uuid.uuid4())}, [])
        send4({**base, "msg_id": str(uuid.uuid4()), "msg_type": "complete_request"},
              {"code": None, "cursor_pos": "x"})
        send4({**base, "msg_id": str(uuid.uuid4()), "msg_type": "history_request"},
              {"hist_access_type": "nonsense"})
        sentinel = forger.msg("kernel_info_request", {})
        shell.send_multipart(forger.serialize(sentinel))
        recv_until_reply_to(shell, Session(key=km.session.key,
                                           signature_scheme=km.session.signature_scheme),
                            sentinel["header"]["msg_id"])
    finally:
        shell.close(linger=0)
    assert km.is_alive()
    assert evaluate(kc, "'still here'") == "'still here'"


def test_requests_of_the_wrong_shape_get_an_error_reply_naming_the_field(kc) -> None:
    """Each request's content is checked against its type where it arrives (src/messaging/validate.ts):
    a field of the wrong type or a required one missing gets an error reply that names it, between
    busy and idle, and runs nothing; an execute request's error is also shown on iopub, with
    execution_count 0. A comm message (no reply) is ignored between busy and idle."""
    flag = f"__shape_{uuid.uuid4().hex[:8]}"
    cases = [
        ("execute_request", {"code": f"globalThis.{flag} = 1", "silent": "no"}, "content.silent must be a boolean, got string"),
        ("execute_request", {"store_history": True}, "content.code is missing (a string)"),
        ("complete_request", {"code": None, "cursor_pos": 1}, "content.code must be a string, got null"),
        ("inspect_request", {"code": "x", "cursor_pos": 1, "detail_level": 3}, "content.detail_level must be one of 0, 1, got 3"),
        ("history_request", {"hist_access_type": "nonsense"}, 'content.hist_access_type must be one of "range", "tail", "search", got "nonsense"'),
        ("is_complete_request", {"code": ["x"]}, "content.code must be a string, got an array"),
    ]
    for msg_type, content, problem in cases:
        msg_id = send_shell(kc, msg_type, content)
        reply = get_reply(kc, msg_id)["content"]
        assert reply["status"] == "error" and reply["ename"] == "InvalidRequest", reply
        assert reply["evalue"] == f"{msg_type}: {problem}", reply
        got = collect_iopub(kc, msg_id)
        states = [m["content"]["execution_state"] for m in got if m["msg_type"] == "status"]
        assert states == ["busy", "idle"], [summarize(m) for m in got]
        if msg_type == "execute_request":
            assert reply["execution_count"] == 0
            assert [m["content"]["evalue"] for m in got if m["msg_type"] == "error"] == [f"{msg_type}: {problem}"]
    comm = send_shell(kc, "comm_msg", {"data": {}})
    assert [m["msg_type"] for m in collect_iopub(kc, comm)] == ["status", "status"]
    assert evaluate(kc, f"typeof globalThis.{flag}") == "'undefined'"


@pytest.mark.parametrize("scheme,key", [
    ("hmac-sha256", None),
    ("hmac-sha512", None),
    ("hmac-sha256", b""),
], ids=["sha256", "sha512", "unsigned-empty-key"])
def test_signature_schemes(scheme: str, key: bytes | None) -> None:
    session = Session(signature_scheme=scheme)
    if key is not None:
        session.key = key
    with running_kernel(KERNEL_NAME, session=session) as (km, kc):
        with open(km.connection_file, encoding="utf-8") as f:
            cf = json.load(f)
        assert cf["signature_scheme"] == scheme
        assert cf["key"] == session.key.decode()
        # kc's Session verifies every reply with the same scheme and key.
        msg_id = kc.kernel_info()
        reply = get_reply(kc, msg_id)
        assert reply["content"]["status"] == "ok"
        assert evaluate(kc, "6 * 7") == "42"


# ---------------------------------------------------------------------------------------------
# 2. Pipelined executes: 10,000 of them in test_soak.py


# ---------------------------------------------------------------------------------------------
# 3. Interrupt: a synchronous busy loop is stopped, variables survive


def wait_iopub_for(kc, msg_id: str, pred: Callable[[dict[str, Any]], bool],
                   timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    got = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"IOPub: expected message for {msg_id} not seen within "
                                 f"{timeout}s; got {[summarize(m) for m in got]}")
        try:
            m = kc.get_iopub_msg(timeout=remaining)
        except Exception:
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        got.append(m)
        if pred(m):
            return got


def heartbeat_echo(km, payload: bytes = b"ping", timeout: float = 3.0) -> bytes | None:
    sock = km.connect_hb()
    try:
        sock.send(payload)
        if sock.poll(int(timeout * 1000)):
            return sock.recv()
        return None
    finally:
        sock.close(linger=0)


def interrupt_busy_loop(km, kc, interrupt: Callable[[], None], label: str) -> None:
    msg_id = kc.execute("while (true) {}")
    iopub = wait_iopub_for(kc, msg_id, lambda m: m["msg_type"] == "status")  # busy
    time.sleep(0.5)  # let it spin

    # The I/O thread keeps answering heartbeat and control while the main thread spins.
    assert heartbeat_echo(km) == b"ping", "heartbeat not answered while a cell spins"
    cid = send_control(kc, "kernel_info_request")
    assert get_reply(kc, cid, "control", timeout=5)["content"]["status"] == "ok", (
        "control kernel_info not answered while a cell spins")

    interrupt()
    reply = get_reply(kc, msg_id, timeout=TIMEOUT)
    content = reply["content"]
    assert content["status"] == "error", f"{label}: execute_reply after interrupt: {content}"
    assert isinstance(content.get("execution_count"), int), content
    assert isinstance(content.get("ename"), str) and content["ename"], content
    iopub += collect_iopub(kc, msg_id)
    assert [m["msg_type"] for m in iopub].count("execute_input") == 1, (
        f"{label}: {[summarize(m) for m in iopub]}")
    errors = [m for m in iopub if m["msg_type"] == "error"]
    assert len(errors) == 1, f"{label}: expected one error on IOPub: {[summarize(m) for m in iopub]}"
    assert errors[0]["content"]["ename"] == content["ename"]
    assert isinstance(errors[0]["content"]["traceback"], list)


def test_output_is_published_while_a_cell_spins(kc) -> None:
    """execute_input and output written before a long synchronous stretch reach IOPub at once,
    not when the cell ends (the I/O thread publishes while the main thread is busy)."""
    msg_id = kc.execute('console.log("before the spin"); '
                        "{ const t0 = Date.now(); while (Date.now() - t0 < 3000) {} }")
    t0 = time.monotonic()
    got = wait_iopub_for(kc, msg_id, lambda m: m["msg_type"] == "stream", timeout=TIMEOUT)
    seen_after = time.monotonic() - t0
    types = [m["msg_type"] for m in got]
    assert "execute_input" in types, [summarize(m) for m in got]
    assert seen_after < 2.0, (
        f"console.log output before a 3 s synchronous loop reached IOPub only after "
        f"{seen_after:.1f}s: outputs are held until the main thread yields")
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"
    collect_iopub(kc, msg_id)


def test_interrupt_message_mode() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        assert km.kernel_spec.interrupt_mode == "message"
        ex = execute(kc, "const keep = 123")
        assert ex.content["status"] == "ok", ex.describe()

        interrupt_busy_loop(km, kc, km.interrupt_kernel, "km.interrupt_kernel()")
        assert evaluate(kc, "keep") == "123"

        # Second time with our own interrupt_request on control: it gets an interrupt_reply.
        ids: list[str] = []

        def via_control() -> None:
            ids.append(send_control(kc, "interrupt_request"))

        interrupt_busy_loop(km, kc, via_control, "interrupt_request")
        ir = get_reply(kc, ids[0], "control")
        assert ir["msg_type"] == "interrupt_reply" and ir["content"]["status"] == "ok", ir
        assert evaluate(kc, "keep + 1") == "124"


def test_interrupt_signal_mode() -> None:
    with running_kernel(SIGNAL_KERNEL_NAME) as (km, kc):
        assert km.kernel_spec.interrupt_mode == "signal"
        ex = execute(kc, "const keep = 123")
        assert ex.content["status"] == "ok", ex.describe()
        # A SIGINT while idle (jupyter_client also sends one before every shutdown) is harmless.
        km.interrupt_kernel()
        time.sleep(0.3)
        assert km.is_alive(), "SIGINT while idle killed the kernel"
        assert evaluate(kc, "keep") == "123"

        interrupt_busy_loop(km, kc, km.interrupt_kernel, "SIGINT")
        assert km.is_alive()
        assert evaluate(kc, "keep") == "123"


# ---------------------------------------------------------------------------------------------
# 4. restart_kernel() through jupyter_client


RESTARTS = 3  # the old process must exit cleanly every time, not just once
RESTARTS_UNDER_LOAD = 20


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.timeout(240)
def test_restart_kernel() -> None:
    """20 restarts in a row, each while the kernel is busy: a queue of cells, a thread cell that
    spins and a child process. Every old process exits cleanly (code 0) and takes its children
    with it; the new one starts fresh on the same ports."""
    with running_kernel(KERNEL_NAME) as (km, kc):
        for attempt in range(RESTARTS_UNDER_LOAD):
            execute(kc, "globalThis.before_restart = 1")
            child = int(evaluate(kc, "require('node:child_process').spawn('sleep', ['300']).pid"))
            ex = execute(kc, "2")
            assert ex.content["execution_count"] >= 3
            old_session = ex.reply["header"]["session"]
            old_proc = kernel_process(km)
            for _ in range(10):
                kc.execute("{ const t0 = Date.now(); while (Date.now() - t0 < 20) {} }", stop_on_error=False)
            kc.execute("// thread\nwhile (true) {}")

            km.restart_kernel(now=False)
            kc.wait_for_ready(timeout=30)

            assert old_proc.poll() is not None, "old kernel process still running"
            assert old_proc.returncode == 0, (
                f"restart #{attempt + 1}: the old kernel did not exit cleanly after jupyter_client's "
                f"interrupt_request + shutdown_request(restart=True): return code "
                f"{old_proc.returncode} (negative = killed by that signal)")
            assert not process_alive(child), f"restart #{attempt + 1}: the old kernel's child {child} outlived it"
            assert kernel_process(km).pid != old_proc.pid

            drain_shell(kc)
            msg_id = kc.kernel_info()
            reply = get_reply(kc, msg_id)
            assert reply["content"]["status"] == "ok"
            assert reply["header"]["session"] != old_session, "kernel session id did not change"
            ex = execute(kc, "typeof globalThis.before_restart")
            assert ex.content["status"] == "ok", ex.describe()
            assert ex.result_text == "'undefined'", "state survived a restart: " + ex.describe()
            assert ex.content["execution_count"] == 1, f"count not restarted: {ex.content}"
            assert ex.reply["header"]["session"] != old_session


@pytest.mark.parametrize("kernel_name", [KERNEL_NAME, SIGNAL_KERNEL_NAME])
def test_shutdown_kernel_through_jupyter_client(kernel_name: str) -> None:
    """km.shutdown_kernel(): interrupt (message or SIGINT) then shutdown_request on control;
    the kernel must exit by itself, with code 0, before jupyter_client resorts to signals."""
    for attempt in range(RESTARTS):
        with running_kernel(kernel_name) as (km, kc):
            assert evaluate(kc, "1 + 1") == "2"
            proc = kernel_process(km)
            km.shutdown_kernel(now=False)
            assert proc.poll() is not None
            # 0, not -15 or -9: it exited by itself, jupyter_client did not have to signal it
            assert proc.returncode == 0, (
                f"{kernel_name} shutdown #{attempt + 1}: exit code {proc.returncode} "
                "(negative = killed by that signal)")


# ---------------------------------------------------------------------------------------------
# 5. Protocol details


REQUESTS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "kernel_info": ("shell", lambda kc: kc.kernel_info()),
    "complete": ("shell", lambda kc: kc.complete("Math.ma", 7)),
    "inspect": ("shell", lambda kc: kc.inspect("Math.max", 8)),
    "is_complete": ("shell", lambda kc: kc.is_complete("1 +")),
    "history": ("shell", lambda kc: kc.history(hist_access_type="tail", n=3, output=False,
                                               raw=True)),
    "comm_info": ("shell", lambda kc: kc.comm_info()),
    "kernel_info(control)": ("control", lambda kc: send_control(kc, "kernel_info_request")),
}


@pytest.mark.parametrize("request_name", list(REQUESTS))
def test_busy_idle_with_parent(kc, request_name: str) -> None:
    channel, send = REQUESTS[request_name]
    msg_id = send(kc)
    reply = get_reply(kc, msg_id, channel)
    req_type = request_name.split("(")[0] + "_request"
    assert reply["msg_type"] == req_type.replace("_request", "_reply"), reply["msg_type"]
    assert reply["parent_header"]["msg_type"] == req_type
    if req_type == "is_complete_request":  # its status is the verdict, not ok/error
        assert reply["content"]["status"] in ("complete", "incomplete", "invalid", "unknown")
    else:
        assert reply["content"]["status"] == "ok", reply["content"]
    assert version_tuple(reply["header"]["version"]) >= (5, 3), reply["header"]
    iopub = collect_iopub(kc, msg_id)
    states = [m["content"]["execution_state"] for m in iopub if m["msg_type"] == "status"]
    assert states == ["busy", "idle"], f"status sequence for {request_name}: {states}"
    assert iopub[0]["msg_type"] == "status", [summarize(m) for m in iopub]
    for m in iopub:
        assert m["parent_header"]["msg_type"] == req_type


def test_kernel_info_reply_fields(kc) -> None:
    reply = get_reply(kc, kc.kernel_info())
    c = reply["content"]
    assert c["status"] == "ok"
    assert version_tuple(c["protocol_version"]) >= (5, 3), c["protocol_version"]
    assert isinstance(c["implementation"], str) and c["implementation"]
    assert isinstance(c["implementation_version"], str) and c["implementation_version"]
    assert isinstance(c["banner"], str)
    li = c["language_info"]
    assert li["name"] == "typescript"
    assert li["file_extension"] == ".ts"
    assert isinstance(li.get("version"), str) and li["version"], li
    assert isinstance(li.get("mimetype"), str) and "/" in li["mimetype"], li
    cm = li.get("codemirror_mode")
    if cm is not None:
        assert isinstance(cm, str) or (isinstance(cm, dict) and isinstance(cm.get("name"), str)
                                       and isinstance(cm.get("version", 0), int)), cm
    assert isinstance(c.get("help_links", []), list)
    assert isinstance(c.get("supported_features", []), list)
    for key in ("msg_id", "session", "username", "date", "msg_type", "version"):
        assert key in reply["header"], f"header lacks {key}: {reply['header']}"


def test_execution_count_rules(kc) -> None:
    first = execute(kc, "1")
    c0 = first.content["execution_count"]
    inputs = first.of_type("execute_input")
    assert len(inputs) == 1 and inputs[0]["content"]["execution_count"] == c0, first.describe()
    results = first.of_type("execute_result")
    assert len(results) == 1 and results[0]["content"]["execution_count"] == c0, first.describe()
    assert [m["msg_type"] for m in first.iopub][:2] == ["status", "execute_input"]

    second = execute(kc, "2")
    assert second.content["execution_count"] == c0 + 1

    silent = execute(kc, "'silent value'", silent=True)
    assert silent.content["status"] == "ok", silent.describe()
    assert [m["msg_type"] for m in silent.iopub] == ["status", "status"], (
        "silent execution must publish only busy/idle: " + silent.describe())
    again = execute(kc, "3")
    assert again.content["execution_count"] == c0 + 2, "silent execute incremented the count"

    marker = f"no_history_{uuid.uuid4().hex[:8]}"
    nohist = execute(kc, f"'{marker}'", store_history=False)
    assert nohist.content["status"] == "ok", nohist.describe()
    after = execute(kc, "4")
    assert after.content["execution_count"] == c0 + 3, "store_history=False incremented the count"
    tail = get_reply(kc, kc.history(hist_access_type="tail", n=10, output=False, raw=True))
    assert not any(marker in h[2] for h in tail["content"]["history"]), (
        "a store_history=False cell was recorded in history")

    err = execute(kc, 'throw new Error("count me")')
    assert err.content["status"] == "error"
    assert err.content.get("execution_count") == c0 + 4, (
        f"error execute_reply must carry the (incremented) execution_count: {err.content}")
    assert err.of_type("execute_input")[0]["content"]["execution_count"] == c0 + 4


def test_error_reply_and_message(kc) -> None:
    ex = execute(kc, 'throw new TypeError("bad thing")')
    c = ex.content
    assert c["status"] == "error"
    assert c["ename"] == "TypeError" and c["evalue"] == "bad thing", c
    assert isinstance(c["traceback"], list) and all(isinstance(t, str) for t in c["traceback"])
    errors = ex.of_type("error")
    assert len(errors) == 1, ex.describe()
    assert errors[0]["content"]["ename"] == "TypeError"
    assert errors[0]["content"]["evalue"] == "bad thing"


def test_stop_on_error_aborts_queued_executes(kc) -> None:
    flag = f"__soe_{uuid.uuid4().hex[:8]}"
    failing = kc.execute(
        "{ const t0 = Date.now(); while (Date.now() - t0 < 300) {} }\n"
        'throw new Error("stop here")')
    queued = [kc.execute(f"globalThis.{flag}_{i} = 1") for i in range(2)]
    info = kc.kernel_info()

    r = get_reply(kc, failing)
    assert r["content"]["status"] == "error", r["content"]
    for i, q in enumerate(queued):
        rq = get_reply(kc, q)
        assert rq["content"]["status"] in ("aborted", "error"), (
            f"queued execute #{i} after a failing cell with stop_on_error: {rq['content']}")
    assert get_reply(kc, info)["content"]["status"] == "ok", "kernel_info was aborted too"
    drain_iopub(kc, quiet=0.2)
    assert evaluate(kc, f"typeof globalThis.{flag}_0 + typeof globalThis.{flag}_1") == (
        "'undefinedundefined'"), "an aborted cell ran"

    # stop_on_error=False: the next queued cell runs.
    failing = kc.execute('throw new Error("carry on")', stop_on_error=False)
    nxt = kc.execute(f"globalThis.{flag}_next = 7")
    assert get_reply(kc, failing)["content"]["status"] == "error"
    rn = get_reply(kc, nxt)
    assert rn["content"]["status"] == "ok", rn["content"]
    drain_iopub(kc, quiet=0.2)
    assert evaluate(kc, f"globalThis.{flag}_next") == "7"


def test_comm_info(kc) -> None:
    reply = get_reply(kc, kc.comm_info())
    assert reply["content"] == {"status": "ok", "comms": {}}, reply["content"]
    reply = get_reply(kc, kc.comm_info(target_name="jupyter.widget"))
    assert reply["content"]["status"] == "ok" and reply["content"]["comms"] == {}


def test_history_shapes(kc) -> None:
    marker = f"hist_{uuid.uuid4().hex[:8]}"
    codes = [f"'{marker}_{i}'" for i in range(3)]
    counts = [execute(kc, code).content["execution_count"] for code in codes]

    tail = get_reply(kc, kc.history(hist_access_type="tail", n=3, output=False, raw=True))
    h = tail["content"]["history"]
    assert tail["content"]["status"] == "ok"
    assert len(h) == 3, h
    for entry, code, count in zip(h, codes, counts):
        assert len(entry) == 3, entry
        session, line, source = entry
        assert isinstance(session, int) and isinstance(line, int), entry
        assert line == count and source == code, (entry, code, count)

    with_out = get_reply(kc, kc.history(hist_access_type="tail", n=1, output=True, raw=True))
    (session, line, pair), = with_out["content"]["history"]
    assert isinstance(pair, list) and len(pair) == 2, pair
    assert pair[0] == codes[-1]
    assert pair[1] is None or codes[-1] in pair[1], pair  # output text or None

    rng = get_reply(kc, kc.history(hist_access_type="range", session=h[0][0], start=counts[1],
                                   stop=counts[1] + 1, output=False, raw=True))
    (entry,) = rng["content"]["history"]
    assert isinstance(entry[0], int) and entry[1:] == [counts[1], codes[1]], rng["content"]
    rng0 = get_reply(kc, kc.history(hist_access_type="range", session=0, start=counts[1],
                                    stop=counts[2] + 1, output=False, raw=True))
    assert [e[2] for e in rng0["content"]["history"]] == codes[1:], (
        "range with session=0 (the current session): " + str(rng0["content"]))

    search = get_reply(kc, kc.history(hist_access_type="search", pattern=f"*{marker}_*",
                                      output=False, raw=True, n=2))
    assert [e[2] for e in search["content"]["history"]] == codes[1:], search["content"]
    search_all = get_reply(kc, kc.history(hist_access_type="search", pattern=f"*{marker}_1*",
                                          output=False, raw=True))
    assert [e[2] for e in search_all["content"]["history"]] == [codes[1]], search_all["content"]


def test_complete_cursor_positions(kc) -> None:
    def complete(code: str, pos: int) -> dict[str, Any]:
        r = get_reply(kc, kc.complete(code, pos))
        assert r["content"]["status"] == "ok", r["content"]
        assert isinstance(r["content"].get("metadata"), dict), r["content"]
        return r["content"]

    c = complete("Math.P", 6)
    assert (c["cursor_start"], c["cursor_end"]) == (5, 6) and "PI" in c["matches"], c
    c = complete("Math.P + 1", 6)
    assert (c["cursor_start"], c["cursor_end"]) == (5, 6) and "PI" in c["matches"], c
    # cursor_pos counts Unicode code points, not UTF-16 units: the emoji is one position.
    code = 'const s = "\U0001F600"; Math.P'
    c = complete(code, len(code))
    assert (c["cursor_start"], c["cursor_end"]) == (len(code) - 1, len(code)), (
        f"cursor positions for {code!r} (len {len(code)} code points): {c}")
    assert "PI" in c["matches"], c
    # Names from earlier cells are completed at run time.
    execute(kc, "const harnessVariableLongName = 1")
    c = complete("harnessVariableLo", 17)
    assert "harnessVariableLongName" in c["matches"], c


def test_inspect_found_and_not_found(kc) -> None:
    r = get_reply(kc, kc.inspect("Math.max", 8))
    assert r["content"]["status"] == "ok" and r["content"]["found"] is True, r["content"]
    assert r["content"]["data"].get("text/plain"), r["content"]
    r = get_reply(kc, kc.inspect("no_such_name_anywhere_123", 25))
    assert r["content"]["status"] == "ok" and r["content"]["found"] is False, r["content"]


def test_is_complete_statuses(kc) -> None:
    def status(code: str) -> dict[str, Any]:
        return get_reply(kc, kc.is_complete(code))["content"]

    assert status("1 + 1")["status"] == "complete"
    inc = status("function f() {")
    assert inc["status"] == "incomplete" and isinstance(inc.get("indent"), str), inc
    assert status("const = 1;")["status"] == "invalid"
    assert status("const x: number = 1")["status"] == "complete"  # TypeScript syntax
    assert status("const x = await Promise.resolve(1)")["status"] == "complete"  # top-level await


def test_top_level_await_and_declarations_persist(kc) -> None:
    name = f"v{uuid.uuid4().hex[:8]}"
    assert evaluate(kc, f"const {name} = await Promise.resolve(41); {name} + 1") == "42"
    assert evaluate(kc, f"{name} * 2") == "82"
    # Re-running a declaration does not fail with "already declared".
    ex = execute(kc, f"const {name} = 5; {name}")
    assert ex.content["status"] == "ok" and ex.result_text == "5", ex.describe()


def test_user_expressions(kc) -> None:
    msg_id = kc.execute("globalThis.ue_base = 41", user_expressions={
        "good": "globalThis.ue_base + 1", "bad": "no_such_variable_xyz.foo"})
    reply = get_reply(kc, msg_id)
    collect_iopub(kc, msg_id)
    ue = reply["content"]["user_expressions"]
    assert ue["good"]["status"] == "ok" and ue["good"]["data"]["text/plain"] == "42", ue
    assert ue["bad"]["status"] == "error" and isinstance(ue["bad"].get("ename"), str), ue


@pytest.mark.parametrize("restart", [False, True])
def test_shutdown_request_on_control(restart: bool) -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        proc = kernel_process(km)
        msg_id = kc.shutdown(restart=restart)
        reply = get_reply(kc, msg_id, "control")
        assert reply["msg_type"] == "shutdown_reply"
        assert reply["content"] == {"status": "ok", "restart": restart}, reply["content"]
        rc = wait_exit(proc, timeout=5)
        assert rc is not None, "kernel still running 5 s after its shutdown_reply"
        assert rc == 0, f"kernel exit code after shutdown_request: {rc}"
