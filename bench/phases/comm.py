"""comm: an IntSlider's comm messages per second, kernel -> frontend and frontend -> kernel."""

from __future__ import annotations

import statistics
import time

from client import PhaseError, Run, Timeout, execute_collect, is_idle, reply_error, result_text

# An IntSlider's comm, both ways. The slider's max is out of reach so that no value is clamped.
COMM_SETUP = {
    "js": "globalThis.__bench_w = new widgets.IntSlider({ value: 0, max: 2000000000 }); __bench_w.modelId",
    "py": "import ipywidgets as __widgets\n__bench_w = __widgets.IntSlider(value=0, max=2_000_000_000)\n__bench_w.model_id",
}
COMM_K2F = {
    "js": "for (let i = {a}; i < {b}; i++) __bench_w.value = i",
    "py": "for __i in range({a}, {b}):\n    __bench_w.value = __i",
}


def phase_comm(run: Run, lang: str, n: int, repeats: int, timeout: float) -> dict:
    """Comm messages per second through an IntSlider, kernel -> frontend and frontend -> kernel.

    k2f: one cell sets the slider's value n times; from sending it until all n `update` comm_msgs,
    the reply and the idle arrived (a missing update fails the figure). f2k: n `update` comm_msgs
    (what a slider drag sends) sent back to back; until the idle of each; then a cell checks that the
    kernel has the last value (all taken, in order). Each `repeats` times; the medians."""
    deadline = time.perf_counter() + timeout
    reply, msgs = execute_collect(run, COMM_SETUP[lang], deadline)
    if reply["content"].get("status") != "ok":
        raise PhaseError(f"the widget setup cell failed:{reply_error(reply)}", f"no widget ({reply['content'].get('ename', '?')})")
    model_id = result_text(msgs).strip("'\"")
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
            elif is_idle(m, mid):
                idle = True
            if reply is not None and idle:
                break
        el = time.perf_counter() - t0
        if reply["content"].get("status") != "ok" or count != count_n or last != base + count_n - 1:
            raise PhaseError(f"kernel -> frontend: {count} of {count_n} updates, last value {last!r}{reply_error(reply)}",
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
        got = result_text(msgs)
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
