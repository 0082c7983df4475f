"""Jupyter widgets (protocol 2.1) through jupyter_client acting as the frontend.

What JupyterLab's widget manager sends and expects: comm_open on target "jupyter.widget" with
{state, buffer_paths} and metadata {version: "2.1.0"}, the referenced layout and style opened
first, display_data with the widget-view mime type; `update` both ways with `echo_update`;
custom messages (button clicks); `request_state`; the "jupyter.widget.control" target that
restores every widget after a page reload; widgets driven from a `// thread` cell.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient

from kernel_helpers import (
    Sorter,
    collect_iopub,
    execute,
    get_reply,
    quiet_client,
    send_execute,
    summarize,
)

pytestmark = pytest.mark.timeout(60)

VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def kc(shared_kernel):
    return quiet_client(*shared_kernel)


def ok(kc, code: str):
    ex = execute(kc, code)
    assert ex.content["status"] == "ok", f"`{code}` failed: {ex.describe()}"
    return ex


def send_comm(kc, msg_type: str, content: dict[str, Any], buffers: list[bytes] | None = None,
              metadata: dict[str, Any] | None = None) -> str:
    msg = kc.session.msg(msg_type, content, metadata=metadata or {})
    kc.session.send(kc.shell_channel.socket, msg, buffers=buffers or [])
    return msg["header"]["msg_id"]


def update(kc, model_id: str, state: dict[str, Any]) -> str:
    """A frontend change of a widget's state (what a slider drag sends)."""
    return send_comm(kc, "comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": state,
                                                                    "buffer_paths": []}})


def opens(msgs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """comm_open messages on the widget target, by model name."""
    return {m["content"]["data"]["state"]["_model_name"]: m for m in msgs
            if m["msg_type"] == "comm_open" and m["content"]["target_name"] == "jupyter.widget"}


def widget_msgs(msgs: list[dict[str, Any]], model_id: str) -> list[dict[str, Any]]:
    return [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == model_id]


def stdout(msgs: list[dict[str, Any]]) -> str:
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def make_slider(kc, name: str, extra: str = "") -> str:
    ex = ok(kc, f"""
globalThis.{name} = new widgets.IntSlider({{ value: 3, max: 10, description: "{name}" }});
globalThis.{name}_label = new widgets.Label({{ value: "none yet" }});
{name}.observe((c) => {{ {name}_label.value = `got ${{c.new}}`; console.log("observed", c.old, c.new); }}, "value");
{extra}
display(new widgets.VBox({{ children: [{name}, {name}_label] }}));
[{name}.modelId, {name}_label.modelId].join(" ")
""")
    return ex


def test_a_widget_opens_its_comms_in_order_and_displays_as_a_view(kc) -> None:
    ex = make_slider(kc, "s1")
    slider_id, label_id = ex.result_text.strip("'").split()
    msgs = ex.iopub
    o = opens(msgs)
    assert set(o) >= {"LayoutModel", "SliderStyleModel", "IntSliderModel", "LabelStyleModel", "LabelModel", "VBoxModel"}
    slider = o["IntSliderModel"]
    assert slider["content"]["comm_id"] == slider_id
    assert slider["metadata"] == {"version": "2.1.0"}
    assert slider["parent_header"]["msg_id"] == ex.msg_id
    state = slider["content"]["data"]["state"]
    assert state["_model_module"] == "@jupyter-widgets/controls" and state["_model_module_version"] == "2.0.0"
    assert state["_view_name"] == "IntSliderView" and state["value"] == 3 and state["max"] == 10
    assert slider["content"]["data"]["buffer_paths"] == []
    # the slider's layout and style were opened before it, and the VBox after its children
    order = [m["content"]["comm_id"] for m in msgs if m["msg_type"] == "comm_open"]
    layout_id = state["layout"].removeprefix("IPY_MODEL_")
    style_id = state["style"].removeprefix("IPY_MODEL_")
    assert order.index(layout_id) < order.index(slider_id) and order.index(style_id) < order.index(slider_id)
    box = o["VBoxModel"]["content"]
    assert box["data"]["state"]["children"] == [f"IPY_MODEL_{slider_id}", f"IPY_MODEL_{label_id}"]
    (disp,) = [m for m in msgs if m["msg_type"] == "display_data"]
    assert disp["content"]["data"][VIEW] == {"version_major": 2, "version_minor": 0, "model_id": box["comm_id"]}
    assert msgs.index(disp) > msgs.index(o["VBoxModel"]), "the view is shown after its model exists"


def test_a_frontend_update_is_echoed_and_reaches_observe(kc) -> None:
    ex = make_slider(kc, "s2")
    slider_id, label_id = ex.result_text.strip("'").split()
    sent = update(kc, slider_id, {"value": 7})
    got = collect_iopub(kc, sent)
    assert [m["content"]["execution_state"] for m in got if m["msg_type"] == "status"] == ["busy", "idle"]
    assert all(m["parent_header"]["msg_id"] == sent for m in got), [summarize(m) for m in got]
    assert widget_msgs(got, slider_id) == [{"method": "echo_update", "state": {"value": 7}, "buffer_paths": []}]
    assert widget_msgs(got, label_id) == [{"method": "update", "state": {"value": "got 7"}, "buffer_paths": []}]
    assert stdout(got) == "observed 3 7\n"
    assert ok(kc, "s2.value").result_text == "7"


def test_a_kernel_side_assignment_sends_the_update(kc) -> None:
    ex = make_slider(kc, "s3")
    slider_id, label_id = ex.result_text.strip("'").split()
    ex = ok(kc, "s3.value = 5;")
    assert widget_msgs(ex.iopub, slider_id) == [{"method": "update", "state": {"value": 5}, "buffer_paths": []}]
    assert widget_msgs(ex.iopub, label_id) == [{"method": "update", "state": {"value": "got 5"}, "buffer_paths": []}]
    updates = [m for m in ex.iopub if m["msg_type"] == "comm_msg"]
    assert all(m["parent_header"]["msg_id"] == ex.msg_id for m in updates)
    # out of bounds: clamped, and the frontend is told
    ex = ok(kc, "s3.value = 99; s3.value")
    assert ex.result_text == "10"
    assert widget_msgs(ex.iopub, slider_id) == [{"method": "update", "state": {"value": 10}, "buffer_paths": []}]
    sent = update(kc, slider_id, {"value": -4})
    got = collect_iopub(kc, sent)
    assert widget_msgs(got, slider_id) == [
        {"method": "echo_update", "state": {"value": -4}, "buffer_paths": []},
        {"method": "update", "state": {"value": 0}, "buffer_paths": []},
    ]


def test_a_button_click_runs_its_handler_and_custom_messages_carry_buffers(kc) -> None:
    ex = ok(kc, """
globalThis.btn = new widgets.Button({ description: "go" });
globalThis.clicks = 0;
btn.onClick(() => { clicks++; btn.description = `clicked ${clicks}`; });
btn.onMsg((content, buffers) => { if (content.echo) btn.send({ sizes: buffers.map((b) => b.length) }, buffers); });
display(btn);
btn.modelId
""")
    bid = ex.result_text.strip("'")
    sent = send_comm(kc, "comm_msg", {"comm_id": bid, "data": {"method": "custom", "content": {"event": "click"}}})
    got = collect_iopub(kc, sent)
    assert widget_msgs(got, bid) == [{"method": "update", "state": {"description": "clicked 1"}, "buffer_paths": []}]
    assert ok(kc, "clicks").result_text == "1"
    sent = send_comm(kc, "comm_msg", {"comm_id": bid, "data": {"method": "custom", "content": {"echo": True}}},
                     buffers=[b"\x01\x02\x03", b"\xff" * 1000])
    got = collect_iopub(kc, sent)
    (reply,) = [m for m in got if m["msg_type"] == "comm_msg"]
    assert reply["content"]["data"] == {"method": "custom", "content": {"sizes": [3, 1000]}}
    assert [bytes(b) for b in reply["buffers"]] == [b"\x01\x02\x03", b"\xff" * 1000]


def test_request_state_answers_with_the_whole_state(kc) -> None:
    ex = ok(kc, 'globalThis.txt = new widgets.Text({ value: "hello", placeholder: "type" }); txt.modelId')
    tid = ex.result_text.strip("'")
    got = collect_iopub(kc, send_comm(kc, "comm_msg", {"comm_id": tid, "data": {"method": "request_state"}}))
    (data,) = widget_msgs(got, tid)
    assert data["method"] == "update"
    assert data["state"]["_model_name"] == "TextModel" and data["state"]["value"] == "hello"
    assert data["state"]["placeholder"] == "type" and data["state"]["layout"].startswith("IPY_MODEL_")


def restore(kc) -> dict[str, Any]:
    """What JupyterLab does on a page reload: open a jupyter.widget.control comm, request_states."""
    cid = uuid.uuid4().hex
    opened = send_comm(kc, "comm_open", {"comm_id": cid, "target_name": "jupyter.widget.control", "data": {}},
                       metadata={"version": "1.0.0"})
    got = collect_iopub(kc, opened)
    assert not [m for m in got if m["msg_type"] == "comm_close"], [summarize(m) for m in got]
    asked = send_comm(kc, "comm_msg", {"comm_id": cid, "data": {"method": "request_states"}})
    got = collect_iopub(kc, asked, timeout=15)
    (answer,) = [m for m in got if m["msg_type"] == "comm_msg"]
    assert answer["content"]["comm_id"] == cid and answer["parent_header"]["msg_id"] == asked
    collect_iopub(kc, send_comm(kc, "comm_close", {"comm_id": cid, "data": {}}))
    return answer


def test_widgets_survive_a_page_reload_through_the_control_target(kc, shared_kernel) -> None:
    ex = make_slider(kc, "s4")
    slider_id, label_id = ex.result_text.strip("'").split()
    ok(kc, "s4.value = 6;")
    # a second frontend connecting to the same kernel, as a reloaded page does (a session of its
    # own: km.client() would share kc's, and the routing identity with it)
    km = shared_kernel[0]
    kc2 = BlockingKernelClient(connection_file=km.connection_file)
    kc2.load_connection_file()
    kc2.start_channels()
    try:
        kc2.wait_for_ready(timeout=10)
        answer = restore(kc2)
    finally:
        kc2.stop_channels()
    data = answer["content"]["data"]
    assert data["method"] == "update_states"
    states = data["states"]
    assert states[slider_id]["model_name"] == "IntSliderModel"
    assert states[slider_id]["model_module"] == "@jupyter-widgets/controls"
    assert states[slider_id]["model_module_version"] == "2.0.0"
    assert states[slider_id]["state"]["value"] == 6
    assert states[label_id]["state"]["value"] == "got 6"
    layout_id = states[slider_id]["state"]["layout"].removeprefix("IPY_MODEL_")
    assert states[layout_id]["model_name"] == "LayoutModel"
    assert len(answer["buffers"]) == len(data["buffer_paths"])


def test_the_output_widget_captures_output_in_its_state(kc) -> None:
    ex = ok(kc, """
globalThis.out = new widgets.Output();
display(out);
out.capture(() => { console.log("inside"); display.html("<b>bold</b>"); });
console.log("outside");
out.modelId
""")
    oid = ex.result_text.strip("'")
    assert stdout(ex.iopub) == "outside\n", "captured output must not reach the cell"
    last = widget_msgs(ex.iopub, oid)[-1]
    assert last["state"]["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "inside\n"},
        {"output_type": "display_data", "data": {"text/html": "<b>bold</b>", "text/plain": "<text/html>"}, "metadata": {}},
    ]
    # from a button click: the handler's output goes to the widget too
    ex = ok(kc, """
globalThis.b2 = new widgets.Button({ description: "log" });
b2.onClick(() => out.capture(() => console.log("clicked!")));
b2.modelId
""")
    bid = ex.result_text.strip("'")
    got = collect_iopub(kc, send_comm(kc, "comm_msg", {"comm_id": bid, "data": {"method": "custom", "content": {"event": "click"}}}))
    assert stdout(got) == ""
    assert widget_msgs(got, oid)[-1]["state"]["outputs"][-1] == {"output_type": "stream", "name": "stdout", "text": "clicked!\n"}


def test_a_cell_awaiting_a_widget_change_gets_it(kc) -> None:
    ex = ok(kc, "globalThis.s5 = new widgets.FloatSlider({ value: 0.5, max: 1 }); s5.modelId")
    sid = ex.result_text.strip("'")
    sorter = Sorter(kc)
    waiting = send_execute(kc, '(await s5.nextChange("value")).new * 2')
    sorter.wait_output(waiting, "execute_input")
    sent = update(kc, sid, {"value": 0.25})
    assert [m["msg_type"] for m in sorter.outputs(sent)] == ["status", "comm_msg", "status"]
    done = sorter.execution(waiting)
    assert done.content["status"] == "ok" and done.result_text == "0.5", done.describe()


def test_a_thread_cell_drives_widgets(kc) -> None:
    ex = ok(kc, """// thread name=widgets
globalThis.ts = new widgets.IntSlider({ value: 1, description: "thread" });
globalThis.tl = new widgets.Label();
ts.observe((c) => { tl.value = `thread saw ${c.new}`; }, "value");
display(new widgets.HBox({ children: [ts, tl] }));
await new Promise((r) => setTimeout(r, 10));
ts.value = 2;
[ts.modelId, tl.modelId].join(" ")
""")
    slider_id, label_id = ex.result_text.strip("'").split()
    o = opens(ex.iopub)
    assert o["IntSliderModel"]["parent_header"]["msg_id"] == ex.msg_id
    assert widget_msgs(ex.iopub, label_id) == [{"method": "update", "state": {"value": "thread saw 2"}, "buffer_paths": []}]
    assert [m for m in ex.iopub if m["msg_type"] == "display_data"][0]["content"]["data"][VIEW]["model_id"] == o["HBoxModel"]["content"]["comm_id"]
    # the frontend moves the thread's slider: the thread's observer answers, with that message as parent
    sent = update(kc, slider_id, {"value": 8})
    got = collect_iopub(kc, sent)
    assert widget_msgs(got, slider_id)[0] == {"method": "echo_update", "state": {"value": 8}, "buffer_paths": []}
    assert widget_msgs(got, label_id) == [{"method": "update", "state": {"value": "thread saw 8"}, "buffer_paths": []}]
    # the main thread's control answer includes the thread's widgets
    states = restore(kc)["content"]["data"]["states"]
    assert states[slider_id]["state"]["value"] == 8 and states[label_id]["state"]["value"] == "thread saw 8"
    # the thread's namespace is its own
    assert ok(kc, "// thread name=widgets\nts.value").result_text == "8"
    assert ok(kc, "typeof globalThis.ts").result_text == "'undefined'"


def test_binary_widget_state_travels_as_buffers_both_ways(kc) -> None:
    ex = ok(kc, """
globalThis.img = new widgets.Image({ value: new Uint8Array([137, 80, 78, 71]), format: "png" });
img.observe((c) => console.log("bytes", [...c.new].join(",")), "value");
img.modelId
""")
    iid = ex.result_text.strip("'")
    o = opens(ex.iopub)["ImageModel"]
    assert o["content"]["data"]["buffer_paths"] == [["value"]] and "value" not in o["content"]["data"]["state"]
    assert [bytes(b) for b in o["buffers"]] == [b"\x89PNG"]
    sent = send_comm(kc, "comm_msg", {"comm_id": iid, "data": {"method": "update", "state": {}, "buffer_paths": [["value"]]}},
                     buffers=[b"\x00\x01\xfe\xff"])
    got = collect_iopub(kc, sent)
    (echo,) = [m for m in got if m["msg_type"] == "comm_msg"]
    assert echo["content"]["data"] == {"method": "echo_update", "state": {}, "buffer_paths": [["value"]]}
    assert [bytes(b) for b in echo["buffers"]] == [b"\x00\x01\xfe\xff"]
    assert stdout(got) == "bytes 0,1,254,255\n"
    ex = ok(kc, "img.value = new Uint8Array([7]); img.value.length")
    (upd,) = [m for m in ex.iopub if m["msg_type"] == "comm_msg"]
    assert upd["content"]["data"]["buffer_paths"] == [["value"]] and [bytes(b) for b in upd["buffers"]] == [b"\x07"]


def test_completion_inspection_and_type_checks_know_the_widgets(kc) -> None:
    """From the language service, which reads the kernel's own declarations of the widgets."""
    deadline = time.monotonic() + 30
    while True:
        r = get_reply(kc, kc.complete('"abc".', 6))["content"]
        if r["metadata"].get("_jupyter_types_experimental"):
            break
        assert time.monotonic() < deadline, "the language service never answered"
        time.sleep(0.1)
    ok(kc, "const typedSlider = new widgets.IntSlider({ value: 1 });")
    code = "typedSlider.readout_f"
    c = get_reply(kc, kc.complete(code, len(code)))["content"]
    assert c["matches"] == ["readout_format"] and c["metadata"]["_jupyter_types_experimental"], c
    code = "typedSlider.observe"
    info = get_reply(kc, kc.inspect(code, len(code)))["content"]
    assert info["found"] and "Widget<IntSliderState, IntSliderState>.observe<K>" in info["data"]["text/plain"], info["data"]
    # widget classes are types too, and the checks know their attributes
    ex = ok(kc, "// @ts-check\nconst again: widgets.IntSlider = typedSlider;\nconst wrong: string = again.value;")
    err = "".join(m["content"]["text"] for m in ex.iopub if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    assert "Type 'number' is not assignable to type 'string'" in err, err
