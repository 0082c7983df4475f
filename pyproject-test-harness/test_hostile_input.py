"""Thousands of hostile and malformed messages, on every socket of a running kernel, then checks
that it still answers correctly and that nothing unsigned ever ran. Also 100 MB messages.

The messages come from a seeded generator (SEED): random frames, no delimiter, too few frames,
invalid UTF-8 and JSON (validly signed, as a buggy client with the key would send them), wrong
field types, unknown message types, bad / missing / re-encoded / replayed signatures, another
signature scheme, unknown subshells and comms, garbage subscriptions on IOPub and garbage on
heartbeat. test_protocol.py has the hand-picked cases (each one's exact fate); this is volume.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import time
import uuid
from collections import Counter
from queue import Empty
from typing import Any, Callable, Iterator

import pytest
import zmq
from jupyter_client.session import DELIM, Session

from conftest import KERNEL_NAME
from kernel_helpers import evaluate, execute, get_reply, kernel_process, report_figure, running_kernel, summarize

pytestmark = pytest.mark.timeout(300)

SEED = 20260611
MESSAGES = 10_000
UNSIGNED_RAN = "__hostile_unsigned_ran"   # bumped by every execute that must never run
VALID_RAN = "__hostile_valid_ran"         # bumped by the one valid execute that is then replayed
SUBSHELL_RAN = "__hostile_subshell_ran"   # bumped by executes for subshells that do not exist
SIGNED_RAN = "__hostile_signed_ran"       # signed executes with odd but tolerable fields may run


@pytest.fixture(scope="module")
def kernel() -> Iterator[tuple[Any, Any]]:
    with running_kernel(KERNEL_NAME) as (km, kc):
        yield km, kc


class Forger:
    """Builds messages as a client with (or without) the key would."""

    def __init__(self, key: bytes, scheme: str) -> None:
        self.key = key
        self.session = Session(key=key, signature_scheme=scheme, username="hostile")
        self.digest = scheme.split("-", 1)[1]

    def header(self, msg_type: Any, **extra: Any) -> dict[str, Any]:
        h = self.session.msg_header(msg_type)
        h["date"] = h["date"].isoformat()
        h.update(extra)
        return h

    def sign(self, parts: list[bytes], key: bytes | None = None, digest: str | None = None) -> bytes:
        mac = hmac.new(self.key if key is None else key, digestmod=getattr(hashlib, digest or self.digest))
        for p in parts:
            mac.update(p)
        return mac.hexdigest().encode()

    def frames(self, header: Any, content: Any, parent: Any = None, metadata: Any = None) -> list[bytes]:
        parts = [json.dumps(header).encode(), json.dumps(parent or {}).encode(),
                 json.dumps(metadata or {}).encode(), json.dumps(content).encode()]
        return [DELIM, self.sign(parts), *parts]

    def raw(self, parts: list[bytes]) -> list[bytes]:
        """Signed as given: the four JSON frames may be anything."""
        return [DELIM, self.sign(parts), *parts]


def execute_content(code: Any, **overrides: Any) -> dict[str, Any]:
    c = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
         "allow_stdin": False, "stop_on_error": False}
    c.update(overrides)
    return c


def bump(name: str) -> str:
    return f"globalThis.{name} = (globalThis.{name} ?? 0) + 1"


def odd_values(rng: random.Random) -> Any:
    return rng.choice([None, 0, -1, 1e308, float("inf") if False else 2 ** 70, "", "x" * rng.randint(1, 300),
                       [], [1, "a", None], {}, {"nested": {"deep": [1, {}]}}, True, "\u0000\ud7ff\ue000"])


def generate(rng: random.Random, f: Forger, wrong_key: Forger, n: int,
             open_comms: tuple[str, ...] = ()) -> Iterator[tuple[str, str, list[bytes], str | None]]:
    """(category, socket, frames, msg_id whose every reply and output must not appear or None).
    `open_comms`: ids of comms the kernel has open (an echo target's, a widget's), sent garbage."""

    def unsigned_execute(ident: str) -> tuple[list[bytes], str]:
        h = f.header("execute_request", msg_id=f"drop-{ident}-{uuid.uuid4()}")
        return f.frames(h, execute_content(bump(UNSIGNED_RAN))), h["msg_id"]

    def tamper(frames: list[bytes]) -> list[bytes]:
        sig = bytearray(frames[1])
        i = rng.randrange(len(sig))
        sig[i] = ord("0") if sig[i] != ord("0") else ord("1")
        return [frames[0], bytes(sig), *frames[2:]]

    def bad_signature() -> tuple[list[bytes], str]:
        frames, msg_id = unsigned_execute("sig")
        kind = rng.randrange(7)
        if kind == 0:
            frames[1] = b""
        elif kind == 1:
            frames = tamper(frames)
        elif kind == 2:
            frames[1] = frames[1].upper()
        elif kind == 3:
            frames[1] = frames[1][: rng.randrange(len(frames[1]))]
        elif kind == 4:
            frames[1] = wrong_key.sign(frames[2:6])
        elif kind == 5:
            frames[1] = os.urandom(rng.randrange(1, 200))
        else:
            frames[5] = json.dumps(execute_content(bump(UNSIGNED_RAN) + "; 1")).encode()  # content changed after signing
        return frames, msg_id

    def wrong_scheme() -> tuple[list[bytes], str]:
        h = f.header("execute_request", msg_id=f"drop-scheme-{uuid.uuid4()}")
        parts = [json.dumps(h).encode(), b"{}", b"{}", json.dumps(execute_content(bump(UNSIGNED_RAN))).encode()]
        return [DELIM, f.sign(parts, digest=rng.choice(["sha512", "sha1", "md5", "sha384", "sha224"])), *parts], h["msg_id"]

    def garbage_json() -> list[bytes]:
        h = json.dumps(f.header(rng.choice(["execute_request", "kernel_info_request", "comm_msg"]))).encode()
        # signed: if what is left is still a valid message (a BOM is tolerated), it may run
        parts = [h, b"{}", b"{}", json.dumps(execute_content(bump(SIGNED_RAN))).encode()]
        i = rng.randrange(4)
        choice = rng.randrange(5)
        if choice == 0:
            parts[i] = parts[i][: rng.randrange(len(parts[i]))]           # truncated
        elif choice == 1:
            parts[i] = os.urandom(rng.randrange(1, 64))                    # bytes, mostly invalid UTF-8
        elif choice == 2:
            parts[i] = b'{"a": "\xff\xfe"}'                                # invalid UTF-8 inside a string
        elif choice == 3:
            parts[i] = rng.choice([b"[]", b"null", b"1", b'"s"', b"true", b"{", b"}", b"", b"{} {}"])
        else:
            parts[i] = b"\xef\xbb\xbf" + parts[i]                           # a BOM: tolerated or refused, never fatal
        return f.raw(parts)

    def wrong_types() -> list[bytes]:
        kind = rng.randrange(4)
        if kind == 0:  # header fields of the wrong type
            h = f.header("kernel_info_request")
            h[rng.choice(["msg_id", "msg_type", "session", "username", "date", "version", "subshell_id"])] = odd_values(rng)
            return f.frames(h, {})
        if kind == 1:  # execute_request fields of the wrong type (code is not a string: nothing runs)
            return f.frames(f.header("execute_request"), execute_content(
                rng.choice([42, None, [], {}, True]),
                **{rng.choice(["silent", "store_history", "user_expressions", "allow_stdin", "stop_on_error"]): odd_values(rng)}))
        if kind == 2:  # a string code with odd other fields and tags: signed, so it may run
            return f.frames(f.header("execute_request"), execute_content(
                bump(SIGNED_RAN), **{rng.choice(["silent", "store_history", "user_expressions", "allow_stdin"]): odd_values(rng)}),
                metadata={"tags": odd_values(rng)})
        msg_type = rng.choice(["complete_request", "inspect_request", "is_complete_request", "history_request",
                               "comm_info_request", "kernel_info_request", "connect_request"])
        fields = ["code", "cursor_pos", "detail_level", "hist_access_type", "n", "pattern", "session", "start",
                  "stop", "raw", "output", "unique", "target_name"]
        return f.frames(f.header(msg_type), {k: odd_values(rng) for k in rng.sample(fields, rng.randrange(1, 6))})

    def unknown_type() -> list[bytes]:
        t = rng.choice(["no_such_request", "", "x" * 500, "execute_reply", "status", "stream", "\u00e9\u4e2d", "comm_open_reply"])
        return f.frames(f.header(t), {"code": bump(UNSIGNED_RAN)})

    def unknown_subshell() -> list[bytes]:
        t = rng.choice(["execute_request", "kernel_info_request", "complete_request", "comm_msg"])
        content = execute_content(bump(SUBSHELL_RAN)) if t == "execute_request" else {"code": "", "cursor_pos": 0}
        return f.frames(f.header(t, subshell_id=str(uuid.uuid4())), content)

    def unknown_comm() -> list[bytes]:
        t = rng.choice(["comm_msg", "comm_close", "comm_open"])
        content: dict[str, Any] = {"comm_id": rng.choice([str(uuid.uuid4()), 7, None, ""]), "data": odd_values(rng)}
        if t == "comm_open":
            content["target_name"] = rng.choice(["no.such.target", "jupyter.widget", 5, None])
        return f.frames(f.header(t), content)

    def open_comm() -> list[bytes]:
        data = rng.choice([
            odd_values(rng),
            {"method": rng.choice(["update", "request_state", "custom", "echo_update", "nonsense", None, 5]),
             "state": rng.choice([odd_values(rng), {"value": odd_values(rng)}, {"min": odd_values(rng), "max": odd_values(rng)},
                                  {"layout": odd_values(rng)}, {"_model_name": odd_values(rng)}]),
             "buffer_paths": rng.choice([odd_values(rng), [["value"]], [[1, 2]], []]),
             "content": odd_values(rng)},
        ])
        frames = f.frames(f.header(rng.choice(["comm_msg", "comm_msg", "comm_close"])),
                          {"comm_id": rng.choice(open_comms), "data": data})
        return frames + [os.urandom(rng.randrange(0, 16)) for _ in range(rng.randrange(0, 3))]  # stray buffers

    def control_message() -> list[bytes]:
        t = rng.choice(["delete_subshell_request", "list_subshell_request", "no_such_control_request", "kernel_info_request"])
        return f.frames(f.header(t), {"subshell_id": odd_values(rng)})

    def stdin_message() -> list[bytes]:
        parent = rng.choice([{}, f.header("input_request"), {"msg_id": odd_values(rng)}])
        return f.frames(f.header("input_reply"), {"value": odd_values(rng)}, parent=parent)

    def random_frames() -> list[bytes]:
        return [os.urandom(rng.randrange(0, 64)) for _ in range(rng.randrange(1, 9))]

    def no_delimiter() -> list[bytes]:
        frames, _ = unsigned_execute("nodelim")
        return frames[1:]

    def too_few_frames() -> list[bytes]:
        frames, _ = unsigned_execute("few")
        return frames[: rng.randrange(1, 6)]

    kinds: list[tuple[str, int, Callable[[], tuple[str, list[bytes], str | None]]]] = [
        ("random frames", 12, lambda: (rng.choice(["shell", "control", "stdin"]), random_frames(), None)),
        ("no delimiter", 6, lambda: (rng.choice(["shell", "control"]), no_delimiter(), None)),
        ("too few frames", 6, lambda: (rng.choice(["shell", "control"]), too_few_frames(), None)),
        ("bad, missing or altered signature", 14, lambda: ("shell", *bad_signature())),
        ("another signature scheme", 4, lambda: ("shell", *wrong_scheme())),
        ("signed invalid UTF-8 / JSON", 10, lambda: (rng.choice(["shell", "control"]), garbage_json(), None)),
        ("signed, wrong field types", 12, lambda: ("shell", wrong_types(), None)),
        ("signed, unknown message type", 5, lambda: (rng.choice(["shell", "control"]), unknown_type(), None)),
        ("signed, unknown subshell", 5, lambda: ("shell", unknown_subshell(), None)),
        ("signed, unknown comm", 6, lambda: ("shell", unknown_comm(), None)),
        ("signed, garbage to an open comm or widget", 6 if open_comms else 0, lambda: ("shell", open_comm(), None)),
        ("signed, odd control requests", 4, lambda: ("control", control_message(), None)),
        ("stdin: stray input_reply", 5, lambda: ("stdin", stdin_message(), None)),
        ("iopub: garbage subscriptions", 5, lambda: ("iopub", [rng.choice([b"\x01", b"\x00", b"", os.urandom(1)]) + os.urandom(rng.randrange(0, 40))], None)),
        ("heartbeat: garbage", 3, lambda: ("hb", random_frames(), None)),
    ]
    weights = [w for _, w, _ in kinds]
    for _ in range(n):
        name, _, make = rng.choices(kinds, weights)[0]
        socket, frames, must_drop = make()
        yield name, socket, frames, must_drop


def test_thousands_of_hostile_messages_on_every_socket(kernel) -> None:
    km, kc = kernel
    info = km.get_connection_info()
    key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
    assert key, "the harness expects a signed connection"
    f = Forger(key, info["signature_scheme"])
    wrong_key = Forger(b"not-the-key", info["signature_scheme"])
    reader = Session(key=key, signature_scheme=info["signature_scheme"])
    rng = random.Random(SEED)
    ctx = zmq.Context.instance()

    sockets = {"shell": km.connect_shell(), "control": km.connect_control(), "stdin": km.connect_stdin()}
    iopub_x = ctx.socket(zmq.XSUB)
    iopub_x.connect(f"tcp://{info['ip']}:{info['iopub_port']}")
    hb = ctx.socket(zmq.DEALER)
    hb.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    sockets.update(iopub=iopub_x, hb=hb)
    received: list[dict[str, Any]] = []
    undecodable: list[str] = []

    def read_replies() -> None:
        for name in ("shell", "control", "stdin"):
            s = sockets[name]
            while s.poll(0):
                frames = s.recv_multipart()
                try:
                    _, msg_list = reader.feed_identities(frames)
                    received.append(reader.deserialize(msg_list))  # verifies the kernel's signature
                except Exception as e:  # noqa: BLE001 - reported below
                    undecodable.append(f"{name}: {e!r}")
        while hb.poll(0):
            hb.recv_multipart()
        while True:
            try:
                received.append(kc.get_iopub_msg(timeout=0))
            except Empty:
                break

    # Comms the kernel has open, to be sent garbage: an echo target's and a slider's.
    ex = execute(kc, "import { registerCommTarget, widgets } from 'ts-async-kernel';\n"
                     "registerCommTarget('hostile.echo', (comm) => comm.onMsg((m) => comm.send({ got: typeof m.content.data })));\n"
                     "globalThis.hostileSlider = new widgets.IntSlider({ value: 5, min: 0, max: 10 });\n"
                     "hostileSlider.modelId")
    assert ex.content["status"] == "ok", ex.describe()
    slider = ex.result_text.strip("'")
    echo = uuid.uuid4().hex
    kc.shell_channel.send(f.session.msg("comm_open", {"comm_id": echo, "target_name": "hostile.echo", "data": {}}))
    assert evaluate(kc, "1") == "1"

    try:
        # One valid execute, then replayed: it runs exactly once.
        valid = f.session.msg("execute_request", execute_content(bump(VALID_RAN)))
        valid_frames = f.session.serialize(valid)
        sockets["shell"].send_multipart(valid_frames)
        replay_count = 0

        fired: Counter[str] = Counter()
        must_not_appear: set[str] = set()
        t0 = time.monotonic()
        for i, (category, socket, frames, must_drop) in enumerate(generate(rng, f, wrong_key, MESSAGES, (echo, slider))):
            sockets[socket].send_multipart(frames)
            fired[category] += 1
            if must_drop:
                must_not_appear.add(must_drop)
            if i % 50 == 0:
                sockets["shell"].send_multipart(valid_frames)
                replay_count += 1
            if i % 200 == 199:
                read_replies()
        fired["replayed valid execute"] = replay_count
        fire_seconds = time.monotonic() - t0

        # Sentinels: each socket's messages are handled in order, so once these are answered
        # everything sent before them has been dealt with.
        shell_sentinel = f.session.msg("kernel_info_request", {})
        control_sentinel = f.session.msg("kernel_info_request", {})
        sockets["shell"].send_multipart(f.session.serialize(shell_sentinel))
        sockets["control"].send_multipart(f.session.serialize(control_sentinel))
        deadline = time.monotonic() + 120
        wanted = {shell_sentinel["header"]["msg_id"], control_sentinel["header"]["msg_id"]}
        while wanted - {(m.get("parent_header") or {}).get("msg_id") for m in received if m["msg_type"] == "kernel_info_reply"}:
            assert time.monotonic() < deadline, "the sentinels were not answered within 120 s"
            read_replies()
            time.sleep(0.01)
        time.sleep(0.5)
        read_replies()
    finally:
        for s in sockets.values():
            s.close(linger=0)

    total = sum(fired.values())
    report_figure(f"fired {total} hostile messages in {fire_seconds:.1f} s: " + ", ".join(f"{k}: {v}" for k, v in sorted(fired.items())))
    report_figure(f"received {len(received)} messages back (replies and IOPub), all signed correctly")

    assert undecodable == [], f"replies that do not verify or parse: {undecodable[:5]}"
    answered_dropped = [summarize(m) for m in received if (m.get("parent_header") or {}).get("msg_id") in must_not_appear]
    assert answered_dropped == [], f"the kernel answered messages it must drop: {answered_dropped[:10]}"

    # It still answers correctly, and nothing unsigned (or for a missing subshell) ever ran.
    assert km.is_alive(), "the kernel process died"
    hb_sock = km.connect_hb()
    try:
        hb_sock.send(b"ping")
        assert hb_sock.poll(3000) and hb_sock.recv() == b"ping", "heartbeat does not answer"
    finally:
        hb_sock.close(linger=0)
    assert evaluate(kc, f"typeof globalThis.{UNSIGNED_RAN}") == "'undefined'", "an unsigned or forged execute ran"
    assert evaluate(kc, f"typeof globalThis.{SUBSHELL_RAN}") == "'undefined'", "an execute for a missing subshell ran"
    assert evaluate(kc, f"globalThis.{VALID_RAN}") == "1", "the replayed execute ran more than once"
    assert evaluate(kc, "6 * 7") == "42"
    # The slider still works, its value within its bounds whatever the garbage said.
    assert evaluate(kc, "hostileSlider.value = 7; [hostileSlider.value >= 0 && hostileSlider.value <= 10, hostileSlider.max]") == "[ true, 10 ]"
    reply = get_reply(kc, kc.complete("Math.ma", 7))
    assert "max" in reply["content"]["matches"], reply["content"]
    assert get_reply(kc, kc.history(hist_access_type="tail", n=1))["content"]["status"] == "ok"


def test_the_kernel_shuts_down_cleanly_after_the_barrage(kernel) -> None:
    km, kc = kernel
    proc = kernel_process(km)
    reply = get_reply(kc, kc.shutdown(), "control")
    assert reply["content"]["status"] == "ok"
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.returncode == 0, f"exit code {proc.returncode}"


# ---------------------------------------------------------------------------------------------
# 100 MB messages


HUGE = 100 * 1024 * 1024


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def test_100_mb_messages_are_dropped_or_answered_and_survived() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        info = km.get_connection_info()
        key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
        f = Forger(key, info["signature_scheme"])
        reader = Session(key=key, signature_scheme=info["signature_scheme"])
        pid = kernel_process(km).pid
        rss_before = rss_mb(pid)
        shell = km.connect_shell()
        try:
            blob = b"x" * HUGE
            pad = b'{"pad": "' + blob + b'"}'
            # unsigned garbage, an unsigned message, a wrong signature, signed bad JSON
            dropped = []
            h = f.header("execute_request", msg_id="huge-unsigned")
            shell.send_multipart([blob])
            parts = [json.dumps(h).encode(), b"{}", b"{}", pad]
            shell.send_multipart([DELIM, b"", *parts])
            dropped.append(h["msg_id"])
            h = f.header("execute_request", msg_id="huge-bad-signature")
            parts = [json.dumps(h).encode(), b"{}", b"{}", pad]
            shell.send_multipart([DELIM, f.sign(parts, key=b"wrong"), *parts])
            dropped.append(h["msg_id"])
            h = f.header("kernel_info_request", msg_id="huge-bad-json")
            shell.send_multipart(f.raw([json.dumps(h).encode(), b"{}", b"{}", b"{" + blob]))
            dropped.append(h["msg_id"])
            # a signed, valid 100 MB request is answered
            h = f.header("kernel_info_request", msg_id="huge-valid")
            shell.send_multipart(f.raw([json.dumps(h).encode(), b"{}", b"{}", pad]))
            del blob, pad, parts
            answered = []
            deadline = time.monotonic() + 120
            while "huge-valid" not in answered:
                assert time.monotonic() < deadline, f"no reply to the valid 100 MB request; got {answered}"
                if shell.poll(1000):
                    _, msg_list = reader.feed_identities(shell.recv_multipart())
                    answered.append(reader.deserialize(msg_list)["parent_header"].get("msg_id"))
            assert [a for a in answered if a in dropped] == [], answered
            rss_peak = rss_mb(pid)
        finally:
            shell.close(linger=0)
        assert km.is_alive()
        assert evaluate(kc, "'survived'") == "'survived'"
        report_figure(f"4 messages of 100 MB (3 dropped, 1 answered) and one 100 MB garbage frame: kernel RSS "
              f"{rss_before:.0f} MB before, {rss_peak:.0f} MB after")
