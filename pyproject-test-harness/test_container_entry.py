"""The kernel image's entry script (docker/bootstrap-kernel.sh), run outside a container (this
machine and CI have no container engine): the environment gateway_provisioners' container
launchers give the image (launch_kubernetes.py / launch_docker.py: KERNEL_ID, RESPONSE_ADDRESS,
PUBLIC_KEY, PORT_RANGE, TRANSPORT_ENCRYPTION, KERNEL_LANGUAGE) starts the kernel, which reports to
the gateway's own ResponseManager; a client connects with what it decrypted and runs a cell, and
`{"shutdown": 1}` on the comm port, sent as the provisioner sends it, ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import zmq
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_core.utils import run_sync

import conftest
from conftest import MAIN_JS, node_executable
from kernel_helpers import STARTUP_TIMEOUT, evaluate, wait_exit

pytestmark = pytest.mark.timeout(120)

ENTRY = conftest.REPO_DIR / "docker" / "bootstrap-kernel.sh"
LOGS: dict[int, Path] = {}


@pytest.fixture(scope="module")
def response_manager() -> Iterator[Any]:
    """gateway_provisioners' ResponseManager on loopback (it reads GP_RESPONSE_IP when imported)."""
    os.environ["GP_RESPONSE_IP"] = "127.0.0.1"
    from gateway_provisioners.response_manager import ResponseManager

    # made inside jupyter_core's loop, whose periodic callback then reads the response socket
    async def instance() -> Any:
        return ResponseManager.instance()

    yield run_sync(instance)()
    stop_response_manager()


def stop_response_manager() -> None:
    """The gateway's ResponseManager is a process-wide singleton whose periodic callback waits in a
    blocking accept() on jupyter_core's shared event loop: left running, it blocks the next test
    that runs that loop (test_soak's reader hung there). Stopped and forgotten at the end."""
    from gateway_provisioners.response_manager import ResponseManager

    if not ResponseManager.initialized():
        return

    async def stop() -> None:
        ResponseManager.instance().stop_response_manager()

    run_sync(stop)()
    ResponseManager.clear_instance()


def start_entry(env: dict[str, str]) -> subprocess.Popen[bytes]:
    assert conftest.TMP_ROOT is not None
    path = conftest.TMP_ROOT / f"entry-{uuid.uuid4()}.log"
    with open(path, "wb") as log:
        proc = subprocess.Popen(["sh", str(ENTRY)], env={"PATH": os.environ["PATH"], **env},
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    LOGS[proc.pid] = path
    return proc


def received(rm: Any, kernel_id: str, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                return await rm.get_connection_info(kernel_id)
        raise AssertionError(f"no connection info from the entry script (exit {proc.poll()}): {log_of(proc)}")

    return run_sync(wait)()


def log_of(proc: subprocess.Popen[bytes]) -> str:
    return LOGS[proc.pid].read_text(errors="replace")


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_image_entry_starts_a_kernel_the_gateway_reaches(response_manager: Any) -> None:
    kernel_id = str(uuid.uuid4())
    response_manager.register_event(kernel_id)
    proc = start_entry({
        "KERNEL_ID": kernel_id,
        "RESPONSE_ADDRESS": response_manager.response_address,
        "PUBLIC_KEY": response_manager.public_key,
        "PORT_RANGE": "44000..44999",
        "TRANSPORT_ENCRYPTION": "required" if zmq.has("curve") else "",
        "KERNEL_LANGUAGE": "javascript",
        "TS_ASYNC_KERNEL_CLI": f"{node_executable()} {MAIN_JS}",
        "TS_ASYNC_KERNEL_LOG_LEVEL": "info",
    })
    try:
        info = received(response_manager, kernel_id, proc)
        assert info["kernel_id"] == kernel_id and info["pid"] == proc.pid  # exec: the kernel is the entry's process
        assert all(44000 <= info[p] <= 44999 for p in ("shell_port", "iopub_port", "stdin_port", "control_port",
                                                      "hb_port", "comm_port")), info
        info["ip"] = "127.0.0.1"  # the provisioner puts the pod's address here
        kc = BlockingKernelClient()
        kc.load_connection_info(info)
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            reply = kc.kernel_info(reply=True, timeout=10)
            assert reply["content"]["language_info"]["name"] == "javascript"
            assert evaluate(kc, "[1, 2, 3].map(x => x * 2).join()") == "'2,4,6'"
        finally:
            kc.stop_channels()
        with socket.create_connection(("127.0.0.1", info["comm_port"]), timeout=5) as s:
            s.sendall(json.dumps({"shutdown": 1}).encode())
            s.shutdown(socket.SHUT_WR)
        assert wait_exit(proc, 20) == 0, log_of(proc)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait(10)


def test_the_entry_names_what_is_missing() -> None:
    proc = start_entry({"KERNEL_ID": "k", "TS_ASYNC_KERNEL_CLI": f"{node_executable()} {MAIN_JS}"})
    assert wait_exit(proc, 20) == 1
    assert "missing environment variables: RESPONSE_ADDRESS PUBLIC_KEY" in log_of(proc)
