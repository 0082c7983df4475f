"""The kernels compared: how each one is launched (argv, environment, working directory, interrupt
mode, which phases it can run), and the versions and machine a run records."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import zmq

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE = os.environ.get("NODE", "node")
PY = sys.executable


def _deno_binary() -> str | None:
    plat = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    for cand in (
        BENCH / "node_modules" / "@deno" / f"linux-{plat}-glibc" / "deno",
        BENCH / "node_modules" / "deno" / "deno",
        BENCH / "node_modules" / ".bin" / "deno",
    ):
        if cand.exists() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def our_kernel_env(root: Path = ROOT) -> dict[str, str]:
    """The environment our kernel.json gives the kernel (src/kernelspec/kernel_env.ts): ours is
    launched as Jupyter launches it."""
    module = root / "dist" / "kernelspec" / "kernel_env.js"
    if not module.exists():
        return {}
    code = f"import({json.dumps(module.as_uri())}).then(m => process.stdout.write(JSON.stringify(m.KERNEL_ENV)))"
    try:
        return json.loads(subprocess.run([NODE, "-e", code], capture_output=True, text=True, timeout=30).stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}


def kernel_table() -> dict[str, dict]:
    deno = _deno_binary() or "deno"
    tslab = BENCH / "node_modules" / "tslab" / "bin" / "tslab"
    return {
        "ours": {
            "label": "ts-async-kernel (ours)",
            "argv": [NODE, str(ROOT / "dist" / "cli" / "main.js"), "start", "-f", "{conn}"],
            "env": our_kernel_env(),
            "lang": "js",
            "needs": ROOT / "dist" / "cli" / "main.js",
            "interrupt_mode": "message",  # the default of our kernelspec (src/kernelspec)
            "widgets": True,
        },
        # The same kernel with GTK's main loop owning its main thread and libuv as its guest
        # (docs/event_loop.md); no display needed: only windows need one.
        "ours_gtk": {
            "label": "ts-async-kernel, GTK host (--loop gtk)",
            "argv": [NODE, str(ROOT / "dist" / "cli" / "main.js"), "start", "-f", "{conn}", "--loop", "gtk"],
            "env": our_kernel_env(),
            "lang": "js",
            "needs": ROOT / "native" / "gtk" / "build" / "Release" / "ts_async_gtk.node",
            "interrupt_mode": "message",
            "widgets": True,
        },
        # ... and with Tcl's event loop owning it (the Tk host)
        "ours_tk": {
            "label": "ts-async-kernel, Tk host (--loop tk)",
            "argv": [NODE, str(ROOT / "dist" / "cli" / "main.js"), "start", "-f", "{conn}", "--loop", "tk"],
            "env": our_kernel_env(),
            "lang": "js",
            "needs": ROOT / "native" / "tk" / "build" / "Release" / "ts_async_tk.node",
            "interrupt_mode": "message",
            "widgets": True,
        },
        "floor": {
            "label": "floor (zeromq.js do-nothing)",
            "argv": [NODE, str(BENCH / "floor.mjs"), "-f", "{conn}"],
            "lang": "js",
            "no_stream": True,
        },
        # The floor's variants (reference rows, no targets): what the protocol and design §3 cost
        # before any of our code runs. See floor.mjs and docs/performance.md.
        "floor_owed": {
            "label": "floor + execute_input/result (5 messages)",
            "argv": [NODE, str(BENCH / "floor.mjs"), "-f", "{conn}", "--owed"],
            "lang": "js",
            "no_stream": True,
        },
        "floor_design": {
            "label": "floor + 5 messages + I/O thread (design §3)",
            "argv": [NODE, str(BENCH / "floor.mjs"), "-f", "{conn}", "--owed", "--io-thread"],
            "lang": "js",
            "no_stream": True,
        },
        "deno": {
            "label": "Deno `deno jupyter`",
            "argv": [deno, "jupyter", "--kernel", "--conn", "{conn}"],
            "lang": "js",
            "env": {"DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"},
        },
        "tslab": {
            "label": "tslab (TypeScript)",
            "argv": [NODE, str(tslab), "kernel", "--config-path", "{conn}"],
            "lang": "js",
            # tslab type-checks every cell; it finds @types/node (for `console`) only from a
            # directory whose node_modules has it, as a notebook folder with tslab installed would
            "cwd": BENCH,
            "needs": tslab,
        },
        "ipykernel": {
            "label": "ipykernel",
            "argv": [PY, "-m", "ipykernel_launcher", "-f", "{conn}"],
            "lang": "py",
            "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
            "widgets": True,  # ipywidgets, pinned in bench/requirements.txt
        },
        "async": {
            "label": "async-kernel",
            "argv": [PY, "-m", "async_kernel", "start", "--connection_file={conn}", "--name=async"],
            "lang": "py",
            "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
            "interrupt_mode": "message",  # what `async-kernel install` writes into kernel.json
            "widgets": True,
        },
    }


ALL_KERNELS = ["ours", "ours_gtk", "ours_tk", "floor", "floor_owed", "floor_design", "deno", "tslab", "ipykernel", "async"]


def run_out(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def pkg_version(path: Path) -> str:
    try:
        return json.loads(path.read_text())["version"]
    except Exception:  # noqa: BLE001
        return "?"


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def versions() -> dict[str, str]:
    deno = _deno_binary()
    git = run_out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) or "no commit"
    dirty = run_out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"])
    deno_v = (run_out([deno, "--version"]).split() or ["", "?"]) if deno else ["", "missing"]
    return {
        "ours": f"{pkg_version(ROOT / 'package.json')} ({git}{', src uncommitted' if dirty else ''})",
        "ours_gtk": f"GTK {run_out(['pkg-config', '--modversion', 'gtk+-3.0']) or '?'}",
        "ours_tk": f"Tk {run_out(['pkg-config', '--modversion', 'tk']) or '?'}",
        "floor": f"zeromq {pkg_version(ROOT / 'node_modules' / 'zeromq' / 'package.json')}",
        "floor_owed": f"zeromq {pkg_version(ROOT / 'node_modules' / 'zeromq' / 'package.json')}",
        "floor_design": f"zeromq {pkg_version(ROOT / 'node_modules' / 'zeromq' / 'package.json')}",
        "deno": deno_v[1] if len(deno_v) > 1 else "?",
        "tslab": pkg_version(BENCH / "node_modules" / "tslab" / "package.json"),
        "ipykernel": _dist_version("ipykernel"),
        "async": _dist_version("async-kernel"),
        "node": run_out([NODE, "--version"]),
        "python": platform.python_version(),
        "pyzmq": zmq.__version__,
        "libzmq": zmq.zmq_version(),
        "jupyter_client": _dist_version("jupyter_client"),
    }


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except Exception:  # noqa: BLE001
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
    }
