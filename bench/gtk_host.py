#!/usr/bin/env python3
"""The round trip of a kernel on the GTK host (`--loop gtk`) beside the same kernel on the default
loop, as ratios. Both kernels run at once and are sampled in alternating blocks, so a machine
whose load drifts (2 shared cores) weighs on both alike.

  python bench/gtk_host.py [--blocks 20] [--block 25]     (a Python with pyzmq and jupyter_client:
                                                           bench/.venv or the harness's .venv)

Cells timed (send -> execute_reply and status idle, as bench.py's rtt):
  `1+1`                                          a cell that only computes
  `await new Promise((r) => setTimeout(r, 1))`   a cell whose timer GLib's poll must wake for
  `await new Promise((r) => setImmediate(r))`    a cell that yields one turn of libuv's loop

Writes bench/results/gtk_host.json. Needs the GTK host's addon (npm run build:gtk); no display.
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
KERNELS = ("ours", "ours_gtk")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blocks", type=int, default=20, help="alternating blocks per kernel and cell (default 20)")
    ap.add_argument("--block", type=int, default=25, help="round trips per block (default 25)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "gtk_host.json"))
    opts = ap.parse_args()
    specs = kernel_table()
    if not Path(specs["ours_gtk"]["needs"]).exists():
        sys.exit(f"missing {specs['ours_gtk']['needs']}: npm run build:gtk (after apt-get install libgtk-3-dev)")
    ctx = zmq.Context()
    workdir = Path(tempfile.mkdtemp(prefix="bench-gtk-"))
    runs = {name: Run(name, specs[name], ctx, workdir, 0) for name in KERNELS}
    load = os.getloadavg()[0]
    try:
        for run in runs.values():
            phase_startup(run, 60)
            wait_iopub_ready(run)
        times: dict[str, dict[str, list[float]]] = {name: {cell: [] for cell in CELLS} for name in KERNELS}
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
        for name in KERNELS:
            t = sorted(times[name][cell])
            row[name] = {"median_ms": statistics.median(t) * 1e3, "p99_ms": p99(t) * 1e3, "n": len(t)}
        row["ratio_median"] = row["ours_gtk"]["median_ms"] / row["ours"]["median_ms"]
        row["ratio_p99"] = row["ours_gtk"]["p99_ms"] / row["ours"]["p99_ms"]
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
    print("| cell | default loop median (p99) | GTK host median (p99) | GTK / default, median | p99 |")
    print("|---|---|---|---|---|")
    for cell, row in figures.items():
        o, g = row["ours"], row["ours_gtk"]
        print(f"| `{CELLS[cell]}` | {o['median_ms']:.2f} ms ({o['p99_ms']:.1f}) | {g['median_ms']:.2f} ms ({g['p99_ms']:.1f}) "
              f"| x{row['ratio_median']:.2f} | x{row['ratio_p99']:.2f} |")
    print(f"wrote {opts.out} (from {ROOT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
