"""The kernel startup handshake (JEP 66; jupyter_client docs/kernels.rst "Registration file
format", docs/messaging.rst "Kernel startup handshake"): given a registration file, the kernel
binds its own ports, connects a DEALER to the registration address, sends one signed frame of
content with its ports, and waits for a signed ACK.

jupyter_client (8.10, pinned by the harness) documents the handshake but has no implementation of
its side (its local provisioner still says "TODO - change when handshake pattern is adopted"), so
the registration service here is a small one in the test, following the documented frames exactly:
ROUTER receives [identity, b"<IDS|MSG>", hmac(content), content], answers
[identity, b"<IDS|MSG>", hmac(ack), ack], signatures made by jupyter_client's own Session.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import zmq
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.session import Session

import conftest
from kernel_helpers import STARTUP_TIMEOUT, evaluate, wait_exit
from test_sockets_and_lifecycle import Launched, launched, listening_tcp

pytestmark = pytest.mark.timeout(120)

PORTS = ("control_port", "shell_port", "stdin_port", "iopub_port", "hb_port")


class Registrar:
    """A registration service: a ROUTER on a free loopback port."""

    def __init__(self, key: bytes) -> None:
        self.session = Session(key=key, signature_scheme="hmac-sha256")
        self.socket = zmq.Context.instance().socket(zmq.ROUTER)
        self.socket.linger = 0
        self.port = self.socket.bind_to_random_port("tcp://127.0.0.1")

    def receive(self, timeout_ms: int = int(STARTUP_TIMEOUT * 1000)) -> list[bytes]:
        assert self.socket.poll(timeout_ms), "no registration message came"
        return self.socket.recv_multipart()

    def sign(self, content: bytes) -> bytes:
        return self.session.sign([content])

    def close(self) -> None:
        self.socket.close()


def registration_file(key: bytes, port: int, **extra: object) -> tuple[Path, str]:
    assert conftest.TMP_ROOT is not None
    d = conftest.TMP_ROOT / "registrations"
    d.mkdir(exist_ok=True)
    kernel_id = str(uuid.uuid4())
    path = d / f"kernel-{kernel_id}.json"
    info = {"kernel_id": kernel_id, "transport": "tcp", "registration_ip": "127.0.0.1",
            "registration_port": port, "signature_scheme": "hmac-sha256", "key": key.decode(), **extra}
    path.write_text(json.dumps(info))
    path.chmod(0o600)
    return path, kernel_id


@contextlib.contextmanager
def registrar() -> Iterator[Registrar]:
    r = Registrar(os.urandom(16).hex().encode())
    try:
        yield r
    finally:
        r.close()


def test_the_kernel_registers_its_ports_and_serves_them_once_acknowledged() -> None:
    with registrar() as reg:
        path, kernel_id = registration_file(reg.session.key, reg.port)
        with launched(path) as k:
            frames = reg.receive()
            identity, delimiter, signature, content = frames  # exactly the documented frames
            assert delimiter == b"<IDS|MSG>"
            assert signature == reg.sign(content), "the registration is not signed with the file's key"
            ports = json.loads(content)
            assert set(ports) == {"kernel_id", *PORTS} and ports["kernel_id"] == kernel_id
            # the documentation types the ports as strings
            assert all(isinstance(ports[p], str) and ports[p].isdigit() for p in PORTS), ports
            # bound, on the registration address's interface only, before it registered
            bound = listening_tcp(k.proc.pid)
            assert {("127.0.0.1", int(ports[p])) for p in PORTS} <= bound, (ports, bound)
            ack = json.dumps({"status": "ok"}).encode()
            reg.socket.send_multipart([identity, b"<IDS|MSG>", reg.sign(ack), ack])

            written = path.with_name(f"{path.stem}-connection.json")
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not written.exists() and time.monotonic() < deadline and k.proc.poll() is None:
                time.sleep(0.05)
            assert written.exists(), f"no connection file written; stderr:\n{k.stderr}"
            assert written.stat().st_mode & 0o077 == 0, "the connection file is readable by others"
            info = json.loads(written.read_text())
            assert {p: info[p] for p in PORTS} == {p: int(ports[p]) for p in PORTS}
            kc = BlockingKernelClient()
            kc.load_connection_info(info)
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
                assert evaluate(kc, "1 + 1") == "2"
            finally:
                kc.stop_channels()


def test_without_an_acknowledgement_the_kernel_exits_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS", "1500")
    with registrar() as reg:
        path, kernel_id = registration_file(reg.session.key, reg.port)
        with launched(path) as k:
            identity, *_ = reg.receive()
            # an ACK with a bad signature is not taken for one
            reg.socket.send_multipart([identity, b"<IDS|MSG>", b"0" * 64, b"{}"])
            assert wait_exit(k.proc, 30) == 1, k.stderr
            assert f"no acknowledgement from the registration service at tcp://127.0.0.1:{reg.port}" in k.stderr, k.stderr
            assert kernel_id in k.stderr
            assert "not a signed acknowledgement" in k.stderr


def test_a_file_with_a_registration_port_and_ports_is_refused() -> None:
    with registrar() as reg:
        path, _ = registration_file(reg.session.key, reg.port, shell_port=5555)
        with launched(path) as k:
            assert wait_exit(k.proc, 15) == 1
            assert "a registration file or a connection file, not both" in k.stderr, k.stderr
