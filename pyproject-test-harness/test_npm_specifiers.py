"""`npm:` specifiers (as Deno runs them) against the real kernel, the real npm and the real npm
registry: the kernel installs a package that is not installed into its cache (here a temp dir,
`TS_ASYNC_KERNEL_CACHE_DIR`), with npm's progress on the cell's stderr, once; its types reach
completion; a package that does not exist, an unreachable registry, auto-install turned off (env
var and install option) and `jsr:` / `https:` give clear errors; an interrupt during an install
kills npm and leaves nothing behind that a later import would use.

The kernels run in a temp folder (the notebook's folder) with no node_modules above it, except
where a test writes one. Packages: is-odd@3 (tiny, no types of its own: the install adds
@types/is-odd) and left-pad@1 (tiny, ships its own types).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import describe, run_cli
from kernel_helpers import TIMEOUT, Execution, execute, get_reply, quiet_client, running_kernel

pytestmark = pytest.mark.timeout(240)

# An install talks to the registry: generous, as the harness's other deadlines are.
INSTALL_TIMEOUT = 120.0


def stderr_of(ex: Execution) -> str:
    return "".join(m["content"]["text"] for m in ex.of_type("stream") if m["content"]["name"] == "stderr")


def error_of(ex: Execution) -> dict[str, Any]:
    assert ex.content["status"] == "error", f"expected an error: {ex.describe()}"
    errors = ex.of_type("error")
    assert errors, ex.describe()
    return errors[0]["content"]


def kernel_env(cache: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "TS_ASYNC_KERNEL_CACHE_DIR": str(cache)}
    env.pop("TS_ASYNC_KERNEL_NPM_INSTALL", None)
    return {**env, **extra}


def entries(cache: Path) -> list[str]:
    """Cache entries and leftovers in the cache's npm folder."""
    npm = cache / "npm"
    return sorted(p.name for p in npm.iterdir()) if npm.is_dir() else []


def npm_children(kernel_pid: int) -> list[str]:
    """Command lines of the kernel's child processes that are npm (npm renames itself to
    `npm install <args>`, so it is found by its parent, not by its arguments)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split(" ")[1])
        if ppid == kernel_pid and "npm" in cmdline:
            found.append(cmdline)
    return found


def wait_until(check, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def nb(tmp_path_factory: pytest.TempPathFactory):
    """A kernel in a fresh notebook folder with its own cache, after its first `npm:` import."""
    root = tmp_path_factory.mktemp("npm-nb")
    cwd, cache = root / "notebook", root / "cache"
    cwd.mkdir()
    with running_kernel("ts-async", start_kwargs={"cwd": str(cwd), "env": kernel_env(cache)}) as (km, kc):
        first = execute(kc, 'import isOdd from "npm:is-odd@3";\nisOdd(3)', timeout=INSTALL_TIMEOUT)
        yield {"km": km, "kc": kc, "cwd": cwd, "cache": cache, "first": first}


@pytest.fixture
def kc(nb):
    return quiet_client(nb["km"], nb["kc"])


def test_first_import_installs_into_the_cache_with_progress_on_stderr(nb) -> None:
    first = nb["first"]
    assert first.content["status"] == "ok", first.describe()
    assert first.result_text == "true", first.describe()
    err = stderr_of(first)
    entry = nb["cache"] / "npm" / "is-odd@3"
    assert f"npm: installing is-odd@3 into {entry}" in err, err
    assert "npm http fetch GET 200" in err, err  # npm's own progress lines, streamed
    assert "npm: installed is-odd@3." in err, err
    # A complete entry (marker written last), nothing else left in the cache folder.
    assert entries(nb["cache"]) == ["is-odd@3"], entries(nb["cache"])
    marker = json.loads((entry / ".ts-async-kernel-entry.json").read_text())
    assert marker["name"] == "is-odd" and marker["version"].startswith("3."), marker
    assert (entry / "node_modules" / "@types" / "is-odd" / "index.d.ts").is_file(), "no @types/is-odd for completion"
    assert not (nb["cwd"] / "node_modules").exists(), "the notebook's folder was written to"


def test_the_same_package_again_is_not_installed_again(kc, nb) -> None:
    code = ('import odd2 from "npm:is-odd@3";\n'
            'const viaDynamic = await import("npm:is-odd@^3.0");\n'
            '[odd2(2), viaDynamic.default === odd2, require("npm:is-odd@3") === odd2]')
    ex = execute(kc, code, timeout=INSTALL_TIMEOUT)
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.result_text == "[ false, true, true ]", ex.describe()
    # `^3.0` is met by the `3` entry: shared, no second install.
    assert "npm:" not in stderr_of(ex) and "npm http" not in stderr_of(ex), stderr_of(ex)
    assert entries(nb["cache"]) == ["is-odd@3"]


def test_another_kernel_uses_the_cache(nb, tmp_path: Path) -> None:
    with running_kernel("ts-async", start_kwargs={"cwd": str(tmp_path), "env": kernel_env(nb["cache"])}) as (_, kc):
        ex = execute(kc, 'import isOdd from "npm:is-odd@3";\nisOdd(7)', timeout=INSTALL_TIMEOUT)
    assert ex.content["status"] == "ok" and ex.result_text == "true", ex.describe()
    assert stderr_of(ex) == "", stderr_of(ex)


def test_types_of_an_npm_package_reach_completion_and_inspection(kc, nb) -> None:
    # Only the types (@types/is-odd: `isOdd(value: number | string): boolean`) know that `v` is a
    # number here: the code has not run, so the live objects cannot say.
    code = "const v: Parameters<typeof isOdd>[0] = 1;\nv.toFix"
    deadline = time.monotonic() + 30
    while True:  # the language service warms up in its own thread
        reply = get_reply(kc, kc.complete(code, len(code)))["content"]
        if "toFixed" in reply["matches"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert reply["status"] == "ok" and reply["matches"] == ["toFixed"], reply
    reply = get_reply(kc, kc.inspect("isOdd", 5, 0))["content"]
    assert reply["found"], reply
    assert "boolean" in reply["data"]["text/plain"], reply


def test_a_package_that_does_not_exist(kc) -> None:
    name = "tsak-no-such-package-f3c9a1"
    ex = execute(kc, f'import nothing from "npm:{name}@1";', timeout=INSTALL_TIMEOUT)
    err = error_of(ex)
    assert f"npm: package '{name}' not found in the registry" in err["evalue"], err
    assert err["ename"] == "NpmInstallError", err
    # The kernel goes on, and the failed install left nothing.
    assert execute(kc, "1 + 1").result_text == "2"


def test_an_unreachable_registry_names_the_package_and_the_command(kc, nb) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (f'process.env.npm_config_registry = "http://127.0.0.1:{port}/";\n'
            'process.env.npm_config_fetch_retries = "0";\n'
            'try { await import("npm:left-pad@1") }\n'
            'finally { delete process.env.npm_config_registry; delete process.env.npm_config_fetch_retries }')
    ex = execute(kc, code, timeout=INSTALL_TIMEOUT)
    err = error_of(ex)
    assert "cannot reach the registry to install 'left-pad@1'" in err["evalue"], err
    assert f'cd "{nb["cwd"]}" && npm install left-pad@1' in err["evalue"], err
    assert not any(e.startswith("left-pad") or e.startswith(".tmp-") for e in entries(nb["cache"])), entries(nb["cache"])


def test_jsr_and_url_specifiers_say_what_is_supported(kc) -> None:
    for code in ['import { join } from "jsr:@std/path@1";', 'await import("jsr:@std/path")', 'require("jsr:@std/path")']:
        err = error_of(execute(kc, code))
        assert "jsr: specifiers (the JSR registry) are not supported" in err["evalue"], (code, err)
        assert "npm: specifiers" in err["evalue"] and "node_modules" in err["evalue"], err
        assert "npx jsr add @std/path" in err["evalue"], err
    for code in ['import x from "https://esm.sh/left-pad@1";', 'await import("http://example.com/x.js")']:
        err = error_of(execute(kc, code))
        assert "URL imports (http:, https:) are not supported" in err["evalue"], (code, err)
        assert "npm: specifiers" in err["evalue"], err


def test_bad_npm_specifiers_are_refused_before_npm_runs(kc, nb) -> None:
    for spec in ["npm:--global", "npm:left-pad@file:../x", "npm:@scope", "npm:left-pad@"]:
        ex = execute(kc, f'await import("{spec}")')
        err = error_of(ex)
        assert err["ename"] == "NpmSpecifierError" and f"Invalid npm: specifier '{spec}'" in err["evalue"], err
        assert stderr_of(ex) == "", stderr_of(ex)


def test_require_does_not_install(kc, nb) -> None:
    err = error_of(execute(kc, 'require("npm:left-pad@1")'))
    assert "npm: package 'left-pad@1' is not installed" in err["evalue"], err
    assert 'import it once (import x from "npm:left-pad@1"' in err["evalue"], err
    assert not any(e.startswith("left-pad") for e in entries(nb["cache"]))


def test_a_file_the_cell_imports_may_import_an_installed_npm_package(kc, nb) -> None:
    (nb["cwd"] / "odd_helper.ts").write_text(
        'import isOdd from "npm:is-odd@3";\nexport const oddOnes = (xs: number[]) => xs.filter((x) => isOdd(x));\n')
    ex = execute(kc, 'import { oddOnes } from "./odd_helper.ts";\noddOnes([1, 2, 3])')
    assert ex.content["status"] == "ok" and ex.result_text == "[ 1, 3 ]", ex.describe()
    (nb["cwd"] / "pad_helper.ts").write_text('import leftPad from "npm:left-pad@1";\nexport const pad = leftPad;\n')
    err = error_of(execute(kc, 'import { pad } from "./pad_helper.ts";'))
    assert "npm: package 'left-pad@1'" in err["evalue"] and "is not installed" in err["evalue"], err
    assert 'run a cell with import "npm:left-pad@1" once' in err["evalue"], err


class StalledRegistry:
    """A registry that accepts connections and never answers: npm waits (its fetch timeout is
    minutes) until it is killed."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/"
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.server.accept()
                self.held.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def stalled() -> Iterator[StalledRegistry]:
    registry = StalledRegistry()
    yield registry
    registry.close()


def test_interrupt_during_an_install_kills_npm_and_leaves_nothing(kc, nb, stalled: StalledRegistry) -> None:
    from kernel_helpers import collect_iopub, kernel_process

    km = nb["km"]
    kernel_pid = kernel_process(km).pid
    code = (f'process.env.npm_config_registry = "{stalled.url}";\n'
            'try { await import("npm:left-pad@1") } finally { delete process.env.npm_config_registry }')
    msg_id = kc.execute(code)
    # npm is running and has asked the registry.
    wait_until(lambda: npm_children(kernel_pid), "npm started", timeout=30)
    wait_until(lambda: stalled.held, "npm connected to the registry", timeout=30)
    km.interrupt_kernel()
    reply = get_reply(kc, msg_id, timeout=30)["content"]
    iopub = collect_iopub(kc, msg_id)
    assert reply["status"] == "error" and reply["ename"] == "KernelInterrupt", reply
    assert "npm: installing left-pad@1" in "".join(
        m["content"]["text"] for m in iopub if m["msg_type"] == "stream"), iopub
    wait_until(lambda: not npm_children(kernel_pid), "npm killed after the interrupt", timeout=30)
    wait_until(lambda: not any(e.startswith(".tmp-") for e in entries(nb["cache"])), "the temporary folder removed")
    assert not any(e.startswith("left-pad") for e in entries(nb["cache"])), entries(nb["cache"])
    # The registry works again: the next import installs afresh (nothing half-made is used).
    ex = execute(kc, 'import leftPad from "npm:left-pad@1";\nleftPad("7", 3, "0")', timeout=INSTALL_TIMEOUT)
    assert ex.content["status"] == "ok" and ex.result_text == "'007'", ex.describe()
    assert "npm: installing left-pad@1" in stderr_of(ex), stderr_of(ex)


def test_auto_install_off_by_env_var(tmp_path: Path) -> None:
    cwd, cache = tmp_path / "notebook", tmp_path / "cache"
    # A package of the notebook's own node_modules is used as Node would use it, install or not.
    local = cwd / "node_modules" / "tsak-local-only"
    local.mkdir(parents=True)
    (local / "package.json").write_text(json.dumps({"name": "tsak-local-only", "version": "1.2.3", "main": "index.js"}))
    (local / "index.js").write_text('module.exports = "the notebook\'s copy";\n')
    env = kernel_env(cache, TS_ASYNC_KERNEL_NPM_INSTALL="off")
    with running_kernel("ts-async", start_kwargs={"cwd": str(cwd), "env": env}) as (_, kc):
        ex = execute(kc, 'import local from "npm:tsak-local-only@^1.2";\nlocal')
        assert ex.content["status"] == "ok" and ex.result_text == "\"the notebook's copy\"", ex.describe()
        err = error_of(execute(kc, 'import leftPad from "npm:left-pad@1";'))
        assert "npm: package 'left-pad@1' is not installed" in err["evalue"], err
        assert "automatic installs are off" in err["evalue"] and "TS_ASYNC_KERNEL_NPM_INSTALL=off" in err["evalue"], err
        assert f'cd "{cwd}" && npm install left-pad@1' in err["evalue"], err
        # A version the notebook's copy does not meet is not taken from it.
        err = error_of(execute(kc, 'await import("npm:tsak-local-only@2")'))
        assert "npm: package 'tsak-local-only@2' is not installed" in err["evalue"], err
    assert entries(cache) == [], entries(cache)


def test_auto_install_off_by_install_option(installed_kernelspecs, tmp_path: Path) -> None:
    name = "ts-async-no-npm"
    proc = run_cli("install", "--prefix", str(installed_kernelspecs.prefix), "--name", name, "--no-npm-install")
    assert proc.returncode == 0, describe(proc)
    spec = json.loads((installed_kernelspecs.kernels_dir / name / "kernel.json").read_text())
    assert "--no-npm-install" in spec["argv"], spec
    cache = tmp_path / "cache"
    with running_kernel(name, start_kwargs={"cwd": str(tmp_path), "env": kernel_env(cache)}) as (_, kc):
        err = error_of(execute(kc, 'import leftPad from "npm:left-pad@1";'))
        assert "automatic installs are off (--no-npm-install" in err["evalue"], err
        # A `// thread` cell's Shell has the option too.
        err = error_of(execute(kc, '// thread\nawait import("npm:left-pad@1")', timeout=30))
        assert "automatic installs are off" in err["evalue"], err
    assert entries(cache) == [], entries(cache)
