#!/usr/bin/env python3
"""How many cells of the style notebooks give the same output here as on the kernel they were
written for (docs/compat.md). Not a speed benchmark: a count of equal outputs.

  examples/deno_style.ipynb        on Deno's kernel (npm `deno`, bench/node_modules) and on ours
  examples/tslab_style.ipynb       on tslab (npm `tslab`, bench/node_modules) and on ours
  examples/ijavascript_style.ipynb on IJavascript, when --ijavascript names its lib/kernel.js
                                   (npm `ijavascript`, which needs zeromq 5 built against a libzmq)

Each notebook runs with nbclient, once per kernel, from a fresh kernel. A cell's outputs are
compared as nbformat stores them, after masking what differs between any two runs (UUIDs), in two
ways: "same" (every output equal: type, MIME bundle, stream text, error name and value) and "same
rich output" (the same with text/plain left out of bundles that have another MIME type, and
execute_result and display_data taken as one: what a notebook page shows). Results go to stdout
and to bench/results/compat.json.

Run with a Python that has nbclient (the harness's venv has it), after `npm run build` and
`npm ci --prefix bench`:
  pyproject-test-harness/.venv/bin/python bench/compat.py [--ijavascript PATH/lib/kernel.js]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
EXAMPLES = ROOT / "examples"
NODE = shutil.which("node") or "node"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def kernelspecs(root: Path, ijavascript: str | None) -> dict[str, Path]:
    """Kernelspecs in a private JUPYTER_PATH: ours (installed by our CLI) and the peers."""
    kernels = root / "share" / "jupyter" / "kernels"
    subprocess.run([NODE, str(ROOT / "dist" / "cli" / "main.js"), "install", "--prefix", str(root)], check=True,
                   stdout=subprocess.DEVNULL)
    deno = BENCH / "node_modules" / "deno" / "deno"
    tslab = BENCH / "node_modules" / "tslab" / "bin" / "tslab"
    peers = {
        "deno": {"argv": [str(deno), "jupyter", "--kernel", "--conn", "{connection_file}"], "language": "typescript",
                 "env": {"DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}},
        "tslab": {"argv": [NODE, str(tslab), "kernel", "--config-path", "{connection_file}"], "language": "typescript"},
    }
    if ijavascript:
        peers["ijavascript"] = {"argv": [NODE, ijavascript, "--hide-undefined", "{connection_file}", "--protocol=5.1"],
                                "language": "javascript"}
    for name, spec in peers.items():
        (kernels / name).mkdir(parents=True, exist_ok=True)
        (kernels / name / "kernel.json").write_text(json.dumps({"display_name": name, **spec}))
    return {"deno": deno, "tslab": tslab}


def run(path: Path, kernel: str, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, kernel_name=kernel, timeout=60, startup_timeout=60, allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except CellExecutionError:
        pass
    return nb


def masked(value):
    if isinstance(value, str):
        return UUID.sub("<uuid>", value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def normal(outputs, rich: bool) -> list:
    out = []
    for o in outputs:
        t = o["output_type"]
        if t == "stream":
            if out and out[-1][0] == "stream" and out[-1][1] == o["name"]:
                out[-1] = ("stream", o["name"], out[-1][2] + o["text"])
            else:
                out.append(("stream", o["name"], o["text"]))
        elif t in ("display_data", "execute_result"):
            data = dict(o["data"])
            if rich and len(data) > 1:
                data.pop("text/plain", None)
            out.append(("display" if rich else t, masked(data)))
        elif t == "error":
            out.append(("error", o["ename"], o["evalue"]))
    return out


def compare(name: str, peer: str, cwd_peer: Path, cwd_ours: Path) -> dict:
    path = EXAMPLES / name
    theirs = run(path, peer, cwd_peer)
    ours = run(path, "ts-async", cwd_ours)
    cells = []
    for a, b in zip(theirs.cells, ours.cells):
        if a.cell_type != "code":
            continue
        cells.append({
            "id": a.get("id"),
            "same": normal(a.outputs, False) == normal(b.outputs, False),
            "same_rich": normal(a.outputs, True) == normal(b.outputs, True),
            "theirs": normal(a.outputs, False),
            "ours": normal(b.outputs, False),
        })
    return {"notebook": name, "peer": peer, "cells": len(cells), "same": sum(c["same"] for c in cells),
            "same_rich": sum(c["same_rich"] for c in cells), "detail": cells}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ijavascript", help="path of IJavascript's lib/kernel.js (npm ijavascript)")
    ap.add_argument("--verbose", action="store_true", help="print both outputs of every cell that differs")
    args = ap.parse_args()
    if not (ROOT / "dist" / "cli" / "main.js").is_file():
        sys.exit("build the kernel first: npm run build")
    if not (BENCH / "node_modules" / "tslab").is_dir():
        sys.exit("install the peers first: npm ci --prefix bench")
    with tempfile.TemporaryDirectory(prefix="tsak-compat-") as tmp:
        root = Path(tmp)
        for var, sub in (("JUPYTER_PATH", "share/jupyter"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTER_CONFIG_DIR", "config")):
            os.environ[var] = str(root / sub)
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
        kernelspecs(root, args.ijavascript)
        runs = [
            compare("deno_style.ipynb", "deno", EXAMPLES, EXAMPLES),
            # tslab type-checks each cell and finds @types/node only next to its own node_modules
            compare("tslab_style.ipynb", "tslab", BENCH, EXAMPLES),
        ]
        if args.ijavascript:
            runs.append(compare("ijavascript_style.ipynb", "ijavascript", EXAMPLES, EXAMPLES))
    for r in runs:
        print(f"{r['notebook']:26} on {r['peer']:12} same output in {r['same']:2}/{r['cells']} cells, "
              f"same rich output in {r['same_rich']:2}/{r['cells']}")
        if args.verbose:
            for c in r["detail"]:
                if not c["same"]:
                    print(f"  {c['id']}:\n    theirs {c['theirs']}\n    ours   {c['ours']}")
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "compat.json").write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
