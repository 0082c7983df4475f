#!/usr/bin/env python3
"""Side-by-side benchmark of Jupyter kernels through one Python client.

Kernels (one at a time, each in its own process group, always killed afterwards):
  ours      node dist/cli/main.js start -f <conn>           (this repository, built by `npm run build`;
                                                            with its kernel.json's env, as Jupyter launches it)
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

The client is pyzmq + jupyter_client.session.Session used directly (no BlockingKernelClient).
Run through bench/run.sh, which sets up bench/node_modules and bench/.venv.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as _dt
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from hmac import compare_digest
from pathlib import Path

import zmq
from jupyter_client.session import Session

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DELIM = b"<IDS|MSG>"
NODE = os.environ.get("NODE", "node")
PY = sys.executable

STREAM_CHUNKS = 20
STREAM_CHUNK = 1 << 20  # characters per line, plus the newline
JS_STREAM = f'for (let i = 0; i < {STREAM_CHUNKS}; i++) console.log("x".repeat({STREAM_CHUNK}))'
PY_STREAM = f'for _ in range({STREAM_CHUNKS}):\n    print("x" * {STREAM_CHUNK})'

_live: dict[int, subprocess.Popen] = {}  # pgid -> process, killed at exit whatever happens


def _kill_group(p: subprocess.Popen, grace: float = 0.0) -> None:
    pgid = p.pid  # start_new_session=True: the child leads its own group
    if grace > 0 and p.poll() is None:
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            p.wait(1.0 if sig == signal.SIGTERM else 5.0)
            # the leader is gone; make sure nothing else in its group survives
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue
    _live.pop(pgid, None)


def _kill_all(*_a) -> None:
    for p in list(_live.values()):
        _kill_group(p)


atexit.register(_kill_all)


def _on_signal(signum, _frame):
    _kill_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


# ---------------------------------------------------------------------------------------------
# kernels


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


def _our_kernel_env(root: Path = ROOT) -> dict[str, str]:
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
            "env": _our_kernel_env(),
            "lang": "js",
            "needs": ROOT / "dist" / "cli" / "main.js",
            "interrupt_mode": "message",  # the default of our kernelspec (src/kernelspec)
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


ALL_KERNELS = ["ours", "floor", "floor_owed", "floor_design", "deno", "tslab", "ipykernel", "async"]
PHASES = ("startup", "completion", "rtt", "pipelined", "stream", "comm", "interrupt", "interrupt_sleep", "decl",
          "memory", "compute")


def _run_out(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def _pkg_version(path: Path) -> str:
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
    git = _run_out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) or "no commit"
    dirty = _run_out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"])
    deno_v = (_run_out([deno, "--version"]).split() or ["", "?"]) if deno else ["", "missing"]
    return {
        "ours": f"{_pkg_version(ROOT / 'package.json')} ({git}{', src uncommitted' if dirty else ''})",
        "floor": f"zeromq {_pkg_version(ROOT / 'node_modules' / 'zeromq' / 'package.json')}",
        "floor_owed": f"zeromq {_pkg_version(ROOT / 'node_modules' / 'zeromq' / 'package.json')}",
        "floor_design": f"zeromq {_pkg_version(ROOT / 'node_modules' / 'zeromq' / 'package.json')}",
        "deno": deno_v[1] if len(deno_v) > 1 else "?",
        "tslab": _pkg_version(BENCH / "node_modules" / "tslab" / "package.json"),
        "ipykernel": _dist_version("ipykernel"),
        "async": _dist_version("async-kernel"),
        "node": _run_out([NODE, "--version"]),
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


# ---------------------------------------------------------------------------------------------
# client


class Timeout(Exception):
    pass


class KernelDied(Exception):
    pass


class PhaseError(RuntimeError):
    """A phase's figure is wrong (not merely slow); `short` goes into the table."""

    def __init__(self, msg: str, short: str):
        super().__init__(msg)
        self.short = short


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Run:
    """One launched kernel and the client sockets talking to it."""

    def __init__(self, name: str, spec: dict, ctx: zmq.Context, workdir: Path, index: int):
        self.name, self.spec, self.ctx = name, spec, ctx
        shell, iopub, stdin, control, hb = free_ports(5)
        self.key = str(uuid.uuid4())
        cfg = {
            "shell_port": shell, "iopub_port": iopub, "stdin_port": stdin,
            "control_port": control, "hb_port": hb, "ip": "127.0.0.1", "key": self.key,
            "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": name,
        }  # fmt: skip
        self.conn_path = workdir / f"kernel-{name}-{index}.json"
        self.conn_path.write_text(json.dumps(cfg))
        os.chmod(self.conn_path, 0o600)
        self.log_path = workdir / f"kernel-{name}-{index}.log"
        self.session = Session(key=self.key.encode(), signature_scheme="hmac-sha256", username="bench")
        url = lambda p: f"tcp://127.0.0.1:{p}"  # noqa: E731

        def sock(kind, port, *opts):
            s = ctx.socket(kind)
            s.linger = 0
            s.setsockopt(zmq.RECONNECT_IVL, 10)  # do not quantise startup to libzmq's 100 ms retry
            for k, v in opts:
                s.setsockopt(k, v)
            return s, url(port)

        self.shell, shell_url = sock(zmq.DEALER, shell, (zmq.IDENTITY, uuid.uuid4().bytes))
        self.control, control_url = sock(zmq.DEALER, control, (zmq.IDENTITY, uuid.uuid4().bytes))
        self.iopub, iopub_url = sock(zmq.SUB, iopub, (zmq.RCVHWM, 0))
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.urls = (shell_url, control_url, iopub_url)
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)
        self.proc: subprocess.Popen | None = None
        self.iopub_seen = 0
        self.last_rx = time.perf_counter()

    # -- process ---------------------------------------------------------------------------
    def spawn(self) -> float:
        argv = [a.replace("{conn}", str(self.conn_path)) for a in self.spec["argv"]]
        env = dict(os.environ)
        env.update(self.spec.get("env", {}))
        log = open(self.log_path, "wb")  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, cwd=str(self.spec.get("cwd", self.conn_path.parent)), env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        _live[self.proc.pid] = self.proc
        log.close()
        s, c, i = self.urls
        self.shell.connect(s)
        self.control.connect(c)
        self.iopub.connect(i)
        return t0

    def close(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self.session.send(self.control, "shutdown_request", {"restart": False})
                except zmq.ZMQError:
                    pass
                _kill_group(self.proc, grace=1.0)
            elif self.proc is not None:
                _kill_group(self.proc)
        finally:
            for s in (self.shell, self.control, self.iopub):
                s.close(0)

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(line[:300] for line in lines[-n:])

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise KernelDied(f"kernel exited with code {self.proc.returncode}")

    # -- messages --------------------------------------------------------------------------
    def send(self, sock, msg_type: str, content: dict) -> str:
        msg = self.session.msg(msg_type, content)
        self.session.send(sock, msg)
        return msg["header"]["msg_id"]

    def execute(self, code: str) -> str:
        return self.send(
            self.shell, "execute_request",
            {"code": code, "silent": False, "store_history": True, "user_expressions": {},
             "allow_stdin": False, "stop_on_error": True},
        )  # fmt: skip

    def unpack(self, frames: list[bytes]) -> dict:
        """A lean Session.deserialize: checks the HMAC over the four frames as received
        (constant-time) and JSON-parses them, without jupyter_client's date parsing and
        replay bookkeeping, so the client stays cheap next to the kernels it measures."""
        idx = frames.index(DELIM)
        sig, h, p, md, c = frames[idx + 1 : idx + 6]
        if self.session.auth is not None and not compare_digest(sig, self.session.sign([h, p, md, c])):
            raise RuntimeError("kernel sent a message with a bad signature")
        header = json.loads(h)
        return {
            "header": header,
            "msg_type": header["msg_type"],
            "parent_header": json.loads(p),
            "content": json.loads(c),
        }

    def _recv(self, sock) -> dict:
        return self.unpack(sock.recv_multipart())

    def poll(self, deadline: float):
        """Yields ("shell"|"iopub", msg) until the caller stops iterating; Timeout at deadline."""
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise Timeout()
            events = dict(self.poller.poll(min(remaining, 0.5) * 1000))
            if not events:
                self.check_alive()
                continue
            # iopub first: an idle can only follow its busy, and replies are matched independently
            if self.iopub in events:
                while True:
                    try:
                        frames = self.iopub.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self.iopub_seen += 1
                    self.last_rx = time.perf_counter()
                    yield "iopub", self.unpack(frames)
            if self.shell in events:
                while True:
                    try:
                        frames = self.shell.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self.last_rx = time.perf_counter()
                    yield "shell", self.unpack(frames)

    def drain(self, quiet: float = 0.2, limit: float = 5.0) -> None:
        """Swallows whatever is still in flight until `quiet` seconds pass without a message."""
        end = time.perf_counter() + limit
        last = time.perf_counter()
        while time.perf_counter() < end and time.perf_counter() - last < quiet:
            events = dict(self.poller.poll(50))
            for s in events:
                while True:
                    try:
                        s.recv_multipart(zmq.NOBLOCK)
                        last = time.perf_counter()
                    except zmq.Again:
                        break


# ---------------------------------------------------------------------------------------------
# phases


def phase_startup(run: Run, timeout: float) -> float:
    """Spawns the kernel; seconds from spawn to the first kernel_info_reply."""
    t0 = run.spawn()
    sent = {run.send(run.shell, "kernel_info_request", {})}
    next_send = t0 + 0.05
    deadline = t0 + timeout
    while True:
        now = time.perf_counter()
        if now >= deadline:
            raise Timeout()
        wait = max(0.0, min(next_send, deadline) - now)
        if run.shell.poll(wait * 1000, zmq.POLLIN):
            msg = run._recv(run.shell)
            if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") in sent:
                return time.perf_counter() - t0
        elif time.perf_counter() >= next_send:
            run.check_alive()
            sent.add(run.send(run.shell, "kernel_info_request", {}))
            next_send = time.perf_counter() + 0.05


def wait_iopub_ready(run: Run, timeout: float = 15.0) -> str:
    """Like jupyter_client's wait_for_ready: resend kernel_info until iopub delivers something.

    Returns a note ("" when fine). Falls back to an execute when a kernel publishes nothing
    for kernel_info."""
    deadline = time.perf_counter() + timeout
    run.iopub_seen = 0
    next_send = 0.0
    while run.iopub_seen == 0:
        now = time.perf_counter()
        if now >= deadline:
            break
        if now >= next_send:
            run.send(run.shell, "kernel_info_request", {})
            next_send = now + 0.1
        try:
            for _ch, _m in run.poll(min(deadline, now + 0.1)):
                pass
        except Timeout:
            pass
    note = ""
    if run.iopub_seen == 0:
        note = "no iopub message for kernel_info_request"
        mid = run.execute("1+1")
        idle = False
        try:
            for ch, m in run.poll(time.perf_counter() + timeout):
                if ch == "iopub" and _is_idle(m, mid):
                    idle = True
                    break
        except Timeout:
            pass
        if not idle:
            raise RuntimeError("iopub never delivered status idle")
    run.drain()
    return note


def _err(reply: dict | None) -> str:
    c = (reply or {}).get("content", {})
    if c.get("status") == "ok" or not (c.get("ename") or c.get("evalue")):
        return ""
    return f" {c.get('ename', '')}: {str(c.get('evalue', ''))[:200]}"


def _is_idle(m: dict, mid: str) -> bool:
    return (
        m["msg_type"] == "status"
        and m["content"].get("execution_state") == "idle"
        and m["parent_header"].get("msg_id") == mid
    )


def one_execute(run: Run, code: str, deadline: float) -> tuple[float, dict]:
    t0 = time.perf_counter()
    mid = run.execute(code)
    reply = None
    idle = False
    for ch, m in run.poll(deadline):
        if ch == "shell":
            if m["parent_header"].get("msg_id") == mid:
                reply = m
        elif _is_idle(m, mid):
            idle = True
        if reply is not None and idle:
            return time.perf_counter() - t0, reply
    raise AssertionError("unreachable")


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def phase_rtt(run: Run, code: str, warmup: int, samples: int, timeout: float) -> dict:
    """Sequential round trips. A kernel that stops answering part-way gets a partial figure
    (the samples it answered) marked done=False, so that the driver can diagnose it."""
    deadline = time.perf_counter() + timeout
    status = None
    reply = None
    for _ in range(warmup):
        _, reply = one_execute(run, code, deadline)
        status = reply["content"].get("status")
    if status not in (None, "ok"):
        raise RuntimeError(f"execute_reply status {status!r}: {_err(reply)}")
    times = []
    try:
        for _ in range(samples):
            dt, _ = one_execute(run, code, deadline)
            times.append(dt)
    except Timeout:
        if len(times) < 10:
            raise
    times.sort()
    out = {
        "median_ms": statistics.median(times) * 1e3,
        "p99_ms": _p99(times) * 1e3,
        "min_ms": times[0] * 1e3,
        "n": len(times),
    }
    if len(times) < samples:
        out["done"] = False
        out["text"] = f"{len(times)} of {samples} answered in {timeout:.0f} s"
    return out


def phase_pipelined(run: Run, code: str, n: int, timeout: float) -> dict:
    t0 = time.perf_counter()
    ids = [run.execute(code) for _ in range(n)]
    index = {mid: i for i, mid in enumerate(ids)}
    replies = 0
    idles = 0
    order_ok = True
    next_expected = 0
    counts: list[int] = []
    last_reply = last_idle = False
    statuses: dict[str, int] = {}
    last_at = None
    try:
        for ch, m in run.poll(t0 + timeout):
            i = index.get(m["parent_header"].get("msg_id"))
            if i is None:
                continue
            if ch == "shell" and m["msg_type"] == "execute_reply":
                replies += 1
                last_at = time.perf_counter()
                st = m["content"].get("status", "?")
                statuses[st] = statuses.get(st, 0) + 1
                if "execution_count" in m["content"]:
                    counts.append(m["content"]["execution_count"])
                if i != next_expected:
                    order_ok = False
                next_expected = i + 1
                last_reply = last_reply or i == n - 1
            elif ch == "iopub" and m["msg_type"] == "status" and m["content"].get("execution_state") == "idle":
                idles += 1
                last_idle = last_idle or i == n - 1
            if last_reply and last_idle:
                break
    except Timeout:
        el = time.perf_counter() - t0
        return {"done": False, "answered": replies, "n": n, "seconds": el, "per_s": replies / el,
                "last_reply_s": last_at - t0 if last_at else None,
                "text": f"{replies}/{n} in {el:.0f} s" + (f" (none after {last_at - t0:.1f} s)"
                                                          if last_at and el - (last_at - t0) > 5 else "")}  # fmt: skip
    el = time.perf_counter() - t0
    consecutive = all(b == a + 1 for a, b in zip(counts, counts[1:])) and len(counts) == n
    out = {"done": True, "answered": replies, "n": n, "seconds": el, "per_s": n / el,
           "in_order": order_ok, "consecutive_counts": consecutive, "idles": idles}  # fmt: skip
    if statuses.keys() - {"ok"}:
        out["statuses"] = statuses
    return out


def _late_x(run: Run) -> int:
    """Runs a trivial cell and counts 'x' characters of stdout that turn up meanwhile, whatever
    their parent: output a kernel held back from the previous cell."""
    mid = run.execute("1+1")
    n = 0
    idle_at = None
    try:
        for _ch, m in run.poll(time.perf_counter() + 5.0):
            if m["msg_type"] == "stream":
                n += m["content"].get("text", "").count("x")
            if _is_idle(m, mid) and idle_at is None:
                idle_at = time.perf_counter()
            if idle_at is not None and time.perf_counter() - idle_at > 1.0:
                break
    except Timeout:
        pass
    return n


def phase_pipelined_repeated(run: Run, code: str, n: int, timeout: float, repeats: int) -> dict:
    """phase_pipelined `repeats` times on one process (once when a run takes over 5 s); the median."""
    runs = []
    for _ in range(repeats):
        r = phase_pipelined(run, code, n, timeout)
        runs.append(r)
        if not r["done"] or r["seconds"] > 5.0:
            break
        run.drain()
    done = [r for r in runs if r["done"]]
    if len(done) < len(runs):
        return runs[-1]
    out = dict(sorted(done, key=lambda r: r["per_s"])[len(done) // 2])
    out["samples_per_s"] = [round(r["per_s"]) for r in done]
    out["in_order"] = all(r["in_order"] for r in done)
    out["consecutive_counts"] = all(r["consecutive_counts"] for r in done)
    return out


def phase_stream(run: Run, code: str, timeout: float, repeats: int) -> dict:
    """Time from sending the cell until every byte arrived in `stream` messages, the reply and
    the idle. Output published after the idle still counts (noted as a protocol bug) if it
    comes within 2 s of the idle; missing bytes fail the figure loudly."""
    expected_x = STREAM_CHUNKS * STREAM_CHUNK
    results = []
    late = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        mid = run.execute(code)
        nx = nbytes = after_idle = 0
        reply = None
        idle_at = None
        deadline = t0 + timeout
        while True:
            try:
                for ch, m in run.poll(deadline):
                    if m["parent_header"].get("msg_id") != mid:
                        continue
                    if ch == "shell":
                        reply = m
                    elif m["msg_type"] == "stream" and m["content"].get("name") == "stdout":
                        text = m["content"].get("text", "")
                        nx += text.count("x")
                        nbytes += len(text.encode())
                        if idle_at is not None:
                            after_idle += len(text)
                    elif _is_idle(m, mid):
                        idle_at = time.perf_counter()
                    if reply is not None and idle_at is not None:
                        break
            except Timeout:
                pass
            if reply is not None and idle_at is not None:
                if nx >= expected_x:
                    break
                if reply["content"].get("status") != "ok":
                    raise PhaseError(f"the stream cell failed:{_err(reply)}",
                                     f"error reply ({reply['content'].get('ename', '?')})")  # fmt: skip
                grace = min(t0 + timeout, idle_at + 2.0)
                if deadline > grace:
                    deadline = grace  # wait a little for output that trails the idle
                    continue
                later = _late_x(run)
                raise PhaseError(
                    f"stream output incomplete: {nx} of {expected_x} 'x' characters arrived by 2 s after "
                    f"the idle (reply status {reply['content'].get('status')!r}{_err(reply)})"
                    + (f"; {later} more came with the next cell's parent_header" if later else ""),
                    f"output lost ({(expected_x - nx) / 2**20:.0f} of {expected_x / 2**20:.0f} MiB)",
                )
            el = time.perf_counter() - t0
            return {"done": False, "bytes": nbytes, "seconds": el,
                    "text": f"timeout ({nbytes / 1e6:.1f} of {expected_x / 1e6:.1f} MB in {el:.0f} s)"}  # fmt: skip
        el = time.perf_counter() - t0
        if nx != expected_x:
            raise PhaseError(
                f"stream output: {nx} 'x' characters arrived, expected {expected_x} (the surplus is output "
                "of an earlier cell published under this cell's parent_header)",
                "output misattributed",
            )
        results.append((el, nbytes))
        late = max(late, after_idle)
        if el > 5.0:  # slow kernel: one sample is enough
            break
    el, nbytes = sorted(results)[len(results) // 2]
    out = {"done": True, "bytes": nbytes, "seconds": el, "mb_per_s": nbytes / 1e6 / el, "samples": len(results)}
    if late:
        out["bytes_after_idle"] = late  # output published after status idle: a protocol bug
    return out


def probe_stall(run: Run) -> str:
    """After a phase timed out: was the kernel slow, or silent with requests outstanding?
    A silent kernel is poked with a kernel_info_request on shell, then one on control. If that
    makes the held-back answers come out, it was "stalled" (woken by the next message); if it
    answers the poke but never the outstanding executes, "stuck"; if nothing answers, "hung"."""
    silent = time.perf_counter() - run.last_rx
    if run.proc is None or run.proc.poll() is not None:
        return "kernel exited"
    if silent < 5.0:
        return ""  # still answering when the phase's time ran out: slow, not stalled
    woke = 0
    answered = []
    run.poller.register(run.control, zmq.POLLIN)
    try:
        for sock, where in ((run.shell, "shell"), (run.control, "control")):
            poke = run.send(sock, "kernel_info_request", {})
            end = time.perf_counter() + 3.0
            while time.perf_counter() < end:
                for s, _ in run.poller.poll(100):
                    try:
                        m = run._recv(s)
                    except zmq.Again:
                        continue
                    if m["parent_header"].get("msg_id") == poke:
                        if m["msg_type"] == "kernel_info_reply":
                            answered.append(where)
                    elif m["parent_header"].get("msg_type") != "kernel_info_request":
                        woke += 1
            if woke or answered:
                break
    finally:
        run.poller.unregister(run.control)
    if woke:
        return (f"stalled: silent for {silent:.0f} s with requests outstanding; a kernel_info_request on "
                f"{where} woke it and {woke} held-back messages came out")  # fmt: skip
    if answered:
        return (f"stuck: silent for {silent:.0f} s with executes outstanding, yet it answers "
                f"kernel_info_request on {answered[0]}; the outstanding executes never came out")  # fmt: skip
    return f"hung: silent for {silent:.0f} s; no answer to kernel_info_request on shell nor on control"


# A cell that declares a function and a class and uses them. "same" re-runs one text that
# re-declares the same names (what re-running a notebook cell does); "new" declares new names each
# time, so the global scope grows with the samples too. Fillers declare new names as well.
DECL_SAME = "function f(x: number) { return x * 2 }\nclass C { v = f(21) }\nnew C().v"
DECL_NEW = "function f{i}(x: number) {{ return x * 2 }}\nclass C{i} {{ v = f{i}(21) }}\nnew C{i}().v"
DECL_PLAIN = "1+1"  # a cell that declares nothing: does every cell get dearer with history?
DECL_FILLER = "const k{i} = {i}\nfunction g{i}(x: number) {{ return x + k{i} }}\nclass D{i} {{ w = g{i}(1) }}"


def phase_decl(run: Run, warmup: int, samples: int, fillers: int, timeout: float) -> dict:
    """Round trips of declaring cells (send -> reply and idle, as in phase_rtt), on a fresh process:
    1 filler cell; `warmup` rounds of (same, new), then `samples` rounds measured; `fillers` filler
    cells; the same measurement again. A cell that fails fails the figure; a kernel that stops
    answering gets a partial figure marked done=False (the driver then diagnoses it)."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    counter = iter(range(1_000_000))
    cells = 0
    total = 1 + 2 * 3 * (warmup + samples) + fillers

    def execute(code: str, what: str) -> float:
        nonlocal cells
        dt, reply = one_execute(run, code, deadline)
        cells += 1
        if reply["content"].get("status") != "ok":
            raise PhaseError(f"{what} failed:{_err(reply)}", f"{what} failed ({reply['content'].get('ename', '?')})")
        return dt

    def measure() -> dict:
        history = cells
        times: dict[str, list[float]] = {"same": [], "new": [], "plain": []}
        for k in range(warmup + samples):
            if k == warmup:
                history = cells  # cells run before the first sample, warm-up included
            same = execute(DECL_SAME, "re-declaring cell")
            new = execute(DECL_NEW.format(i=next(counter)), "declaring cell")
            plain = execute(DECL_PLAIN, "`1+1` cell")
            if k >= warmup:
                times["same"].append(same)
                times["new"].append(new)
                times["plain"].append(plain)
        out: dict = {"history": history}
        for variant, ts in times.items():
            ts.sort()
            out[variant] = {"median_ms": statistics.median(ts) * 1e3, "p99_ms": _p99(ts) * 1e3, "n": len(ts)}
        return out

    res: dict = {"fillers": fillers}
    try:
        execute(DECL_FILLER.format(i=next(counter)), "filler cell")
        res["first"] = measure()
        for _ in range(fillers):
            execute(DECL_FILLER.format(i=next(counter)), "filler cell")
        res["later"] = measure()
    except Timeout:
        res.update(done=False, cells=cells, text=f"{cells}/{total} cells in {time.perf_counter() - t0:.0f} s")
        return res
    res["done"] = True
    for variant in ("same", "new", "plain"):
        a, b = res["first"][variant], res["later"][variant]
        res[variant] = {"growth": b["median_ms"] / a["median_ms"], "p99_growth": b["p99_ms"] / a["p99_ms"]}
    return res


# An IntSlider's comm, both ways. The slider's max is out of reach so that no value is clamped.
COMM_SETUP = {
    "js": "globalThis.__bench_w = new widgets.IntSlider({ value: 0, max: 2000000000 }); __bench_w.modelId",
    "py": "import ipywidgets as __widgets\n__bench_w = __widgets.IntSlider(value=0, max=2_000_000_000)\n__bench_w.model_id",
}
COMM_K2F = {
    "js": "for (let i = {a}; i < {b}; i++) __bench_w.value = i",
    "py": "for __i in range({a}, {b}):\n    __bench_w.value = __i",
}


def execute_collect(run: Run, code: str, deadline: float) -> tuple[dict, list[dict]]:
    """Execute `code`; its reply and its iopub messages up to the idle."""
    mid = run.execute(code)
    reply, msgs = None, []
    for ch, m in run.poll(deadline):
        if m["parent_header"].get("msg_id") != mid:
            continue
        if ch == "shell":
            reply = m
        elif _is_idle(m, mid):
            msgs.append(m)
            if reply is not None:
                break
            continue
        else:
            msgs.append(m)
        if reply is not None and msgs and _is_idle(msgs[-1], mid):
            break
    return reply, msgs


def _result_text(msgs: list[dict]) -> str:
    for m in msgs:
        if m["msg_type"] == "execute_result":
            return str(m["content"]["data"].get("text/plain", ""))
    return ""


def phase_comm(run: Run, lang: str, n: int, repeats: int, timeout: float) -> dict:
    """Comm messages per second through an IntSlider, kernel -> frontend and frontend -> kernel.

    k2f: one cell sets the slider's value n times; from sending it until all n `update` comm_msgs,
    the reply and the idle arrived (a missing update fails the figure). f2k: n `update` comm_msgs
    (what a slider drag sends) sent back to back; until the idle of each; then a cell checks that the
    kernel has the last value (all taken, in order). Each `repeats` times; the medians."""
    deadline = time.perf_counter() + timeout
    reply, msgs = execute_collect(run, COMM_SETUP[lang], deadline)
    if reply["content"].get("status") != "ok":
        raise PhaseError(f"the widget setup cell failed:{_err(reply)}", f"no widget ({reply['content'].get('ename', '?')})")
    model_id = _result_text(msgs).strip("'\"")
    base = 1
    k2f: list[float] = []
    f2k: list[float] = []
    echoes = unparented = 0

    def kernel_to_frontend(count_n: int) -> float:
        nonlocal base
        t0 = time.perf_counter()
        mid = run.execute(COMM_K2F[lang].format(a=base, b=base + count_n))
        count, last, reply, idle = 0, None, None, False
        for ch, m in run.poll(deadline):
            if ch == "shell":
                if m["parent_header"].get("msg_id") == mid:
                    reply = m
            elif m["msg_type"] == "comm_msg" and m["content"].get("comm_id") == model_id:
                data = m["content"].get("data", {})
                if data.get("method") == "update":
                    count += 1
                    last = data.get("state", {}).get("value")
            elif _is_idle(m, mid):
                idle = True
            if reply is not None and idle:
                break
        el = time.perf_counter() - t0
        if reply["content"].get("status") != "ok" or count != count_n or last != base + count_n - 1:
            raise PhaseError(f"kernel -> frontend: {count} of {count_n} updates, last value {last!r}{_err(reply)}",
                             f"updates lost ({count}/{count_n})")  # fmt: skip
        base += count_n
        run.drain()
        return count_n / el

    def frontend_to_kernel(count_n: int) -> float:
        nonlocal base, echoes, unparented
        t0 = time.perf_counter()
        ids = set()
        for i in range(count_n):
            ids.add(run.send(run.shell, "comm_msg", {"comm_id": model_id, "data": {
                "method": "update", "state": {"value": base + i}, "buffer_paths": []}}))  # fmt: skip
        idles = 0
        for _ch, m in run.poll(deadline):
            echo = m["msg_type"] == "comm_msg" and m["content"].get("data", {}).get("method") == "echo_update"
            if m["parent_header"].get("msg_id") not in ids:
                unparented += echo and not m["parent_header"]
                continue
            if m["msg_type"] == "status" and m["content"].get("execution_state") == "idle":
                idles += 1
                if idles == count_n:
                    break
            elif echo:
                echoes += 1
        el = time.perf_counter() - t0
        _, msgs = execute_collect(run, "__bench_w.value", deadline)
        got = _result_text(msgs)
        if got != str(base + count_n - 1):
            raise PhaseError(f"frontend -> kernel: the kernel's value is {got!r} after {count_n} updates up to {base + count_n - 1}",
                             "updates lost or out of order")  # fmt: skip
        base += count_n
        run.drain()
        return count_n / el

    try:
        # one round unmeasured each way, as the round trip's warm-up: the JIT is cold at first
        kernel_to_frontend(min(n, 500))
        frontend_to_kernel(min(n, 500))
        echoes = unparented = 0
        for _ in range(repeats):
            k2f.append(kernel_to_frontend(n))
            f2k.append(frontend_to_kernel(n))
    except Timeout:
        done = f"k→f {statistics.median(k2f):.0f}/s; " if k2f else ""
        return {"done": False, "n": n, "text": f"{done}timeout ({timeout:.0f} s)",
                **({"k2f": {"per_s": statistics.median(k2f)}} if k2f else {})}  # fmt: skip
    return {
        "done": True, "n": n,
        "k2f": {"per_s": statistics.median(k2f), "samples_per_s": [round(x) for x in k2f]},
        "f2k": {"per_s": statistics.median(f2k), "samples_per_s": [round(x) for x in f2k]},
        "echo_updates": echoes,
        **({"echo_updates_without_parent": unparented} if unparented else {}),
    }  # fmt: skip


# (setup, the cell to interrupt, check) per variant and language. Each variant sets a name of its
# own: both run on one process, and a TypeScript kernel may refuse to re-declare a `const`.
INTERRUPT_CODE = {
    "loop": {
        "js": ("const keep = 41", "while (true) {}", "keep + 1"),
        "py": ("keep = 41", "while True:\n    pass", "keep + 1"),
    },
    # nothing runs while the cell waits: the kernel has to cancel the await itself (ipykernel and
    # async-kernel run top-level await in a cell)
    "sleep": {
        "js": ("const kept = 41", "await new Promise(r => setTimeout(r, 60000))", "kept + 1"),
        "py": ("kept = 41", "import asyncio\nawait asyncio.sleep(60)", "kept + 1"),
    },
}
INTERRUPTED = {"loop": "loop", "sleep": "awaiting"}
# The phases measuring phase_interrupt's variants, and what the targets call the cell interrupted.
INTERRUPT_PHASES = {"interrupt": "a busy loop", "interrupt_sleep": "an awaited sleep"}


def phase_interrupt(run: Run, lang: str, mode: str, variant: str = "loop", timeout: float = 10.0) -> dict:
    """A busy loop (variant "loop") or a cell awaiting a long sleep ("sleep"), interrupted the way
    the kernel's kernelspec says (interrupt_mode): SIGINT to its process group as jupyter_client
    does, or an interrupt_request on control. Time from the interrupt to that cell's
    execute_reply, then whether a variable set before survived."""
    setup, cell, check = INTERRUPT_CODE[variant][lang]
    what = INTERRUPTED[variant]
    _, reply = one_execute(run, setup, time.perf_counter() + timeout)
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"setup cell failed:{_err(reply)}")
    mid = run.execute(cell)
    for ch, m in run.poll(time.perf_counter() + timeout):
        if ch == "iopub" and m["parent_header"].get("msg_id") == mid and (
            m["msg_type"] == "execute_input" or m["content"].get("execution_state") == "busy"
        ):
            break
    time.sleep(0.3)  # let the loop spin, or the await settle
    while run.shell.poll(0, zmq.POLLIN):  # did the cell end by itself (an error)?
        m = run._recv(run.shell)
        if m["parent_header"].get("msg_id") == mid:
            raise PhaseError(f"the {what} cell ended before the interrupt:{_err(m)}", f"{what} cell failed")
    t0 = time.perf_counter()
    if mode == "signal":
        os.killpg(run.proc.pid, signal.SIGINT)
    else:
        run.send(run.control, "interrupt_request", {})
    reply = None
    try:
        for ch, m in run.poll(t0 + timeout):
            if ch == "shell" and m["parent_header"].get("msg_id") == mid:
                reply = m
                break
    except Timeout:
        return {"error": f"no reply in {timeout:.0f} s after the interrupt", "text": f"no reply in {timeout:.0f} s ({mode})",
                "mode": mode}  # fmt: skip
    except KernelDied:
        rc = run.proc.returncode
        how = f"signal {signal.Signals(-rc).name}" if rc is not None and rc < 0 else f"exit code {rc}"
        return {"error": f"kernel died ({how}) on the interrupt", "text": f"kernel died ({mode})", "mode": mode,
                "log_tail": run.log_tail(3).splitlines()}  # fmt: skip
    el = time.perf_counter() - t0
    out = {"done": True, "ms": el * 1e3, "mode": mode, "reply_status": reply["content"].get("status")}
    # is the kernel still there, and is the variable still set? (tried again 0.5 s later if the
    # check is refused, e.g. inside a kernel's abort window after an error)
    for attempt in (1, 2, 3):
        if attempt > 1:
            time.sleep(0.5)  # as a user would, re-run the cell a moment later
        cid = run.execute(check)
        seen, rep, idle = "", None, False
        try:
            for ch, m in run.poll(time.perf_counter() + timeout):
                if m["parent_header"].get("msg_id") != cid:
                    continue
                if ch == "shell":
                    rep = m
                elif m["msg_type"] in ("execute_result", "display_data"):
                    seen += str(m["content"].get("data", {}).get("text/plain", ""))
                elif m["msg_type"] == "stream":
                    seen += m["content"].get("text", "")
                elif _is_idle(m, cid):
                    idle = True
                if rep is not None and idle:
                    break
        except Timeout:
            out["after"] = "then no answers"
            return out
        except KernelDied:
            out["after"] = "then the kernel died"
            return out
        out["state_kept"] = "42" in seen
        if out["state_kept"]:
            if attempt > 1:
                out["note"] = "the first cell after the interrupt was refused: " + out.pop("check_output")
            return out
        out["check_output"] = (seen or f"(nothing; reply status {rep['content'].get('status')!r}{_err(rep)})")[:200]
    st = rep["content"].get("status")
    out["after"] = f"then cells answered {st!r}" if not seen and st != "ok" else "state LOST"
    return out


# The first completion after a start (design §8: under 300 ms, JupyterLab's completer gives up after
# 1 s): per language, the probe and its expected match, then a plainer probe (a global's member)
# that shows whether a kernel that misses the first completes at all.
COMPLETION_PROBES = {
    "js": (("'abc'.toUpp", "toUpperCase"), ("Math.ma", "max")),
    "py": (("'abc'.upp", "upper"), ("str.upp", "upper")),
}


def complete_once(run: Run, code: str, deadline: float) -> tuple[float, dict]:
    """One complete_request with the cursor at the end; (seconds to its reply, the reply's content)."""
    t0 = time.perf_counter()
    mid = run.send(run.shell, "complete_request", {"code": code, "cursor_pos": len(code)})
    for ch, m in run.poll(deadline):
        if ch == "shell" and m["parent_header"].get("msg_id") == mid:
            return time.perf_counter() - t0, m["content"]
    raise AssertionError("unreachable")


def phase_completion(run: Run, lang: str, timeout: float) -> dict:
    """Spawns the kernel; right after its first kernel_info_reply (as a frontend that was just
    (re)started, and a user pressing Tab at once) the first probe, then the second. The time from
    sending the first to its reply, and whether each reply had its match."""
    phase_startup(run, timeout)
    (code, want), (code2, want2) = COMPLETION_PROBES[lang]
    deadline = time.perf_counter() + timeout
    dt, c = complete_once(run, code, deadline)
    _, c2 = complete_once(run, code2, deadline)
    return {"s": dt, "hit": want in (c.get("matches") or []), "hit2": want2 in (c2.get("matches") or []),
            "typed": bool((c.get("metadata") or {}).get("_jupyter_types_experimental"))}  # fmt: skip


def completion_summary(samples: list[dict], lang: str) -> dict:
    (code, want), (code2, want2) = COMPLETION_PROBES[lang]
    times = sorted(x["s"] for x in samples)
    return {
        "median_ms": statistics.median(times) * 1e3, "min_ms": times[0] * 1e3, "max_ms": times[-1] * 1e3,
        "n": len(samples), "probe": code, "want": want, "hits": sum(x["hit"] for x in samples),
        "probe2": code2, "want2": want2, "hits2": sum(x["hit2"] for x in samples),
        "typed": sum(x["typed"] for x in samples),
    }  # fmt: skip


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the kernel's process group (the kernel and whatever
    it started), from /proc: each thread's isolate, the heap, the binary's pages in use."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            # the fields after the command name, which may hold spaces and parentheses
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or a kernel thread without VmRSS
    return total / 1024


def settled_rss_mb(pgid: int) -> float:
    """The least of five samples over half a second: a collection about to run does not count."""
    samples = []
    for _ in range(5):
        time.sleep(0.1)
        samples.append(group_rss_mb(pgid))
    return min(samples)


def phase_memory(run: Run, lang: str, typed_warmup: bool, executes: int, settle: float, timeout: float) -> dict:
    """RSS of the kernel's process group at idle, after start-up and what a first completion loads
    (our language service: until its answers carry match kinds, i.e. after its warm-up), `settle`
    seconds later; then after `executes` cells of `1+1` sent as a frontend sends them (each after
    the previous reply and idle). A kernel that stops answering gets the RSS after what it answered."""
    code, _want = COMPLETION_PROBES[lang][0]
    deadline = time.perf_counter() + 30
    while True:
        _, c = complete_once(run, code, deadline)
        if not typed_warmup or (c.get("metadata") or {}).get("_jupyter_types_experimental"):
            break
        time.sleep(0.2)
    time.sleep(settle)
    pgid = run.proc.pid
    idle = settled_rss_mb(pgid)
    done = 0
    t0 = time.perf_counter()
    stopped = ""
    try:
        deadline = t0 + timeout
        for _ in range(executes):
            # a kernel silent for 10 s has stopped answering (tslab does after some hundred cells)
            _, reply = one_execute(run, "1+1", min(deadline, time.perf_counter() + 10))
            if reply["content"].get("status") != "ok":
                stopped = f"an execute failed:{_err(reply)}"
                break
            done += 1
    except Timeout:
        stopped = f"{done:,} of {executes:,} answered, then none in 10 s" if time.perf_counter() < deadline else \
            f"{done:,} of {executes:,} answered in {timeout:.0f} s"
    elapsed = time.perf_counter() - t0
    time.sleep(1.0)
    after = settled_rss_mb(pgid)
    out = {"done": done == executes, "idle_mb": idle, "after_mb": after, "growth_mb": after - idle,
           "executes": done, "seconds": elapsed}  # fmt: skip
    if stopped:
        out["note"] = stopped
    return out


# Compute-bound cell code, the same text three ways: top-level code of a cell in each JS kernel, and
# a plain Node ES module (`node file.mjs`) as the reference. Each body is plain JavaScript that is
# also strict TypeScript (parameters typed by their defaults: tslab checks every cell), top-level
# (not in a function: how cell code is written, and what a kernel's cell transform acts on), with
# `{r}` made unique per run (a kernel may refuse to re-declare a `const`). The time is taken inside
# the code (performance.now() around the work), so the protocol costs nothing here; each prints
# `__ms <ms> <check>`, and the check must agree with the plain module's.
COMPUTE_WORKLOADS = [
    ("numeric loop (3e7)", "acc{r}",
     "let acc{r} = 0;\nfor (let i = 0; i < 3e7; i++) acc{r} = (acc{r} + i * 7) % 1000003;"),
    ("method calls (1e7)", "counter{r}.n",
     "class Counter{r} { n = 0; add(k = 0) { this.n = (this.n + k) % 1000003; return this; } }\n"
     "const counter{r} = new Counter{r}();\nfor (let i = 0; i < 1e7; i++) counter{r}.add(i & 7);"),
    ("recursion (fib 30)", "fib{r}(30)",
     "function fib{r}(n = 0): number { return n < 2 ? n : fib{r}(n - 1) + fib{r}(n - 2); }\n"
     "const f{r} = fib{r}(30);"),
    ("sort (1e6 numbers)", "arr{r}[500000]",
     "const arr{r} = Array.from({ length: 1e6 }, (_, i) => (i * 2654435761) % 1000003);\n"
     "arr{r}.sort((a, b) => a - b);"),
    ("string building (2e6 appends)", "s{r}.length",
     "let s{r} = \"\";\nfor (let i = 0; i < 2e6; i++) s{r} += String.fromCharCode(97 + (i % 26));\n"
     "const len{r} = s{r}.length;"),
    ("object/Map churn (1e6 sets)", "m{r}.size",
     "const m{r} = new Map();\n"
     "for (let i = 0; i < 1e6; i++) m{r}.set(\"k\" + (i % 50000), { i, sq: i * i, tag: \"t\" + (i & 15) });"),
    ("closures (1e6 made and called)", "sum{r}",
     "const fns{r} = [];\nfor (let i = 0; i < 1e6; i++) fns{r}.push(() => i * 2);\n"
     "let sum{r} = 0;\nfor (const fn of fns{r}) sum{r} = (sum{r} + fn()) % 1000003;"),
]
COMPUTE_MARK = re.compile(r"__ms (\d+(?:\.\d+)?) (.*)")


def compute_code(body: str, check: str, r: str) -> str:
    """A workload's text for run `r`: timed inside, printing `__ms <ms> <check>`. The TypeScript
    annotation in `fib` (recursive functions need one) is stripped for the plain module."""
    t = f"t0_{r}"
    text = (f"const {t} = performance.now();\n{body}\n"
            f"console.log(`__ms ${{(performance.now() - {t}).toFixed(3)}} ${{String({check})}}`);")  # fmt: skip
    return text.replace("{r}", r)


_node_compute: dict | None = None


def node_compute(repeats: int, timeout: float) -> dict:
    """The reference: each workload as a plain Node ES module, `repeats` fresh processes, the best.
    Measured once per bench run (every JS kernel's compute phase is compared with it)."""
    global _node_compute
    if _node_compute is not None:
        return _node_compute
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-compute-") as tmp:
        for i, (name, check, body) in enumerate(COMPUTE_WORKLOADS):
            path = Path(tmp) / f"w{i}.mjs"
            path.write_text(compute_code(body, check, "0").replace("(n = 0): number", "(n = 0)"))
            best, value = None, None
            for _ in range(repeats):
                p = subprocess.run([NODE, str(path)], capture_output=True, text=True, timeout=timeout)
                m = COMPUTE_MARK.search(p.stdout)
                if p.returncode != 0 or not m:
                    raise RuntimeError(f"plain node, {name}: {p.stderr.strip()[-300:] or p.stdout[-300:]}")
                best = min(best or float("inf"), float(m.group(1)))
                value = m.group(2)
            out[name] = {"ms": best, "check": value}
    _node_compute = out
    return out


def phase_compute(run: Run, repeats: int, timeout: float) -> dict:
    """Each workload as cell code, `repeats` cells (new names each), the best time; next to the plain
    Node module's (the same text, run by `node file.mjs`). A result that differs from the module's
    fails that workload."""
    ref = node_compute(repeats, timeout)
    work: dict[str, dict] = {}
    for name, check, body in COMPUTE_WORKLOADS:
        best, value, err = None, None, ""
        for k in range(repeats):
            reply, msgs = execute_collect(run, compute_code(body, check, f"c{next(_compute_runs)}"),
                                          time.perf_counter() + timeout)  # fmt: skip
            text = "".join(m["content"].get("text", "") for m in msgs if m["msg_type"] == "stream")
            m = COMPUTE_MARK.search(text)
            if reply["content"].get("status") != "ok" or not m:
                err = f"failed:{_err(reply) or ' no timing printed'}"
                break
            best = min(best or float("inf"), float(m.group(1)))
            value = m.group(2)
            if best > 5000:
                break  # a slow kernel: one run is enough to tell
        if err:
            work[name] = {"error": err, "node_ms": ref[name]["ms"]}
        elif value != ref[name]["check"]:
            work[name] = {"error": f"result {value!r}, the plain module's {ref[name]['check']!r}", "node_ms": ref[name]["ms"]}
        else:
            work[name] = {"ms": best, "node_ms": ref[name]["ms"], "x_node": best / ref[name]["ms"]}
    ratios = [w["x_node"] for w in work.values() if "x_node" in w]
    out: dict = {"done": len(ratios) == len(work), "workloads": work, "repeats": repeats}
    if ratios:
        out["geomean_x_node"] = statistics.geometric_mean(ratios)
    return out


_compute_runs = iter(range(1_000_000))


# ---------------------------------------------------------------------------------------------
# driver


def bench_kernel(name: str, spec: dict, ctx: zmq.Context, workdir: Path, opts) -> dict:
    res: dict = {"label": spec["label"], "argv": [a.replace(str(ROOT) + "/", "") for a in spec["argv"]]}
    needs = spec.get("needs")
    if needs is not None and not Path(needs).exists():
        res["error"] = f"missing {Path(needs).relative_to(ROOT)}"
        return res
    code = "1+1"
    stream_code = JS_STREAM if spec["lang"] == "js" else PY_STREAM
    launch = iter(range(1000))

    # 1. startup: N launches, each killed right after its first kernel_info_reply
    startups = []
    for _ in range(0 if "startup" in opts.skip else opts.launches):
        run = Run(name, spec, ctx, workdir, next(launch))
        try:
            startups.append(phase_startup(run, opts.timeout))
        except (Timeout, KernelDied) as e:
            err = f"no kernel_info_reply in {opts.timeout:.0f} s" if isinstance(e, Timeout) else str(e)
            res["startup"] = {"error": err}
            res["log_tail"] = run.log_tail()
            res["error"] = f"startup: {err}"
            return res
        finally:
            run.close()
    res["startup"] = {
        "median_ms": statistics.median(startups) * 1e3,
        "min_ms": min(startups) * 1e3,
        "max_ms": max(startups) * 1e3,
        "n": len(startups),
    } if startups else {"skipped": True}
    print(f"    startup: {fmt_phase('startup', res['startup'])}", flush=True)

    # 1b. the first completion: N more launches, each asked to complete right after its first reply
    if spec.get("no_stream") or "completion" in opts.skip:
        res["completion"] = {"skipped": True}
    else:
        samples = []
        for _ in range(opts.completion_launches):
            run = Run(name, spec, ctx, workdir, next(launch))
            try:
                samples.append(phase_completion(run, spec["lang"], opts.timeout))
            except (Timeout, KernelDied) as e:
                res["completion"] = {"error": "no complete_reply" if isinstance(e, Timeout) else str(e)}
                res["log_tail"] = run.log_tail()
                break
            finally:
                run.close()
        else:
            res["completion"] = completion_summary(samples, spec["lang"])
        print(f"    completion: {fmt_phase('completion', res['completion'])}", flush=True)

    # 2. the other phases share one process; a phase that times out, fails or kills the
    # kernel gets the next phase a fresh process, so one bad phase cannot spoil the next
    phases = [
        ("rtt", lambda run: phase_rtt(run, code, opts.warmup, opts.samples, opts.timeout)),
        ("pipelined", lambda run: phase_pipelined_repeated(run, code, opts.pipelined, opts.timeout, opts.repeats)),
        ("stream", None if spec.get("no_stream") else
            lambda run: phase_stream(run, stream_code, opts.timeout, opts.stream_repeats)),
        ("comm", None if not spec.get("widgets") else
            lambda run: phase_comm(run, spec["lang"], opts.comm_messages, opts.repeats, opts.timeout)),
        ("interrupt", None if spec.get("no_stream") else
            lambda run: phase_interrupt(run, spec["lang"], spec.get("interrupt_mode", "signal"))),
        ("interrupt_sleep", None if spec.get("no_stream") else
            lambda run: phase_interrupt(run, spec["lang"], spec.get("interrupt_mode", "signal"), "sleep")),
        ("decl", None if spec.get("no_stream") or spec["lang"] != "js" else
            lambda run: phase_decl(run, opts.decl_warmup, opts.decl_samples, opts.decl_fillers, opts.timeout)),
        ("memory", None if spec.get("no_stream") else
            lambda run: phase_memory(run, spec["lang"], name in ("ours", "baseline"), opts.memory_executes, opts.settle,
                                     3 * opts.timeout)),
        ("compute", None if spec.get("no_stream") or spec["lang"] != "js" else
            lambda run: phase_compute(run, opts.compute_repeats, opts.timeout)),
    ]  # fmt: skip
    notes: list[str] = []
    run: Run | None = None
    retry_done: dict[str, bool] = {}
    queue = list(phases)
    try:
        while queue:
            phase, fn = queue.pop(0)
            if fn is None or phase in opts.skip:
                res[phase] = {"skipped": True}
                continue
            if phase in FRESH_PHASES and run is not None:
                run.close()  # its figures are about the cells before it: start from none
                run = None
            if run is None:
                run = Run(name, spec, ctx, workdir, next(launch))
                try:
                    phase_startup(run, opts.timeout)
                    note = wait_iopub_ready(run)
                    if note and note not in notes:
                        notes.append(note)
                    # The same quiet time for every kernel: work a kernel does in the background
                    # after start-up (our language service loading TypeScript, a peer's own
                    # warm-up) is start-up cost, not the round trip's.
                    time.sleep(opts.settle)
                except Exception as e:  # noqa: BLE001
                    res[phase] = {"error": f"relaunch failed: {type(e).__name__}: {e}"}
                    res["log_tail"] = run.log_tail()
                    run.close()
                    run = None
                    print(f"    {phase}: {fmt_phase(phase, res[phase])}", flush=True)
                    continue
            clean = False
            try:
                res[phase] = fn(run)
                # a phase may also return its error (phase_interrupt: the kernel died, no reply):
                # that process is not fit for the next phase either
                clean = "error" not in res[phase] and res[phase].get("done", True) and "after" not in res[phase]
            except Timeout:
                res[phase] = {"error": "timeout", "text": f"timeout ({opts.timeout:.0f} s)"}
            except KernelDied as e:
                res[phase] = {"error": str(e)}
                res["log_tail"] = run.log_tail()
            except Exception as e:  # noqa: BLE001
                res[phase] = {"error": f"{type(e).__name__}: {e}"}
                if isinstance(e, PhaseError):
                    res[phase]["text"] = e.short
            if clean:
                run.drain()
            else:
                slow = res[phase].get("error") == "timeout" or res[phase].get("done") is False
                diag = probe_stall(run) if slow else ""
                if diag:
                    res[phase]["diagnosis"] = diag
                run.close()
                run = None
                if diag.startswith(("stalled", "hung")) and not retry_done.get(phase):
                    # a wake-up bug or a hang, not slowness: note it, and measure once more on a
                    # fresh process (a kernel "stuck" on executes is not retried: that repeats)
                    retry_done[phase] = True
                    print(f"    {phase}: {fmt_phase(phase, res[phase])} -- {diag}; retrying once", flush=True)
                    res.setdefault("notes", []).append(f"{phase}, first try: {fmt_phase(phase, res[phase])} ({diag})")
                    queue.insert(0, (phase, fn))
                    continue
            print(f"    {phase}: {fmt_phase(phase, res[phase])}", flush=True)
    finally:
        if run is not None:
            run.close()
    if notes:
        res.setdefault("notes", []).extend(notes)
    return res


# Phases measured on a process of their own, not after the earlier phases' cells.
FRESH_PHASES = {"decl", "memory", "compute"}


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


def main() -> int:
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

    specs = kernel_table()
    vers = versions()
    if opts.baseline:
        base = Path(opts.baseline).resolve()
        if not (base / "dist" / "cli" / "main.js").exists():
            ap.error(f"--baseline: {base}/dist/cli/main.js missing (npm ci && npm run build there)")
        specs["baseline"] = {**specs["ours"], "label": f"ours, baseline ({base.name})",
                             "argv": [NODE, str(base / "dist" / "cli" / "main.js"), "start", "-f", "{conn}"],
                             "env": _our_kernel_env(base), "needs": base / "dist" / "cli" / "main.js"}  # fmt: skip
        rev = _run_out(["git", "-C", str(base), "rev-parse", "--short", "HEAD"])
        vers["baseline"] = f"{_pkg_version(base / 'package.json')} ({rev or base})"
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
                _kill_all()
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
    lines = table(results, names)
    compute_lines = compute_table(results, names)
    tg = targets(results)
    print()
    print("\n".join(lines))
    if compute_lines:
        print()
        print("\n".join(compute_lines))
    print()
    print("In parentheses: how many times better ours is than that kernel (>1: ours better;")
    print("time figures peer/ours, rates ours/peer). rtt = execute `1+1` until reply and idle.")
    print("decl = median round trip of a declaring cell at first → after the filler cells, ×growth.")
    obs = observations(results)
    if obs:
        print("\nObserved:")
        print("\n".join(obs))
    if tg:
        print("\nDesign §8 targets:")
        print("\n".join(tg))

    doc = {
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
        "kernels": {k: _round(_slim(v)) for k, v in results.items()},
        "table": lines,
        "compute_table": compute_lines,
        "targets": tg,
        "observed": obs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if (opts.update_docs or (full and not opts.out)) and not opts.no_docs:
        update_docs(doc)
    return 0


def _slim(r: dict) -> dict:
    r = dict(r)
    if "log_tail" in r:
        r["log_tail"] = r["log_tail"].splitlines()[-5:]
    return r


def _round(x):
    if isinstance(x, float):
        return round(x, 3)
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_round(v) for v in x]
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


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        _kill_all()
        sys.exit(130)
