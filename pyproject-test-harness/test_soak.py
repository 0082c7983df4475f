"""Load and soak, bounded in time: 10,000 pipelined executes answered in order with consecutive
counts, memory flat over 10,000 executions, 200 MB of stream output and 50,000 comm messages
arriving complete and in order. (test_protocol.py has the other protocol tests; its 500-execute pipeline moved here.)

Each test has a kernel of its own, so what it measures is its own doing. Figures (RSS, bytes,
seconds) are printed: run with `-s` to see them.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from queue import Empty
from typing import Any

import pytest

from conftest import KERNEL_NAME
from kernel_helpers import evaluate, execute, get_reply, kernel_process, report_figure, running_kernel, summarize

pytestmark = pytest.mark.timeout(300)

EXECUTES = 10_000
WARM_UP = 100
RSS_GROWTH_LIMIT_MB = 50
OUTPUT_LINES = 2_000_000
LINE_BYTES = 100  # 200 MB in all


def rss_mb(pid: int) -> float:
    """Resident memory of the whole process (every thread), from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def settled_rss_mb(pid: int) -> float:
    """RSS once the kernel is idle: the least of a few samples over half a second, so a
    collection that is about to run does not count."""
    samples = []
    for _ in range(5):
        time.sleep(0.1)
        samples.append(rss_mb(pid))
    return min(samples)


def language_service_ready(kc) -> None:
    """The TypeScript language service loads ~100 MB once, after start-up: wait for it, so a
    memory baseline is not taken before it. Its replies then carry match kinds."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply = get_reply(kc, kc.complete('"abc".', 6))
        if reply["content"].get("metadata", {}).get("_jupyter_types_experimental"):
            return
        time.sleep(0.2)
    raise AssertionError("the language service never answered")


class Reader:
    """Reads shell and IOPub as they come (a frontend does; a client that leaves IOPub unread
    makes the kernel queue it, since it never drops output), filing them by parent."""

    def __init__(self, kc) -> None:
        self.kc = kc
        self.replies: list[dict[str, Any]] = []
        self.iopub: dict[str, list[dict[str, Any]]] = {}
        self.idles = 0

    def settle(self) -> None:
        """Read until IOPub has been quiet for 0.3 s; count from zero afterwards."""
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0.3)
            except Empty:
                break
        self.replies.clear()
        self.iopub.clear()
        self.idles = 0

    def pump(self, replies: int, idles: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.replies) < replies or self.idles < idles:
            assert time.monotonic() < deadline, (
                f"after {timeout} s: {len(self.replies)} of {replies} replies, {self.idles} of {idles} idles")
            # Wait on the channel that still owes something; take whatever IOPub has meanwhile.
            wait = 0.05 if len(self.replies) >= replies else 0
            while True:
                try:
                    m = self.kc.get_iopub_msg(timeout=wait)
                except Empty:
                    break
                wait = 0
                self.iopub.setdefault(m["parent_header"].get("msg_id"), []).append(m)
                if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                    self.idles += 1
            if len(self.replies) < replies:
                with contextlib.suppress(Empty):
                    self.replies.append(self.kc.get_shell_msg(timeout=0.005))


def test_10000_pipelined_executes_answered_in_order() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        pid = kernel_process(km).pid
        language_service_ready(kc)
        name = f"i_counter_{uuid.uuid4().hex[:8]}"
        code = f"globalThis.{name} = (globalThis.{name} ?? 0) + 1"
        reader = Reader(kc)
        reader.settle()
        rss_before = rss_mb(pid)

        t0 = time.monotonic()
        ids = [kc.execute(code) for _ in range(EXECUTES)]
        reader.pump(EXECUTES, EXECUTES, 180)
        elapsed = time.monotonic() - t0
        parents = [r["parent_header"].get("msg_id") for r in reader.replies]
        assert parents == ids, "replies out of order or mismatched: first difference at index " + str(
            next(i for i, (a, b) in enumerate(zip(parents, ids)) if a != b))
        assert {r["content"]["status"] for r in reader.replies} == {"ok"}
        counts = [r["content"]["execution_count"] for r in reader.replies]
        assert counts == list(range(counts[0], counts[0] + EXECUTES)), (
            f"execution counts not consecutive: {counts[:3]}...{counts[-3:]}")
        # Every request got busy, execute_input (with its reply's count) and idle on IOPub.
        for i, (msg_id, count) in enumerate(zip(ids, counts)):
            seen = reader.iopub.get(msg_id, [])
            types = [m["msg_type"] if m["msg_type"] != "status" else m["content"]["execution_state"] for m in seen]
            assert types[:1] == ["busy"] and types[-1:] == ["idle"] and "execute_input" in types, (
                f"execute #{i}: IOPub sequence {types}")
            ei = next(m for m in seen if m["msg_type"] == "execute_input")
            assert ei["content"]["execution_count"] == count, summarize(ei)
        assert evaluate(kc, f"globalThis.{name}") == str(EXECUTES)
        report_figure(f"{EXECUTES} pipelined executes answered in {elapsed:.1f} s; kernel RSS "
              f"{rss_before:.0f} MB before, {rss_mb(pid):.0f} MB after (all {EXECUTES} in flight at once)")


def test_memory_after_10000_executions_stays_within_50_mb() -> None:
    """Executions sent as a frontend sends cells, each after the previous reply, IOPub read as
    it comes: RSS after 10,000 within 50 MB of RSS after the first 100.

    Input history is off here: the history file is bounded at 10,000 inputs, so its one-off
    compaction (a rewrite through memory) falls right at the end of this run and would be
    measured as growth; it is bounded by design and tested in test/kernel/history.test.ts."""
    env = {**os.environ, "TS_ASYNC_KERNEL_HISTORY": "off"}
    with running_kernel(KERNEL_NAME, start_kwargs={"env": env}) as (km, kc):
        pid = kernel_process(km).pid
        language_service_ready(kc)
        code = "globalThis.soak = (globalThis.soak ?? 0) + 1; display.html(`<b>${soak}</b>`); soak"
        reader = Reader(kc)
        reader.settle()
        rss_after_100 = 0.0
        t0 = time.monotonic()
        for n in range(1, EXECUTES + 1):
            kc.execute(code)
            reader.pump(n, n, 30)
            if n == WARM_UP:
                rss_after_100 = settled_rss_mb(pid)
        elapsed = time.monotonic() - t0
        assert {r["content"]["status"] for r in reader.replies} == {"ok"}
        rss_after = settled_rss_mb(pid)
        assert evaluate(kc, "soak") == str(EXECUTES)
        report_figure(f"kernel RSS after {WARM_UP} executions: {rss_after_100:.1f} MB, after {EXECUTES}: "
              f"{rss_after:.1f} MB ({EXECUTES} executions in {elapsed:.1f} s)")
        assert rss_after - rss_after_100 < RSS_GROWTH_LIMIT_MB, (
            f"RSS grew by {rss_after - rss_after_100:.1f} MB from execution {WARM_UP} to {EXECUTES} "
            f"({rss_after_100:.1f} -> {rss_after:.1f} MB)")


# Deno's kernel (2.9.6) held 217 MB at idle on the machine of issue 12; ours then held 243 MB, 32 of
# them a young generation V8 had grown to 16 MB semi-spaces in the language-service thread.
IDLE_RSS_LIMIT_MB = 217


def test_idle_memory_after_the_language_service_warm_up_stays_within_budget() -> None:
    """RSS of the whole kernel process at idle, after start-up and the language service's warm-up
    (the TypeScript compiler, the lib files and @types/node loaded), within Deno's kernel's."""
    with running_kernel(KERNEL_NAME) as (km, kc):
        pid = kernel_process(km).pid
        language_service_ready(kc)
        time.sleep(2)  # what the warm-up left for the collector
        rss = settled_rss_mb(pid)
        report_figure(f"kernel RSS at idle after the language service's warm-up: {rss:.1f} MB "
                      f"(budget {IDLE_RSS_LIMIT_MB} MB)")
        assert rss <= IDLE_RSS_LIMIT_MB, f"idle RSS {rss:.1f} MB, over the {IDLE_RSS_LIMIT_MB} MB budget"


def test_200_mb_of_output_arrives_complete_and_in_order() -> None:
    # Lines `0000000042xxxx...x\n` of LINE_BYTES bytes, written 1000 at a time, with an await now
    # and then so output is flushed both while the cell runs and when it yields.
    width = 10
    filler = LINE_BYTES - width - 1
    code = (
        f"for (let i = 0; i < {OUTPUT_LINES // 1000}; i++) {{\n"
        f"  let chunk = '';\n"
        f"  for (let j = 0; j < 1000; j++) chunk += String(i * 1000 + j).padStart({width}, '0') + 'x'.repeat({filler}) + '\\n';\n"
        f"  process.stdout.write(chunk);\n"
        f"  if (i % 100 === 99) await new Promise((r) => setTimeout(r, 0));\n"
        f"}}\n'done'"
    )
    with running_kernel(KERNEL_NAME) as (km, kc):
        t0 = time.monotonic()
        msg_id = kc.execute(code)
        line = 0
        pending = ""
        received = 0
        messages = 0
        others: list[str] = []
        deadline = t0 + 180
        done = False
        while not done:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"output incomplete after 180 s: {line} of {OUTPUT_LINES} lines"
            try:
                m = kc.get_iopub_msg(timeout=min(remaining, 10))
            except Empty:
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "stream":
                assert m["content"]["name"] == "stdout", m["content"]["text"][:200]
                text = m["content"]["text"]
                received += len(text)
                messages += 1
                lines = (pending + text).split("\n")
                pending = lines.pop()
                for got in lines:
                    expected = f"{line:0{width}d}" + "x" * filler
                    assert got == expected, f"line {line}: got {got[:40]!r}... expected {expected[:40]!r}..."
                    line += 1
            elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                done = True
            elif m["msg_type"] not in ("status", "execute_input", "execute_result"):
                others.append(summarize(m))
        elapsed = time.monotonic() - t0
        assert pending == "", f"output ends mid-line: {pending[:40]!r}"
        assert line == OUTPUT_LINES and received == OUTPUT_LINES * LINE_BYTES, (line, received)
        assert others == [], others
        report_figure(f"{received / 1e6:.0f} MB of stdout in {messages} stream messages, checked line by line, "
              f"in {elapsed:.1f} s")
        assert evaluate(kc, "'still answering'") == "'still answering'"


COMM_MESSAGES = 25_000  # each way: 50,000 in all


def test_50000_comm_messages_arrive_complete_and_in_order() -> None:
    """25,000 comm messages from the frontend to a comm a cell's target opened (each in its own
    busy/idle), then 25,000 from a cell to the frontend: all arrive, in order."""
    with running_kernel(KERNEL_NAME) as (km, kc):
        ex = execute(kc, """
import { registerCommTarget } from "ts-async-kernel";
globalThis.soakIn = { n: 0, inOrder: true };
registerCommTarget("soak.in", (comm) => {
  comm.onMsg((m) => {
    if (m.content.data.i !== soakIn.n) soakIn.inOrder = false;
    soakIn.n++;
    if (m.content.data.last) comm.send(soakIn);
  });
});
""")
        assert ex.content["status"] == "ok", ex.describe()
        reader = Reader(kc)
        reader.settle()
        comm_id = uuid.uuid4().hex
        t0 = time.monotonic()
        messages = [kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "soak.in", "data": {}})]
        messages += [kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"i": i, "last": i == COMM_MESSAGES - 1}})
                     for i in range(COMM_MESSAGES)]
        for msg in messages:
            kc.shell_channel.send(msg)
        reader.pump(0, len(messages), 180)  # each one's idle: every message was handled
        last = messages[-1]["header"]["msg_id"]
        answers = [m for m in reader.iopub.get(last, []) if m["msg_type"] == "comm_msg"]
        assert [a["content"]["data"] for a in answers] == [{"n": COMM_MESSAGES, "inOrder": True}], (
            [summarize(m) for m in reader.iopub.get(last, [])])
        inbound = time.monotonic() - t0

        reader.settle()
        t0 = time.monotonic()
        msg_id = kc.execute(f"""
import {{ Comm }} from "ts-async-kernel";
const out = new Comm("soak.out", {{ data: {{ count: {COMM_MESSAGES} }} }});
for (let i = 0; i < {COMM_MESSAGES}; i++) out.send({{ i }});
out.close();
'sent'""")
        reader.pump(1, 1, 180)
        sent = reader.iopub[msg_id]
        opened = [m for m in sent if m["msg_type"] == "comm_open"]
        out_id = opened[0]["content"]["comm_id"]
        numbers = [m["content"]["data"]["i"] for m in sent if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == out_id]
        assert numbers == list(range(COMM_MESSAGES)), f"{len(numbers)} messages; first out of order at " + str(
            next((i for i, n in enumerate(numbers) if n != i), None))
        assert [m["content"]["comm_id"] for m in sent if m["msg_type"] == "comm_close"] == [out_id]
        outbound = time.monotonic() - t0
        report_figure(f"{COMM_MESSAGES} comm messages in (each with busy/idle) in {inbound:.1f} s, "
              f"{COMM_MESSAGES} out in {outbound:.1f} s, all in order")
        assert evaluate(kc, "'still answering'") == "'still answering'"
