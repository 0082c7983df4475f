"""Comms both ways through jupyter_client acting as the frontend.

The kernel opens comms from cells (comm_open / comm_msg / comm_close on IOPub with the cell's
parent, binary buffers included); the "frontend" opens comms to targets cells registered, sends
them messages with buffers and closes them, each message wrapped in busy/idle with itself as
parent; unknown targets are answered with comm_close; comm_info lists what is open. Comm messages
are handled while a cell runs, and `// thread` cells own comms of their own.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from kernel_helpers import (
    Sorter,
    collect_iopub,
    execute,
    get_reply,
    quiet_client,
    send_control,
    send_execute,
    summarize,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def kc(shared_kernel):
    return quiet_client(*shared_kernel)


def send_comm(kc, msg_type: str, content: dict[str, Any], buffers: list[bytes] | None = None) -> str:
    """Send a comm message on shell as a frontend would; its msg_id."""
    msg = kc.session.msg(msg_type, content)
    kc.session.send(kc.shell_channel.socket, msg, buffers=buffers or [])
    return msg["header"]["msg_id"]


def ok(kc, code: str) -> Any:
    ex = execute(kc, code)
    assert ex.content["status"] == "ok", f"`{code}` failed: {ex.describe()}"
    return ex


def of_type(msgs: list[dict[str, Any]], msg_type: str) -> list[dict[str, Any]]:
    return [m for m in msgs if m["msg_type"] == msg_type]


def statuses(msgs: list[dict[str, Any]]) -> list[str]:
    return [m["content"]["execution_state"] for m in msgs if m["msg_type"] == "status"]


def comm_ids(kc, target: str | None = None) -> set[str]:
    reply = get_reply(kc, kc.comm_info(target_name=target) if target else kc.comm_info())
    assert reply["content"]["status"] == "ok", reply["content"]
    return set(reply["content"]["comms"])


def test_kernel_opens_sends_and_closes_a_comm_with_buffers(kc) -> None:
    target = f"test.k2f.{uuid.uuid4().hex[:6]}"
    ex = ok(kc, f"""
import {{ Comm }} from "ts-async-kernel";
globalThis.k2f = new Comm("{target}", {{ data: {{ hello: "frontend" }}, metadata: {{ v: 1 }},
  buffers: [new Uint8Array([1, 2, 3]), new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2)] }});
k2f.send({{ n: 1 }}, {{ buffers: [Buffer.from("abc"), new Uint8Array([4, 5]).buffer] }});
k2f.send({{ n: 2 }});
k2f.commId
""")
    comm_id = ex.result_text.strip("'")
    opens, msgs = of_type(ex.iopub, "comm_open"), of_type(ex.iopub, "comm_msg")
    assert len(opens) == 1 and len(msgs) == 2, ex.describe()
    o = opens[0]
    assert o["parent_header"]["msg_id"] == ex.msg_id
    assert o["content"] == {"comm_id": comm_id, "target_name": target, "data": {"hello": "frontend"}}
    assert o["metadata"] == {"v": 1}
    assert [bytes(b) for b in o["buffers"]] == [b"\x01\x02\x03", b"\x08\x07"]
    assert msgs[0]["content"] == {"comm_id": comm_id, "data": {"n": 1}}
    assert [bytes(b) for b in msgs[0]["buffers"]] == [b"abc", b"\x04\x05"]
    assert msgs[1]["content"]["data"] == {"n": 2} and msgs[1]["buffers"] == []
    assert all(m["parent_header"]["msg_id"] == ex.msg_id for m in msgs)
    # the comm is open for comm_info, by target or in the full list
    assert comm_ids(kc, target) == {comm_id}
    assert comm_id in comm_ids(kc)

    # a later cell closes it: the comm_close carries that cell's parent
    ex2 = ok(kc, 'k2f.close({ bye: true }); k2f.closed')
    closes = of_type(ex2.iopub, "comm_close")
    assert len(closes) == 1 and closes[0]["content"] == {"comm_id": comm_id, "data": {"bye": True}}
    assert closes[0]["parent_header"]["msg_id"] == ex2.msg_id
    assert ex2.result_text == "true"
    assert comm_ids(kc, target) == set()


def test_frontend_opens_messages_and_closes_a_comm_to_a_registered_target(kc) -> None:
    target = f"test.echo.{uuid.uuid4().hex[:6]}"
    ok(kc, f"""
import {{ registerCommTarget }} from "ts-async-kernel";
globalThis.echoOpened = [];
registerCommTarget("{target}", (comm, msg) => {{
  echoOpened.push({{ id: comm.commId, data: msg.content.data, sizes: msg.buffers.map((b) => b.length) }});
  comm.onMsg((m) => comm.send({{ echo: m.content.data, sizes: m.buffers.map((b) => b.length) }}, {{ buffers: m.buffers }}));
  comm.onClose((m) => console.log("closed", JSON.stringify(m?.content.data)));
}});
""")
    comm_id = uuid.uuid4().hex
    opened = send_comm(kc, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {"a": 1}},
                       buffers=[b"xy"])
    got = collect_iopub(kc, opened)
    assert statuses(got) == ["busy", "idle"], [summarize(m) for m in got]
    assert not of_type(got, "comm_close"), "a registered target must not close the comm"
    assert json.loads(ok(kc, "JSON.stringify(echoOpened)").result_text.strip("'")) == [
        {"id": comm_id, "data": {"a": 1}, "sizes": [2]}]
    assert comm_ids(kc, target) == {comm_id}

    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {"q": "ping"}},
                     buffers=[b"\x00\x01\x02", b"z" * 70000])
    got = collect_iopub(kc, sent)
    assert statuses(got) == ["busy", "idle"]
    (reply,) = of_type(got, "comm_msg")
    assert reply["parent_header"]["msg_id"] == sent, "the handler's message has the frontend message as parent"
    assert reply["content"] == {"comm_id": comm_id, "data": {"echo": {"q": "ping"}, "sizes": [3, 70000]}}
    assert [bytes(b) for b in reply["buffers"]] == [b"\x00\x01\x02", b"z" * 70000]

    closed = send_comm(kc, "comm_close", {"comm_id": comm_id, "data": {"why": "done"}})
    got = collect_iopub(kc, closed)
    assert statuses(got) == ["busy", "idle"]
    out = "".join(m["content"]["text"] for m in of_type(got, "stream"))
    assert out == 'closed {"why":"done"}\n', [summarize(m) for m in got]
    assert not of_type(got, "comm_close"), "a comm the frontend closed is not closed back"
    assert comm_ids(kc, target) == set()


def test_unknown_target_is_answered_with_comm_close(kc) -> None:
    comm_id = uuid.uuid4().hex
    opened = send_comm(kc, "comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
    got = collect_iopub(kc, opened)
    assert [m["msg_type"] for m in got] == ["status", "comm_close", "status"], [summarize(m) for m in got]
    assert got[1]["content"] == {"comm_id": comm_id, "data": {}}
    assert got[1]["parent_header"]["msg_id"] == opened


def test_bad_comm_messages_are_harmless(kc) -> None:
    for msg_type, content in [
        ("comm_msg", {"comm_id": "nope", "data": {}}),
        ("comm_close", {"comm_id": "nope", "data": {}}),
        ("comm_msg", {"data": {}}),
        ("comm_open", {"comm_id": 7, "target_name": "x"}),
        ("comm_open", {"comm_id": "x"}),
    ]:
        mid = send_comm(kc, msg_type, content)
        got = collect_iopub(kc, mid)
        assert statuses(got) == ["busy", "idle"] and len(got) == 2, (msg_type, [summarize(m) for m in got])
    assert ok(kc, "1 + 1").result_text == "2"


def test_a_failing_handler_is_reported_on_stderr_of_the_comm_message(kc) -> None:
    target = f"test.fail.{uuid.uuid4().hex[:6]}"
    ok(kc, f"""
import {{ registerCommTarget }} from "ts-async-kernel";
registerCommTarget("{target}", (comm) => {{
  comm.onMsg(() => {{ throw new RangeError("handler broke"); }});
  comm.onMsg((m) => comm.send({{ still: "ran" }}));
}});
""")
    comm_id = uuid.uuid4().hex
    collect_iopub(kc, send_comm(kc, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {}}))
    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {}})
    got = collect_iopub(kc, sent)
    err = "".join(m["content"]["text"] for m in of_type(got, "stream") if m["content"]["name"] == "stderr")
    assert "RangeError: handler broke" in err and f"comm_msg for comm {comm_id}" in err, err
    assert of_type(got, "comm_msg")[0]["content"]["data"] == {"still": "ran"}
    assert ok(kc, "2 + 2").result_text == "4"


def test_comm_messages_are_handled_while_a_cell_awaits_them(kc) -> None:
    """The deadlock of ipykernel#646: a cell awaiting what a comm message brings."""
    target = f"test.wait.{uuid.uuid4().hex[:6]}"
    ok(kc, f"""
import {{ registerCommTarget }} from "ts-async-kernel";
let arrived: (v: number) => void;
globalThis.arrival = new Promise<number>((r) => (arrived = r));
registerCommTarget("{target}", (comm) => comm.onMsg((m) => arrived(m.content.data.value as number)));
""")
    sorter = Sorter(kc)
    waiting = send_execute(kc, "(await arrival) * 2")
    queued = send_execute(kc, "'after'")  # queued behind the waiting cell
    sorter.wait_output(waiting, "execute_input")
    comm_id = uuid.uuid4().hex
    opened = send_comm(kc, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {}})
    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {"value": 21}})
    assert statuses(sorter.outputs(opened)) == ["busy", "idle"]
    assert statuses(sorter.outputs(sent)) == ["busy", "idle"]
    first = sorter.execution(waiting)
    assert first.content["status"] == "ok" and first.result_text == "42", first.describe()
    assert sorter.execution(queued).result_text == "'after'"


def test_silent_cells_still_publish_comm_messages(kc) -> None:
    target = f"test.silent.{uuid.uuid4().hex[:6]}"
    sorter = Sorter(kc)
    mid = send_execute(kc, f'import {{ Comm }} from "ts-async-kernel"; globalThis.quiet = new Comm("{target}"); console.log("hidden")',
                       silent=True)
    got = sorter.outputs(mid)
    assert [m["msg_type"] for m in got] == ["status", "comm_open", "status"], [summarize(m) for m in got]
    assert got[1]["content"]["target_name"] == target


def test_a_task_cell_opens_and_answers_a_comm_while_a_queued_cell_runs(kc) -> None:
    """A `// task` cell beside a queued cell that awaits: its comm messages carry its own parent,
    and the frontend's message reaches its handler while the queued cell still runs."""
    target = f"test.task.{uuid.uuid4().hex[:6]}"
    sorter = Sorter(kc)
    busy = send_execute(kc, "await new Promise((r) => setTimeout(r, 3000)); 'slow done'")
    sorter.wait_output(busy, "execute_input")
    task = send_execute(kc, f"""// task
import {{ Comm }} from "ts-async-kernel";
const tc = new Comm("{target}", {{ data: {{ from: "task" }} }});
const got = await new Promise<number>((r) => tc.onMsg((m) => r(m.content.data.x as number)));
tc.send({{ doubled: got * 2 }});
got""")
    opened = sorter.wait_output(task, "comm_open")
    assert opened["content"]["target_name"] == target and opened["content"]["data"] == {"from": "task"}
    comm_id = opened["content"]["comm_id"]
    send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {"x": 21}})
    done = sorter.execution(task)
    assert done.content["status"] == "ok" and done.result_text == "21", done.describe()
    assert not sorter.replied(busy), "the task cell finished while the queued cell still awaited"
    [answer] = [m for m in done.iopub if m["msg_type"] == "comm_msg"]
    assert answer["content"]["data"] == {"doubled": 42} and answer["parent_header"]["msg_id"] == task
    slow = sorter.execution(busy)
    assert slow.result_text == "'slow done'", slow.describe()


def test_a_thread_cell_owns_its_comms_and_targets(kc) -> None:
    target = f"test.thread.{uuid.uuid4().hex[:6]}"
    ex = ok(kc, f"""// thread name=comms
import {{ Comm, registerCommTarget }} from "ts-async-kernel";
globalThis.tc = new Comm("{target}", {{ data: {{ from: "thread" }} }});
tc.onMsg((m) => tc.send({{ doubled: (m.content.data.x as number) * 2, thread: require("node:worker_threads").threadId }}));
registerCommTarget("{target}.open", (comm, msg) => comm.send({{ opened: msg.content.data }}));
tc.commId
""")
    comm_id = ex.result_text.strip("'")
    (o,) = of_type(ex.iopub, "comm_open")
    assert o["parent_header"]["msg_id"] == ex.msg_id and o["content"]["data"] == {"from": "thread"}
    assert comm_ids(kc, target) == {comm_id}, "comm_info lists a thread's comms"

    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {"x": 21}})
    got = collect_iopub(kc, sent)
    assert statuses(got) == ["busy", "idle"]
    (reply,) = of_type(got, "comm_msg")
    assert reply["parent_header"]["msg_id"] == sent
    assert reply["content"]["data"]["doubled"] == 42 and reply["content"]["data"]["thread"] != 0, reply["content"]

    # a target registered in the thread: the frontend's comm_open is answered there
    other = uuid.uuid4().hex
    opened = send_comm(kc, "comm_open", {"comm_id": other, "target_name": f"{target}.open", "data": {"k": "v"}})
    got = collect_iopub(kc, opened)
    assert [m["msg_type"] for m in got] == ["status", "comm_msg", "status"], [summarize(m) for m in got]
    assert got[1]["content"] == {"comm_id": other, "data": {"opened": {"k": "v"}}}
    assert got[1]["parent_header"]["msg_id"] == opened
    assert comm_ids(kc, f"{target}.open") == {other}

    # the main thread does not see the thread's comms
    assert ok(kc, f'import {{ openComms }} from "ts-async-kernel"; openComms("{target}").length').result_text == "0"


def test_an_interrupt_stops_a_handler_stuck_in_a_loop(kc) -> None:
    target = f"test.spin.{uuid.uuid4().hex[:6]}"
    ok(kc, f"""
import {{ registerCommTarget }} from "ts-async-kernel";
globalThis.spun = 0;
registerCommTarget("{target}", (comm) => comm.onMsg(() => {{ while (true) {{ spun++; }} }}));
""")
    comm_id = uuid.uuid4().hex
    collect_iopub(kc, send_comm(kc, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {}}))
    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {}})
    sorter = Sorter(kc)
    sorter.wait_output(sent, "status")  # busy: the handler spins
    time.sleep(0.3)
    reply = get_reply(kc, send_control(kc, "interrupt_request"), channel="control")
    assert reply["content"]["status"] == "ok"
    got = sorter.outputs(sent)
    err = "".join(m["content"]["text"] for m in of_type(got, "stream") if m["content"]["name"] == "stderr")
    assert "KernelInterrupt" in err, [summarize(m) for m in got]
    assert int(ok(kc, "spun > 0 ? 1 : 0").result_text) == 1
    assert ok(kc, "6 * 7").result_text == "42"


def test_an_interrupt_stops_a_thread_handler_stuck_in_a_loop(kc) -> None:
    target = f"test.tspin.{uuid.uuid4().hex[:6]}"
    ok(kc, f"""// thread name=spinner
import {{ registerCommTarget }} from "ts-async-kernel";
globalThis.spun = 0;
registerCommTarget("{target}", (comm) => comm.onMsg(() => {{ while (true) {{ spun++; }} }}));
""")
    comm_id = uuid.uuid4().hex
    collect_iopub(kc, send_comm(kc, "comm_open", {"comm_id": comm_id, "target_name": target, "data": {}}))
    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {}})
    sorter = Sorter(kc)
    sorter.wait_output(sent, "status")
    time.sleep(0.3)
    assert get_reply(kc, send_control(kc, "interrupt_request"), channel="control")["content"]["status"] == "ok"
    got = sorter.outputs(sent)
    err = "".join(m["content"]["text"] for m in of_type(got, "stream") if m["content"]["name"] == "stderr")
    assert "KernelInterrupt" in err, [summarize(m) for m in got]
    # the thread (and its globals) lives on, and its next cell is not interrupted
    assert ok(kc, "// thread name=spinner\nspun > 0").result_text == "true"
