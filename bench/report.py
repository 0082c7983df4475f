"""What a run reports: each figure as text, the table with the ratios to ours, the compute table,
the odd things observed, design §8's targets, the results JSON and docs/performance.md's
generated block."""

from __future__ import annotations

import sys

from kernels import ROOT
from phases import PHASES
from phases.compute import COMPUTE_WORKLOADS
from phases.interrupt import INTERRUPT_PHASES
from phases.stream import STREAM_CHUNK, STREAM_CHUNKS


def _fmt_decl(r: dict, variant: str) -> str:
    """`first → after the fillers` medians and the growth, e.g. `1.52 → 1.60 ms, ×1.05`."""
    a, b = r["first"][variant], r["later"][variant]
    return f"{a['median_ms']:.2f} → {b['median_ms']:.2f} ms, ×{r[variant]['growth']:.2f}"


def fmt_phase(phase: str, r: dict | None) -> str:
    if not r:
        return "n/a"
    if r.get("skipped"):
        return "–"
    if "error" in r:
        return r.get("text") or f"error: {r['error']}"
    if phase == "startup":
        return f"{r['median_ms']:.0f} ms"
    if phase == "completion":
        hit = f"{r['want']} {r['hits']}/{r['n']}" if r["hits"] else f"no {r['want']}"
        also = "" if r["hits"] == r["n"] else f"; `{r['probe2']}`: {r['want2']} {r['hits2']}/{r['n']}"
        return f"{r['median_ms']:.0f} ms, {hit}{also}"
    if phase == "memory":
        t = f"{r['idle_mb']:.0f} MB"
        if "idle_only" in r:
            return t
        return f"{t}, +{r['growth_mb']:.0f} MB after {r['executes']:,} executes" + ("" if r["done"] else f" ({r['note']})")
    if phase == "memory_growth":
        return f"+{r['growth_mb']:.1f} MB" + ("" if r["done"] else f" after {r['executes']:,} ({r.get('note', '')})")
    if phase == "compute":
        if "geomean_x_node" not in r:
            return "failed: " + "; ".join(f"{k}: {w['error']}" for k, w in r["workloads"].items())
        failed = [k for k, w in r["workloads"].items() if "error" in w]
        return f"×{r['geomean_x_node']:.2f} of plain node (geometric mean)" + (f", failed: {', '.join(failed)}" if failed else "")
    if phase == "debugger":
        return (f"1+1 {r['rtt_detached_ms']:.2f} ms without a session, {r['rtt_attached_ms']:.2f} ms attached "
                f"(×{r['rtt_attached_x']:.2f}); numeric loop {r['loop_detached_ms']:.0f} / {r['loop_attached_ms']:.0f} ms "
                f"(×{r['loop_attached_x']:.2f})")  # fmt: skip
    if phase == "rtt":
        partial = f" ({r['text']})" if r.get("done") is False else ""
        return f"{r['median_ms']:.2f} / {r['p99_ms']:.2f} ms{partial}"
    if phase == "pipelined":
        if not r["done"]:
            return r["text"]
        return f"{r['per_s']:.0f} /s"
    if phase == "stream":
        if not r["done"]:
            return r["text"]
        return f"{r['mb_per_s']:.1f} MB/s"
    if phase in INTERRUPT_PHASES:
        t = f"{r['ms']:.0f} ms"
        if "after" in r:
            return f"{t}, {r['after']}"
        return f"{t}, {'state kept' if r.get('state_kept') else 'state LOST'}"
    if phase == "decl":
        if not r["done"]:
            first = r.get("first")
            return (f"first: same names {first['same']['median_ms']:.2f} ms, new names {first['new']['median_ms']:.2f} ms; "
                    if first else "") + r["text"]  # fmt: skip
        p99 = lambda v: f"p99 {r['first'][v]['p99_ms']:.2f} → {r['later'][v]['p99_ms']:.2f} ms, ×{r[v]['p99_growth']:.2f}"  # noqa: E731
        return (f"same names {_fmt_decl(r, 'same')} ({p99('same')}); new names {_fmt_decl(r, 'new')} ({p99('new')}); "
                f"1+1 {_fmt_decl(r, 'plain')} ({p99('plain')})")  # fmt: skip
    if phase == "comm":
        if not r.get("done"):
            return r["text"]
        return f"k→f {r['k2f']['per_s']:.0f} /s, f→k {r['f2k']['per_s']:.0f} /s"
    if phase in ("comm_k2f", "comm_f2k"):
        d = r.get(phase.split("_")[1])
        return f"{d['per_s']:.0f} /s" if d else (r.get("text") or "–")
    if phase in ("decl_same", "decl_new", "decl_plain"):
        variant = phase.split("_")[1]
        if r["done"]:
            return _fmt_decl(r, variant)
        return (f"{r['first'][variant]['median_ms']:.2f} ms at first, then " if "first" in r else "") + r["text"]
    return "?"


def _value(phase: str, r: dict | None) -> float | None:
    """The figure's number, and None when it has none. Times in ms, rates per second."""
    if not r or r.get("skipped") or "error" in r:
        return None
    if phase == "startup":
        return r["median_ms"]
    if phase == "completion":
        return r["median_ms"]
    if phase == "memory":
        return r["idle_mb"]
    if phase == "memory_growth":
        return r["growth_mb"] if r["done"] else None
    if phase == "rtt_median":
        return r["median_ms"]
    if phase == "rtt_p99":
        return r["p99_ms"] if r.get("done") is not False else None
    if phase == "pipelined":
        return r["per_s"] if r["done"] else None
    if phase == "stream":
        return r["mb_per_s"] if r["done"] else None
    if phase in INTERRUPT_PHASES:
        return r["ms"] if r.get("done") and r.get("state_kept") else None
    if phase in ("comm_k2f", "comm_f2k"):
        d = r.get(phase.split("_")[1])
        return d["per_s"] if d else None
    return None


LOWER_IS_BETTER = {"startup": True, "rtt_median": True, "rtt_p99": True, "pipelined": False, "stream": False,
                   "interrupt": True, "interrupt_sleep": True, "comm_k2f": False, "comm_f2k": False,
                   "completion": True, "memory": True, "memory_growth": True}  # fmt: skip


def advantage(phase: str, ours: float | None, peer: float | None, peer_r: dict | None = None) -> str:
    """How many times better ours is than the peer (>1: ours better)."""
    if ours is None:
        return ""
    if peer is None:
        return ""
    if ours == 0 or peer == 0:
        return ""
    if phase == "memory_growth" or (phase == "completion" and peer_r and not peer_r.get("hits")):
        return ""  # a growth near zero makes no ratio; a reply without the match is no answer to time
    x = peer / ours if LOWER_IS_BETTER[phase] else ours / peer
    return f"{x:.2f}x"


def table(results: dict, order: list[str]) -> list[str]:
    ours = results.get("ours", {})
    cols = [
        ("startup", "startup", lambda r: r.get("startup")),
        ("rtt_median", "rtt median", lambda r: r.get("rtt")),
        ("rtt_p99", "rtt p99", lambda r: r.get("rtt")),
        ("pipelined", "pipelined", lambda r: r.get("pipelined")),
        ("stream", "stream", lambda r: r.get("stream")),
        ("comm_k2f", "comm kernel→frontend", lambda r: r.get("comm")),
        ("comm_f2k", "comm frontend→kernel", lambda r: r.get("comm")),
        ("interrupt", "interrupt `while(true){}`", lambda r: r.get("interrupt")),
        ("interrupt_sleep", "interrupt awaited sleep", lambda r: r.get("interrupt_sleep")),
        ("decl_same", "decl, same names", lambda r: r.get("decl")),
        ("decl_new", "decl, new names", lambda r: r.get("decl")),
        ("decl_plain", "`1+1` after the same cells", lambda r: r.get("decl")),
        ("completion", "first completion after start", lambda r: r.get("completion")),
        ("memory", "idle RSS", lambda r: r.get("memory")),
        ("memory_growth", "RSS growth over the executes", lambda r: r.get("memory")),
    ]

    def cell(key, r):
        if not r:
            return "n/a"
        if r.get("skipped"):
            return "–"
        if "error" in r:
            return r.get("text") or "error"
        if key == "startup":
            return f"{r['median_ms']:.0f} ms"
        if key == "memory":
            return f"{r['idle_mb']:.0f} MB"
        if key == "rtt_median":
            partial = f" (of the first {r['n']}, then no answers)" if r.get("done") is False else ""
            return f"{r['median_ms']:.2f} ms{partial}"
        if key == "rtt_p99":
            return f"{r['p99_ms']:.2f} ms" if r.get("done") is not False else "–"
        return fmt_phase(key, r)

    head = "| kernel | version | " + " | ".join(c[1] for c in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 2)]
    for name in order:
        r = results[name]
        cells = []
        for key, _t, get in cols:
            pr = get(r)
            c = cell(key, pr) if "error" not in r or pr else "n/a"
            if name != "ours" and ours:
                a = advantage(key, _value(key, get(ours)), _value(key, pr), pr)
                if a:
                    c += f" ({a})"
            cells.append(c)
        label = r["label"]
        if "error" in r:
            label += f" — **{r['error']}**"
        lines.append(f"| {label} | {r.get('version', '')} | " + " | ".join(cells) + " |")
    return lines


def compute_table(results: dict, order: list[str]) -> list[str]:
    """The compute phase per workload: plain node's best time, then each kernel's and its ratio to
    it (×: times plain node's; >1 slower). Empty when no kernel ran the phase."""
    ran = [k for k in order if (results.get(k, {}).get("compute") or {}).get("workloads")]
    if not ran:
        return []
    first = results[ran[0]]["compute"]["workloads"]
    head = "| workload | plain `node file.mjs` | " + " | ".join(results[k]["label"] for k in ran) + " |"
    lines = [head, "|" + "---|" * (len(ran) + 2)]
    for name, _check, _body in COMPUTE_WORKLOADS:
        if name not in first:
            continue
        cells = []
        for k in ran:
            w = results[k]["compute"]["workloads"].get(name, {})
            cells.append(w["error"][:80] if "error" in w else f"{w['ms']:.0f} ms (×{w['x_node']:.2f})")
        lines.append(f"| {name} | {first[name]['node_ms']:.0f} ms | " + " | ".join(cells) + " |")
    geo = [f"×{results[k]['compute']['geomean_x_node']:.2f}" if "geomean_x_node" in results[k]["compute"] else "–"
           for k in ran]  # fmt: skip
    lines.append("| geometric mean of the ratios | ×1 | " + " | ".join(geo) + " |")
    return lines


def observations(results: dict) -> list[str]:
    """Everything odd a run saw, one line each, for the table's reader."""
    out = []
    for name, r in results.items():
        items = []
        if r.get("error"):
            items.append(r["error"])
        for n in r.get("notes", []):
            items.append(n)
        for phase in PHASES:
            p = r.get(phase) or {}
            if p.get("skipped"):
                continue
            if "error" in p and p["error"] not in ("timeout",):
                items.append(f"{phase}: {p['error']}")
            if p.get("diagnosis"):
                items.append(f"{phase}: {p['diagnosis']}")
            if p.get("bytes_after_idle"):
                items.append(f"stream: {p['bytes_after_idle']:,} bytes of output published after status idle")
            if phase == "debugger" and p.get("done"):
                items.append(f"debugger: {fmt_phase(phase, p)}")
            if phase == "pipelined" and p.get("done"):
                if not p.get("in_order", True):
                    items.append("pipelined: replies out of order")
                if not p.get("consecutive_counts", True):
                    items.append("pipelined: execution_count not consecutive")
                if p.get("statuses"):
                    items.append(f"pipelined: reply statuses {p['statuses']}")
                if p.get("idles", p["n"]) < p["n"]:
                    items.append(f"pipelined: {p['n'] - p['idles']} status idle messages missing")
            if phase == "memory" and p.get("note"):
                items.append(f"memory: {p['note']}")
            if phase == "compute":
                for wname, w in (p.get("workloads") or {}).items():
                    if "error" in w:
                        items.append(f"compute: {wname}: {w['error']}")
            if phase == "completion" and p.get("n") and p.get("hits", 0) < p["n"]:
                items.append(f"completion: `{p['probe']}` right after start-up gave {p['want']} in {p['hits']} of "
                             f"{p['n']} starts; `{p['probe2']}` gave {p['want2']} in {p['hits2']}")
            if phase == "comm" and p.get("echo_updates_without_parent"):
                items.append(f"comm: {p['echo_updates_without_parent']} echo_update messages had an empty parent_header "
                             "(a frontend matches the echo of its own change by that parent)")  # fmt: skip
            if phase in INTERRUPT_PHASES and p.get("done"):
                if p.get("reply_status") != "error":
                    items.append(f"{phase}: the interrupted cell's reply status was {p.get('reply_status')!r}")
                if p.get("note"):
                    items.append(f"{phase}: {p['note']}")
        if r.get("log_tail") and items:
            items.append("kernel log: " + " / ".join(r["log_tail"] if isinstance(r["log_tail"], list)
                                                     else r["log_tail"].splitlines()[-3:]))  # fmt: skip
        for it in dict.fromkeys(items):
            out.append(f"- {name}: {it}")
    return out


def targets(results: dict) -> list[str]:
    """The design §8 targets, checked against this run's figures."""
    o, f, d = results.get("ours"), results.get("floor"), results.get("deno")
    if not o:
        return []
    out = []

    def v(r, key):
        if not r:
            return None
        return _value(key, r.get({"rtt_median": "rtt"}.get(key, key)))

    def line(text, ok):
        out.append(f"- {'PASS' if ok else 'MISS'}: {text}")

    ort, frt, drt = v(o, "rtt_median"), v(f, "rtt_median"), v(d, "rtt_median")
    if ort and frt:
        line(f"round trip {ort:.2f} ms = {ort / frt:.2f}x the floor's {frt:.2f} ms (target ≤ 1.25x)", ort / frt <= 1.25)
    if ort and drt:
        line(f"round trip {drt / ort:.2f}x faster than Deno's {drt:.2f} ms (target ≥ 2x)", drt / ort >= 2)
    op, fp = v(o, "pipelined"), v(f, "pipelined")
    if op and fp:
        line(f"pipelined {op:.0f}/s = {op / fp:.2f}x the floor's {fp:.0f}/s (target ≥ 0.8x)", op / fp >= 0.8)
    os_ = v(o, "stream")
    if os_:
        line(f"stream output {os_:.1f} MB/s (target ≥ 50 MB/s)", os_ >= 50)
    for phase, what in INTERRUPT_PHASES.items():
        oi = o.get(phase) or {}
        if oi.get("done"):
            kept = oi.get("state_kept")
            line(f"interrupt of {what} {oi['ms']:.0f} ms ({oi['mode']}), state {'kept' if kept else 'lost'}"
                 f"{', ' + oi['after'] if 'after' in oi else ''} (target < 50 ms, state kept)",
                 oi["ms"] < 50 and kept and "after" not in oi)  # fmt: skip
        elif oi and not oi.get("skipped"):
            line(f"interrupt of {what}: {oi.get('text') or oi.get('error')} (target < 50 ms, state kept)", False)
    od = o.get("decl") or {}
    if od.get("done"):
        # judged on the medians: a p99 of this many samples moves by half from run to run here
        plain = od.get("plain")  # absent in results of runs before `1+1` was measured
        worst = max(od["same"]["growth"], od["new"]["growth"], plain["growth"] if plain else 0)
        line(f"cost per cell after {od['fillers']} more cells: median ×{od['same']['growth']:.2f} "
             f"(declaring, same names), ×{od['new']['growth']:.2f} (new names)"
             + (f", ×{plain['growth']:.2f} (`1+1`)" if plain else "") + " (target ≤ 1.2x); p99 "
             f"×{od['same']['p99_growth']:.2f}, ×{od['new']['p99_growth']:.2f}"
             + (f", ×{plain['p99_growth']:.2f}" if plain else ""), worst <= 1.2)  # fmt: skip
    elif od and not od.get("skipped"):
        line(f"cost per declaring cell: {od.get('text') or od.get('error')} (target: grows ≤ 1.2x)", False)
    oc, dc = o.get("completion") or {}, (d or {}).get("completion") or {}
    if "median_ms" in oc:
        vs = ""
        if "median_ms" in dc:
            got = f"{dc['want']} in {dc['hits']}/{dc['n']}" if dc["hits"] else f"never {dc['want']}"
            vs = f"; Deno's {dc['median_ms']:.0f} ms, {got}"
        line(f"first completion after a start: `{oc['probe']}` answered in {oc['median_ms']:.0f} ms (median of {oc['n']} "
             f"starts), {oc['want']} in {oc['hits']}/{oc['n']}{vs} (target < 300 ms, with the match)",
             oc["median_ms"] < 300 and oc["hits"] == oc["n"])  # fmt: skip
    om, dm = o.get("memory") or {}, (d or {}).get("memory") or {}
    if "idle_mb" in om and "idle_mb" in dm:
        line(f"idle RSS {om['idle_mb']:.0f} MB = {om['idle_mb'] / dm['idle_mb']:.2f}x Deno's {dm['idle_mb']:.0f} MB "
             f"(target ≤ 1x); after {om['executes']:,} executes +{om['growth_mb']:.0f} MB (Deno's "
             f"+{dm['growth_mb']:.0f} MB after {dm['executes']:,})", om["idle_mb"] <= dm["idle_mb"])  # fmt: skip
    ocp = o.get("compute") or {}
    if "geomean_x_node" in ocp:
        worst = max(ocp["workloads"].items(), key=lambda kv: kv[1].get("x_node", 0))
        dcp = (d or {}).get("compute") or {}
        dtxt = f"; Deno ×{dcp['geomean_x_node']:.2f}" if "geomean_x_node" in dcp else ""
        line(f"cell code {ocp['geomean_x_node']:.2f}x the time of the same code as a plain Node module (geometric "
             f"mean of {len(ocp['workloads'])} workloads; worst: {worst[0]} ×{worst[1].get('x_node', 0):.2f}){dtxt} "
             "(target ≤ 1.2x)", ocp["geomean_x_node"] <= 1.2 and ocp.get("done"))  # fmt: skip
    ost, fst, dst = v(o, "startup"), v(f, "startup"), v(d, "startup")
    if ost and fst:
        line(f"startup {ost:.0f} ms = {ost / fst:.2f}x the floor's {fst:.0f} ms (target ≤ 1.3x)", ost / fst <= 1.3)
    if ost and dst:
        line(f"startup {ost:.0f} ms vs Deno's {dst:.0f} ms (target: faster)", ost < dst)
    # Not targets: where the floor stands once it pays what the protocol and design §3 cost (five
    # messages per execute, a worker owning the sockets), so a missed ratio can be read.
    g = results.get("floor_design")
    if g and f:
        parts = []
        for key, label, fmt, rate in (("rtt_median", "round trip", "{:.2f} ms", False),
                                      ("pipelined", "pipelined", "{:.0f}/s", True),
                                      ("startup", "startup", "{:.0f} ms", False)):  # fmt: skip
            gv, fv, ov = v(g, key), v(f, key), v(o, key)
            if gv and fv and ov:
                parts.append(f"{label} {fmt.format(gv)} = {gv / fv:.2f}x the floor (ours {ov / gv:.2f}x it)")
        if parts:
            out.append("- for reading the ratios, the floor with the design's own costs (5 messages, an I/O "
                       "thread, no code run): " + "; ".join(parts))
    return out


def summarize(results: dict, order: list[str]) -> dict:
    """The run's text: the table, the compute table, what was observed, the targets."""
    return {
        "table": table(results, order),
        "compute_table": compute_table(results, order),
        "observed": observations(results),
        "targets": targets(results),
    }


def results_doc(started, mach: dict, vers: dict, opts, results: dict, summary: dict) -> dict:
    """What bench/results/*.json holds (docs/performance.md's block is written from it)."""
    return {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bash bench/run.sh " + " ".join(sys.argv[1:]),
        "machine": mach,
        "versions": vers,
        "settings": {"launches": opts.launches, "rtt_samples": opts.samples, "warmup": opts.warmup,
                     "pipelined": opts.pipelined, "pipelined_repeats": opts.repeats, "stream_repeats": opts.stream_repeats,
                     "stream_bytes": STREAM_CHUNKS * (STREAM_CHUNK + 1),
                     "decl_samples": opts.decl_samples, "decl_warmup": opts.decl_warmup,
                     "decl_fillers": opts.decl_fillers, "comm_messages": opts.comm_messages,
                     "completion_launches": opts.completion_launches, "memory_executes": opts.memory_executes,
                     "compute_repeats": opts.compute_repeats, "timeout_s": opts.timeout},  # fmt: skip
        "kernels": {k: round_floats(slim(v)) for k, v in results.items()},
        "table": summary["table"],
        "compute_table": summary["compute_table"],
        "targets": summary["targets"],
        "observed": summary["observed"],
    }


def slim(r: dict) -> dict:
    r = dict(r)
    if "log_tail" in r:
        r["log_tail"] = r["log_tail"].splitlines()[-5:]
    return r


def round_floats(x):
    if isinstance(x, float):
        return round(x, 3)
    if isinstance(x, dict):
        return {k: round_floats(v) for k, v in x.items()}
    if isinstance(x, list):
        return [round_floats(v) for v in x]
    return x


BEGIN, END = "<!-- bench:begin (generated by bench/bench.py --update-docs) -->", "<!-- bench:end -->"


def update_docs(doc: dict) -> None:
    path = ROOT / "docs" / "performance.md"
    v, m = doc["versions"], doc["machine"]
    block = [
        BEGIN,
        f"Run {doc['date']} with `{doc['command'].strip()}` on {m['cores']} cores ({m['cpu']}, {m['memory']}, "
        f"{m['os']}); node {v['node']}, python {v['python']}, pyzmq {v['pyzmq']} (libzmq {v['libzmq']}), "
        f"jupyter_client {v['jupyter_client']}. Load average (1 min) at start {m['load_average_1min']['start']}, "
        f"at end {m['load_average_1min']['end']} (the bench's own kernels count in it: one at a time, "
        "each busy up to a core).",
        "",
        *doc["table"],
        "",
        "In parentheses: how many times better ours is than that kernel (>1: ours better; time figures",
        "peer/ours, rates ours/peer). Startup: median of "
        f"{doc['settings']['launches']} launches; round trip: {doc['settings']['rtt_samples']} samples after "
        f"{doc['settings']['warmup']} warm-up; pipelined: {doc['settings']['pipelined']} executes, median of "
        f"{doc['settings']['pipelined_repeats']}; stream: {doc['settings']['stream_bytes']:,} bytes, median of "
        f"{doc['settings']['stream_repeats']}; decl: median round trip of a declaring cell at first → after "
        f"{doc['settings']['decl_fillers']} more cells, ×growth ({doc['settings']['decl_warmup']} warm-up rounds, "
        f"{doc['settings']['decl_samples']} samples; no ratio to ours); comm: an IntSlider's update messages, "
        f"{doc['settings'].get('comm_messages', 2000):,} each way, messages/s, median of {doc['settings']['pipelined_repeats']}; "
        f"first completion: median of {doc['settings'].get('completion_launches', 10)} fresh starts, a complete_request "
        "right after the first kernel_info_reply (ratio only where the peer's reply had the match); idle RSS: the "
        "kernel's process group after start-up, a first completion (ours: its language service warm) and 3 s, "
        f"then the growth over {doc['settings'].get('memory_executes', 10000):,} executes of `1+1` sent one after "
        "another (no ratio); every phase bounded by "
        f"{doc['settings']['timeout_s']:.0f} s.",
        "",
        *([f"Compute phase: the same top-level code as a cell and as a plain Node ES module (`node file.mjs`), timed "
           f"inside the code, best of {doc['settings'].get('compute_repeats', 3)}; ×: the time over plain node's "
           "(>1: slower than plain node).", "", *doc["compute_table"], ""] if doc.get("compute_table") else []),
        "Design §8 targets, checked on this run:",
        "",
        *(doc["targets"] or ["- (ours did not run)"]),
        "",
        "Observed on this run (protocol oddities, stalls, lost output):",
        "",
        *(doc["observed"] or ["- nothing"]),
        END,
    ]
    text = path.read_text() if path.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        pre, rest = text.split(BEGIN, 1)
        post = rest.split(END, 1)[1]
        text = pre + "\n".join(block) + post
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n"
    path.write_text(text)
    print(f"updated {path.relative_to(ROOT)}")
