/**
 * AnyWidget in one thread, against a recording comm sink in place of the kernel: what it opens
 * (anywidget's model and view, `_esm`, `_css`, `_anywidget_id`, the state), where `_esm` comes
 * from (text, a class's static, a file, a URL), state both ways, custom messages both ways, and
 * the errors for what cannot work.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { comms, type CommInbound, type CommOutbound } from "../../src/comm/index.js";
import * as widgets from "../../src/widgets/index.js";

let sent: CommOutbound[];
let errors: string[];
beforeEach(() => {
  sent = [];
  errors = [];
  comms.connect({ send: (m) => void sent.push(m), reportError: (err, context) => errors.push(`${context}: ${(err as Error).message}`) });
});

const dir = mkdtempSync(join(tmpdir(), "tsak-anywidget-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ESM = "export default { render({ model, el }) { el.textContent = String(model.get('value')); } }";
let n = 0;
function fromFrontend(commId: string, data: Record<string, unknown>, buffers: Uint8Array[] = []): Promise<unknown> {
  const msg: CommInbound = {
    header: { msg_id: `f${++n}`, msg_type: "comm_msg" },
    content: { comm_id: commId, data },
    metadata: {},
    buffers,
  };
  return comms.receive(msg);
}
const dataOf = (m: CommOutbound) => m.content.data as Record<string, unknown>;
const stateOf = (m: CommOutbound) => dataOf(m).state as Record<string, unknown>;
const msgsOf = (w: widgets.SomeWidget) => sent.filter((m) => m.content.comm_id === w.modelId);

describe("a new AnyWidget", () => {
  it("opens its layout, then anywidget's AnyModel with the module, the CSS, its id and the state", () => {
    const w = new widgets.AnyWidget({ _esm: ESM, _css: ".c { color: red }", value: 3, label: "n", items: [1, 2] });
    expect(sent.map((m) => [m.msgType, stateOf(m)._model_name])).toEqual([
      ["comm_open", "LayoutModel"],
      ["comm_open", "AnyModel"],
    ]);
    const open = sent[1]!;
    expect(open.content.target_name).toBe("jupyter.widget");
    expect(open.metadata).toEqual({ version: "2.1.0" });
    expect(stateOf(open)).toMatchObject({
      _model_module: "anywidget",
      _model_module_version: ">=0.9.0 <1.0.0",
      _model_name: "AnyModel",
      _view_module: "anywidget",
      _view_module_version: ">=0.9.0 <1.0.0",
      _view_name: "AnyView",
      _esm: ESM,
      _css: ".c { color: red }",
      value: 3,
      label: "n",
      items: [1, 2],
      layout: `IPY_MODEL_${sent[0]!.content.comm_id as string}`,
      _dom_classes: [],
      tooltip: null,
    });
    expect(stateOf(open)._anywidget_id).toMatch(/^AnyWidget-[0-9a-f]{8}$/);
    expect(w.value).toBe(3);
    expect(w.stateKeys).toEqual(["value", "label", "items"]);
    expect(String(w)).toBe("AnyWidget(value=3, label='n', items=[ 1, 2 ])");
    expect(w[Symbol.for("jupyter.mimebundle") as keyof typeof w]).toBeTypeOf("function");
  });

  it("takes a subclass's static _esm, _css and defaults; options override the defaults; each widget has its own copy", () => {
    class Counter extends widgets.AnyWidget<{ value: number; tags: string[] }> {
      static override _esm = ESM;
      static override _css = "button { color: blue }";
      static override defaults = { value: 0, tags: ["a"] };
      bump(): void {
        this.value += 1;
      }
    }
    const a = new Counter();
    const b = new Counter({ value: 5 });
    a.bump();
    a.tags.push("mutated"); // in place: not the class's defaults
    expect([a.value, b.value, b.tags]).toEqual([1, 5, ["a"]]);
    const open = msgsOf(b)[0]!;
    expect(stateOf(open)).toMatchObject({ _esm: ESM, _css: "button { color: blue }", value: 5, tags: ["a"] });
    // the same CSS, the same id (anywidget replaces that <style> when _css changes)
    expect(a._anywidget_id).toBe(b._anywidget_id);
    expect(a._anywidget_id).toMatch(/^Counter-[0-9a-f]{8}$/);
    expect(a).toBeInstanceOf(widgets.AnyWidget);
    expect(a).toBeInstanceOf(widgets.Widget);
  });

  it("a subclass that declares its state as class fields still syncs it (the fields become attributes)", async () => {
    class Fields extends widgets.AnyWidget<{ value: number; step: number; label: string }> {
      static override _esm = ESM;
      static override defaults = { value: 0, step: 1, label: "" };
      value = 7; // ES2022 fields: defined on the instance after the base constructor, over the accessors
      step!: number;
      declare label: string;
    }
    const f = new Fields({ step: 3 });
    sent = [];
    await Promise.resolve();
    expect(Object.getOwnPropertyDescriptor(f, "value")).toHaveProperty("get");
    expect([f.value, f.get("value"), f.step, f.label]).toEqual([7, 7, 3, ""]);
    expect(sent.map(dataOf)).toEqual([{ method: "update", state: { value: 7 }, buffer_paths: [] }]);
    f.value = 8;
    expect(sent.map(dataOf).at(-1)).toEqual({ method: "update", state: { value: 8 }, buffer_paths: [] });
    // before the microtask: get() / set() / toString() take the fields back first
    const g = new Fields();
    g.value = 9; // a plain field still
    expect([g.get("value"), g.value, String(g)]).toEqual([9, 9, "Fields(value=9, step=1, label='')"]);
  });

  it("reads _esm and _css from a file path or a file: URL, keeps http(s) URLs for the frontend", () => {
    writeFileSync(join(dir, "counter.js"), ESM);
    writeFileSync(join(dir, "counter.css"), "b { margin: 0 }");
    const fromPath = new widgets.AnyWidget({ _esm: join(dir, "counter.js"), _css: join(dir, "counter.css") });
    expect([fromPath._esm, fromPath._css]).toEqual([ESM, "b { margin: 0 }"]);
    const fromUrl = new widgets.AnyWidget({ _esm: pathToFileURL(join(dir, "counter.js")) });
    expect(fromUrl._esm).toBe(ESM);
    const remote = new widgets.AnyWidget({ _esm: "https://esm.sh/some-widget@1", _css: new URL("https://example.com/w.css") });
    expect([remote._esm, remote._css]).toEqual(["https://esm.sh/some-widget@1", "https://example.com/w.css"]);
    // setting a path again reads the file again (the views re-render: anywidget's hot reload)
    writeFileSync(join(dir, "counter.js"), ESM.replace("String", "JSON.stringify"));
    sent = [];
    fromPath._esm = join(dir, "counter.js");
    expect(sent.map(dataOf)).toEqual([{ method: "update", state: { _esm: ESM.replace("String", "JSON.stringify") }, buffer_paths: [] }]);
  });

  it("refuses what cannot be a module or state, with an error that says why", () => {
    expect(() => new widgets.AnyWidget({ _esm: 42 as never })).toThrow(
      /AnyWidget._esm must be an ES module: its source, a .js file path, an http\(s\) URL or a URL, not number 42/,
    );
    expect(() => new widgets.AnyWidget({ _esm: ESM, _css: ["x"] as never })).toThrow(/AnyWidget._css must be CSS.*not an array/);
    expect(() => new widgets.AnyWidget({ value: 1 })).toThrow(/AnyWidget needs _esm/);
    expect(() => new widgets.AnyWidget({ _esm: "  " })).toThrow(/AnyWidget._esm is empty/);
    expect(() => new widgets.AnyWidget({ _esm: "./no-such-widget.js" })).toThrow(/AnyWidget._esm: file not found: .*no-such-widget.js/);
    expect(() => new widgets.AnyWidget({ _esm: new URL("data:text/javascript,1") })).toThrow(/a data: URL cannot be loaded/);
    expect(() => new widgets.AnyWidget({ _esm: ESM, send: 1 })).toThrow(/cannot have an attribute "send": it is a member of the widget/);
    expect(() => new widgets.AnyWidget({ _esm: ESM, comm: 1 })).toThrow(/cannot have an attribute "comm"/);
    expect(() => new widgets.AnyWidget({ _esm: ESM, f: () => 1 })).toThrow(/widget attribute f cannot be sent: a function is not JSON/);
    expect(() => new widgets.AnyWidget("x" as never)).toThrow(/AnyWidget options must be an object, not the string "x"/);
    class WithMethod extends widgets.AnyWidget {
      static override _esm = ESM;
      total(): number {
        return 1;
      }
    }
    expect(() => new WithMethod({ total: 2 })).toThrow(/WithMethod cannot have an attribute "total": it is a member of the widget/);
    // nothing was opened for the refused ones
    expect(sent.filter((m) => m.msgType === "comm_open" && stateOf(m)._model_name === "AnyModel")).toEqual([]);
    const w = new widgets.AnyWidget({ _esm: ESM, value: 1, data: null });
    expect(() => (w.value = "one" as never)).toThrow(/AnyWidget.value must be a number, not string "one"/);
    expect(() => w.set("other" as never, 1 as never)).toThrow(/AnyWidget has no attribute "other"/);
    w.data = { any: ["json", 1] }; // null at first: any JSON
    expect(w.data).toEqual({ any: ["json", 1] });
    expect(w.value).toBe(1);
  });
});

describe("an AnyWidget and its frontend", () => {
  it("applies, echoes and observes the page's changes; sends the kernel's", async () => {
    const w = new widgets.AnyWidget({ _esm: ESM, value: 0 });
    const seen: unknown[] = [];
    w.observe(({ old, new: now }) => void seen.push([old, now]), "value");
    sent = [];
    await fromFrontend(w.modelId, { method: "update", state: { value: 1 }, buffer_paths: [] });
    expect(sent.map(dataOf)).toEqual([{ method: "echo_update", state: { value: 1 }, buffer_paths: [] }]);
    expect([w.value, seen]).toEqual([1, [[0, 1]]]);
    sent = [];
    w.value = 10;
    expect(sent.map(dataOf)).toEqual([{ method: "update", state: { value: 10 }, buffer_paths: [] }]);
    // a value of the wrong kind from the page is refused and the page gets the kernel's back
    sent = [];
    await expect(fromFrontend(w.modelId, { method: "update", state: { value: "eleven" }, buffer_paths: [] })).resolves.toBeDefined();
    expect(sent.map(dataOf).at(-1)).toEqual({ method: "update", state: { value: 10 }, buffer_paths: [] });
    expect(errors.join("\n")).toMatch(/AnyWidget.value must be a number/);
    // _esm from the page is taken as text (never read as a file)
    await fromFrontend(w.modelId, { method: "update", state: { _esm: "x.js" }, buffer_paths: [] });
    expect(w._esm).toBe("x.js");
  });

  it("carries binary state as buffers both ways", async () => {
    const w = new widgets.AnyWidget({
      _esm: ESM,
      pixels: new DataView(new Uint8Array([1, 2, 3]).buffer),
      meta: { raw: new ArrayBuffer(2) },
    });
    const open = msgsOf(w)[0]!;
    expect(dataOf(open).buffer_paths).toEqual([["pixels"], ["meta", "raw"]]);
    expect(open.buffers.map((b) => [...b])).toEqual([
      [1, 2, 3],
      [0, 0],
    ]);
    await fromFrontend(w.modelId, { method: "update", state: {}, buffer_paths: [["pixels"]] }, [new Uint8Array([9, 8])]);
    expect([...(w.pixels as Uint8Array)]).toEqual([9, 8]);
  });

  it("sends custom messages of any JSON with buffers, and hands the page's to onMsg as sent", async () => {
    const w = new widgets.AnyWidget({ _esm: ESM });
    const got: unknown[] = [];
    const stop = w.onMsg((content, buffers) => void got.push([content, buffers.map((b) => [...b])]));
    await fromFrontend(w.modelId, { method: "custom", content: { kind: "ping" } }, [new Uint8Array([7])]);
    await fromFrontend(w.modelId, { method: "custom", content: "just text" });
    await fromFrontend(w.modelId, { method: "custom", content: [1, 2] });
    expect(got).toEqual([
      [{ kind: "ping" }, [[7]]],
      ["just text", []],
      [[1, 2], []],
    ]);
    stop();
    await fromFrontend(w.modelId, { method: "custom", content: 1 });
    expect(got).toHaveLength(3);
    sent = [];
    w.send({ kind: "pong", n: 1 }, [new Uint8Array([1, 2]), new DataView(new ArrayBuffer(1))]);
    w.send("text");
    expect(sent.map(dataOf)).toEqual([
      { method: "custom", content: { kind: "pong", n: 1 } },
      { method: "custom", content: "text" },
    ]);
    expect(sent[0]!.buffers.map((b) => [...b])).toEqual([[1, 2], [0]]);
    expect(() => w.send({ f: () => 1 })).toThrow(/AnyWidget.send: widget attribute content.f cannot be sent: a function is not JSON/);
    expect(() => w.send({ bytes: new Uint8Array(1) })).toThrow(
      /AnyWidget.send: bytes in the content cannot be sent as JSON; pass them as buffers/,
    );
  });
});
