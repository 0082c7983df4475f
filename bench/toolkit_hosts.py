#!/usr/bin/env python3
"""The round trip of a kernel on the toolkit hosts (`--loop gtk`, `--loop tk`) beside the same
kernel on the default loop, as ratios. The kernels run at once and are sampled in alternating
blocks, so a machine whose load drifts (2 shared cores) weighs on all alike.

  python bench/toolkit_hosts.py [--blocks 20] [--block 25]   (a Python with pyzmq and jupyter_client:
                                                              bench/.venv or the harness's .venv)

Cells timed (send -> execute_reply and status idle, as bench.py's rtt):
  `1+1`                                          a cell that only computes
  `await new Promise((r) => setTimeout(r, 1))`   a cell whose timer GLib's poll must wake for
  `await new Promise((r) => setImmediate(r))`    a cell that yields one turn of libuv's loop

Writes bench/results/toolkit_hosts.json. Needs the hosts' addons (npm run build:gtk, build:tk); a
host whose addon is missing is left out. No display is needed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from client import Run, kill_all, one_execute, p99  # noqa: E402
from kernels import ROOT, kernel_table, machine  # noqa: E402
from phases.startup import phase_startup, wait_iopub_ready  # noqa: E402

CELLS = {
    "1+1": "1+1",
    "timer 1 ms": "await new Promise((r) => setTimeout(r, 1))",
    "setImmediate": "await new Promise((r) => setImmediate(r))",
}
HOSTS = ("ours_gtk", "ours_tk")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blocks", type=int, default=20, help="alternating blocks per kernel and cell (default 20)")
    ap.add_argument("--block", type=int, default=25, help="round trips per block (default 25)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "toolkit_hosts.json"))
    opts = ap.parse_args()
    specs = kernel_table()
    hosts = [name for name in HOSTS if Path(specs[name]["needs"]).exists()]
    if not hosts:
        sys.exit("no toolkit host's addon is built: npm run build:gtk / build:tk (after apt-get install libgtk-3-dev tk-dev)")
    kernels = ("ours", *hosts)
    ctx = zmq.Context()
    workdir = Path(tempfile.mkdtemp(prefix="bench-gtk-"))
    runs = {name: Run(name, specs[name], ctx, workdir, 0) for name in kernels}
    load = os.getloadavg()[0]
    try:
        for run in runs.values():
            phase_startup(run, 60)
            wait_iopub_ready(run)
        times: dict[str, dict[str, list[float]]] = {name: {cell: [] for cell in CELLS} for name in kernels}
        deadline = time.perf_counter() + 600
        for run in runs.values():  # warm-up: the JIT and the cells' transform caches
            for code in CELLS.values():
                for _ in range(30):
                    one_execute(run, code, deadline)
        for _ in range(opts.blocks):
            for cell, code in CELLS.items():
                for name, run in runs.items():
                    for _ in range(opts.block):
                        times[name][cell].append(one_execute(run, code, deadline)[0])
    finally:
        for run in runs.values():
            run.close()
        kill_all()
    figures = {}
    for cell in CELLS:
        row = {}
        for name in kernels:
            t = sorted(times[name][cell])
            row[name] = {"median_ms": statistics.median(t) * 1e3, "p99_ms": p99(t) * 1e3, "n": len(t)}
        for name in hosts:
            row[name]["ratio_median"] = row[name]["median_ms"] / row["ours"]["median_ms"]
            row[name]["ratio_p99"] = row[name]["p99_ms"] / row["ours"]["p99_ms"]
        figures[cell] = row
    doc = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1min_at_start": round(load, 2),
        "settings": {"blocks": opts.blocks, "block": opts.block},
        "figures": figures,
    }
    Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"load average at start {load:.2f}; {opts.blocks} blocks of {opts.block} per kernel and cell")
    label = {"ours_gtk": "GTK", "ours_tk": "Tk"}
    print("| cell | default loop median (p99) | " + " | ".join(f"{label[h]} host median (p99), ratio" for h in hosts) + " |")
    print("|---|---|" + "---|" * len(hosts))
    for cell, row in figures.items():
        o = row["ours"]
        cols = [f"{row[h]['median_ms']:.2f} ms ({row[h]['p99_ms']:.1f}), x{row[h]['ratio_median']:.2f} (p99 x{row[h]['ratio_p99']:.2f})"
                for h in hosts]
        print(f"| `{CELLS[cell]}` | {o['median_ms']:.2f} ms ({o['p99_ms']:.1f}) | " + " | ".join(cols) + " |")
    print(f"wrote {opts.out} (from {ROOT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
