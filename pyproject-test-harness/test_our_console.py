"""The kernel's own `console`: on a real terminal (a pty, TERM=xterm-256color, read through a small
screen model so the assertions are about what the user sees), and scripted from a pipe or a file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pexpect
import pytest

import conftest
from conftest import MAIN_JS, REPO_DIR, describe, run_cli

pytestmark = pytest.mark.timeout(90)

# How long a wait for the screen may take before the test fails (a deadline, not a measurement).
WAIT = 30


class Screen:
    """Enough of a terminal for Node's readline: text, CR, LF, BS, and the CSI sequences it draws
    with (cursor up/down/forward/back, to column, erase below and in line). Lines are kept as
    they scroll off, so the whole session can be read back."""

    CSI = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z@])")

    def __init__(self, cols: int) -> None:
        self.cols = cols
        self.lines: list[list[str]] = [[]]
        self.row = 0
        self.col = 0

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = self.CSI.match(text, i)
                if m:
                    self._csi(m.group(1), m.group(2))
                    i = m.end()
                else:
                    i += 2  # a two-character escape (none matter here)
                continue
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self._down(1)
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch >= " ":
                if self.col >= self.cols:
                    self.col = 0
                    self._down(1)
                line = self.lines[self.row]
                line.extend(" " * (self.col + 1 - len(line)))
                line[self.col] = ch
                self.col += 1
            i += 1

    def _down(self, n: int) -> None:
        self.row += n
        while len(self.lines) <= self.row:
            self.lines.append([])

    def _csi(self, params: str, cmd: str) -> None:
        if params.startswith("?"):
            return
        n = int(params.split(";")[0] or 0)
        line = self.lines[self.row]
        if cmd == "A":
            self.row = max(0, self.row - (n or 1))
        elif cmd == "B":
            self._down(n or 1)
        elif cmd == "C":
            self.col += n or 1
        elif cmd == "D":
            self.col = max(0, self.col - (n or 1))
        elif cmd == "G":
            self.col = max(0, (n or 1) - 1)
        elif cmd == "J" and n == 0:
            del line[self.col:]
            del self.lines[self.row + 1:]
        elif cmd == "K":
            if n == 0:
                del line[self.col:]
            elif n == 2:
                line.clear()

    def text(self) -> str:
        return "\n".join("".join(line).rstrip() for line in self.lines)

    def current_line(self) -> str:
        """The cursor's line as drawn, trailing spaces included (a prompt's indent is)."""
        return "".join(self.lines[self.row])


def console_env(**extra: str) -> dict[str, str]:
    env = os.environ.copy()
    # The kernel it launches has its connection file there: found by the harness's leak sweep.
    assert conftest.TMP_ROOT is not None
    (conftest.TMP_ROOT / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(conftest.TMP_ROOT / "tmp")
    env.update(extra)
    return env


class Console:
    """`node dist/cli/main.js console` under a pty, as a user's terminal runs it."""

    def __init__(self) -> None:
        self.child = pexpect.spawn(shutil.which("node"), [str(MAIN_JS), "console"],
                                   env=console_env(TERM="xterm-256color"), encoding="utf-8",
                                   timeout=WAIT, dimensions=(40, 200))
        self.screen = Screen(200)
        self.raw = ""
        self.wait_for(r"^In \[1\]:$", "the first prompt")

    def pump(self, timeout: float) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            raise AssertionError(f"the console ended; screen:\n{self.screen.text()}") from None
        self.raw += data
        self.screen.feed(data)

    def wait_for(self, pattern: str, what: str) -> re.Match[str]:
        """Until `pattern` matches a line of the screen (re.M)."""
        deadline = time.monotonic() + WAIT
        while True:
            m = re.search(pattern, self.screen.text(), re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"console: no {what} ({pattern!r}) on the screen:\n{self.screen.text()}")
            self.pump(0.2)

    def wait_until(self, check, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not check(self.screen):
            if time.monotonic() > deadline:
                raise AssertionError(f"console: {what} did not happen; screen:\n{self.screen.text()}")
            self.pump(0.2)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def enter(self, line: str, then: str, what: str) -> None:
        """Type `line` and Enter, as a person does (after the prompt is drawn); wait for `then`."""
        self.send(line + "\r")
        self.wait_for(then, what)

    def tab_until(self, line: str, what: str) -> None:
        """Press Tab until the cursor's line reads `line`, as a person presses it again when
        nothing happened: in the first seconds after a start the language service is loading
        (the kernel then completes from live values only), and a completion that takes the
        console more than its wait is given up."""
        deadline = time.monotonic() + WAIT
        while self.screen.current_line() != line and time.monotonic() < deadline:
            self.send("\t")
            for _ in range(10):
                self.pump(0.2)
                if self.screen.current_line() == line:
                    break
        self.wait_until(lambda s: s.current_line() == line, what)

    def exit(self) -> int | None:
        self.send("\x04")  # Ctrl-D at an empty prompt
        self.child.expect(pexpect.EOF, timeout=WAIT)
        self.child.close()
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendeof()
            try:
                self.child.expect(pexpect.EOF, timeout=10)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture
def console():
    c = Console()
    try:
        yield c
    finally:
        c.close()


def test_a_password_prompt_is_shown_and_the_typed_text_is_not(console: Console) -> None:
    # (Computed prompt: the echo of the typed line cannot match it.)
    console.send("const secret = await input('Sec' + 'ret: ', { password: true })\r")
    console.wait_for(r"^Secret:$", "the password prompt")
    console.send("hunter2\r")
    console.wait_for(r"^In \[2\]:$", "the next prompt")
    console.enter("secret.length + 100", r"^Out\[2\]: 107$", "the password's length")
    console.wait_for(r"^In \[3\]:$", "the third prompt")
    assert "hunter2" not in console.raw, "the password was echoed"
    # Nor does the Up key bring it back: the history holds the code only.
    console.send("\x1b[A\x1b[A")
    console.wait_until(lambda s: s.current_line() == "In [3]: const secret = await input('Sec' + 'ret: ', { password: true })",
                       "history recall of the cell before the password")
    assert "hunter2" not in console.raw, "the password came back from the history"
    console.send("\x15")  # Ctrl-U: the line is empty again
    assert console.exit() == 0


def test_tab_completes_through_the_kernel(console: Console) -> None:
    console.enter("const user = { name: 'Ada', age: 36 }", r"^In \[2\]:$", "the second prompt")
    console.send("user.na")
    console.tab_until("In [2]: user.name", "completion of user.na")
    console.enter("", r"^Out\[2\]: 'Ada'$", "the completed cell's result")
    # Inside a cell of several lines, the lines before count: `innerValue` is declared on the second.
    console.send("function triple() {\r")
    console.wait_until(lambda s: s.current_line() == "   ...:   ", "a continuation prompt")
    console.send("const innerValue = 5;\r")
    console.wait_until(lambda s: s.current_line() == "   ...:   ", "the third line's prompt")
    # The names of code not yet run come from the language service.
    console.send("return innerV")
    console.tab_until("   ...:   return innerValue", "completion from an earlier line of the cell")
    console.send(" * 3\r")
    console.wait_until(lambda s: s.current_line() == "   ...:   ", "the last line's prompt")
    console.send("}\r")
    console.wait_for(r"^In \[4\]:$", "the next prompt")
    console.enter("triple()", r"^Out\[4\]: 15$", "the function's result")
    assert console.exit() == 0


def test_continuation_prompts_line_up_and_the_indent_can_be_edited(console: Console) -> None:
    console.send("function depth() {\r")
    console.wait_until(lambda s: s.current_line() == "   ...:   ", "the first continuation prompt")
    console.send("if (true) {\r")
    console.wait_until(lambda s: s.current_line() == "   ...:     ", "the second continuation prompt, indented twice")
    console.send("return 'deep'\r")
    console.wait_until(lambda s: s.current_line() == "   ...:     ", "the third continuation prompt")
    # The indent is on the line, not in the prompt: backspace takes it away.
    console.send("\x7f\x7f}\r")
    console.wait_until(lambda s: s.current_line() == "   ...:   ", "the fourth continuation prompt")
    console.send("\x7f\x7f}\r")
    console.wait_for(r"^In \[2\]:$", "the next prompt")
    console.enter("depth()", r"^Out\[2\]: 'deep'$", "the function's result")
    lines = [line for line in console.screen.text().splitlines() if "...:" in line]
    assert len(lines) == 4, lines
    assert all(line.startswith("   ...: ") for line in lines), "continuation prompts drifted:\n" + "\n".join(lines)
    assert [line[len("   ...: "):] for line in lines] == ["  if (true) {", "    return 'deep'", "  }", "}"], lines
    assert console.exit() == 0


def test_output_after_the_reply_is_printed_above_the_prompt(console: Console, tmp_path: Path) -> None:
    flag = tmp_path / "go"
    # The cell's timer prints once the test creates the file, i.e. after the cell's reply, while
    # the user is typing at the next prompt.
    console.enter(
        "const fs = await import('node:fs'); const poll = setInterval(() => { if (fs.existsSync(" + json.dumps(str(flag)) + ")) "
        "{ clearInterval(poll); console.log('printed by ' + 'the timer'); } }, 20); 'waiting'",
        r"^Out\[1\]: 'waiting'$", "the cell's result")
    console.wait_for(r"^In \[2\]:$", "the next prompt")
    console.send("'partial'")
    console.wait_until(lambda s: s.current_line() == "In [2]: 'partial'", "the typed text")
    flag.write_text("")
    console.wait_for(r"^printed by the timer$", "the timer's output")
    # Above the prompt, which is drawn again below it with what was typed.
    console.wait_until(lambda s: s.text().rstrip().splitlines()[-3:] == ["Out[1]: 'waiting'", "printed by the timer", "In [2]: 'partial'"],
                       "the output above the prompt")
    console.enter(" + ' text'", r"^Out\[2\]: 'partial text'$", "the cell typed around the output")
    assert console.exit() == 0


PNG_2x3 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAYAAAC56t6BAAAAE0lEQVR4nGP8z8DAwMDAxMDAAAAnBwIBVK2hJgAAAABJRU5ErkJggg=="


def test_rich_output_reads_as_text(console: Console) -> None:
    console.enter('display.markdown("# Weather\\n\\nIt is **warm** in [Lisbon](https://example.org).")',
                  r"^It is warm in Lisbon \(https://example.org\).$", "the markdown as text")
    console.enter('display.html("<p>Hello <b>world</b> &amp; all</p><ul><li>one</li><li>two</li></ul>'
                  '<table><tr><th>city</th><th>max</th></tr><tr><td>Oslo</td><td>21</td></tr></table>")',
                  r"^Oslo \| 21$", "the HTML table as text")
    console.enter('display.json({ city: "Oslo", temps: [1, 2] })', r'^  "city": "Oslo",$', "the JSON pretty-printed")
    console.enter(f'display.png("{PNG_2x3}")', r"^\[image/png 2×3, 76 B\]$", "a note for the image")
    console.wait_for(r"^In \[5\]:$", "the prompt after the image")
    screen = console.screen.text()
    for line in ["Weather", "=======", "Hello world & all", "- one", "- two", "city | max",
                 '{', '  "temps": [', "    1,", "  ]", "}"]:
        assert line in screen.splitlines(), f"{line!r} is not a line of the screen:\n{screen}"
    assert not re.search(r"<(text|image|application)/", screen), "a MIME placeholder was printed:\n" + screen
    assert console.exit() == 0


def test_version() -> None:
    version = json.loads((REPO_DIR / "package.json").read_text())["version"]
    for args in (["--version"], ["-V"], ["console", "--version"]):
        proc = run_cli(*args, timeout=30)
        assert proc.returncode == 0 and proc.stdout == f"ts-async-kernel {version}\n", describe(proc)


# --- scripted: cells from a pipe or a file ---


def script(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`console` with `text` on its standard input (a pipe)."""
    proc = subprocess.run([shutil.which("node"), str(MAIN_JS), "console", *args], input=text, env=console_env(),
                          capture_output=True, text=True, timeout=60, start_new_session=True)
    return proc


def test_a_script_from_a_pipe_runs_cell_by_cell_and_exits() -> None:
    proc = script("const a = 20\na * 2\n")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "Out[2]: 40\n", describe(proc)


def test_a_script_keeps_lines_of_one_statement_and_comments_together_and_fails_at_the_end() -> None:
    proc = script(
        "function twice(x: number) {\n"
        "  return 2 * x\n"
        "}\n"
        "\n"
        "// the cell's settings and notes stay with its code\n"
        "// stop-on-error=false\n"
        "twice(21)\n"
        "throw new Error('bo' + 'om')\n"
        "'after the failure'\n")
    assert proc.returncode == 1, "a failed cell gives exit status 1\n" + describe(proc)
    # function (In 1), comments + call (In 2), throw (In 3), the string (In 4): every cell ran.
    assert proc.stdout == "Out[2]: 42\nOut[4]: 'after the failure'\n", describe(proc)
    assert "Error: boom" in re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr), describe(proc)


def test_a_script_answers_input_from_its_next_line_and_prints_late_output(tmp_path: Path) -> None:
    path = tmp_path / "script.ts"
    path.write_text(
        "const who = await input('Name? ')\n"
        "Ada\n"
        "let open: () => void; const gate = new Promise<void>((r) => (open = r)); "
        "void gate.then(() => console.log('late from ' + 'In[2]'))\n"
        "open(); await gate; await null; who.toUpperCase()\n")
    proc = run_cli("console", str(path), timeout=60)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "Name? \nlate from In[2]\nOut[3]: 'ADA'\n", describe(proc)


def test_a_script_that_ends_while_a_cell_asks_for_input_interrupts_it() -> None:
    proc = script("'first'\nawait input('never answered? ')\n")
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout.startswith("Out[1]: 'first'\nnever answered? \n"), describe(proc)
    assert "KernelInterrupt" in proc.stderr and "the input ended" in proc.stderr, describe(proc)


def test_cells_have_require_though_the_console_asks_is_complete_first() -> None:
    """The console asks the kernel whether each line completes a cell before it runs it (as
    jupyter console does); that check once left its transform, made without the notebook's names,
    in the cache the cell then ran from, and `require` was not defined."""
    proc = script("const path = require('node:path'); path.basename('/tmp/notes.ts')\n[typeof require, typeof module]\n")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "Out[1]: 'notes.ts'\nOut[2]: [ 'function', 'object' ]\n", describe(proc)
