"""pytest configuration for the ts-async-kernel harness.

Everything here drives the REAL kernel process (``node dist/cli/main.js``).

* ``pytest_configure`` (runs before any test module, hence before jupyter_kernel_test's
  ``setUpClass``) makes a private temporary Jupyter tree and points ``JUPYTER_PATH``,
  ``JUPYTER_DATA_DIR``, ``JUPYTER_RUNTIME_DIR``, ``JUPYTER_CONFIG_DIR`` and ``IPYTHONDIR``
  at it, so nothing from the user's machine is used and nothing is written outside it; the
  kernel's own cache (``TS_ASYNC_KERNEL_CACHE_DIR``: packages of ``npm:`` imports) too.
* the session-scoped autouse fixture ``installed_kernelspecs`` installs our two kernelspecs
  with OUR CLI (never with Python's kernelspec tools):
    - ``ts-async``         (interrupt_mode "message")
    - ``ts-async-signal``  (interrupt_mode "signal": interrupts arrive as SIGINT)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

HARNESS_DIR = Path(__file__).resolve().parent
REPO_DIR = HARNESS_DIR.parent
MAIN_JS = REPO_DIR / "dist" / "cli" / "main.js"

KERNEL_NAME = "ts-async"
KERNEL_DISPLAY_NAME = "TypeScript (async)"
SIGNAL_KERNEL_NAME = "ts-async-signal"
SIGNAL_KERNEL_DISPLAY_NAME = "TypeScript (async, SIGINT)"

# Filled in by pytest_configure.
TMP_ROOT: Path | None = None


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise pytest.UsageError("`node` is not on PATH: the kernel needs Node.js >= 20")
    return node


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
            cwd: str | os.PathLike[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``node dist/cli/main.js <args>`` and return the completed process (never raises on
    a non-zero exit; callers assert on it so the failure message shows stdout and stderr).

    The command gets its own process group (killed whole on timeout) and a TMPDIR inside the
    harness's temp tree, so kernels it launches are found by the end-of-session sweep."""
    env = dict(env if env is not None else os.environ)
    if TMP_ROOT is not None:
        tmpdir = TMP_ROOT / "tmp"
        tmpdir.mkdir(exist_ok=True)
        env["TMPDIR"] = str(tmpdir)
    cmd = [node_executable(), str(MAIN_JS), *args]
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(
            f"command {cmd!r} did not finish within {timeout}s (killed)\n"
            f"--- stdout ---\n{out}\n--- stderr ---\n{err}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    return (f"command {proc.args!r} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")


def pytest_configure(config: pytest.Config) -> None:
    global TMP_ROOT
    if not MAIN_JS.is_file():
        raise pytest.UsageError(
            f"{MAIN_JS} does not exist: build the kernel first (`npm run build` in {REPO_DIR}); "
            "the harness drives the built kernel process."
        )
    TMP_ROOT = Path(tempfile.mkdtemp(prefix="ts-async-harness-"))
    env = {
        "JUPYTER_PATH": str(TMP_ROOT / "share" / "jupyter"),
        "JUPYTER_DATA_DIR": str(TMP_ROOT / "data"),
        "JUPYTER_RUNTIME_DIR": str(TMP_ROOT / "runtime"),
        "JUPYTER_CONFIG_DIR": str(TMP_ROOT / "config"),
        "IPYTHONDIR": str(TMP_ROOT / "ipython"),
        # Nothing from the invoking user's config or environment may leak into kernel lookup.
        "JUPYTER_PLATFORM_DIRS": "1",
        # `npm:` imports (examples/npm_imports.ipynb among them) install into a cache of this run.
        "TS_ASYNC_KERNEL_CACHE_DIR": str(TMP_ROOT / "kernel-cache"),
    }
    for name, value in env.items():
        os.environ[name] = value
    for name in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    config.addinivalue_line("markers", "kernel: drives a real kernel process")


LEAKED: list[str] = []


def leftover_kernel_processes() -> list[tuple[int, str]]:
    """Processes running our CLI whose command line names this session's temp tree: kernels
    started by this harness (directly, by jupyter_client, jupyter console or `run`)."""
    found = []
    if TMP_ROOT is None or not Path("/proc").is_dir():
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(MAIN_JS) in cmdline and str(TMP_ROOT) in cmdline:
            found.append((int(entry.name), cmdline.strip()))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Every test stops what it started; anything still alive now is a leak: report and kill it.
    for pid, cmdline in leftover_kernel_processes():
        LEAKED.append(f"pid {pid}: {cmdline}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    from kernel_helpers import FIGURES

    if FIGURES:
        terminalreporter.section("figures measured by the load and hostile-input tests")
        for line in FIGURES:
            terminalreporter.line(line)
    if LEAKED:
        terminalreporter.section("kernel processes still running after the session (killed)")
        for line in LEAKED:
            terminalreporter.line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    if TMP_ROOT is not None and not os.environ.get("TS_ASYNC_HARNESS_KEEP_TMP"):
        shutil.rmtree(TMP_ROOT, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"ts-async-kernel: {MAIN_JS}", f"harness tmp (JUPYTER_PATH root): {TMP_ROOT}"]


@pytest.fixture(scope="session", autouse=True)
def installed_kernelspecs() -> SimpleNamespace:
    """Install both kernelspecs with our own CLI into <tmp>/share/jupyter/kernels."""
    assert TMP_ROOT is not None
    prefix = TMP_ROOT
    kernels_dir = prefix / "share" / "jupyter" / "kernels"

    proc = run_cli("install", "--prefix", str(prefix))
    assert proc.returncode == 0, "installing the default kernelspec failed:\n" + describe(proc)
    proc = run_cli(
        "install", "--prefix", str(prefix),
        "--name", SIGNAL_KERNEL_NAME,
        "--display-name", SIGNAL_KERNEL_DISPLAY_NAME,
        "--interrupt-mode", "signal",
    )
    assert proc.returncode == 0, "installing the SIGINT kernelspec failed:\n" + describe(proc)

    default_dir = kernels_dir / KERNEL_NAME
    signal_dir = kernels_dir / SIGNAL_KERNEL_NAME
    for d in (default_dir, signal_dir):
        assert (d / "kernel.json").is_file(), (
            f"`install --prefix {prefix}` did not write {d / 'kernel.json'}; "
            f"found: {sorted(str(p.relative_to(prefix)) for p in prefix.rglob('*'))}"
        )
    return SimpleNamespace(prefix=prefix, kernels_dir=kernels_dir,
                           default_dir=default_dir, signal_dir=signal_dir)


@pytest.fixture
def harness_tmp(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="module")
def shared_kernel():
    """One kernel for a test module's tests that leave it in a normal state (`quiet_client`)."""
    from kernel_helpers import running_kernel

    with running_kernel(KERNEL_NAME) as (km, kc):
        yield km, kc



EXAMPLES_DIR = REPO_DIR / "examples"


@pytest.fixture(scope="session")
def examples_node_modules() -> Path:
    """examples/node_modules from examples/package-lock.json: the example notebooks import their
    packages from there (the kernel resolves imports from the notebook's directory)."""
    if not (EXAMPLES_DIR / "node_modules").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is not on PATH: needed to install examples/package-lock.json"
        proc = subprocess.run([npm, "ci", "--prefix", str(EXAMPLES_DIR), "--no-audit", "--no-fund"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=80)
        assert proc.returncode == 0, describe(proc)
    return EXAMPLES_DIR / "node_modules"
