"""What the toolkit hosts' tests (test_gtk_host.py, test_tk_host.py) share: what they need and how
they say it is missing, an Xvfb of their own, real clicks through the X server (xdotool), the
screen's pixels from Xvfb's framebuffer, waiting for output that reaches a cell after its reply,
and the scenarios both hosts must pass, run with each toolkit's own cell code."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from conftest import describe
import pytest

from kernel_helpers import TIMEOUT, Sorter, control_request, send_execute, summarize


def require_toolkit(toolkit: str, addon: Path, build: str, package: str) -> None:
    """Skip the module with the reason when the host's addon, Xvfb or xdotool is missing; with
    TS_ASYNC_KERNEL_REQUIRE_<TOOLKIT>=1 (CI, where they are installed) that is a failure."""
    missing = [] if addon.is_file() else [f"the {toolkit} host's addon ({addon}: npm run {build}, after apt-get install {package})"]
    missing += [f"{tool} (apt-get install {pkg})" for tool, pkg in (("Xvfb", "xvfb"), ("xdotool", "xdotool"))
                if shutil.which(tool) is None]
    if not missing:
        return
    text = f"the {toolkit} host cannot be tested here: missing " + ", ".join(missing)
    required = f"TS_ASYNC_KERNEL_REQUIRE_{toolkit.upper()}"
    if os.environ.get(required) == "1":
        pytest.fail(f"{text} ({required}=1)", pytrace=False)
    pytest.skip(text)


@contextlib.contextmanager
def xvfb_server():
    """An X server: its display name and the file of its framebuffer."""
    fbdir = Path(tempfile.mkdtemp(prefix="ts-async-xvfb-"))
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "640x480x24", "-fbdir", str(fbdir), "-nolisten", "tcp"],
        pass_fds=(write,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, f"Xvfb did not start: {proc.stderr.read().decode() if proc.poll() is not None else 'no display number'}"
    try:
        yield {"display": f":{number}", "framebuffer": fbdir / "Xvfb_screen0"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(fbdir, ignore_errors=True)


def xdotool(display: str, *args: str) -> str:
    proc = subprocess.run(["xdotool", *args], env=dict(os.environ, DISPLAY=display), capture_output=True,
                          text=True, timeout=10)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout


def click(display: str, window: dict[str, Any]) -> None:
    """A real click on the window's button: pointer moved there, button 1 pressed and released."""
    b = window["button"]
    xdotool(display, "mousemove", "--window", str(window["xid"]), str(b["x"] + b["width"] // 2),
            str(b["y"] + b["height"] // 2), "click", "1")


def framebuffer(path: Path, box: dict[str, int]) -> tuple[int, int, bytes]:
    """The RGB pixels of `box` on Xvfb's screen (its -fbdir XWD file: a 100-byte header of
    big-endian words, the window name, the colormap, then the rows)."""
    data = path.read_bytes()
    words = struct.unpack(">25I", data[:100])
    header_size, bits_per_pixel, bytes_per_line, ncolors = words[0], words[11], words[12], words[19]
    assert bits_per_pixel == 32, f"expected a 32-bit framebuffer, got {bits_per_pixel}"
    start = header_size + ncolors * 12
    rows = []
    for y in range(box["y"], box["y"] + box["height"]):
        row = data[start + y * bytes_per_line + box["x"] * 4: start + y * bytes_per_line + (box["x"] + box["width"]) * 4]
        # little-endian pixels (BGRX) -> RGB
        rows.append(b"".join(bytes((row[i + 2], row[i + 1], row[i])) for i in range(0, len(row), 4)))
    return box["width"], box["height"], b"".join(rows)


def png(width: int, height: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def geometry(display: str, xid: int) -> dict[str, int]:
    shell = dict(line.split("=", 1) for line in xdotool(display, "getwindowgeometry", "--shell", str(xid)).split())
    return {"x": int(shell["X"]), "y": int(shell["Y"]), "width": int(shell["WIDTH"]), "height": int(shell["HEIGHT"])}


def streams_of(s: Sorter, msg_id: str, text: str, timeout: float = TIMEOUT) -> str:
    """Stdout of `msg_id` once it contains `text` (output that comes after the cell's reply)."""
    deadline = time.monotonic() + timeout
    while True:
        out = "".join(m["content"]["text"] for m in s.iopub[msg_id]
                      if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
        if text in out:
            return out
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            elsewhere = {k: [summarize(m) for m in v if m["msg_type"] == "stream"] for k, v in s.iopub.items()}
            raise AssertionError(f"{text!r} never reached cell {msg_id[:8]} (its stdout: {out!r}); streams: {elsewhere}")
        s._pump("iopub", min(remaining, 0.2))


def ok(s: Sorter, kc, code: str, **kwargs: Any):
    ex = s.execution(send_execute(kc, code, **kwargs))
    assert ex.content["status"] == "ok", ex.describe()
    return ex


def a_click_reaches_a_cell_that_awaits_it(s: Sorter, kc, display: str, window: dict[str, Any], awaiting: str) -> None:
    """`awaiting` waits for the button's next click and ends with 'got the click': the window
    answers the click while that cell waits."""
    waiting = send_execute(kc, awaiting)
    s.wait_output(waiting, "execute_input")
    time.sleep(0.2)  # the cell is at its await
    assert not s.replied(waiting)
    click(display, window)
    ex = s.execution(waiting)
    assert ex.content["status"] == "ok" and ex.result_text == "'got the click'", ex.describe()


def a_spinning_cell_is_interrupted_while_the_window_stays_drawn(s: Sorter, kc, xvfb: dict[str, Any], window: dict[str, Any]) -> None:
    """A cell that spins keeps the toolkit's loop from running, but the window stays on the screen
    as it was drawn; an interrupt stops the cell, its variables kept."""
    box = geometry(xvfb["display"], window["xid"])
    before = framebuffer(xvfb["framebuffer"], box)[2]
    assert len(set(before[i:i + 3] for i in range(0, len(before), 3))) > 2, "the window shows nothing"
    spin = send_execute(kc, "let spins = 0;\nwhile (true) spins++;")
    s.wait_output(spin, "execute_input")
    time.sleep(0.5)
    assert not s.replied(spin)
    assert framebuffer(xvfb["framebuffer"], box)[2] == before, "the window was not drawn as before while the cell spun"
    reply = control_request(kc, "interrupt_request")
    assert reply["content"]["status"] == "ok", reply["content"]
    ex = s.execution(spin)
    assert ex.content["status"] == "error" and ex.content["ename"] == "KernelInterrupt", ex.describe()
    assert int(ok(s, kc, "spins").result_text) > 0


def open_window(kc, code: str) -> dict[str, Any]:
    """Run the cell `code`, which opens a window and prints its X id and its button's box as its
    last line: the window, and that cell's msg_id (where its button's output belongs)."""
    s = Sorter(kc)
    ex = ok(s, kc, code)
    info = json.loads(ex.stdout.strip().splitlines()[-1])
    assert info["xid"] and info["button"]["width"] > 0, info
    return {"cell": ex.msg_id, "xid": info["xid"], "button": info["button"], "sorter": s}
