"""The Tk host (`--loop tk`): Tcl's event loop owns the kernel's main thread, Node's loop is its guest.

As test_gtk_host.py, with Tk: a kernel installed with `install --loop tk` runs under an Xvfb of
this module's own; a cell makes a window with `ts-async-kernel/tk`, the test clicks its button
through the X server (xdotool) and reads the window's pixels from Xvfb's framebuffer.

Needs the Tk host's addon (`npm run build` builds it where Tk's headers exist: tk-dev), Xvfb and
xdotool (scripts/install_toolkit_deps.sh installs them). Where they are missing the module is
skipped with the reason, unless TS_ASYNC_KERNEL_REQUIRE_TK=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import conftest
from conftest import REPO_DIR, describe, run_cli
from kernel_helpers import Sorter, quiet_client, running_kernel, send_execute
from toolkit_helpers import (
    a_click_reaches_a_cell_that_awaits_it,
    a_spinning_cell_is_interrupted_while_the_window_stays_drawn,
    click,
    framebuffer,
    geometry,
    ok,
    open_window,
    png,
    require_toolkit,
    streams_of,
    xvfb_server,
)

pytestmark = pytest.mark.timeout(120)

KERNEL = "ts-async-tk"
ADDON = REPO_DIR / "native" / "tk" / "build" / "Release" / "ts_async_tk.node"


@pytest.fixture(scope="module")
def tk_available() -> None:
    require_toolkit("Tk", ADDON, "build:tk", "tk-dev")


@pytest.fixture(scope="module")
def xvfb(tk_available):
    with xvfb_server() as server:
        yield server


@pytest.fixture(scope="module")
def tk_kernel(tk_available, xvfb):
    assert conftest.TMP_ROOT is not None
    proc = run_cli("install", "--prefix", str(conftest.TMP_ROOT), "--name", KERNEL, "--loop", "tk",
                   "--display-name", "TypeScript (Tk)")
    assert proc.returncode == 0 and "warning" not in proc.stderr, describe(proc)
    with running_kernel(KERNEL, start_kwargs={"env": dict(os.environ, DISPLAY=xvfb["display"])}) as (km, kc):
        yield km, kc


OPEN_WINDOW = """\
import { tk } from "ts-async-kernel/tk";
let clicks = 0;
tk.command("count", () => {
  clicks++;
  tk.call(".l", "configure", "-text", `Clicks: ${clicks}`);
  console.log(`clicked ${clicks}`);
});
tk.call("wm", "title", ".", "ts-async-kernel on Tk");
tk.call("label", ".l", "-text", "Clicks: 0");
tk.call("button", ".b", "-text", "Count", "-command", "count");
tk.eval("pack .l .b -padx 40 -pady 8; update");
const at = (what: string) => Number(tk.call("winfo", what, ".b"));
console.log(JSON.stringify({ xid: tk.windowId("."), button: { x: at("x"), y: at("y"), width: at("width"), height: at("height") } }));
"""


@pytest.fixture(scope="module")
def window(tk_kernel):
    """The window a cell opened, and that cell's msg_id (where its button's output belongs)."""
    return open_window(tk_kernel[1], OPEN_WINDOW)


def test_a_click_runs_the_command_and_its_output_goes_to_the_cell_that_made_it(tk_kernel, xvfb, window) -> None:
    km, kc = tk_kernel
    s: Sorter = window["sorter"]
    other = ok(s, kc, "'another cell'")
    click(xvfb["display"], window)
    streams_of(s, window["cell"], "clicked 1")
    assert "clicked" not in other.stdout
    assert ok(s, kc, 'tk.call(".l", "cget", "-text")').result_text == "'Clicks: 1'"
    ok(s, kc, 'tk.call(".b", "invoke")')  # Tk's own invocation runs the same command
    streams_of(s, window["cell"], "clicked 2")
    if os.environ.get("TS_ASYNC_TOOLKIT_SCREENSHOTS"):
        time.sleep(0.2)  # the label's new text drawn
        shots = Path(os.environ["TS_ASYNC_TOOLKIT_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        (shots / "tk_host_window.png").write_bytes(png(*framebuffer(xvfb["framebuffer"], geometry(xvfb["display"], window["xid"]))))


def test_the_window_answers_clicks_while_a_cell_awaits(tk_kernel, xvfb, window) -> None:
    km, kc = tk_kernel
    a_click_reaches_a_cell_that_awaits_it(
        window["sorter"], kc, xvfb["display"], window,
        'await new Promise((resolve) => tk.command("count", () => resolve("got the click")))')


def test_a_spinning_cell_is_interrupted_while_the_window_stays_drawn(tk_kernel, xvfb, window) -> None:
    km, kc = tk_kernel
    s: Sorter = window["sorter"]
    a_spinning_cell_is_interrupted_while_the_window_stays_drawn(s, kc, xvfb, window)
    # Tcl's loop runs again: a click reaches the command, made now by this cell, whose output goes here.
    remade = ok(s, kc, 'tk.command("count", () => console.log("after the interrupt"))')
    click(xvfb["display"], window)
    streams_of(s, remade.msg_id, "after the interrupt")


def test_tk_windows_need_the_tk_loop_and_the_error_says_so(shared_kernel) -> None:
    kc = quiet_client(*shared_kernel)
    s = Sorter(kc)
    ex = s.execution(send_execute(kc, 'import { tk } from "ts-async-kernel/tk";\ntk.eval("button .b");'))
    assert ex.content["status"] == "error" and "--loop tk" in ex.content["evalue"], ex.describe()


def test_without_a_display_the_kernel_runs_and_tk_says_why_not(tk_available) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    with running_kernel(KERNEL, start_kwargs={"env": env}) as (km, kc):
        s = Sorter(kc)
        assert ok(s, kc, "await new Promise((r) => setTimeout(() => r(6 * 7), 10))").result_text == "42"
        ex = s.execution(send_execute(kc, 'import { tk } from "ts-async-kernel/tk";\ntk.eval("button .b");'))
        assert ex.content["status"] == "error" and "Tk could not open a display" in ex.content["evalue"], ex.describe()


def test_signal_mode_interrupts_on_the_tk_host(tk_kernel, xvfb) -> None:
    """SIGINT (interrupt_mode signal) stops a spinning cell and an awaiting one: Tcl's notifier
    thread must not swallow the signal."""
    assert conftest.TMP_ROOT is not None
    proc = run_cli("install", "--prefix", str(conftest.TMP_ROOT), "--name", f"{KERNEL}-signal", "--loop", "tk",
                   "--interrupt-mode", "signal")
    assert proc.returncode == 0, describe(proc)
    with running_kernel(f"{KERNEL}-signal", start_kwargs={"env": dict(os.environ, DISPLAY=xvfb["display"])}) as (km, kc):
        s = Sorter(kc)
        ok(s, kc, 'import { tk } from "ts-async-kernel/tk";\ntk.eval("button .b -text b; pack .b; update");')
        for code in ("while (true) {}", "while (true) await new Promise((r) => setTimeout(r, 5));"):
            cell = send_execute(kc, code)
            s.wait_output(cell, "execute_input")
            time.sleep(0.3)
            km.interrupt_kernel()
            ex = s.execution(cell)
            assert ex.content["status"] == "error" and ex.content["ename"] == "KernelInterrupt", (code, ex.describe())
        assert ok(s, kc, 'tk.call(".b", "cget", "-text")').result_text == "'b'"
