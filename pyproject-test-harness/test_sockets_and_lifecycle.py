"""Sockets, connection files and the kernel's life: bind only to the connection file's ip, warn
about (or refuse) a connection file others may read, ipc transport, a clear error for a second
kernel on the same ports or an unknown signature scheme; shutdown while cells, thread cells,
comms (both ways, one a thread's, messages still arriving) and child processes run; no process,
child or port left behind.

Restarting 20 times in a row through jupyter_client, each time under load, is
test_protocol.py::test_restart_kernel.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

import conftest
from conftest import MAIN_JS, node_executable
from kernel_helpers import (
    STARTUP_TIMEOUT,
    Sorter,
    control_request,
    evaluate,
    get_reply,
    send_execute,
    wait_exit,
)

pytestmark = [pytest.mark.timeout(120), pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                                            reason="reads sockets and processes from /proc")]

PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


# ---------------------------------------------------------------------------------------------
# Kernels launched directly from a connection file (what jupyter_client does, minus its checks)


def connection_file(name: str, mode: int = 0o600, **info: Any) -> tuple[Path, dict[str, Any]]:
    """A connection file under the harness's temp tree (so the leak sweep sees its kernel)."""
    assert conftest.TMP_ROOT is not None
    d = conftest.TMP_ROOT / "connections"
    d.mkdir(exist_ok=True)
    path = d / f"{name}-{os.getpid()}-{time.monotonic_ns()}.json"
    info.setdefault("key", os.urandom(16).hex().encode())
    _, cf = write_connection_file(str(path), **info)
    path.chmod(mode)
    return path, cf


class Launched:
    def __init__(self, path: Path, args: tuple[str, ...] = ()) -> None:
        self.path = path
        self.stderr_path = path.with_suffix(".stderr")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([node_executable(), str(MAIN_JS), "start", "-f", str(path), *args],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         env={**os.environ, "TS_ASYNC_KERNEL_HISTORY": "off"},
                                         start_new_session=True)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def client(self) -> BlockingKernelClient:
        kc = BlockingKernelClient(connection_file=str(self.path))
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except RuntimeError:
            kc.stop_channels()
            raise AssertionError(f"the kernel did not answer; its stderr:\n{self.stderr}") from None
        return kc

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@contextlib.contextmanager
def launched(path: Path, *args: str) -> Iterator[Launched]:
    k = Launched(path, args)
    try:
        yield k
    finally:
        k.stop()


@contextlib.contextmanager
def client_of(k: Launched) -> Iterator[BlockingKernelClient]:
    kc = k.client()
    try:
        yield kc
    finally:
        kc.stop_channels()


def shut_down(kc: BlockingKernelClient, k: Launched, timeout: float = 10) -> int | None:
    assert control_request(kc, "shutdown_request", {"restart": False})["content"]["status"] == "ok"
    return wait_exit(k.proc, timeout)


# ---------------------------------------------------------------------------------------------
# What the process holds, read from /proc


def listening_tcp(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of every listening TCP socket the process holds (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table, size in (("tcp", 4), ("tcp6", 16)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                    continue
                addr, port = fields[1].split(":")
                raw = bytes.fromhex(addr)
                # /proc prints each 32-bit word in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                ip = socket.inet_ntop(socket.AF_INET if size == 4 else socket.AF_INET6, raw)
                found.add((ip, int(port, 16)))
    return found


def descendants(pid: int) -> list[int]:
    """Live (not zombie) descendants of `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            states[int(entry.name)] = fields[0]
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            todo.append(c)
            if states.get(c) != "Z":
                out.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def port_is_free(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError:
            return False
        return True


# ---------------------------------------------------------------------------------------------
# Sockets and connection files


def test_sockets_bind_only_to_the_connection_files_ip() -> None:
    # 127.0.0.2 is loopback too (Linux routes all of 127/8 to lo), but not 127.0.0.1.
    path, cf = connection_file("ip", ip="127.0.0.2")
    with launched(path) as k, client_of(k) as kc:
        assert evaluate(kc, "'bound'") == "'bound'"
        ports = {cf[name] for name in PORT_NAMES}
        assert listening_tcp(k.proc.pid) == {("127.0.0.2", p) for p in ports}, (
            f"listening sockets of the kernel: {listening_tcp(k.proc.pid)}; expected the five ports on 127.0.0.2")
        for p in ports:
            with socket.socket() as s:
                s.settimeout(2)
                assert s.connect_ex(("127.0.0.1", p)) != 0, f"port {p} answers on 127.0.0.1 too"
        assert shut_down(kc, k) == 0


def test_a_connection_file_others_can_read_is_warned_about() -> None:
    path, _ = connection_file("readable", mode=0o644)
    with launched(path) as k, client_of(k) as kc:
        assert evaluate(kc, "'started anyway'") == "'started anyway'"
        assert "is readable by its group and every user of this machine (mode 0644)" in k.stderr, k.stderr
        assert "chmod 600" in k.stderr, k.stderr
        assert shut_down(kc, k) == 0


def test_a_private_connection_file_gives_no_warning() -> None:
    path, _ = connection_file("private", mode=0o600)
    with launched(path) as k, client_of(k) as kc:
        assert evaluate(kc, "1") == "1"
        assert shut_down(kc, k) == 0
        assert "readable by" not in k.stderr, k.stderr


def test_a_connection_file_others_can_read_is_refused_on_request() -> None:
    path, _ = connection_file("refused", mode=0o604)
    with launched(path, "--private-connection-file") as k:
        assert wait_exit(k.proc, 15) == 1, f"the kernel did not refuse its connection file: {k.stderr}"
        assert "is readable by every user of this machine (mode 0604)" in k.stderr, k.stderr
        assert "refused: --private-connection-file" in k.stderr, k.stderr


def test_a_connection_file_without_a_key_is_warned_about() -> None:
    path, _ = connection_file("nokey", key=b"")
    with launched(path) as k, client_of(k) as kc:
        assert evaluate(kc, "1") == "1"
        assert "the connection file has no key: messages are not signed" in k.stderr, k.stderr
        assert shut_down(kc, k) == 0


@pytest.mark.parametrize("scheme, said", [
    ("hmac-nope", 'Unsupported signature_scheme "hmac-nope": hash "nope" is not supported'),
    ("sha256", 'Unsupported signature_scheme "sha256": expected "hmac-<hash>"'),
])
def test_an_unknown_signature_scheme_fails_with_a_clear_error(scheme: str, said: str) -> None:
    path, _ = connection_file("scheme", signature_scheme="hmac-sha256")
    info = json.loads(path.read_text())
    path.write_text(json.dumps({**info, "signature_scheme": scheme}))
    with launched(path) as k:
        assert wait_exit(k.proc, 15) == 1, f"the kernel started with signature_scheme {scheme!r}: {k.stderr}"
        assert said in k.stderr, k.stderr


def test_ipc_transport_works_and_leaves_no_socket_files(tmp_path: Path) -> None:
    base = tmp_path / "kernel-ipc"
    path, cf = connection_file("ipc", transport="ipc", ip=str(base))
    files = [Path(f"{base}-{cf[name]}") for name in PORT_NAMES]
    with launched(path) as k, client_of(k) as kc:
        assert evaluate(kc, "6 * 7") == "42"
        assert all(f.is_socket() for f in files), [f for f in files if not f.is_socket()]
        assert shut_down(kc, k) == 0
    assert [f for f in files if f.exists()] == [], "ipc socket files left after the kernel exited"


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_a_second_kernel_on_the_same_ports_fails_clearly(tmp_path: Path, transport: str) -> None:
    info = {"transport": "ipc", "ip": str(tmp_path / "kernel-ipc")} if transport == "ipc" else {}
    path, cf = connection_file("twice", **info)
    with launched(path) as first, client_of(first) as kc:
        assert evaluate(kc, "var first = 'still here'; first") == "'still here'"
        with launched(path) as second:
            assert wait_exit(second.proc, 15) == 1, f"the second kernel did not fail: {second.stderr}"
            assert "cannot bind shell_port" in second.stderr and "Address already in use" in second.stderr, second.stderr
            assert "a second kernel cannot share a connection file" in second.stderr, second.stderr
        assert evaluate(kc, "first") == "'still here'", "the first kernel lost its sockets to the second"
        assert shut_down(kc, first) == 0


# ---------------------------------------------------------------------------------------------
# Shutdown under load


def test_shutdown_while_cells_threads_comms_and_child_processes_run() -> None:
    path, cf = connection_file("load")
    with launched(path) as k, client_of(k) as kc:
        s = Sorter(kc)
        spawned = s.execution(send_execute(kc, "import { spawn } from 'node:child_process';\n"
                                               "const child = spawn('sleep', ['300']);\n"
                                               "const shell = spawn('sh', ['-c', 'sleep 301 & sleep 302']);\n"
                                               "const own = spawn('sleep', ['303'], { detached: true });\n"
                                               "[child.pid, shell.pid, own.pid]"))
        assert spawned.content["status"] == "ok", spawned.describe()
        detached = json.loads(spawned.result_text)[2]
        # Comms open both ways, one in a thread too.
        comms = s.execution(send_execute(kc, "import { Comm, registerCommTarget } from 'ts-async-kernel';\n"
                                             "registerCommTarget('load.echo', (comm) => comm.onMsg((m) => comm.send(m.content.data)));\n"
                                             "globalThis.fromKernel = new Comm('load.out', { data: { open: true } });\n"
                                             "fromKernel.send({ n: 1 }); 'comms'"))
        assert comms.content["status"] == "ok", comms.describe()
        thread_comm = s.execution(send_execute(kc, "// thread name=comms\nimport { Comm } from 'ts-async-kernel';\n"
                                                   "globalThis.mine = new Comm('load.thread'); 'thread comm'"))
        assert thread_comm.content["status"] == "ok", thread_comm.describe()
        echo_id = uuid.uuid4().hex
        kc.shell_channel.send(kc.session.msg("comm_open", {"comm_id": echo_id, "target_name": "load.echo", "data": {}}))
        try:
            time.sleep(0.3)
            children = descendants(k.proc.pid)
            assert len(children) == 5, f"expected sleep, sh, its two sleeps and the detached sleep: {children}"
            # A queue of cells that keep the main thread busy and do not stop on errors, a cell that
            # waits forever, a task with an interval, a thread cell that spins, a named one too.
            queued = [send_execute(kc, "{ const t0 = Date.now(); while (Date.now() - t0 < 20) {} }", stop_on_error=False)
                      for _ in range(100)]
            waiting = send_execute(kc, "await new Promise(() => {})", tags=["task"])
            ticking = send_execute(kc, "setInterval(() => console.log('tick'), 5); await new Promise(() => {})", tags=["task"])
            spinning = send_execute(kc, "// thread\nwhile (true) {}")
            named = send_execute(kc, "// thread name=busy\nwhile (true) {}")
            s.wait_output(spinning, "execute_input")
            s.wait_output(named, "execute_input")
            for i in range(500):  # comm messages still coming in
                kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": echo_id, "data": {"i": i}}))
            ports = {cf[name] for name in PORT_NAMES}

            assert shut_down(kc, k) == 0, f"exit code {k.proc.returncode}; stderr:\n{k.stderr}"
            # Every request was answered before the sockets closed: nothing is lost.
            for msg_id in [*queued, waiting, ticking, spinning, named]:
                content = s.reply(msg_id)["content"]
                assert content["status"] in ("ok", "error"), content
                assert content.get("ename") != "KernelError", content
            aborted = [s.replies[m]["content"].get("evalue") for m in queued if s.replies[m]["content"]["status"] == "error"]
            assert aborted and set(aborted) == {"The kernel is shutting down"}, aborted
            left = [p for p in children if p != detached and alive(p)]
            assert left == [], f"processes the cells started outlived the kernel: {left}"
            assert alive(detached), "a detached process (its own process group) must be left alone"
            assert all(port_is_free("127.0.0.1", p) for p in ports), "a port is still bound"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(detached, signal.SIGKILL)


def test_a_kernel_whose_main_thread_is_stuck_still_shuts_down_and_ends_its_children() -> None:
    """The I/O worker's last resort (the main thread ignores everything) ends the children too."""
    path, _ = connection_file("stuck")
    with launched(path) as k, client_of(k) as kc:
        s = Sorter(kc)
        spawned = s.execution(send_execute(kc, "import { spawn } from 'node:child_process';\n"
                                               "spawn('sleep', ['304']).pid"))
        child = int(spawned.result_text)
        # A loop the interrupt cannot stop: it is not the cell's code, and runs after an await.
        send_execute(kc, "await null; (0, eval)('for (;;) {}')")
        time.sleep(0.5)
        reply = control_request(kc, "shutdown_request", {"restart": False})
        assert reply["content"]["status"] == "ok"
        assert wait_exit(k.proc, 15) is not None, "the stuck kernel did not end"
        time.sleep(0.2)
        assert not alive(child), "the child of a kernel ended by its last resort outlived it"
