"""How values are shown, on every path that shows one (a cell's result, console.log, display(),
the Output widget, a `// thread` cell, a Caller call's output), through jupyter_client.

Values show as Node shows them, never with the kernel's insides (the async context the kernel
keeps on promises and timers, its own stack frames); an Error shows its cell's `In[n]` frames.
Objects describe themselves with `Symbol.for("Jupyter.display")` (Deno's convention, also
`Symbol.for("jupyter.mimebundle")`), or are recognised as Deno's `format()` recognises them; a
display method that fails gives a note on stderr and the value's text, and the kernel goes on.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kernel_helpers import Sorter, control_request, execute, quiet_client, send_execute

pytestmark = pytest.mark.timeout(60)

DISPLAY = "Symbol.for('Jupyter.display')"
PNG = [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13]
# What the kernel must never show of itself.
INSIDES = ("kResourceStore", "async_id_symbol", "CellScope", "timer-scope", "msg_id", "runInThisContext",
           "/dist/", "cell-")


@pytest.fixture
def kc(shared_kernel):
    return quiet_client(*shared_kernel)


def ok(kc, code: str):
    ex = execute(kc, code)
    assert ex.content["status"] == "ok", f"`{code}` failed: {ex.describe()}"
    return ex


def stream(ex, name: str = "stdout") -> str:
    return "".join(m["content"]["text"] for m in ex.of_type("stream") if m["content"]["name"] == name)


def no_insides(text: str) -> None:
    for word in INSIDES:
        assert word not in text, f"{word!r} shown in {text!r}"


def result(ex) -> dict[str, Any]:
    [res] = ex.of_type("execute_result")
    return res["content"]["data"]


def displayed(ex) -> list[dict[str, Any]]:
    return [m["content"]["data"] for m in ex.of_type("display_data")]


# ---- values as Node shows them ---------------------------------------------------------------

def test_a_promise_result_is_shown_as_node_shows_it(kc) -> None:
    assert ok(kc, "Promise.resolve(1)").result_text == "Promise { 1 }"
    assert ok(kc, "new Promise(() => {})").result_text == "Promise { <pending> }"
    assert ok(kc, "({ p: Promise.resolve('a'), q: [Promise.resolve(2)] })").result_text == "{ p: Promise { 'a' }, q: [ Promise { 2 } ] }"
    # a promise settled after an await of the cell, and one made by an async function
    assert ok(kc, "const settled = new Promise((r) => setTimeout(r, 5, 'late')); await settled; settled").result_text == "Promise { 'late' }"
    assert ok(kc, "(async () => 3)()").result_text == "Promise { 3 }"


def test_console_log_and_inspect_of_promises_and_timers(kc) -> None:
    ex = ok(kc, "import { inspect } from 'node:util';\n"
                "console.log(Promise.resolve(1));\n"
                "console.log({ a: new Promise(() => {}) });\n"
                "console.dir(Promise.resolve([1, 2]));\n"
                "console.log(inspect(Promise.resolve('x')));\n"
                "const t = setTimeout(() => {}, 1); console.log(t); clearTimeout(t);\n"
                "console.log(setImmediate(() => {}))")
    out = stream(ex)
    lines = out.split("\n")
    assert lines[:4] == ["Promise { 1 }", "{ a: Promise { <pending> } }", "Promise { [ 1, 2 ] }", "Promise { 'x' }"], out
    assert "Timeout {" in out and "Immediate {" in out, out
    no_insides(out)


def test_display_of_a_promise(kc) -> None:
    ex = ok(kc, "display(Promise.resolve(2)); display({ nested: Promise.resolve(3) })")
    assert [d["text/plain"] for d in displayed(ex)] == ["Promise { 2 }", "{ nested: Promise { 3 } }"]


def test_an_error_as_a_result_shows_the_cells_frames(kc) -> None:
    ex = ok(kc, "function make() {\n  return new RangeError('made')\n}\nmake()")
    count = ex.content["execution_count"]
    text = result(ex)["text/plain"]
    lines = text.split("\n")
    assert lines[0] == "RangeError: made", text
    assert lines[1].strip() == f"at make (In[{count}]:2:10)", text
    assert lines[2].strip() == f"at In[{count}]:4:1", text
    no_insides(text)
    # console.log of an error, and an error inside an object, the same way
    ex = ok(kc, "const e = new Error('logged')\nconsole.log(e)\nconsole.log({ e })")
    count = ex.content["execution_count"]
    out = stream(ex)
    assert out.startswith(f"Error: logged\n    at In[{count}]:1:11\n"), out
    assert f"at In[{count}]:1:11" in out.split("{", 1)[1], out
    no_insides(out)


def test_a_thread_cell_shows_values_as_node_does(kc) -> None:
    ex = ok(kc, "// thread\nconsole.log(Promise.resolve(5));\nnew Error('in a thread')")
    assert stream(ex) == "Promise { 5 }\n", ex.describe()
    count = ex.content["execution_count"]
    text = result(ex)["text/plain"]
    assert text.split("\n")[:2] == ["Error: in a thread", f"    at In[{count}]:3:1"], text
    no_insides(text)
    assert ok(kc, "// thread\nPromise.resolve(6)").result_text == "Promise { 6 }"


def test_the_output_widget_shows_values_as_node_does(kc) -> None:
    ex = ok(kc, "globalThis.dout = new widgets.Output();\n"
                "dout.capture(() => { console.log(Promise.resolve(3)); display(new Promise(() => {})) });\n"
                "await dout.appendDisplayData({ [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<b>w</b>' }) });\n"
                "dout.capture(() => { throw new TypeError('in capture') })")
    [shown] = displayed(ok(kc, "display({ 'application/json': { outputs: dout.outputs } }, { raw: true })"))
    outputs = shown["application/json"]["outputs"]
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "Promise { 3 }\n"}, outputs
    assert outputs[1]["data"]["text/plain"] == "Promise { <pending> }", outputs
    assert outputs[2]["data"]["text/html"] == "<b>w</b>" and "text/plain" in outputs[2]["data"], outputs
    error = outputs[3]
    assert error["output_type"] == "error" and error["ename"] == "TypeError", outputs
    tb = "\n".join(error["traceback"])
    assert "In[" in tb, tb
    no_insides(tb)
    assert ex.of_type("display_data") == [], "the widget's output must not reach the cell"


# ---- the display protocol --------------------------------------------------------------------

def test_jupyter_display_symbol_on_every_path(kc) -> None:
    obj = f"({{ [{DISPLAY}]() {{ return {{ 'text/html': '<b>deno</b>' }} }} }})"
    ex = ok(kc, obj)
    assert result(ex)["text/html"] == "<b>deno</b>" and "text/plain" in result(ex)
    ex = ok(kc, f"display({obj})")
    assert [d["text/html"] for d in displayed(ex)] == ["<b>deno</b>"]
    assert ex.of_type("execute_result") == [], "display() as the last expression shows no result"
    ex = ok(kc, f"// thread\ndisplay({obj}); {obj}")
    assert displayed(ex)[0]["text/html"] == "<b>deno</b>" and result(ex)["text/html"] == "<b>deno</b>"
    ex = ok(kc, "import { Caller } from 'ts-async-kernel';\n"
                "await Caller.get({ name: 'shows' }).call({ source: "
                f"\"() => {{ display({obj}); console.log(Promise.resolve(7)) }}\" }})")
    assert displayed(ex)[0]["text/html"] == "<b>deno</b>", ex.describe()
    assert stream(ex) == "Promise { 7 }\n"
    # both symbols go the same way
    ex = ok(kc, "({ [Symbol.for('jupyter.mimebundle')]() { return { 'text/markdown': '*m*' } } })")
    assert result(ex)["text/markdown"] == "*m*"


def test_a_promise_of_a_bundle_is_waited_for(kc) -> None:
    slow = (f"({{ async [{DISPLAY}]() {{ await new Promise((r) => setTimeout(r, 50)); "
            "return { 'text/html': '<i>slow</i>' } } })")
    ex = ok(kc, slow)
    assert result(ex)["text/html"] == "<i>slow</i>", ex.describe()
    # `await display()` shows it before what follows; a bare display() as the last expression too
    ex = ok(kc, f"await display({slow}); console.log('after')")
    kinds = [m["msg_type"] for m in ex.iopub if m["msg_type"] in ("display_data", "stream")]
    assert kinds == ["display_data", "stream"], ex.describe()
    ex = ok(kc, f"display({slow})")
    assert [d["text/html"] for d in displayed(ex)] == ["<i>slow</i>"] and ex.of_type("execute_result") == []


def test_denos_fallbacks_in_its_order(kc) -> None:
    vega = ok(kc, "({ toSpec: () => ({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', mark: 'bar' }) })")
    assert result(vega)["application/vnd.vegalite.v5+json"]["mark"] == "bar"
    frame = ok(kc, "const rows = Array.from({ length: 60 }, (_, i) => ({ n: i, s: `<${i}>` }));\n"
                   "({ schema: { n: 'Int64', s: 'Utf8' },\n"
                   "   head(k = 5) { return { toRecords: () => rows.slice(0, k) } },\n"
                   "   toRecords: () => rows })")
    data = result(frame)
    resource = data["application/vnd.dataresource+json"]
    assert resource["schema"]["fields"] == [{"name": "n", "type": "integer"}, {"name": "s", "type": "string"}]
    assert len(resource["data"]) == 50 and resource["data"][0] == {"n": 0, "s": "<0>"}
    assert data["text/html"].count("<tr>") == 11 and "&lt;9&gt;" in data["text/html"] and "&lt;10&gt;" not in data["text/html"]
    canvas = ok(kc, "({ toDataURL: () => 'data:image/png;base64,iVBORw0KGgo=' })")
    assert result(canvas)["image/png"] == "iVBORw0KGgo="
    png = ok(kc, f"new Uint8Array({PNG})")
    assert base64.b64decode(result(png)["image/png"]) == bytes(PNG)
    jpeg = ok(kc, "Buffer.from([0xff, 0xd8, 1, 2, 0xff, 0xd9])")
    assert result(jpeg)["image/jpeg"] == "/9gBAv/Z"
    svg = ok(kc, "({ outerHTML: '<svg width=\"1\"></svg>' })")
    assert result(svg)["image/svg+xml"] == '<svg width="1"></svg>'
    html = ok(kc, "({ outerHTML: '<p>para</p>' })")
    assert result(html)["text/html"] == "<p>para</p>"
    # every bundle has its text too
    for ex in (vega, frame, canvas, png, jpeg, svg, html):
        assert "text/plain" in result(ex)


def test_a_failing_display_method_gives_a_note_and_the_text(kc) -> None:
    ex = ok(kc, f"({{ [{DISPLAY}]() {{ throw new TypeError('no bundle') }} }})")
    count = ex.content["execution_count"]
    err = stream(ex, "stderr")
    assert "TypeError: no bundle" in err and f"In[{count}]:1:" in err, err
    assert result(ex) == {"text/plain": "{ [Symbol(Jupyter.display)]: [Function: [Jupyter.display]] }"}
    ex = ok(kc, f"display({{ [{DISPLAY}]: () => 42 }})")
    assert "42" in stream(ex, "stderr") and list(displayed(ex)[0]) == ["text/plain"], ex.describe()
    ex = ok(kc, f"({{ [{DISPLAY}]: () => Promise.reject(new Error('rejected bundle')) }})")
    assert "Error: rejected bundle" in stream(ex, "stderr") and list(result(ex)) == ["text/plain"], ex.describe()
    ex = ok(kc, f"({{ [{DISPLAY}]: () => ({{ 'text/html': 7, 'text/plain': 'seven' }}) }})")
    assert "text/html" in stream(ex, "stderr") and result(ex) == {"text/plain": "seven"}, ex.describe()
    assert ok(kc, "1 + 1").result_text == "2"


def test_interrupting_a_cell_whose_result_never_displays(kc) -> None:
    s = Sorter(kc)
    stuck = send_execute(kc, f"({{ [{DISPLAY}]: () => new Promise(() => {{}}) }})")
    s.wait_output(stuck, "execute_input")
    control_request(kc, "interrupt_request")
    ex = s.execution(stuck)
    assert ex.content["status"] == "error" and ex.content["ename"] == "KernelInterrupt", ex.describe()
    assert ok(kc, "'alive'").result_text == "'alive'"
