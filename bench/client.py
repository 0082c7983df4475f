"""The client side of every phase: a launched kernel (`Run`: its process group, pyzmq sockets and
jupyter_client's Session used directly, no BlockingKernelClient) and the request/response
helpers the phases share. Every kernel process group still alive is killed at exit."""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from hmac import compare_digest
from pathlib import Path

import zmq
from jupyter_client.session import Session

DELIM = b"<IDS|MSG>"

_live: dict[int, subprocess.Popen] = {}  # pgid -> process, killed at exit whatever happens


def kill_group(p: subprocess.Popen, grace: float = 0.0) -> None:
    pgid = p.pid  # start_new_session=True: the child leads its own group
    if grace > 0 and p.poll() is None:
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            p.wait(1.0 if sig == signal.SIGTERM else 5.0)
            # the leader is gone; make sure nothing else in its group survives
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue
    _live.pop(pgid, None)


def kill_all(*_a) -> None:
    for p in list(_live.values()):
        kill_group(p)


atexit.register(kill_all)


def _on_signal(signum, _frame):
    kill_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


class Timeout(Exception):
    pass


class KernelDied(Exception):
    pass


class PhaseError(RuntimeError):
    """A phase's figure is wrong (not merely slow); `short` goes into the table."""

    def __init__(self, msg: str, short: str):
        super().__init__(msg)
        self.short = short


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Run:
    """One launched kernel and the client sockets talking to it."""

    def __init__(self, name: str, spec: dict, ctx: zmq.Context, workdir: Path, index: int):
        self.name, self.spec, self.ctx = name, spec, ctx
        shell, iopub, stdin, control, hb = free_ports(5)
        self.key = str(uuid.uuid4())
        cfg = {
            "shell_port": shell, "iopub_port": iopub, "stdin_port": stdin,
            "control_port": control, "hb_port": hb, "ip": "127.0.0.1", "key": self.key,
            "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": name,
        }  # fmt: skip
        self.conn_path = workdir / f"kernel-{name}-{index}.json"
        self.conn_path.write_text(json.dumps(cfg))
        os.chmod(self.conn_path, 0o600)
        self.log_path = workdir / f"kernel-{name}-{index}.log"
        self.session = Session(key=self.key.encode(), signature_scheme="hmac-sha256", username="bench")
        url = lambda p: f"tcp://127.0.0.1:{p}"  # noqa: E731

        def sock(kind, port, *opts):
            s = ctx.socket(kind)
            s.linger = 0
            s.setsockopt(zmq.RECONNECT_IVL, 10)  # do not quantise startup to libzmq's 100 ms retry
            for k, v in opts:
                s.setsockopt(k, v)
            return s, url(port)

        self.shell, shell_url = sock(zmq.DEALER, shell, (zmq.IDENTITY, uuid.uuid4().bytes))
        self.control, control_url = sock(zmq.DEALER, control, (zmq.IDENTITY, uuid.uuid4().bytes))
        self.iopub, iopub_url = sock(zmq.SUB, iopub, (zmq.RCVHWM, 0))
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.urls = (shell_url, control_url, iopub_url)
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)
        self.proc: subprocess.Popen | None = None
        self.iopub_seen = 0
        self.last_rx = time.perf_counter()

    # -- process ---------------------------------------------------------------------------
    def spawn(self) -> float:
        argv = [a.replace("{conn}", str(self.conn_path)) for a in self.spec["argv"]]
        env = dict(os.environ)
        env.update(self.spec.get("env", {}))
        log = open(self.log_path, "wb")  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, cwd=str(self.spec.get("cwd", self.conn_path.parent)), env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        _live[self.proc.pid] = self.proc
        log.close()
        s, c, i = self.urls
        self.shell.connect(s)
        self.control.connect(c)
        self.iopub.connect(i)
        return t0

    def close(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self.session.send(self.control, "shutdown_request", {"restart": False})
                except zmq.ZMQError:
                    pass
                kill_group(self.proc, grace=1.0)
            elif self.proc is not None:
                kill_group(self.proc)
        finally:
            for s in (self.shell, self.control, self.iopub):
                s.close(0)

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(line[:300] for line in lines[-n:])

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise KernelDied(f"kernel exited with code {self.proc.returncode}")

    # -- messages --------------------------------------------------------------------------
    def send(self, sock, msg_type: str, content: dict) -> str:
        msg = self.session.msg(msg_type, content)
        self.session.send(sock, msg)
        return msg["header"]["msg_id"]

    def execute(self, code: str) -> str:
        return self.send(
            self.shell, "execute_request",
            {"code": code, "silent": False, "store_history": True, "user_expressions": {},
             "allow_stdin": False, "stop_on_error": True},
        )  # fmt: skip

    def unpack(self, frames: list[bytes]) -> dict:
        """A lean Session.deserialize: checks the HMAC over the four frames as received
        (constant-time) and JSON-parses them, without jupyter_client's date parsing and
        replay bookkeeping, so the client stays cheap next to the kernels it measures."""
        idx = frames.index(DELIM)
        sig, h, p, md, c = frames[idx + 1 : idx + 6]
        if self.session.auth is not None and not compare_digest(sig, self.session.sign([h, p, md, c])):
            raise RuntimeError("kernel sent a message with a bad signature")
        header = json.loads(h)
        return {
            "header": header,
            "msg_type": header["msg_type"],
            "parent_header": json.loads(p),
            "content": json.loads(c),
        }

    def recv(self, sock) -> dict:
        return self.unpack(sock.recv_multipart())

    def poll(self, deadline: float):
        """Yields ("shell"|"iopub", msg) until the caller stops iterating; Timeout at deadline."""
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise Timeout()
            events = dict(self.poller.poll(min(remaining, 0.5) * 1000))
            if not events:
                self.check_alive()
                continue
            # iopub first: an idle can only follow its busy, and replies are matched independently
            if self.iopub in events:
                while True:
                    try:
                        frames = self.iopub.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self.iopub_seen += 1
                    self.last_rx = time.perf_counter()
                    yield "iopub", self.unpack(frames)
            if self.shell in events:
                while True:
                    try:
                        frames = self.shell.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self.last_rx = time.perf_counter()
                    yield "shell", self.unpack(frames)

    def drain(self, quiet: float = 0.2, limit: float = 5.0) -> None:
        """Swallows whatever is still in flight until `quiet` seconds pass without a message."""
        end = time.perf_counter() + limit
        last = time.perf_counter()
        while time.perf_counter() < end and time.perf_counter() - last < quiet:
            events = dict(self.poller.poll(50))
            for s in events:
                while True:
                    try:
                        s.recv_multipart(zmq.NOBLOCK)
                        last = time.perf_counter()
                    except zmq.Again:
                        break


def reply_error(reply: dict | None) -> str:
    c = (reply or {}).get("content", {})
    if c.get("status") == "ok" or not (c.get("ename") or c.get("evalue")):
        return ""
    return f" {c.get('ename', '')}: {str(c.get('evalue', ''))[:200]}"


def is_idle(m: dict, mid: str) -> bool:
    return (
        m["msg_type"] == "status"
        and m["content"].get("execution_state") == "idle"
        and m["parent_header"].get("msg_id") == mid
    )


def one_execute(run: Run, code: str, deadline: float) -> tuple[float, dict]:
    t0 = time.perf_counter()
    mid = run.execute(code)
    reply = None
    idle = False
    for ch, m in run.poll(deadline):
        if ch == "shell":
            if m["parent_header"].get("msg_id") == mid:
                reply = m
        elif is_idle(m, mid):
            idle = True
        if reply is not None and idle:
            return time.perf_counter() - t0, reply
    raise AssertionError("unreachable")


def p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def execute_collect(run: Run, code: str, deadline: float) -> tuple[dict, list[dict]]:
    """Execute `code`; its reply and its iopub messages up to the idle."""
    mid = run.execute(code)
    reply, msgs = None, []
    for ch, m in run.poll(deadline):
        if m["parent_header"].get("msg_id") != mid:
            continue
        if ch == "shell":
            reply = m
        elif is_idle(m, mid):
            msgs.append(m)
            if reply is not None:
                break
            continue
        else:
            msgs.append(m)
        if reply is not None and msgs and is_idle(msgs[-1], mid):
            break
    return reply, msgs


def result_text(msgs: list[dict]) -> str:
    for m in msgs:
        if m["msg_type"] == "execute_result":
            return str(m["content"]["data"].get("text/plain", ""))
    return ""


def complete_once(run: Run, code: str, deadline: float) -> tuple[float, dict]:
    """One complete_request with the cursor at the end; (seconds to its reply, the reply's content)."""
    t0 = time.perf_counter()
    mid = run.send(run.shell, "complete_request", {"code": code, "cursor_pos": len(code)})
    for ch, m in run.poll(deadline):
        if ch == "shell" and m["parent_header"].get("msg_id") == mid:
            return time.perf_counter() - t0, m["content"]
    raise AssertionError("unreachable")
