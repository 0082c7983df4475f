"""The kernel under Jupyter Enterprise Gateway / gateway_provisioners (`ts-async-kernel launch`,
docs/remote.md), driven by gateway_provisioners' own code: jupyter_client's KernelManager with the
kernelspec of `install --gateway`, whose metadata selects gateway_provisioners'
`distributed-provisioner`. For a host that is this machine that provisioner starts the launcher
itself (no SSH); everything after is the gateway's real path: its ResponseManager receives and
decrypts our payload (RSA + AES), the client connects with what came back, interrupts and polls
go through the comm port, and so does the shutdown.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import zmq
from jupyter_client.manager import KernelManager
from jupyter_core.utils import run_sync

import conftest
from conftest import describe, run_cli
from kernel_helpers import STARTUP_TIMEOUT, evaluate, get_reply, wait_exit

pytestmark = pytest.mark.timeout(180)

EG_KERNEL_NAME = "ts-async-eg"
PORT_RANGE = (42000, 43999)


@pytest.fixture(scope="module", autouse=True)
def gateway_environment() -> Iterator[None]:
    """The provisioners read these when imported: the response socket on loopback only (the
    machine's other address is not to be used), kernel logs inside the harness's temp tree; and a
    kernel user, since they refuse to start kernels for root (CI runs as root)."""
    assert conftest.TMP_ROOT is not None
    logs = conftest.TMP_ROOT / "gateway-logs"
    logs.mkdir(exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("GP_RESPONSE_IP", "GP_KERNEL_LOG_DIR", "GP_REMOTE_HOSTS", "KERNEL_USERNAME")}
    os.environ.update({"GP_RESPONSE_IP": "127.0.0.1", "GP_KERNEL_LOG_DIR": str(logs), "GP_REMOTE_HOSTS": "localhost",
                       "KERNEL_USERNAME": "harness"})
    proc = run_cli("install", "--prefix", str(conftest.TMP_ROOT), "--gateway", "--interrupt-mode", "signal",
                   "--provisioner-config", json.dumps({"port_range": f"{PORT_RANGE[0]}..{PORT_RANGE[1]}"}))
    assert proc.returncode == 0, describe(proc)
    assert f"Installed kernelspec {EG_KERNEL_NAME}" in proc.stdout, proc.stdout
    yield
    from test_container_entry import stop_response_manager

    stop_response_manager()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@contextlib.contextmanager
def gateway_kernel(**km_kwargs: Any) -> Iterator[tuple[KernelManager, Any]]:
    km = KernelManager(kernel_name=EG_KERNEL_NAME, **km_kwargs)
    km.start_kernel()
    pid = km.provisioner.pid
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        yield km, kc
    finally:
        kc.stop_channels()
        with contextlib.suppress(Exception):
            if km.has_kernel:
                km.shutdown_kernel(now=True)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)  # never leak a kernel (the harness's sweep does not know launch's argv)


def kernel_log(km: KernelManager) -> str:
    return Path(km.provisioner.kernel_log).read_text(errors="replace")


def test_the_kernelspec_selects_the_provisioner_and_passes_the_placeholders() -> None:
    spec = json.loads((conftest.TMP_ROOT / "share" / "jupyter" / "kernels" / EG_KERNEL_NAME / "kernel.json").read_text())
    argv = spec["argv"]
    assert argv[2] == "launch", argv
    for flag, placeholder in [("--kernel-id", "{kernel_id}"), ("--response-address", "{response_address}"),
                              ("--public-key", "{public_key}"), ("--port-range", "{port_range}"),
                              ("--transport-encryption", "{transport_encryption}")]:
        assert argv[argv.index(flag) + 1] == placeholder, argv
    assert spec["metadata"]["kernel_provisioner"] == {
        "provisioner_name": "distributed-provisioner", "config": {"port_range": "42000..43999"}}
    assert spec["metadata"]["supported_encryption"] == ["curve"]


def test_launched_by_the_provisioner_runs_cells_interrupts_and_shuts_down_through_the_comm_port() -> None:
    with gateway_kernel() as (km, kc):
        info = km.get_connection_info()
        ports = [info[p] for p in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
        comm_port = km.provisioner.comm_port
        # every port inside the gateway's range, the comm port too, as the launchers choose them
        assert all(PORT_RANGE[0] <= p <= PORT_RANGE[1] for p in [*ports, comm_port]), (ports, comm_port)
        assert km.provisioner.pid != 0 and km.provisioner.pgid != 0
        assert evaluate(kc, "const kept = 41; kept") == "41"
        # the gateway's poll: {"signum": 0} on the comm port
        assert km.is_alive()

        # interrupt_mode "signal": jupyter_client asks the provisioner, which sends {"signum": 2}
        msg_id = kc.execute("while (true) {}")
        busy_until = time.monotonic() + 10
        while time.monotonic() < busy_until:
            msg = kc.get_iopub_msg(timeout=10)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
                break
        km.interrupt_kernel()
        try:
            reply = get_reply(kc, msg_id, timeout=20)
        except AssertionError as e:
            raise AssertionError(f"{e}\nkernel log:\n{kernel_log(km)}") from None
        assert reply["content"]["status"] == "error", reply["content"]
        assert evaluate(kc, "kept + 1") == "42"

        # {"shutdown": 1} through the comm port alone (the provisioner's own request) ends the kernel
        proc = km.provisioner.local_proc
        assert proc is not None
        run_sync(km.provisioner.shutdown_listener)(restart=False)
        assert wait_exit(proc, 20) == 0, kernel_log(km)
        assert not km.is_alive()  # its poll now finds no comm port


def test_the_provisioner_restarts_it() -> None:
    with gateway_kernel() as (km, kc):
        assert evaluate(kc, "const before = 1; before") == "1"
        first = km.provisioner.pid
        km.restart_kernel()
        assert km.provisioner.pid != first
        kc.stop_channels()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        assert evaluate(kc, "typeof before") == "'undefined'"
        kc.stop_channels()


@pytest.mark.skipif(not zmq.has("curve"), reason="this pyzmq has no CurveZMQ")
def test_transport_encryption_required_gets_curve_keys_from_the_launcher() -> None:
    with gateway_kernel(transport_encryption="required") as (km, kc):
        info = km.get_connection_info()
        assert len(info["curve_publickey"]) == 40, info.keys()
        assert evaluate(kc, "6 * 7") == "42"
        # a plaintext client is not heard
        plain = zmq.Context.instance().socket(zmq.DEALER)
        plain.linger = 0
        plain.connect(f"tcp://127.0.0.1:{info['shell_port']}")
        try:
            kc.session.send(plain, "kernel_info_request", {})
            assert plain.poll(2000) == 0, "a plaintext client was answered"
        finally:
            plain.close()


def test_the_comm_port_drops_what_the_gateway_never_sends() -> None:
    with gateway_kernel() as (km, kc):
        port = km.provisioner.comm_port
        for junk in [b"not json", b"[1, 2]", b'{"signum": "two"}', b'{"signum": 10}', b'{"hello": 1}',
                     b"\xff\xfe" * 100, b"{" * 10000, b""]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(junk)
                s.shutdown(socket.SHUT_WR)
                with contextlib.suppress(OSError):
                    s.recv(1)
        assert km.is_alive()
        assert evaluate(kc, "'still here'") == "'still here'"
        # SIGUSR1 (10) was not forwarded: it would have opened Node's inspector
        assert "Debugger listening" not in kernel_log(km)
        assert "comm port: a signal the kernel does not take from the gateway; ignored" in kernel_log(km)


def test_bad_launch_arguments_stop_with_the_reason() -> None:
    kid = str(uuid.uuid4())
    for args, said in [
        (["--kernel-id", kid, "--response-address", "127.0.0.1:9", "--public-key", "bm90IGEga2V5"],
         "--public-key is not an RSA public key"),
        (["--kernel-id", kid, "--response-address", "nowhere", "--public-key", "x"],
         "--response-address must be <ip>:<port>"),
        (["--response-address", "127.0.0.1:9", "--public-key", "x"], "launch needs --kernel-id"),
    ]:
        proc = run_cli("launch", *args, timeout=30)
        assert proc.returncode == 1 and said in proc.stderr, describe(proc)

