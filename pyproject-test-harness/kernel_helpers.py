"""Small, time-bounded helpers around jupyter_client's BlockingKernelClient.

Every wait here has a deadline: a kernel that does not answer makes the test fail with a
message that says what was expected and what arrived instead; it never hangs the suite.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from queue import Empty
from typing import Any, Iterator

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

# Generous enough for a loaded 2-core CI machine, short enough that a broken kernel fails fast.
TIMEOUT = 10.0
STARTUP_TIMEOUT = 30.0


# What the load and hostile-input tests measured, shown at the end of every run (conftest.py).
FIGURES: list[str] = []


def report_figure(text: str) -> None:
    """A measured figure (messages fired, bytes checked, RSS): in the run's summary, not only in
    the captured output of a passing test."""
    FIGURES.append(text.strip())


def summarize(msg: dict[str, Any]) -> str:
    content = msg.get("content", {})
    extra = ""
    if msg["msg_type"] == "status":
        extra = content.get("execution_state", "")
    elif msg["msg_type"] == "stream":
        extra = f"{content.get('name')}: {content.get('text', '')[:60]!r}"
    elif msg["msg_type"] == "error":
        extra = f"{content.get('ename')}: {content.get('evalue', '')[:60]!r}"
    elif "status" in content:
        extra = f"status={content['status']}"
    parent = msg.get("parent_header", {}) or {}
    return (f"<{msg['msg_type']} {extra} parent={parent.get('msg_type')}:"
            f"{str(parent.get('msg_id'))[:8]}>")


def get_reply(kc: BlockingKernelClient, msg_id: str, channel: str = "shell",
              timeout: float = TIMEOUT) -> dict[str, Any]:
    """The reply on `channel` whose parent is `msg_id` (other replies are skipped)."""
    getter = {"shell": kc.get_shell_msg, "control": kc.get_control_msg,
              "stdin": kc.get_stdin_msg}[channel]
    deadline = time.monotonic() + timeout
    skipped: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"no {channel} reply to {msg_id} within {timeout}s; other messages seen: {skipped}")
        try:
            msg = getter(timeout=remaining)
        except Empty:
            continue
        if (msg.get("parent_header") or {}).get("msg_id") == msg_id:
            return msg
        skipped.append(summarize(msg))


def collect_iopub(kc: BlockingKernelClient, msg_id: str, timeout: float = TIMEOUT,
                  others: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """All IOPub messages whose parent is `msg_id`, up to and including `status: idle`.

    Messages with another parent are appended to `others` (if given) and otherwise ignored.
    """
    deadline = time.monotonic() + timeout
    got: list[dict[str, Any]] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"no status:idle for {msg_id} on IOPub within {timeout}s; "
                f"got {[summarize(m) for m in got]}")
        try:
            msg = kc.get_iopub_msg(timeout=remaining)
        except Empty:
            continue
        if (msg.get("parent_header") or {}).get("msg_id") != msg_id:
            if others is not None:
                others.append(msg)
            continue
        got.append(msg)
        if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
            return got


def drain_iopub(kc: BlockingKernelClient, quiet: float = 0.2) -> list[dict[str, Any]]:
    """Read IOPub until it has been quiet for `quiet` seconds; returns what was read."""
    out = []
    while True:
        try:
            out.append(kc.get_iopub_msg(timeout=quiet))
        except Empty:
            return out


def quiet_client(km: KernelManager, kc: BlockingKernelClient) -> BlockingKernelClient:
    """A shared kernel's client for the next test: alive, with nothing left from earlier tests."""
    assert km.is_alive(), "the shared kernel died in an earlier test"
    drain_shell(kc)
    drain_iopub(kc, quiet=0.05)
    return kc


def drain_shell(kc: BlockingKernelClient, quiet: float = 0.1) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(kc.get_shell_msg(timeout=quiet))
        except Empty:
            return out


@dataclass
class Execution:
    msg_id: str
    reply: dict[str, Any]
    iopub: list[dict[str, Any]] = field(default_factory=list)

    @property
    def content(self) -> dict[str, Any]:
        return self.reply["content"]

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.iopub if m["msg_type"] == msg_type]

    @property
    def result_text(self) -> str | None:
        results = self.of_type("execute_result")
        if not results:
            return None
        return results[-1]["content"]["data"].get("text/plain")

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream")
                       if m["content"]["name"] == "stdout")

    def describe(self) -> str:
        return f"reply={self.content!r}\niopub={[summarize(m) for m in self.iopub]}"


def execute(kc: BlockingKernelClient, code: str, timeout: float = TIMEOUT,
            **kwargs: Any) -> Execution:
    msg_id = kc.execute(code, **kwargs)
    reply = get_reply(kc, msg_id, timeout=timeout)
    iopub = collect_iopub(kc, msg_id, timeout=timeout)
    return Execution(msg_id, reply, iopub)


def evaluate(kc: BlockingKernelClient, code: str, timeout: float = TIMEOUT) -> str:
    """Execute `code` and return the text/plain of its execute_result (asserting success)."""
    ex = execute(kc, code, timeout=timeout)
    assert ex.content["status"] == "ok", f"`{code}` failed: {ex.describe()}"
    assert ex.result_text is not None, f"`{code}` gave no execute_result: {ex.describe()}"
    return ex.result_text


def send_control(kc: BlockingKernelClient, msg_type: str,
                 content: dict[str, Any] | None = None) -> str:
    msg = kc.session.msg(msg_type, content or {})
    kc.control_channel.send(msg)
    return msg["header"]["msg_id"]


def send_shell(kc: BlockingKernelClient, msg_type: str,
               content: dict[str, Any] | None = None) -> str:
    msg = kc.session.msg(msg_type, content or {})
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


@contextlib.contextmanager
def running_kernel(kernel_name: str, start_kwargs: dict[str, Any] | None = None, **km_kwargs: Any
                   ) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    """start_new_kernel + a bounded, always-run teardown. `km_kwargs` go to the KernelManager
    (e.g. `transport="ipc"`), `start_kwargs` to its start_kernel (e.g. `env`, `cwd`)."""
    if km_kwargs or start_kwargs:
        km = KernelManager(kernel_name=kernel_name, **km_kwargs)
        km.start_kernel(**(start_kwargs or {}))
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            raise
    else:
        km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=STARTUP_TIMEOUT)
    km.shutdown_wait_time = 4.0
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        if km.has_kernel:
            try:
                km.shutdown_kernel(now=False)
            except Exception:  # pragma: no cover - last resort, never leak a process
                km.shutdown_kernel(now=True)


def kernel_process(km: KernelManager) -> Any:
    """The Popen of the kernel process jupyter_client launched."""
    proc = getattr(km.provisioner, "process", None)
    assert proc is not None, "jupyter_client has no kernel process"
    return proc


def wait_exit(proc: Any, timeout: float = 5.0) -> int | None:
    """Wait for a process to exit on its own; its return code, or None if it did not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rc = proc.poll()
        if rc is not None:
            return rc
        time.sleep(0.05)
    return proc.poll()


# ---------------------------------------------------------------------------------------------
# Several requests in flight at once (run modes, subshells).


def send_execute(kc: BlockingKernelClient, code: str, *, tags: list[str] | None = None,
                 subshell_id: str | None = None, silent: bool = False,
                 stop_on_error: bool = True, allow_stdin: bool = False) -> str:
    """Send an execute_request with cell tags (message metadata) and a subshell (header); its msg_id."""
    content = {"code": code, "silent": silent, "store_history": not silent,
               "user_expressions": {}, "allow_stdin": allow_stdin, "stop_on_error": stop_on_error}
    msg = kc.session.msg("execute_request", content, metadata={"tags": tags} if tags else {})
    if subshell_id is not None:
        msg["header"]["subshell_id"] = subshell_id
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def control_request(kc: BlockingKernelClient, msg_type: str,
                    content: dict[str, Any] | None = None, timeout: float = TIMEOUT
                    ) -> dict[str, Any]:
    """Send a request on control and return its reply."""
    return get_reply(kc, send_control(kc, msg_type, content), channel="control", timeout=timeout)


def create_subshell(kc: BlockingKernelClient) -> str:
    reply = control_request(kc, "create_subshell_request")
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply["content"]["subshell_id"]


class Sorter:
    """Reads a client's shell and IOPub messages and files them by parent msg_id, so requests
    that are in flight together can be awaited in any order. Every wait has a deadline."""

    def __init__(self, kc: BlockingKernelClient) -> None:
        self.kc = kc
        self.replies: dict[str, dict[str, Any]] = {}
        self.iopub: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def _file(self, msg: dict[str, Any], into: str) -> None:
        parent = (msg.get("parent_header") or {}).get("msg_id")
        if into == "shell":
            self.replies[parent] = msg
        else:
            self.iopub[parent].append(msg)

    def _pump(self, channel: str, timeout: float) -> None:
        getter = self.kc.get_shell_msg if channel == "shell" else self.kc.get_iopub_msg
        try:
            self._file(getter(timeout=max(timeout, 0.001)), channel)
        except Empty:
            pass

    def reply(self, msg_id: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while msg_id not in self.replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no shell reply to {msg_id} within {timeout}s; "
                                     f"replies seen for: {list(self.replies)}")
            self._pump("shell", remaining)
        return self.replies[msg_id]

    def replied(self, msg_id: str) -> bool:
        """Whether the reply has arrived by now (reads what is waiting, never blocks long)."""
        while True:
            try:
                self._file(self.kc.get_shell_msg(timeout=0.01), "shell")
            except Empty:
                return msg_id in self.replies

    def outputs(self, msg_id: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """IOPub messages of `msg_id` up to and including its status: idle."""
        deadline = time.monotonic() + timeout
        while not any(m["msg_type"] == "status" and m["content"].get("execution_state") == "idle"
                      for m in self.iopub[msg_id]):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no status:idle for {msg_id} within {timeout}s; got "
                                     f"{[summarize(m) for m in self.iopub[msg_id]]}")
            self._pump("iopub", remaining)
        return self.iopub[msg_id]

    def wait_output(self, msg_id: str, msg_type: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first IOPub message of `msg_type` for `msg_id`."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.iopub[msg_id]:
                if m["msg_type"] == msg_type:
                    return m
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {msg_type} for {msg_id} within {timeout}s")
            self._pump("iopub", remaining)

    def execution(self, msg_id: str, timeout: float = TIMEOUT) -> Execution:
        reply = self.reply(msg_id, timeout)
        return Execution(msg_id, reply, self.outputs(msg_id, timeout))
