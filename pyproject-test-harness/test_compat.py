"""Cells written for other kernels, through jupyter_client acting as the frontend (docs/compat.md).

Deno's `Deno.jupyter` (display, md/html/svg, image, format, broadcast, $display), a name cells have
and packages do not; its broadcast publishes with the calling cell's parent, and the comms it opens
are the kernel's (a frontend's comm_msg reaches them: an imitation of anywidget's Deno package).
tslab's module (`import * as tslab from "tslab"`, `require("tslab")`). IJavascript's `$$` (results,
async cells whose timers end them, errors) and `_toHtml()` / `_toMime()`. Bad input (a display
method that throws, a broadcast of a bad message, `$$.sendResult` twice, `$$.done()` without
`$$.async()`, `Deno.readTextFile`) gets a clear error, and the kernel goes on.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import KERNEL_NAME
from kernel_helpers import (
    Sorter,
    collect_iopub,
    execute,
    get_reply,
    quiet_client,
    running_kernel,
    send_control,
    send_execute,
    summarize,
)

pytestmark = pytest.mark.timeout(60)

PNG = bytes([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13])


@pytest.fixture
def kc(shared_kernel):
    return quiet_client(*shared_kernel)


def ok(kc, code: str):
    ex = execute(kc, code)
    assert ex.content["status"] == "ok", f"`{code}` failed: {ex.describe()}"
    return ex


def fails(kc, code: str):
    ex = execute(kc, code)
    assert ex.content["status"] == "error", f"`{code}` did not fail: {ex.describe()}"
    return ex


def stderr(ex) -> str:
    return "".join(m["content"]["text"] for m in ex.of_type("stream") if m["content"]["name"] == "stderr")


def data_of(ex, msg_type: str) -> list[dict[str, Any]]:
    return [m["content"]["data"] for m in ex.of_type(msg_type)]


def result(ex) -> dict[str, Any] | None:
    results = data_of(ex, "execute_result")
    assert len(results) <= 1, ex.describe()
    return results[0] if results else None


def alive(kc) -> None:
    assert ok(kc, "1 + 1").result_text == "2"


def send_comm(kc, msg_type: str, content: dict[str, Any]) -> str:
    msg = kc.session.msg(msg_type, content)
    kc.session.send(kc.shell_channel.socket, msg)
    return msg["header"]["msg_id"]


# ---- Deno ------------------------------------------------------------------------------------

def test_deno_jupyter_displays_as_deno_does(kc) -> None:
    ex = ok(kc, "Deno.jupyter.md`# Sum: ${1 + 2}`")
    assert result(ex) == {"text/markdown": "# Sum: 3", "text/plain": "<text/markdown>"}

    ex = ok(kc, """
const { display: show, html, svg, image, format, $display } = Deno.jupyter;
await show(html`<b>${"bold"}</b>`);
await show(svg`<svg xmlns="http://www.w3.org/2000/svg"/>`);
await show(image(new Uint8Array(%s)));
await show({ "text/html": "<i>raw</i>", "text/plain": "raw" }, { raw: true, display_id: "deno-raw" });
await show({ "text/html": "<i>again</i>" }, { raw: true, display_id: "deno-raw", update: true });
class Temperature { constructor(public c: number) {} [$display]() { return { "text/html": `<b>${this.c} °C</b>` }; } }
await show(new Temperature(21));
(await format(new Temperature(5)))["text/html"]
""" % list(PNG))
    shown = data_of(ex, "display_data")
    assert shown[0] == {"text/html": "<b>bold</b>", "text/plain": "<text/html>"}
    assert shown[1]["image/svg+xml"] == '<svg xmlns="http://www.w3.org/2000/svg"/>'
    assert shown[2]["image/png"] == base64.b64encode(PNG).decode()
    assert shown[3] == {"text/html": "<i>raw</i>", "text/plain": "raw"}
    assert shown[4]["text/html"] == "<b>21 °C</b>"
    raw = [m for m in ex.of_type("display_data") if m["content"]["transient"].get("display_id") == "deno-raw"]
    assert len(raw) == 1
    [upd] = ex.of_type("update_display_data")
    assert upd["content"]["transient"] == {"display_id": "deno-raw"} and upd["content"]["data"] == {"text/html": "<i>again</i>"}
    assert ex.result_text == "'<b>5 °C</b>'"


def test_a_display_method_that_throws_is_reported_and_the_kernel_goes_on(kc) -> None:
    ex = ok(kc, """
const broken = { [Deno.jupyter.$display]() { throw new Error("no bundle today"); } };
await Deno.jupyter.display(broken);
'after'""")
    assert "threw, so the value is shown as text: Error: no bundle today" in stderr(ex), ex.describe()
    [shown] = data_of(ex, "display_data")
    assert set(shown) == {"text/plain"}
    assert ex.result_text == "'after'"
    alive(kc)


def test_deno_is_a_name_of_cells_only_and_of_the_kernel_module(tmp_path: Path) -> None:
    # a package that picks Deno's file API when it sees a Deno, as many do
    probe = tmp_path / "node_modules" / "probe-runtime"
    probe.mkdir(parents=True)
    (probe / "package.json").write_text(json.dumps({"name": "probe-runtime", "type": "module", "exports": "./index.js"}))
    (probe / "index.js").write_text('export const runtime = () => (typeof Deno === "undefined" ? "node" : "deno");\n')
    (tmp_path / "helper.ts").write_text('export const seen = typeof (globalThis as any).Deno;\n')
    with running_kernel(KERNEL_NAME, start_kwargs={"cwd": str(tmp_path)}) as (_km, kc):
        ex = ok(kc, """
import { runtime } from "probe-runtime";
import { seen } from "./helper.ts";
import { Deno as FromModule } from "ts-async-kernel";
[runtime(), seen, typeof globalThis.Deno, typeof Deno, FromModule === Deno, FromModule.jupyter === Deno.jupyter]""")
        assert ex.result_text == "[ 'node', 'undefined', 'undefined', 'object', true, true ]", ex.describe()
        # a cell that declares its own Deno has it
        assert ok(kc, "const Deno = { mine: true }; Deno.mine").result_text == "true"


def test_other_deno_apis_name_the_node_equivalent(kc) -> None:
    ex = fails(kc, 'const text = await Deno.readTextFile("./data.txt")')
    assert ex.content["ename"] == "DenoApiUnavailable"
    assert 'In Node: await fs.promises.readFile(path, "utf8") (import fs from "node:fs")' in ex.content["evalue"]
    assert any("In[" in line for line in ex.content["traceback"]), ex.content["traceback"]
    for api, node in [("Deno.env.get('HOME')", "process.env"), ("Deno.args", "process.argv.slice(2)"),
                      ("Deno.cwd()", "process.cwd()"), ('new Deno.Command("ls")', "node:child_process"),
                      ("Deno.serve(() => new Response('x'))", "http.createServer")]:
        ex = fails(kc, api)
        assert ex.content["ename"] == "DenoApiUnavailable" and node in ex.content["evalue"], (api, ex.content)
    alive(kc)


def test_broadcast_publishes_with_the_calling_cells_parent(kc) -> None:
    ex = ok(kc, """
await Deno.jupyter.broadcast("display_data", { data: { "text/html": "<b>Processing.</b>" }, metadata: {}, transient: { display_id: "progress" } });
await Deno.jupyter.broadcast("update_display_data", { data: { "text/html": "<b>Processing..</b>" }, metadata: {}, transient: { display_id: "progress" } });
await Deno.jupyter.broadcast("stream", { name: "stdout", text: "streamed\\n" });
Deno.jupyter.broadcast("display_data", { data: { "text/plain": "last" }, metadata: {} })""")
    kinds = [m["msg_type"] for m in ex.iopub if m["msg_type"] not in ("status", "execute_input")]
    assert kinds == ["display_data", "update_display_data", "stream", "display_data"], ex.describe()
    assert all(m["parent_header"]["msg_id"] == ex.msg_id for m in ex.iopub)
    assert ex.of_type("display_data")[0]["content"]["transient"] == {"display_id": "progress"}
    # a cell ending in broadcast(...) shows what it published, not a Promise
    assert result(ex) is None

    # a timer's broadcast, after its cell replied, carries that cell's parent
    sorter = Sorter(kc)
    first = send_execute(kc, 'setTimeout(() => Deno.jupyter.broadcast("stream", { name: "stdout", text: "from the timer\\n" }), 300); "scheduled"')
    assert sorter.reply(first)["content"]["status"] == "ok"
    second = send_execute(kc, "await new Promise((r) => setTimeout(r, 600)); 'second'")
    assert sorter.reply(second)["content"]["status"] == "ok"
    timer_out = sorter.wait_output(first, "stream")
    assert timer_out["content"]["text"] == "from the timer\n"
    assert not any(m["msg_type"] == "stream" for m in sorter.outputs(second))


def test_broadcast_with_bad_content_is_a_clear_error(kc) -> None:
    cases = [
        ('await Deno.jupyter.broadcast("status", { execution_state: "idle" })', '"status" is not a message cells can publish'),
        ('await Deno.jupyter.broadcast("display_data", "<b>html</b>" as any)', "content must be an object, got the string"),
        ('await Deno.jupyter.broadcast("display_data", [1, 2] as any)', "content must be an object, got an array"),
        ('const loop: any = {}; loop.loop = loop; await Deno.jupyter.broadcast("display_data", { data: loop })', "content cannot be sent as JSON"),
        ('await Deno.jupyter.broadcast("display_data", { data: { "text/plain": 10n } })', "BigInt"),
        ('await Deno.jupyter.broadcast("comm_msg", { comm_id: "nobody", data: {} })', 'no comm with id "nobody" is open'),
        ('await Deno.jupyter.broadcast("stream", { name: "stdlog", text: "x" })', 'content.name must be "stdout" or "stderr"'),
    ]
    for code, message in cases:
        ex = fails(kc, code)
        assert ex.content["ename"] == "TypeError" or "nobody" in message, ex.content
        assert message in ex.content["evalue"], (code, ex.content["evalue"])
        assert not ex.of_type("display_data") and not ex.of_type("comm_msg"), ex.describe()
    # not awaited: the cell goes on, and the rejection shows on its stderr (when Node reports it)
    sorter = Sorter(kc)
    msg_id = send_execute(kc, 'Deno.jupyter.broadcast("execute_input", {}); "went on"')
    assert sorter.execution(msg_id).result_text == "'went on'"
    note = sorter.wait_output(msg_id, "stream")
    assert note["content"]["name"] == "stderr"
    assert 'Unhandled promise rejection: TypeError: Deno.jupyter.broadcast: "execute_input" is not a message cells can publish' in note["content"]["text"]
    alive(kc)


ANYWIDGET_LIKE = """
// The usage pattern of anywidget's Deno package (its widget() and Comm), written afresh:
// comm_open on the widget target through broadcast, then the state with the module as a comm_msg,
// and a display that waits for both.
function widget<S extends Record<string, unknown>>(state: S, esm: string) {
  const id = crypto.randomUUID();
  const ready = Deno.jupyter.broadcast("comm_open", {
    comm_id: id, target_name: "jupyter.widget",
    data: { state: { _model_module: "anywidget", _model_name: "AnyModel", _model_module_version: "0.9.3",
                     _view_module: "anywidget", _view_name: "AnyView", _view_module_version: "0.9.3", _view_count: null } },
  }, { metadata: { version: "2.1.0" } }).then(() =>
    Deno.jupyter.broadcast("comm_msg", { comm_id: id, data: { method: "update", state: { ...state, _esm: esm } } }));
  return {
    id,
    set(key: string, value: unknown) { return Deno.jupyter.broadcast("comm_msg", { comm_id: id, data: { method: "update", state: { [key]: value } } }); },
    async [Symbol.for("Jupyter.display")]() {
      await ready;
      return { "application/vnd.jupyter.widget-view+json": { version_major: 2, version_minor: 1, model_id: id } };
    },
  };
}
"""


def test_comms_opened_by_broadcast_are_the_kernels_as_anywidget_uses_them(kc) -> None:
    ex = ok(kc, ANYWIDGET_LIKE + """
const counter = widget({ value: 0 }, "export default { render({ model, el }) { el.textContent = model.get('value'); } }");
import { openComms } from "ts-async-kernel";
globalThis.fromPage = [];
openComms("jupyter.widget").find((c) => c.commId === counter.id)!.onMsg((m) => fromPage.push(m.content.data));
counter""")
    [opened] = ex.of_type("comm_open")
    comm_id = opened["content"]["comm_id"]
    assert opened["content"]["target_name"] == "jupyter.widget" and opened["metadata"] == {"version": "2.1.0"}
    assert opened["parent_header"]["msg_id"] == ex.msg_id
    [state] = ex.of_type("comm_msg")
    assert state["content"]["data"]["state"]["value"] == 0 and "_esm" in state["content"]["data"]["state"]
    assert result(ex)["application/vnd.jupyter.widget-view+json"]["model_id"] == comm_id
    # a comm of the kernel's: comm_info lists it
    reply = get_reply(kc, kc.comm_info(target_name="jupyter.widget"))
    assert comm_id in reply["content"]["comms"], reply["content"]

    # the frontend's comm_msg (a click in the page) reaches the kernel, wrapped in busy/idle
    sent = send_comm(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 1}}})
    got = collect_iopub(kc, sent)
    assert [m["content"]["execution_state"] for m in got if m["msg_type"] == "status"] == ["busy", "idle"], [summarize(m) for m in got]
    assert ok(kc, "JSON.stringify(fromPage)").result_text == '\'[{"method":"update","state":{"value":1}}]\''

    # the kernel's later change goes out with that cell's parent
    ex = ok(kc, "await counter.set('value', 5)")
    [change] = ex.of_type("comm_msg")
    assert change["content"] == {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 5}}}
    assert change["parent_header"]["msg_id"] == ex.msg_id

    # the frontend closes it: gone from comm_info, and a broadcast to it is an error
    got = collect_iopub(kc, send_comm(kc, "comm_close", {"comm_id": comm_id, "data": {}}))
    assert [m["content"]["execution_state"] for m in got if m["msg_type"] == "status"] == ["busy", "idle"]
    reply = get_reply(kc, kc.comm_info(target_name="jupyter.widget"))
    assert comm_id not in reply["content"]["comms"]
    ex = fails(kc, "await counter.set('value', 6)")
    assert "is open in this kernel" in ex.content["evalue"]


# ---- tslab -----------------------------------------------------------------------------------

def test_tslab_module_by_import_and_require(kc) -> None:
    ex = ok(kc, """
import * as tslab from "tslab";
tslab.display.html("<b>tslab</b>");
tslab.display.markdown("*md*");
tslab.display.png(new Uint8Array(%s));
const d = tslab.newDisplay();
d.text("one");
d.html("<i>two</i>");
[require("tslab") === tslab, Object.keys(tslab.versions).join(",")]""" % list(PNG))
    shown = ex.of_type("display_data")
    assert [m["content"]["data"] for m in shown[:3]] == [{"text/html": "<b>tslab</b>"}, {"text/markdown": "*md*"},
                                                         {"image/png": base64.b64encode(PNG).decode()}]
    display_id = shown[3]["content"]["transient"]["display_id"]
    assert shown[3]["content"]["data"] == {"text/plain": "one"}
    [upd] = ex.of_type("update_display_data")
    assert upd["content"]["transient"] == {"display_id": display_id} and upd["content"]["data"] == {"text/html": "<i>two</i>"}
    assert ex.result_text == "[ true, 'tslab,typescript,node' ]"

    ex = fails(kc, 'import * as tslab from "tslab";\ntslab.display.html(42 as any)')
    assert ex.content["ename"] == "TypeError" and "tslab display of text/html: expected a string, got number" in ex.content["evalue"]
    alive(kc)


# ---- IJavascript -----------------------------------------------------------------------------

def test_dollar_results_end_the_cell(kc) -> None:
    ex = ok(kc, '$$.html("<b>from $$</b>"); "dropped"')
    assert result(ex) == {"text/html": "<b>from $$</b>"}
    ex = ok(kc, '$$.mime({ "text/plain": "plain", "text/html": "<i>rich</i>" })')
    assert result(ex) == {"text/plain": "plain", "text/html": "<i>rich</i>"}
    ex = ok(kc, "$$.svg('<svg/>'); $$.png('iVBOR')")
    assert result(ex) == {"image/svg+xml": "<svg/>"}
    assert "$$.png(): In[" in stderr(ex) and "has already sent its result, so this is dropped" in stderr(ex)


def test_dollar_async_replies_when_its_own_result_is_sent(kc) -> None:
    sorter = Sorter(kc)
    # the slow cell's result is sent when the test says so (a task cell calls sendSlow): no clock
    slow = send_execute(kc, "$$.async(); const mine = $$; globalThis.sendSlow = () => mine.sendResult({ from: 'slow' });"
                            " 'not the result'")
    fast = send_execute(kc, "// task\n$$.async(); setTimeout(() => $$.sendResult({ from: 'fast' }), 50)")
    fast_ex = sorter.execution(fast)
    assert not sorter.replied(slow), "the async cell replied before its result was sent"
    assert sorter.execution(send_execute(kc, "// task\nglobalThis.sendSlow()")).content["status"] == "ok"
    slow_ex = sorter.execution(slow)
    assert fast_ex.result_text == "{ from: 'fast' }", fast_ex.describe()
    assert slow_ex.result_text == "{ from: 'slow' }", slow_ex.describe()
    for ex in (fast_ex, slow_ex):
        [res] = ex.of_type("execute_result")
        assert res["parent_header"]["msg_id"] == ex.msg_id

    ex = ok(kc, "$$.async(); setTimeout(() => $$.done(), 50); 1")
    assert result(ex) is None
    ex = fails(kc, "$$.async(); setTimeout(() => $$.sendError(new RangeError('from the timer')), 50)")
    assert ex.content["ename"] == "RangeError" and ex.content["evalue"] == "from the timer"


def test_dollar_bad_use_is_told_and_loses_nothing(kc) -> None:
    # sendResult twice: the first stands, the second is dropped with a note
    ex = ok(kc, "$$.sendResult('first'); $$.sendResult('second')")
    assert ex.result_text == "'first'"
    assert "$$.sendResult(): In[" in stderr(ex) and "has already sent its result, so this is dropped" in stderr(ex)
    # done() with no async(): the cell ends without a result, nothing hangs
    ex = ok(kc, "$$.done(); 'dropped too'")
    assert result(ex) is None
    # a $$ kept past its cell: what it sends later is dropped, with a note on that cell's stderr
    sorter = Sorter(kc)
    first = send_execute(kc, "const keep = $$; setTimeout(() => keep.html('<b>late</b>'), 200); 'first'")
    assert sorter.reply(first)["content"]["status"] == "ok"
    second = send_execute(kc, "await new Promise((r) => setTimeout(r, 500)); 'second'")
    assert sorter.execution(second).result_text == "'second'"
    note = sorter.wait_output(first, "stream")
    assert "$$.html(): In[" in note["content"]["text"] and "has finished, so this is dropped" in note["content"]["text"]
    assert not [m for m in sorter.iopub[first] + sorter.iopub[second] if m["msg_type"] == "display_data"]
    alive(kc)


def test_an_interrupt_ends_a_cell_waiting_for_dollar_done(kc) -> None:
    sorter = Sorter(kc)
    waiting = send_execute(kc, "$$.async()")
    sorter.wait_output(waiting, "execute_input")
    assert not sorter.replied(waiting)
    assert get_reply(kc, send_control(kc, "interrupt_request"), "control")["content"]["status"] == "ok"
    reply = sorter.reply(waiting)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KernelInterrupt", reply["content"]
    alive(kc)


def test_to_html_and_to_mime_show_a_result(kc) -> None:
    ex = ok(kc, "class Money { constructor(public n: number) {} _toHtml() { return `<b>$${this.n}</b>`; } }\nnew Money(5)")
    assert result(ex)["text/html"] == "<b>$5</b>" and result(ex)["text/plain"] == "Money { n: 5 }"
    ex = ok(kc, "({ _toMime: () => ({ 'text/markdown': '**m**' }), [Symbol.for('Jupyter.display')]: () => ({ 'text/html': 'deno first' }) })")
    assert result(ex)["text/html"] == "deno first" and "text/markdown" not in result(ex)
    ex = ok(kc, "({ _toMime: () => ({ 'text/markdown': '**m**' }), _toHtml() { throw new Error('no html') } })")
    assert result(ex)["text/markdown"] == "**m**"
    assert "_toHtml() threw, so its part of the value's bundle is left out: Error: no html" in stderr(ex)
    # through $$.sendResult too
    ex = ok(kc, "$$.sendResult({ _toHtml: () => '<u>u</u>' })")
    assert result(ex)["text/html"] == "<u>u</u>"
