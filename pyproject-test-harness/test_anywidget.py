"""anywidget widgets (`widgets.AnyWidget`) through jupyter_client acting as the frontend.

What anywidget's frontend (the `anywidget` pip package, model AnyModel / view AnyView of module
"anywidget") gets and sends: comm_open on "jupyter.widget" with `_esm`, `_css`, `_anywidget_id`
and the cell's state; `update` both ways (`model.set` + `save_changes` in the page, an
assignment in the kernel); custom messages both ways (`model.send` / `model.on("msg:custom")`)
with buffers; a `// thread` cell's widget; the restore after a page reload; the errors for an
`_esm` that cannot be a module.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient

from kernel_helpers import collect_iopub, execute, get_reply, quiet_client, summarize

pytestmark = pytest.mark.timeout(60)

VIEW = "application/vnd.jupyter.widget-view+json"
ESM = """export default {
  render({ model, el }) {
    const b = document.createElement("button");
    const show = () => (b.textContent = `count is ${model.get("value")}`);
    b.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
    model.on("change:value", show);
    show();
    el.append(b);
  },
};"""


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


def page_sets(kc, model_id: str, state: dict[str, Any]) -> list[dict[str, Any]]:
    """What `model.set(...); model.save_changes()` in the page sends; returns the kernel's answer."""
    sent = send_comm(kc, "comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": state, "buffer_paths": []}})
    return collect_iopub(kc, sent)


def any_opens(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in msgs if m["msg_type"] == "comm_open" and m["content"]["data"]["state"].get("_model_name") == "AnyModel"]


def widget_msgs(msgs: list[dict[str, Any]], model_id: str) -> list[dict[str, Any]]:
    return [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == model_id]


def streams(msgs: list[dict[str, Any]], name: str) -> str:
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == name)


def make_counter(kc, name: str) -> tuple[str, Any]:
    ex = ok(kc, f"""
globalThis.{name} = new widgets.AnyWidget({{ _esm: {json.dumps(ESM)}, _css: "button {{ color: teal }}", value: 0 }});
{name}.observe(({{ old, new: now }}) => console.log("kernel saw", old, "->", now), "value");
{name}
""")
    (opened,) = any_opens(ex.iopub)
    return opened["content"]["comm_id"], ex


def test_an_anywidget_opens_anywidgets_model_with_its_module_and_state_and_shows_as_a_view(kc) -> None:
    model_id, ex = make_counter(kc, "c1")
    (opened,) = any_opens(ex.iopub)
    assert opened["metadata"] == {"version": "2.1.0"}
    assert opened["content"]["target_name"] == "jupyter.widget"
    assert opened["parent_header"]["msg_id"] == ex.msg_id
    state = opened["content"]["data"]["state"]
    assert {k: state[k] for k in ("_model_module", "_model_name", "_view_module", "_view_name")} == {
        "_model_module": "anywidget", "_model_name": "AnyModel", "_view_module": "anywidget", "_view_name": "AnyView"}
    # a semver range the anywidget frontend's registered version (0.9 .. 0.x) satisfies
    assert state["_model_module_version"] == state["_view_module_version"] == ">=0.9.0 <1.0.0"
    assert state["_esm"] == ESM and state["_css"] == "button { color: teal }" and state["value"] == 0
    assert state["_anywidget_id"].startswith("AnyWidget-")
    assert state["layout"].startswith("IPY_MODEL_"), "an AnyModel is a DOMWidgetModel: it has a layout"
    # the cell's result is the widget: a view of it
    (result,) = ex.of_type("execute_result")
    assert result["content"]["data"][VIEW]["model_id"] == model_id
    assert result["content"]["data"]["text/plain"] == "AnyWidget(value=0)"
    assert ex.iopub.index(result) > ex.iopub.index(opened)
    # display() shows another view of the same model
    ex = ok(kc, "await display(c1);")
    (shown,) = ex.of_type("display_data")
    assert shown["content"]["data"][VIEW]["model_id"] == model_id


def test_the_pages_change_reaches_the_kernels_value_and_observer(kc) -> None:
    model_id, _ = make_counter(kc, "c2")
    got = page_sets(kc, model_id, {"value": 1})
    assert [m["content"]["execution_state"] for m in got if m["msg_type"] == "status"] == ["busy", "idle"]
    assert widget_msgs(got, model_id) == [{"method": "echo_update", "state": {"value": 1}, "buffer_paths": []}]
    assert streams(got, "stdout") == "kernel saw 0 -> 1\n"
    assert ok(kc, "c2.value").result_text == "1"
    # a value of another kind is refused: the page is told the kernel's value, the cell's stderr why
    got = page_sets(kc, model_id, {"value": "two"})
    assert widget_msgs(got, model_id)[-1] == {"method": "update", "state": {"value": 1}, "buffer_paths": []}
    assert "AnyWidget.value must be a number" in streams(got, "stderr")
    assert ok(kc, "c2.value").result_text == "1"


def test_a_kernel_side_change_updates_the_page(kc) -> None:
    model_id, _ = make_counter(kc, "c3")
    ex = ok(kc, "c3.value = 10;")
    assert widget_msgs(ex.iopub, model_id) == [{"method": "update", "state": {"value": 10}, "buffer_paths": []}]
    assert ex.stdout == "kernel saw 0 -> 10\n"
    ex = ok(kc, "c3.value = 10;")
    assert widget_msgs(ex.iopub, model_id) == [], "the same value again sends nothing"
    # the module itself can change (anywidget re-renders the views: its hot reload)
    ex = ok(kc, 'c3._esm = "export default { render({ el }) { el.textContent = \'v2\'; } }";')
    assert widget_msgs(ex.iopub, model_id) == [
        {"method": "update", "state": {"_esm": "export default { render({ el }) { el.textContent = 'v2'; } }"}, "buffer_paths": []}]


def test_custom_messages_go_both_ways_with_buffers(kc) -> None:
    ex = ok(kc, f"""
globalThis.pinger = new widgets.AnyWidget({{ _esm: {json.dumps(ESM)} }});
pinger.onMsg((msg, buffers) => {{
  console.log("page said", JSON.stringify(msg), buffers.map((b) => b.length));
  pinger.send({{ kind: "pong", got: msg }}, buffers.map((b) => b.reverse()));
}});
pinger.modelId
""")
    model_id = ex.result_text.strip("'")
    sent = send_comm(kc, "comm_msg", {"comm_id": model_id, "data": {"method": "custom", "content": {"kind": "ping", "n": 1}}},
                     buffers=[b"\x01\x02\x03"])
    got = collect_iopub(kc, sent)
    assert streams(got, "stdout") == 'page said {"kind":"ping","n":1} [ 3 ]\n'
    (reply,) = [m for m in got if m["msg_type"] == "comm_msg"]
    assert reply["content"]["data"] == {"method": "custom", "content": {"kind": "pong", "got": {"kind": "ping", "n": 1}}}
    assert [bytes(b) for b in reply["buffers"]] == [b"\x03\x02\x01"]
    assert reply["parent_header"]["msg_id"] == sent
    # anywidget's model.send takes any JSON, not only objects
    sent = send_comm(kc, "comm_msg", {"comm_id": model_id, "data": {"method": "custom", "content": "hello"}})
    got = collect_iopub(kc, sent)
    assert streams(got, "stdout") == 'page said "hello" []\n'
    # from the kernel, in a cell
    ex = ok(kc, 'pinger.send(["from", "the", "kernel"], [new Uint8Array([9])]);')
    assert widget_msgs(ex.iopub, model_id) == [{"method": "custom", "content": ["from", "the", "kernel"]}]


def test_binary_state_travels_as_buffers_both_ways(kc) -> None:
    ex = ok(kc, f"""
globalThis.pix = new widgets.AnyWidget({{ _esm: {json.dumps(ESM)}, data: new DataView(new Uint8Array([1, 2, 3]).buffer) }});
pix.observe(({{ new: b }}) => console.log("bytes", [...b].join(",")), "data");
pix.modelId
""")
    model_id = ex.result_text.strip("'")
    (opened,) = any_opens(ex.iopub)
    assert opened["content"]["data"]["buffer_paths"] == [["data"]] and "data" not in opened["content"]["data"]["state"]
    assert [bytes(b) for b in opened["buffers"]] == [b"\x01\x02\x03"]
    sent = send_comm(kc, "comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": {}, "buffer_paths": [["data"]]}},
                     buffers=[b"\xff\x00"])
    got = collect_iopub(kc, sent)
    assert streams(got, "stdout") == "bytes 255,0\n"


def test_a_subclass_with_a_static_module_file_and_defaults(kc, harness_tmp: Path) -> None:
    esm = harness_tmp / "counter.js"
    esm.write_text(ESM)
    (harness_tmp / "counter.css").write_text("button { font-weight: bold }")
    ex = ok(kc, f"""
class Counter extends widgets.AnyWidget<{{ value: number; step: number }}> {{
  static _esm = {json.dumps(str(esm))};
  static _css = {json.dumps(str(harness_tmp / "counter.css"))};
  static defaults = {{ value: 0, step: 2 }};
  bump() {{ this.value += this.step; }}
}}
globalThis.k = new Counter({{ value: 1 }});
k.bump();
display(k);
[k.value, k.step, k._anywidget_id.split("-")[0]].join(" ")
""")
    assert ex.result_text == "'3 2 Counter'"
    (opened,) = any_opens(ex.iopub)
    state = opened["content"]["data"]["state"]
    assert state["_esm"] == ESM and state["_css"] == "button { font-weight: bold }"
    assert state["value"] == 1 and state["step"] == 2, "opened with its initial state, then updated"
    assert widget_msgs(ex.iopub, opened["content"]["comm_id"]) == [{"method": "update", "state": {"value": 3}, "buffer_paths": []}]


@pytest.mark.parametrize("code, error", [
    ("new widgets.AnyWidget({ _esm: 42 })",
     "AnyWidget._esm must be an ES module: its source, a .js file path, an http(s) URL or a URL, not number 42"),
    ('new widgets.AnyWidget({ _esm: "export default {}", _css: { color: "red" } })',
     "AnyWidget._css must be CSS: its text, a .css file path, an http(s) URL or a URL, not an object"),
    ("new widgets.AnyWidget({ value: 1 })", "AnyWidget needs _esm"),
    ('new widgets.AnyWidget({ _esm: "./no-such-widget.js" })', "AnyWidget._esm: file not found:"),
    ('new widgets.AnyWidget({ _esm: "export default {}", observe: 1 })',
     'AnyWidget cannot have an attribute "observe": it is a member of the widget'),
], ids=["esm-number", "css-object", "no-esm", "esm-file-missing", "attribute-hides-a-method"])
def test_what_cannot_be_an_anywidget_is_a_clear_error_and_opens_nothing(kc, code: str, error: str) -> None:
    ex = execute(kc, code)
    assert ex.content["status"] == "error", ex.describe()
    assert error in ex.content["evalue"], ex.content["evalue"]
    assert ex.content["ename"] == ("Error" if "file not found" in error else "TypeError")
    assert not any_opens(ex.iopub), [summarize(m) for m in ex.iopub]
    assert ok(kc, "1 + 1").result_text == "2", "the kernel goes on"


def test_a_thread_cells_anywidget_syncs_with_the_thread(kc) -> None:
    ex = ok(kc, f"""// thread name=anywidgets
globalThis.tc = new widgets.AnyWidget({{ _esm: {json.dumps(ESM)}, value: 0 }});
tc.observe(({{ new: v }}) => console.log("the thread saw", v), "value");
display(tc);
tc.modelId
""")
    model_id = ex.result_text.strip("'")
    (opened,) = any_opens(ex.iopub)
    assert opened["content"]["comm_id"] == model_id and opened["parent_header"]["msg_id"] == ex.msg_id
    got = page_sets(kc, model_id, {"value": 4})
    assert widget_msgs(got, model_id) == [{"method": "echo_update", "state": {"value": 4}, "buffer_paths": []}]
    assert streams(got, "stdout") == "the thread saw 4\n"
    assert ok(kc, "// thread name=anywidgets\ntc.value").result_text == "4"
    ex = ok(kc, "// thread name=anywidgets\ntc.value = 9;")
    assert widget_msgs(ex.iopub, model_id) == [{"method": "update", "state": {"value": 9}, "buffer_paths": []}]


def test_a_reloaded_page_gets_the_anywidgets_back(kc, shared_kernel) -> None:
    model_id, _ = make_counter(kc, "c4")
    ok(kc, "c4.value = 5;")
    km = shared_kernel[0]
    kc2 = BlockingKernelClient(connection_file=km.connection_file)
    kc2.load_connection_file()
    kc2.start_channels()
    try:
        kc2.wait_for_ready(timeout=10)
        cid = uuid.uuid4().hex
        collect_iopub(kc2, send_comm(kc2, "comm_open", {"comm_id": cid, "target_name": "jupyter.widget.control", "data": {}},
                                     metadata={"version": "1.0.0"}))
        asked = send_comm(kc2, "comm_msg", {"comm_id": cid, "data": {"method": "request_states"}})
        (answer,) = [m for m in collect_iopub(kc2, asked, timeout=15) if m["msg_type"] == "comm_msg"]
    finally:
        kc2.stop_channels()
    saved = answer["content"]["data"]["states"][model_id]
    assert (saved["model_name"], saved["model_module"], saved["model_module_version"]) == ("AnyModel", "anywidget", ">=0.9.0 <1.0.0")
    assert saved["state"]["value"] == 5 and saved["state"]["_esm"] == ESM


def test_completion_knows_an_anywidgets_state(kc) -> None:
    deadline = time.monotonic() + 30
    while not get_reply(kc, kc.complete('"abc".', 6))["content"]["metadata"].get("_jupyter_types_experimental"):
        assert time.monotonic() < deadline, "the language service never answered"
        time.sleep(0.1)
    ok(kc, f"const typedCounter = new widgets.AnyWidget({{ _esm: {json.dumps(ESM)}, value: 0, valid: true }});")
    code = "typedCounter.val"
    c = get_reply(kc, kc.complete(code, len(code)))["content"]
    assert c["matches"] == ["valid", "value"], c
    code = "widgets.AnyW"
    assert get_reply(kc, kc.complete(code, len(code)))["content"]["matches"] == ["AnyWidget"]
