"""`jupyter console` (jupyter_console from pip) talking to our kernel, driven with pexpect."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import pexpect
import pytest

from conftest import KERNEL_NAME

pytestmark = pytest.mark.timeout(90)


def jupyter_command() -> list[str]:
    exe = Path(sys.executable).parent / "jupyter"
    if exe.exists():
        return [str(exe), "console"]
    return [sys.executable, "-m", "jupyter_console"]


class Console:
    """`jupyter console --kernel ts-async --simple-prompt` under a pty."""

    def __init__(self) -> None:
        env = os.environ.copy()  # JUPYTER_PATH etc. point at the harness's kernelspecs
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"
        env["TERM"] = "dumb"
        cmd = jupyter_command() + ["--kernel", KERNEL_NAME, "--simple-prompt"]
        self.child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=30,
                                   dimensions=(40, 200))
        self.transcript = ""
        self.prompt = 1
        self.expect(r"In \[1\]: ", "the first prompt")
        # jupyter_console (6.6.3) shows the prompt once kernel_info is answered on shell but
        # never waits for its IOPub SUB to be subscribed; output published before that is lost
        # (PUB/SUB slow joiner) and run_cell then waits forever for status:idle. Measured here
        # with jupyter_client: ~1 in 3 starts with ts-async, ~1 in 12 with ipykernel, when the
        # first execute follows kernel_info at once. A person does not type within
        # milliseconds; pause like one.
        time.sleep(1.0)

    def expect(self, pattern, what: str, timeout: float = 30) -> int:
        try:
            i = self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise AssertionError(
                f"jupyter console: {type(e).__name__} while waiting for {what}; output:\n"
                f"{(self.transcript + str(self.child.before))[-3000:]}") from None
        self.transcript += str(self.child.before) + str(self.child.after)
        return i

    def run(self, line: str, expected: str) -> None:
        """Type `line`; `expected` (a regex) must appear before the next prompt."""
        self.child.sendline(line)
        self.prompt += 1
        next_prompt = rf"In \[{self.prompt}\]: "
        if self.expect([expected, next_prompt], f"{expected!r} after {line!r}") == 1:
            raise AssertionError(
                f"jupyter console: {expected!r} did not appear after {line!r}; output:\n"
                f"{self.transcript[-3000:]}")
        self.expect(next_prompt, "the next prompt")

    def exit(self) -> int:
        # Ctrl-D; jupyter_console asks for confirmation (its confirm_exit is not configurable).
        self.child.sendeof()
        if self.expect([r"exit \(\[y\]/n\)\?", pexpect.EOF], "the exit confirmation", 20) == 0:
            self.child.sendline("y")
            self.expect(pexpect.EOF, "jupyter console to exit", 20)
        self.child.close()
        return self.child.exitstatus

    def close(self) -> None:
        """After a failure: leave the way a user would (so the console shuts its kernel down),
        and only then force it."""
        if not self.child.isalive():
            return
        with contextlib.suppress(Exception):
            self.child.sendeof()
            if self.child.expect([r"exit \(\[y\]/n\)\?", pexpect.EOF], timeout=5) == 0:
                self.child.sendline("y")
                self.child.expect(pexpect.EOF, timeout=10)
        if self.child.isalive():
            self.child.close(force=True)


def test_jupyter_console_top_level_await() -> None:
    console = Console()
    try:
        # The terminal echoes the typed line, so match the Out prompt, not just "42".
        console.run("const x = await Promise.resolve(41); x + 1", r"Out\[1\]: 42\b")
        assert console.exit() == 0, "jupyter console did not exit cleanly"
    finally:
        console.close()


def test_jupyter_console_stdout() -> None:
    console = Console()
    try:
        # Computed text, so the terminal's echo of the typed line cannot match it.
        console.run('console.log("from" + " console " + 6 * 7)', r"from console 42")
        assert console.exit() == 0, "jupyter console did not exit cleanly"
    finally:
        console.close()
