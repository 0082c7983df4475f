"""The npm package as users get it: packed from a fresh copy of the repository (no dist/, so the
`prepack` script has to build it), installed from the tarball into a temporary project, the
kernel registered from that install, a notebook run on it, and every `exports` entry imported,
run and type-checked (tsc, against the shipped .d.ts) by a small ESM project.

Nothing here uses the repository's own dist/: the kernel and the entries all come from the
tarball. npm installs the package's dependencies from npm's cache (`npm ci` filled it), else from
the registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conftest import EXAMPLES_DIR, REPO_DIR

pytestmark = pytest.mark.timeout(240)

PACKED_KERNEL = "ts-async-packed"


def npm_env() -> dict[str, str]:
    """The environment without what `npm test` hands its children about the repository's own
    package (npm_config_local_prefix would make `npm install` write into the repository)."""
    keep = {"npm_config_cache", "npm_config_cafile", "npm_config_userconfig", "npm_config_globalconfig",
            "npm_config_registry"}
    return {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_") or k.lower() in keep}


def sh(cmd: list[str], cwd: Path, timeout: float = 120, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env if env is not None else npm_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (f"{cmd!r} in {cwd} exited {proc.returncode}\n"
                                  f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc.stdout


def fresh_copy(into: Path) -> None:
    """The files a fresh clone has (tracked, plus new files not ignored yet), with the
    repository's node_modules linked in for the build tools."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO_DIR, capture_output=True, check=True).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO_DIR / rel
        if src.is_symlink() or not src.is_file():  # the harness venv link; files deleted in the work tree
            continue
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, into / rel)
    assert not (into / "dist").exists()
    (into / "node_modules").symlink_to(REPO_DIR / "node_modules", target_is_directory=True)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    fresh_copy(source)
    sh(["npm", "pack", "--pack-destination", str(root)], cwd=source)  # its stdout has the build's lines too
    [tarball] = root.glob("*.tgz")
    project = root / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "consumer", "private": True, "type": "module"}))
    sh(["npm", "install", "--prefix", str(project), "--prefer-offline", "--no-audit", "--no-fund", str(tarball)],
       cwd=project, timeout=180)
    with tarfile.open(tarball) as tar:
        files = {name.removeprefix("package/") for name in tar.getnames()}
    return {"root": root, "tarball": tarball, "files": files, "project": project,
            "installed": project / "node_modules" / "ts-async-kernel",
            "manifest": json.loads((source / "package.json").read_text())}


def export_targets(manifest: dict[str, Any]) -> set[str]:
    targets: set[str] = set()
    for entry in manifest["exports"].values():
        for target in (entry.values() if isinstance(entry, dict) else [entry]):
            targets.add(target.removeprefix("./"))
    return targets


def test_the_tarball_holds_every_entry_the_cli_and_the_runtime_and_nothing_of_the_sources(package) -> None:
    files, manifest = package["files"], package["manifest"]
    assert set(manifest.get("exports", {})) == {".", "./display", "./event_loop", "./caller", "./comm", "./widgets",
                                        "./client", "./gtk", "./tk", "./package.json"}
    missing = export_targets(manifest) - files
    assert not missing, f"exports name files the tarball lacks: {sorted(missing)}"
    assert "main" not in manifest or manifest["main"].removeprefix("./") in files
    runtime = {
        manifest["bin"]["ts-async-kernel"],  # the CLI
        "dist/io/worker.bundle.js",  # the I/O worker (rolldown)
        "dist/language/worker.js", "dist/caller/worker.js", "dist/kernel/sigint_worker.js",  # other threads
        "dist/kernel/thread_cells/thread_shell.js",  # what a // thread cell's thread loads
        "dist/shell/module_hooks.js",  # the loader hooks (Node's hooks thread)
        "kernelspec/logo-32x32.png", "kernelspec/logo-64x64.png", "kernelspec/logo-svg.svg",
        # the toolkit hosts' addons, built where they are installed (scripts/build_addons.mjs)
        "native/common/node_guest.h", "native/gtk/binding.gyp", "native/gtk/ts_async_gtk.c",
        "native/tk/binding.gyp", "native/tk/ts_async_tk.c", "scripts/build_addons.mjs",
    }
    assert not runtime - files, f"missing: {sorted(runtime - files)}"
    strays = sorted(f for f in files if f.startswith(("src/", "test/", "bench/", "examples/", "pyproject-test-harness/"))
                    or (f.endswith((".map", ".test.js", ".ts")) and not f.endswith(".d.ts")))
    assert not strays, f"the tarball holds sources or tests: {strays[:10]}"
    built = sorted(f for f in files if f.startswith("native/") and "/build/" in f)
    assert not built, f"the tarball holds a build of an addon (one machine's): {built[:5]}"


def test_a_kernel_registered_from_the_tarball_runs_a_notebook(package, tmp_path: Path, monkeypatch) -> None:
    from nbclient import NotebookClient

    from kernel_helpers import running_kernel

    data_dir = tmp_path / "jupyter"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data_dir))
    cli = package["project"] / "node_modules" / ".bin" / "ts-async-kernel"
    sh([str(cli), "install", "--user", "--name", PACKED_KERNEL], cwd=tmp_path)
    spec = json.loads((data_dir / "kernels" / PACKED_KERNEL / "kernel.json").read_text())
    assert spec["argv"][1] == str(package["installed"] / "dist" / "cli" / "main.js"), spec["argv"]
    assert {"logo-32x32.png", "logo-64x64.png"} <= {p.name for p in (data_dir / "kernels" / PACKED_KERNEL).iterdir()}

    # examples/hello.ipynb, and cells that need the rest of the runtime: the loader hooks (a .ts
    # file next to the notebook), the ts-async-kernel module, a thread cell (Caller worker).
    notebook_dir = tmp_path / "notebook"
    notebook_dir.mkdir()
    (notebook_dir / "util.ts").write_text("export const twice = (n: number): number => n * 2;\n")
    nb = nbformat.read(str(EXAMPLES_DIR / "hello.ipynb"), as_version=4)
    nb.cells += [
        nbformat.v4.new_code_cell('import { twice } from "./util.ts";\ntwice(21)'),
        nbformat.v4.new_code_cell('import { display as d, widgets as w } from "ts-async-kernel";\n'
                                  "[d === display, typeof w.IntSlider]"),
        nbformat.v4.new_code_cell('// thread\nconst { isMainThread } = await import("node:worker_threads");\n'
                                  "isMainThread"),
    ]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(nb, kernel_name=PACKED_KERNEL, timeout=60, startup_timeout=30,
                   resources={"metadata": {"path": str(notebook_dir)}}).execute()
    outputs = [cell.outputs for cell in nb.cells if cell.cell_type == "code"]

    def results(outs) -> list[str]:
        return [o.data["text/plain"] for o in outs if o.output_type == "execute_result"]

    errors = [o for outs in outputs for o in outs if o.output_type == "error"]
    assert not errors, errors
    assert [o.text for o in outputs[0] if o.output_type == "stream"] == ["hello, world\n"]
    assert results(outputs[1]) == ["5"] and results(outputs[2]) == ["42"]
    assert [o.data.get("text/html") or o.data.get("text/markdown") for o in outputs[3]] == [
        "<b>bold</b> from a cell", "*markdown* too"]
    assert results(outputs[4]) == ["'function'"]
    assert results(outputs[5]) == ["42"]
    assert results(outputs[6]) == ["[ true, 'function' ]"]
    assert results(outputs[7]) == ["false"]

    # Completion from the language service (TypeScript's lib files, from the installed package's
    # dependencies): a member only the types know, as the runtime has no value `p`.
    from kernel_helpers import get_reply

    with running_kernel(PACKED_KERNEL) as (_km, kc):
        code = "interface P { xylophone: number }\ndeclare const p: P;\np.xy"
        deadline = time.monotonic() + 30  # the service warms up for a second or two after a start
        while True:
            reply = get_reply(kc, kc.complete(code, len(code)))["content"]
            if reply["matches"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert reply["matches"] == ["xylophone"], reply


CONSUMER = """\
import { run, Host, backendNames, nodeBackend, type RunSettings } from "ts-async-kernel/event_loop";
import { Caller, PendingCancelled, type Callable } from "ts-async-kernel/caller";
import { Comm, registerCommTarget, type CommMessage } from "ts-async-kernel/comm";
import { IntSlider, Widget } from "ts-async-kernel/widgets";
import { Window, Button } from "ts-async-kernel/gtk";
import { tk } from "ts-async-kernel/tk";
import { display, input, Caller as KernelCaller, widgets, type Display, type DisplayCallOptions } from "ts-async-kernel";
import * as displayModule from "ts-async-kernel/display";
import { KernelClient, launchKernel, type ExecuteResult } from "ts-async-kernel/client";
import manifest from "ts-async-kernel/package.json" with { type: "json" };

const settings: RunSettings = { backend: "node" };
const sum: number = await run(async (a: number, b: number) => a + b, [40, 2], settings);
// @ts-expect-error: run gives what the function returns (a number), checked from the shipped .d.ts
const notAString: string = await run(async () => 1, []);
const join: Callable<[string, string], string> = { module: "node:path", export: "join" };
const joined: string = await Caller.toThread(join, "a", "b");
const options: DisplayCallOptions = { raw: true };
const show: Display = display;
const onMessage = (msg: CommMessage): unknown => msg.content.data;
let widgetError = "";
let gtkError = "";
let tkError = "";
try {
  tk.call("button", ".b", "-text", "x");
} catch (err) {
  tkError = (err as Error).message;
}
try {
  new Window({ title: "x" }).add(new Button("b"));
} catch (err) {
  gtkError = (err as Error).message;
}
try {
  new IntSlider({ value: 3 });
} catch (err) {
  widgetError = (err as Error).message;
}
console.log(JSON.stringify({
  sum, notAString, joined, backends: backendNames(), nodeBackend: typeof nodeBackend.run,
  noHost: Host.current() === undefined, sameCaller: KernelCaller === Caller,
  sameDisplay: displayModule.display === display, sameWidgets: widgets.IntSlider === IntSlider,
  cancelled: new PendingCancelled("x") instanceof Error, comm: typeof Comm, target: typeof registerCommTarget,
  widget: typeof Widget, input: typeof input, options, show: typeof show.html, handler: typeof onMessage, widgetError,
  gtkError: gtkError.includes("--loop gtk"), tkError: tkError.includes("--loop tk"),
  version: manifest.version, fromClient: await askAKernel(),
}));

// a kernel of the installed package, started and asked through the public client
async function askAKernel(): Promise<unknown> {
  const kernel = await launchKernel({ env: { ...process.env, TS_ASYNC_KERNEL_HISTORY: "off" } });
  const client = new KernelClient(kernel.connection);
  try {
    client.connect();
    await client.waitForReady();
    const done: ExecuteResult = await client.execute("const n: number = 6; n * 7");
    const result = done.outputs.find((m) => m.header.msg_type === "execute_result");
    await client.request("shutdown_request", { restart: false }, "control");
    return (result?.content as { data: Record<string, string> } | undefined)?.data["text/plain"];
  } finally {
    client.close();
    kernel.dispose();
  }
}
"""

TSCONFIG = {"compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": True,
    "types": ["node"], "resolveJsonModule": True, "outDir": "out", "rootDir": ".", "skipLibCheck": False,
}, "files": ["consumer.ts"]}


def test_every_entry_imports_runs_and_type_checks_against_the_shipped_declarations(package) -> None:
    project = package["project"]
    (project / "consumer.ts").write_text(CONSUMER)
    (project / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    # typescript and @types/node are the package's own dependencies, installed with it.
    sh(["node", str(project / "node_modules" / "typescript" / "bin" / "tsc"), "-p", "."], cwd=project)
    out = json.loads(sh(["node", "out/consumer.js"], cwd=project))
    assert out == {
        "sum": 42, "notAString": 1, "joined": "a/b", "backends": ["node"], "nodeBackend": "function",
        "noHost": True, "sameCaller": True, "sameDisplay": True, "sameWidgets": True, "cancelled": True,
        "comm": "function", "target": "function", "widget": "function", "input": "function",
        "options": {"raw": True}, "show": "function", "handler": "function", "widgetError": "comms need a running kernel",
        "gtkError": True, "tkError": True, "version": package["manifest"]["version"], "fromClient": "42",
    }, out


def test_the_installed_package_builds_the_gtk_addon_and_runs_on_the_gtk_host(package) -> None:
    """Where GTK's headers are: the installed package builds its addon in place, and its
    event-loop entry then runs a function on the GTK host."""
    have_gtk = subprocess.run(["pkg-config", "--exists", "gtk+-3.0"]).returncode == 0
    if not have_gtk:
        if os.environ.get("TS_ASYNC_KERNEL_REQUIRE_GTK") == "1":
            pytest.fail("GTK 3's headers are missing (TS_ASYNC_KERNEL_REQUIRE_GTK=1)", pytrace=False)
        pytest.skip("GTK 3's headers are not installed (apt-get install libgtk-3-dev)")
    installed = package["installed"]
    sh(["node", str(installed / "scripts" / "build_addons.mjs"), "gtk"], cwd=package["project"])
    assert (installed / "native" / "gtk" / "build" / "Release" / "ts_async_gtk.node").is_file()
    script = ('import { run, Host } from "ts-async-kernel/event_loop";\n'
              'console.log(await run(async () => Host.describe().loop, [], { loop: "gtk" }));\n')
    (package["project"] / "on_gtk.mjs").write_text(script)
    env = {k: v for k, v in npm_env().items() if k != "TS_ASYNC_KERNEL_GTK_ADDON"}
    assert sh(["node", "on_gtk.mjs"], cwd=package["project"], env=env).strip() == "gtk"
