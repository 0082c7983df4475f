#!/usr/bin/env python3
"""Side-by-side benchmark of Jupyter kernels through one Python client.

Kernels (one at a time, each in its own process group, always killed afterwards):
  ours      node dist/cli/main.js start -f <conn>           (this repository, built by `npm run build`;
                                                            with its kernel.json's env, as Jupyter launches it)
  ours_gtk  ... start -f <conn> --loop gtk                  (ours on the GTK host: GLib's loop owns the
                                                            main thread, libuv its guest; needs the addon)
  ours_tk   ... start -f <conn> --loop tk                   (ours on the Tk host: Tcl's event loop)
  floor     node bench/floor.mjs -f <conn>                  (do-nothing zeromq.js responder)
  floor_owed    ... --owed              (the floor + execute_input/execute_result: 5 messages)
  floor_design  ... --owed --io-thread  (and a worker owning the sockets: design §3's two hops)
  deno      deno jupyter --kernel --conn <conn>             (npm `deno`, bench/package.json)
  tslab     node .../tslab/bin/tslab kernel --config-path <conn>   (npm `tslab`, TypeScript mode)
  ipykernel python -m ipykernel_launcher -f <conn>          (pip, bench/.venv)
  async     python -m async_kernel start --connection_file=<conn> --name=async   (pip, bench/.venv)

Figures per kernel:
  startup     spawn -> first kernel_info_reply (kernel_info_request re-sent every 50 ms), median of N launches
  rtt         execute `1+1`, send -> execute_reply AND iopub status idle for that request; median, p99
  pipelined   500 executes sent back to back -> last reply + its idle; executes/s
  stream      one cell printing 20 x 1 MiB lines; send -> every byte in `stream` messages + idle; MB/s
  interrupt   `while (true) {}` interrupted per the kernelspec's interrupt_mode; ms to its reply, and
              whether a variable set before survived
  interrupt_sleep
              the same for a cell awaiting a 60 s sleep (top-level await: a timer promise in JS,
              asyncio.sleep in Python)
  decl        (JS/TS kernels, fresh process) round trip of a cell declaring a function and a class,
              re-declaring the same names and declaring new ones, and of `1+1`; after 1 earlier cell (and 100
              warm-up rounds), and again after 500 more cells that each declare something;
              median and p99, growth = later / first
  comm        (kernels with Jupyter widgets: ours, ipykernel and async-kernel with ipywidgets) an
              IntSlider's comm: kernel -> frontend, a cell setting its value N times, until all N
              `update` comm_msgs, the reply and idle arrived; frontend -> kernel, N `update`
              comm_msgs sent back to back until the idle of each (and the value checked after);
              messages/s each way, median of 3
  completion  (kernels that run code) N fresh starts, each sent a complete_request right after its first
              kernel_info_reply (`'abc'.toUpp` in JS, `'abc'.upp` in Python): time to its reply, and
              whether it had the match (`toUpperCase`, `upper`); median
  memory      (fresh process) RSS of the kernel's process group at idle, after start-up and a first
              completion (ours: until its language service answers), and the growth over N
              executes of `1+1` sent one after another
  compute     (JS/TS kernels, fresh process) seven compute-bound workloads as top-level cell code and as
              a plain Node ES module (`node file.mjs`), timed inside the code; best of 3; ratio to node
  debugger    (kernels whose kernel_info says debugger, fresh process) three rounds each without a debug
              session and with one attached as JupyterLab attaches it (no breakpoints): round trips of
              `1+1` (median) and compute's numeric loop (best); attached over without

The client is pyzmq + jupyter_client.session.Session used directly (no BlockingKernelClient).
Run through bench/run.sh, which sets up bench/node_modules and bench/.venv.
"""

# The modules, by what they own (all in bench/, run as a script: bench/ is on sys.path):
#   kernels.py       the peer kernels' launch table, versions, machine
#   client.py        Run (a launched kernel, its sockets and process group) and message helpers
#   phases/*.py      one module per phase: startup, completion, rtt, pipelined, stream, comm,
#                    interrupt (both variants), decl, memory, compute, debugger
#   driver.py        one kernel's benchmark: which phase runs on which process, stall diagnosis
#   report.py        the figures as text, tables and ratios, targets, the results JSON, the docs block
#   bench.py         this entry: the command line, the loop over kernels, printing and writing

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import zmq

from client import kill_all
from driver import bench_kernel
from kernels import (
    ALL_KERNELS,
    BENCH,
    NODE,
    ROOT,
    kernel_table,
    machine,
    our_kernel_env,
    pkg_version,
    run_out,
    versions,
)
from phases import PHASES
from report import results_doc, summarize, update_docs


def parse_args() -> tuple[argparse.Namespace, list[str], Path]:
    """The options with the defaults of a full or a --quick run filled in, the kernels in order, and
    the results file."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", default=",".join(ALL_KERNELS), help=f"comma list from {','.join(ALL_KERNELS)}")
    ap.add_argument("--quick", action="store_true", help="fewer launches and samples (a smoke run)")
    ap.add_argument("--launches", type=int, help="startup launches per kernel (default 5, quick 2)")
    ap.add_argument("--samples", type=int, help="round-trip samples (default 300, quick 50)")
    ap.add_argument("--warmup", type=int, help="round-trip warm-up executes (default 30, quick 10)")
    ap.add_argument("--pipelined", type=int, help="pipelined executes (default 500, quick 200)")
    ap.add_argument("--stream-repeats", type=int, help="stream samples (default 3, quick 1)")
    ap.add_argument("--repeats", type=int, help="pipelined samples (default 3, quick 1)")
    ap.add_argument("--decl-samples", type=int, help="declaring-cell samples per variant and point (default 200, quick 50)")
    ap.add_argument("--decl-warmup", type=int, help="declaring-cell warm-up rounds before each point (default 100, quick 30)")
    ap.add_argument("--decl-fillers", type=int, default=500, help="cells between the two declaring-cell points (default 500)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per phase (default 60)")
    ap.add_argument("--settle", type=float,
                    help="seconds every kernel is left alone after start-up before a phase (default 3, quick 1)")
    ap.add_argument("--comm-messages", type=int, help="comm messages each way per sample (default 2000, quick 500)")
    ap.add_argument("--skip", default="", help=f"phases to skip, from {','.join(PHASES)}")
    ap.add_argument("--baseline", metavar="DIR",
                    help="also measure another build of ours (a checkout with its own `npm run build`, e.g. of "
                         "main), as kernel `baseline` right after ours: before/after in one run")
    ap.add_argument("--only", default="", help="run only these phases (e.g. --only completion,memory,compute)")
    ap.add_argument("--completion-launches", type=int, help="fresh starts for the first completion (default 10, quick 3)")
    ap.add_argument("--memory-executes", type=int, help="executes after which RSS is measured again (default 10000, quick 1000)")
    ap.add_argument("--compute-repeats", type=int, help="runs of each compute workload, the best counts (default 3, quick 1)")
    ap.add_argument("--out", help="results JSON (default bench/results/latest.json for a full run, "
                                  "bench/results/partial.json otherwise)")  # fmt: skip
    ap.add_argument("--update-docs", action="store_true",
                    help="rewrite the generated block of docs/performance.md (a full run does it by default)")
    ap.add_argument("--no-docs", action="store_true", help="leave docs/performance.md alone")
    opts = ap.parse_args()
    q = opts.quick
    opts.launches = opts.launches or (2 if q else 5)
    opts.samples = opts.samples or (50 if q else 300)
    opts.warmup = opts.warmup if opts.warmup is not None else (10 if q else 30)
    opts.pipelined = opts.pipelined or (200 if q else 500)
    opts.stream_repeats = opts.stream_repeats or (1 if q else 3)
    opts.repeats = opts.repeats or (1 if q else 3)
    opts.decl_samples = opts.decl_samples or (50 if q else 200)
    opts.comm_messages = opts.comm_messages or (500 if q else 2000)
    opts.settle = opts.settle if opts.settle is not None else (1.0 if q else 3.0)
    # the first point comes right after start-up: fewer warm-up cells leave the JIT cold there and
    # make the later point look cheaper (30 rounds gave x0.7-0.8 on ours, 100 rounds x1.0)
    opts.decl_warmup = opts.decl_warmup if opts.decl_warmup is not None else (30 if q else 100)
    opts.completion_launches = opts.completion_launches or (3 if q else 10)
    opts.memory_executes = opts.memory_executes if opts.memory_executes is not None else (1000 if q else 10_000)
    opts.compute_repeats = opts.compute_repeats or (1 if q else 3)
    opts.skip = {s for s in opts.skip.split(",") if s}
    only = {s for s in opts.only.split(",") if s}
    if only - set(PHASES) or opts.skip - set(PHASES):
        ap.error(f"unknown phases {sorted((only | opts.skip) - set(PHASES))}; choose from {list(PHASES)}")
    if only:
        opts.skip |= set(PHASES) - only
    names = [k.strip() for k in opts.kernels.split(",") if k.strip()]
    bad = [k for k in names if k not in ALL_KERNELS]
    if bad:
        ap.error(f"unknown kernels {bad}; choose from {ALL_KERNELS}")
    full = set(names) == set(ALL_KERNELS) and not q and not opts.skip and not opts.baseline
    out = Path(opts.out) if opts.out else BENCH / "results" / ("latest.json" if full else "partial.json")
    if opts.baseline:
        base = Path(opts.baseline).resolve()
        if not (base / "dist" / "cli" / "main.js").exists():
            ap.error(f"--baseline: {base}/dist/cli/main.js missing (npm ci && npm run build there)")
    # a full run rewrites docs/performance.md's generated block unless told otherwise
    opts.update_docs = (opts.update_docs or (full and not opts.out)) and not opts.no_docs
    return opts, names, out


def main() -> int:
    opts, names, out = parse_args()
    specs = kernel_table()
    vers = versions()
    if opts.baseline:
        base = Path(opts.baseline).resolve()
        specs["baseline"] = {**specs["ours"], "label": f"ours, baseline ({base.name})",
                             "argv": [NODE, str(base / "dist" / "cli" / "main.js"), "start", "-f", "{conn}"],
                             "env": our_kernel_env(base), "needs": base / "dist" / "cli" / "main.js"}  # fmt: skip
        rev = run_out(["git", "-C", str(base), "rev-parse", "--short", "HEAD"])
        vers["baseline"] = f"{pkg_version(base / 'package.json')} ({rev or base})"
        names.insert(names.index("ours") + 1 if "ours" in names else 0, "baseline")
    mach = machine()
    print(f"machine: {mach['cores']} cores, {mach['cpu']}, {mach['memory']}; node {vers['node']}, "
          f"python {vers['python']}, pyzmq {vers['pyzmq']} (libzmq {vers['libzmq']})")  # fmt: skip
    load0 = os.getloadavg()
    if load0[0] > 0.5:
        print(f"warning: load average {load0[0]:.2f} at start: other processes compete for the "
              f"{mach['cores']} cores and will inflate the figures")  # fmt: skip
    results: dict[str, dict] = {}
    ctx = zmq.Context()
    started = _dt.datetime.now(_dt.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="bench-kernels-") as tmp:
        for name in names:
            print(f"== {name}: {specs[name]['label']} ({vers.get(name, '')})", flush=True)
            t = time.perf_counter()
            try:
                r = bench_kernel(name, specs[name], ctx, Path(tmp), opts)
            except Exception as e:  # noqa: BLE001  (never lose the other kernels' figures)
                r = {"label": specs[name]["label"], "error": f"{type(e).__name__}: {e}"}
            finally:
                kill_all()
            r["version"] = vers.get(name, "")
            results[name] = r
            print(f"    ({time.perf_counter() - t:.0f} s)")
            if "error" in r:
                print(f"    ERROR: {r['error']}")
            if r.get("log_tail") and any("error" in (r.get(p) or {}) for p in PHASES):
                print("    kernel log tail:\n      " + r["log_tail"].replace("\n", "\n      "))
    ctx.term()

    load1 = os.getloadavg()
    mach["load_average_1min"] = {"start": round(load0[0], 2), "end": round(load1[0], 2)}
    summary = summarize(results, names)
    print()
    print("\n".join(summary["table"]))
    if summary["compute_table"]:
        print()
        print("\n".join(summary["compute_table"]))
    print()
    print("In parentheses: how many times better ours is than that kernel (>1: ours better;")
    print("time figures peer/ours, rates ours/peer). rtt = execute `1+1` until reply and idle.")
    print("decl = median round trip of a declaring cell at first → after the filler cells, ×growth.")
    if summary["observed"]:
        print("\nObserved:")
        print("\n".join(summary["observed"]))
    if summary["targets"]:
        print("\nDesign §8 targets:")
        print("\n".join(summary["targets"]))

    doc = results_doc(started, mach, vers, opts, results, summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if opts.update_docs:
        update_docs(doc)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        kill_all()
        sys.exit(130)
