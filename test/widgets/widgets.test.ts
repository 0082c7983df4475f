/**
 * The widget library in one thread, against a recording comm sink in place of the kernel: the
 * messages each widget sends (widgets protocol 2.1), how frontend messages change it, and its
 * attributes against the ipywidgets 8 model spec (fixtures/ipywidgets8_models.json).
 */
import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { comms, type CommInbound, type CommOutbound } from "../../src/comm/index.js";
import * as widgets from "../../src/widgets/index.js";
import { CONTROL_TARGET, localWidgetStates, registerWidgetTargets, useOutputRouting, type OutputSink } from "../../src/widgets/index.js";
import { putBuffers, toWire } from "../../src/widgets/serialize.js";

let sent: CommOutbound[];
let errors: string[];
let current: OutputSink | undefined;

beforeEach(() => {
  sent = [];
  errors = [];
  comms.connect({
    send: (m) => (current?.comm ? current.comm(m) : sent.push(m)),
    reportError: (err, context) => errors.push(`${context}: ${(err as Error).message}`),
  });
});

useOutputRouting({
  current: () => current,
  run<T>(sink: OutputSink, fn: () => T): T {
    const outer = current;
    current = sink;
    try {
      return fn();
    } finally {
      current = outer;
    }
  },
  // the shell's (display.ts, errors.ts) are tested with the shell
  show: (value) => ({ data: { "text/plain": String(value) } }),
  describeError: (err) => ({ ename: (err as Error).name, evalue: (err as Error).message, traceback: [] }),
});
registerWidgetTargets(comms);

let n = 0;
function fromFrontend(
  msgType: string,
  content: Record<string, unknown>,
  buffers: Uint8Array[] = [],
  metadata: Record<string, unknown> = {},
): Promise<unknown> {
  const msg: CommInbound = { header: { msg_id: `f${++n}`, msg_type: msgType }, content, metadata, buffers };
  return comms.receive(msg);
}
const update = (w: widgets.SomeWidget, state: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  fromFrontend("comm_msg", { comm_id: w.modelId, data: { method: "update", state, buffer_paths: [], ...extra } });
const dataOf = (m: CommOutbound) => m.content.data as Record<string, unknown>;
const msgsOf = (w: widgets.SomeWidget) => sent.filter((m) => m.content.comm_id === w.modelId);

describe("a new widget", () => {
  it("opens the widgets it references first, then its own comm with the full state and protocol 2.1.0", () => {
    const s = new widgets.IntSlider({ value: 5, max: 10, description: "n", layout: { width: "300px" } });
    expect(sent.map((m) => [m.msgType, (dataOf(m).state as Record<string, unknown>)._model_name])).toEqual([
      ["comm_open", "LayoutModel"],
      ["comm_open", "SliderStyleModel"],
      ["comm_open", "IntSliderModel"],
    ]);
    const open = sent[2]!;
    expect(open.content.target_name).toBe("jupyter.widget");
    expect(open.metadata).toEqual({ version: "2.1.0" });
    const state = dataOf(open).state as Record<string, unknown>;
    expect(state).toMatchObject({
      _model_module: "@jupyter-widgets/controls",
      _model_module_version: "2.0.0",
      _view_name: "IntSliderView",
      value: 5,
      min: 0,
      max: 10,
      step: 1,
      description: "n",
      readout_format: "d",
      layout: `IPY_MODEL_${s.layout.modelId}`,
      style: `IPY_MODEL_${s.style.modelId}`,
    });
    expect(dataOf(open).buffer_paths).toEqual([]);
    expect((dataOf(sent[0]!).state as Record<string, unknown>).width).toBe("300px");
    expect(s.modelId).toBe(open.content.comm_id);
    expect(s.layout.width).toBe("300px");
  });

  it("displays as a widget view (and as text), every time it is displayed", () => {
    const s = new widgets.Checkbox({ value: true, description: "ok" });
    const bundle = s[Symbol.for("jupyter.mimebundle")]();
    expect(bundle["application/vnd.jupyter.widget-view+json"]).toEqual({ version_major: 2, version_minor: 0, model_id: s.modelId });
    expect(bundle["text/plain"]).toBe("Checkbox(value=true, description='ok')");
    expect(s[Symbol.for("jupyter.mimebundle")]()).toEqual(bundle);
  });

  it("refuses unknown attributes and values of the wrong kind, naming them", () => {
    expect(() => new widgets.IntSlider({ valu: 3 } as never)).toThrow(/IntSlider has no attribute "valu"/);
    expect(() => new widgets.IntSlider({ value: 2.5 })).toThrow(/IntSlider.value must be an integer, not 2.5/);
    expect(() => new widgets.Text({ value: 3 as unknown as string })).toThrow(/Text.value must be a string, not number 3/);
    expect(() => new widgets.IntSlider({ min: 5, max: 1 })).toThrow(/min \(5\) is greater than max \(1\)/);
    expect(() => new widgets.HBox({ children: [1] as never })).toThrow(/children must be an array of widgets/);
    expect(() => new widgets.FloatSlider({ value: Number.NaN })).toThrow(/finite number/);
  });
});

describe("the attributes match the ipywidgets 8 model spec", () => {
  const spec = JSON.parse(readFileSync(new URL("./fixtures/ipywidgets8_models.json", import.meta.url), "utf8")) as {
    models: Record<
      string,
      {
        model: { module: string; name: string; version: string };
        view: { module: string; name: string | null; version: string };
        attributes: Record<string, { default?: unknown; reference?: string }>;
      }
    >;
  };
  const classes = {
    IntSlider: widgets.IntSlider,
    FloatSlider: widgets.FloatSlider,
    Text: widgets.Text,
    Textarea: widgets.Textarea,
    Checkbox: widgets.Checkbox,
    Dropdown: widgets.Dropdown,
    Button: widgets.Button,
    Label: widgets.Label,
    HTML: widgets.HTML,
    Output: widgets.Output,
    HBox: widgets.HBox,
    VBox: widgets.VBox,
    Box: widgets.Box,
    Play: widgets.Play,
    Link: widgets.Link,
    DirectionalLink: widgets.DirectionalLink,
    Layout: widgets.Layout,
    SliderStyle: widgets.SliderStyle,
    DescriptionStyle: widgets.DescriptionStyle,
    ButtonStyle: widgets.ButtonStyle,
    CheckboxStyle: widgets.CheckboxStyle,
    TextStyle: widgets.TextStyle,
    LabelStyle: widgets.LabelStyle,
    HTMLStyle: widgets.HTMLStyle,
    Image: widgets.Image,
  };
  for (const [name, cls] of Object.entries(classes)) {
    it(name, () => {
      const want = spec.models[`${name}Model`]!;
      const ours = (cls as unknown as { spec: widgets.ModelSpec }).spec;
      expect(ours.model).toEqual(want.model);
      expect(ours.view).toEqual(want.view);
      expect(Object.keys(ours.defaults).sort()).toEqual(Object.keys(want.attributes).sort());
      for (const [k, a] of Object.entries(want.attributes)) {
        // the spec writes Python's empty bytes for a bytes default
        if (a.reference === undefined) expect([k, ours.defaults[k]]).toEqual([k, a.default === "b''" ? new Uint8Array(0) : a.default]);
      }
      // a new one references new widgets of the spec's kinds
      const w = new (cls as unknown as new () => widgets.SomeWidget)();
      for (const [k, a] of Object.entries(want.attributes)) {
        if (a.reference !== undefined) expect([k, (w.get(k) as widgets.SomeWidget).constructor.name]).toEqual([k, a.reference]);
      }
    });
  }
});

describe("kernel-side changes", () => {
  it("send only what changed, before the observers run; nothing for the same value", () => {
    const s = new widgets.IntSlider({ value: 1 });
    sent = [];
    const seen: unknown[] = [];
    s.observe((c) => void seen.push([c.name, c.old, c.new, sent.length]), "value");
    s.value = 5;
    s.value = 5;
    s.description = "x";
    expect(sent.map(dataOf)).toEqual([
      { method: "update", state: { value: 5 }, buffer_paths: [] },
      { method: "update", state: { description: "x" }, buffer_paths: [] },
    ]);
    expect(seen).toEqual([["value", 1, 5, 1]]);
  });

  it("setState sends one message; bounds clamp the value (and that is observed too)", () => {
    const s = new widgets.FloatSlider({ value: 50 });
    sent = [];
    const seen: string[] = [];
    s.observe((c) => void seen.push(`${String(c.name)}:${String(c.new)}`));
    s.setState({ min: 0, max: 10 });
    expect(sent.map(dataOf)).toEqual([{ method: "update", state: { max: 10, value: 10 }, buffer_paths: [] }]);
    expect(seen).toEqual(["max:10", "value:10"]);
    expect(() => (s.min = 20)).toThrow(RangeError);
    expect(s.min).toBe(0);
  });

  it("observe filters by name, unobserve stops, and an observer's error reaches the setter after the others ran", async () => {
    const t = new widgets.Text();
    const seen: string[] = [];
    const stop = t.observe((c) => void seen.push(`a:${String(c.name)}`));
    t.observe(() => {
      throw new Error("observer failed");
    }, "placeholder");
    t.observe((c) => void seen.push(`b:${String(c.name)}`), ["value", "placeholder"]);
    t.value = "v";
    expect(() => (t.placeholder = "p")).toThrow("observer failed");
    stop();
    t.value = "w";
    expect(seen).toEqual(["a:value", "b:value", "a:placeholder", "b:placeholder", "b:value"]);
    expect(() => t.observe(() => {}, "nope" as never)).toThrow(/no attribute "nope" to observe/);
    const next = t.nextChange("value");
    t.value = "z";
    expect((await next).new).toBe("z");
  });
});

describe("frontend updates", () => {
  it("are echoed, applied and observed, and not sent back", async () => {
    const s = new widgets.IntSlider({ value: 1 });
    sent = [];
    const seen: unknown[] = [];
    s.observe((c) => void seen.push(c.new), "value");
    await update(s, { value: 7 });
    expect(s.value).toBe(7);
    expect(seen).toEqual([7]);
    expect(sent.map(dataOf)).toEqual([{ method: "echo_update", state: { value: 7 }, buffer_paths: [] }]);
  });

  it("that a bound or an observer changes go back to the frontend", async () => {
    const s = new widgets.IntSlider({ value: 1, max: 10 });
    await update(s, { value: 50 });
    expect(s.value).toBe(10);
    expect(msgsOf(s).slice(-1).map(dataOf)).toEqual([{ method: "update", state: { value: 10 }, buffer_paths: [] }]);
    s.observe((c) => {
      if ((c.new as number) % 2) s.value = (c.new as number) - 1;
    }, "value");
    sent = [];
    await update(s, { value: 5 });
    expect(s.value).toBe(4);
    expect(sent.map((m) => dataOf(m).method)).toEqual(["echo_update", "update"]);
    expect(dataOf(sent[1]!).state).toEqual({ value: 4 });
  });

  it("that are refused are reported, and the frontend gets the kernel's value back", async () => {
    const s = new widgets.IntSlider({ value: 3 });
    sent = [];
    await update(s, { value: "high" });
    expect(s.value).toBe(3);
    expect(errors).toEqual([expect.stringMatching(/IntSlider.value must be a finite number/)]);
    expect(sent.map(dataOf)).toEqual([
      { method: "echo_update", state: { value: "high" }, buffer_paths: [] },
      { method: "update", state: { value: 3 }, buffer_paths: [] },
    ]);
  });

  it("of unknown attributes are ignored; request_state gets the whole state; async observers are awaited", async () => {
    const s = new widgets.Checkbox();
    sent = [];
    await update(s, { no_such: 1 });
    expect(sent).toEqual([]);
    await fromFrontend("comm_msg", { comm_id: s.modelId, data: { method: "request_state" } });
    const st = dataOf(sent[0]!).state as Record<string, unknown>;
    expect(dataOf(sent[0]!).method).toBe("update");
    expect(st).toMatchObject({ _model_name: "CheckboxModel", value: false, indent: true, layout: `IPY_MODEL_${s.layout.modelId}` });
    let done = false;
    s.observe(async () => {
      await new Promise((r) => setTimeout(r, 20));
      done = true;
    });
    await update(s, { value: true });
    expect(done).toBe(true);
  });

  it("JUPYTER_WIDGETS_ECHO=0 turns the echo off", async () => {
    const s = new widgets.Label();
    sent = [];
    process.env.JUPYTER_WIDGETS_ECHO = "0";
    try {
      await update(s, { value: "x" });
    } finally {
      delete process.env.JUPYTER_WIDGETS_ECHO;
    }
    expect(sent).toEqual([]);
    expect(s.value).toBe("x");
  });
});

describe("buttons and custom messages", () => {
  it("a click from the frontend runs onClick handlers and settles after async ones", async () => {
    const b = new widgets.Button({ description: "go", button_style: "success" });
    const clicks: string[] = [];
    b.onClick((btn) => void clicks.push(btn.description));
    b.onClick(async () => {
      await new Promise((r) => setTimeout(r, 10));
      clicks.push("async");
    });
    await fromFrontend("comm_msg", { comm_id: b.modelId, data: { method: "custom", content: { event: "click" } } });
    expect(clicks).toEqual(["go", "async"]);
    const raw: unknown[] = [];
    b.onMsg((content, buffers) => void raw.push([content, buffers.map((x) => [...x])]));
    await fromFrontend("comm_msg", { comm_id: b.modelId, data: { method: "custom", content: { other: 1 } } }, [new Uint8Array([3])]);
    expect(raw).toEqual([[{ other: 1 }, [[3]]]]);
    sent = [];
    b.send({ hello: true }, [new Uint8Array([9])]);
    expect(sent[0]).toMatchObject({ content: { data: { method: "custom", content: { hello: true } } } });
    expect([...sent[0]!.buffers[0]!]).toEqual([9]);
  });

  it("an unknown method is reported", async () => {
    const b = new widgets.Button();
    await fromFrontend("comm_msg", { comm_id: b.modelId, data: { method: "backbone" } });
    expect(errors).toEqual([expect.stringMatching(/unknown method "backbone"/)]);
  });
});

describe("Dropdown", () => {
  it("syncs labels and index; value and label follow the index, also for observers", async () => {
    const d = new widgets.Dropdown({
      options: [
        ["one", 1],
        ["two", 2],
        ["three", 3],
      ],
      value: 2,
      description: "pick",
    });
    const state = dataOf(msgsOf(d)[0]!).state as Record<string, unknown>;
    expect(state).toMatchObject({ _options_labels: ["one", "two", "three"], index: 1 });
    expect([d.value, d.label]).toEqual([2, "two"]);
    const seen: string[] = [];
    d.observe((c) => void seen.push(`${String(c.name)}:${String(c.old)}->${String(c.new)}`));
    await update(d, { index: 2 });
    expect([d.value, d.label]).toEqual([3, "three"]);
    expect(seen).toEqual(["index:1->2", "value:2->3", "label:two->three"]);
    seen.length = 0;
    d.value = 1;
    expect(d.index).toBe(0);
    expect(() => (d.value = 9)).toThrow(/no option has value 9/);
    d.options = ["x", "y"];
    expect([d.index, d.value, d.label]).toEqual([0, "x", "x"]);
    expect(seen).toEqual([
      "index:2->0",
      "value:3->1",
      "label:three->one",
      "_options_labels:one,two,three->x,y",
      "value:1->x",
      "label:one->x",
    ]);
  });
});

describe("boxes and links", () => {
  it("refer to their children and endpoints by model id", () => {
    const a = new widgets.IntSlider();
    const b = new widgets.Play({ interval: 50 });
    const box = new widgets.HBox({ children: [a, b] });
    expect((dataOf(msgsOf(box)[0]!).state as Record<string, unknown>).children).toEqual([
      `IPY_MODEL_${a.modelId}`,
      `IPY_MODEL_${b.modelId}`,
    ]);
    const l = widgets.jslink([b, "value"], [a, "value"]);
    const st = dataOf(msgsOf(l)[0]!).state as Record<string, unknown>;
    expect(st).toMatchObject({
      _model_name: "LinkModel",
      _view_name: null,
      source: [`IPY_MODEL_${b.modelId}`, "value"],
      target: [`IPY_MODEL_${a.modelId}`, "value"],
    });
    expect(l[Symbol.for("jupyter.mimebundle")]()["application/vnd.jupyter.widget-view+json"]).toBeUndefined();
    expect(() => widgets.jslink([a, "valeu"], [b, "value"])).toThrow(/IntSlider has no attribute "valeu"/);
  });

  it("link keeps two attributes equal in the kernel until unlinked", () => {
    const a = new widgets.IntSlider({ value: 3 });
    const t = new widgets.IntSlider();
    const l = widgets.link([a, "value"], [t, "value"]);
    expect(t.value).toBe(3);
    t.value = 8;
    expect(a.value).toBe(8);
    l.unlink();
    a.value = 1;
    expect(t.value).toBe(8);
    const label = new widgets.Label();
    widgets.dlink([a, "value"], [label, "value"], (v) => `a=${String(v)}`);
    a.value = 2;
    expect(label.value).toBe("a=2");
  });

  it("close closes the widget and the layout and style it made, but not widgets given to it", () => {
    const layout = new widgets.Layout({ width: "10px" });
    const s = new widgets.IntSlider({ layout });
    sent = [];
    s.close();
    expect(sent.map((m) => m.content.comm_id)).toEqual([s.modelId, s.style.modelId]);
    expect(s.closed && !layout.closed).toBe(true);
    s.value = 4; // a closed widget changes nothing in the frontend
    expect(sent).toHaveLength(2);
  });
});

describe("Output", () => {
  it("captures streams (merged), displays and errors into its outputs; widgets made inside still open", async () => {
    const out = new widgets.Output();
    const outer: CommOutbound[] = [];
    current = { stream() {}, display() {}, clearOutput() {}, comm: (m) => void outer.push(m) };
    try {
      out.capture(() => {
        current!.stream("stdout", "a");
        current!.stream("stdout", "b\n");
        current!.display({ "text/html": "<b>x</b>" }, { metadata: { m: 1 }, displayId: "d1" });
        current!.display({ "text/html": "<b>y</b>" }, { displayId: "d1", update: true });
        new widgets.Label({ value: "inside" });
      });
      const r = out.capture(() => {
        throw new TypeError("bad");
      });
      expect(r).toBeUndefined();
      expect(await out.capture(async () => 42)).toBe(42);
    } finally {
      current = undefined;
    }
    expect(out.outputs.map((o) => o.output_type)).toEqual(["stream", "display_data", "error"]);
    expect(out.outputs[0]).toEqual({ output_type: "stream", name: "stdout", text: "ab\n" });
    expect(out.outputs[1]).toEqual({ output_type: "display_data", data: { "text/html": "<b>y</b>" }, metadata: {} });
    expect(out.outputs[2]).toMatchObject({ ename: "TypeError", evalue: "bad" });
    expect(outer.map((m) => [m.msgType, (dataOf(m).state as Record<string, unknown>)?._model_name ?? dataOf(m).method])).toContainEqual([
      "comm_open",
      "LabelModel",
    ]);
    expect(outer.filter((m) => m.content.comm_id === out.modelId).map((m) => dataOf(m).method)).toEqual([
      "update",
      "update",
      "update",
      "update",
      "update",
    ]);
    out.clear({ wait: true });
    expect(out.outputs).toHaveLength(3);
    out.appendStdout("fresh");
    expect(out.outputs).toEqual([{ output_type: "stream", name: "stdout", text: "fresh" }]);
    out.clear();
    expect(out.outputs).toEqual([]);
  });
});

describe("binary state and the control target", () => {
  it("an Image sends its bytes as a buffer, and takes new bytes from the frontend", async () => {
    const img = new widgets.Image({ value: new Uint8Array([137, 80, 78, 71]), format: "png", width: "20" });
    const open = msgsOf(img)[0]!;
    expect((dataOf(open).state as Record<string, unknown>).value).toBeUndefined();
    expect(dataOf(open).buffer_paths).toEqual([["value"]]);
    expect([...open.buffers[0]!]).toEqual([137, 80, 78, 71]);
    sent = [];
    img.value = new Uint8Array([1, 2]);
    expect(sent.map(dataOf)).toEqual([{ method: "update", state: {}, buffer_paths: [["value"]] }]);
    img.value = new Uint8Array([1, 2]); // the same bytes: nothing
    expect(sent).toHaveLength(1);
    await fromFrontend("comm_msg", { comm_id: img.modelId, data: { method: "update", state: {}, buffer_paths: [["value"]] } }, [
      new Uint8Array([9]),
    ]);
    expect([...img.value]).toEqual([9]);
    expect(() => (img.value = "png" as never)).toThrow(/Image.value must be bytes/);
  });

  it("toWire takes buffers out at their paths; putBuffers puts them back", () => {
    const isW = (v: unknown): v is widgets.SomeWidget => v instanceof widgets.Widget;
    const wire = toWire(
      { x: new Uint8Array([1]), list: [1, new Float32Array([1]).buffer, { y: new DataView(new ArrayBuffer(2)) }], plain: "p" },
      isW,
    );
    expect(wire.state).toEqual({ list: [1, null, {}], plain: "p" });
    expect(wire.buffer_paths).toEqual([["x"], ["list", 1], ["list", 2, "y"]]);
    expect(wire.buffers.map((b) => b.length)).toEqual([1, 4, 2]);
    const back = structuredClone(wire.state);
    putBuffers(back, wire.buffer_paths, wire.buffers);
    expect((back.x as Uint8Array)[0]).toBe(1);
    expect((back.list as unknown[])[1]).toBeInstanceOf(Uint8Array);
  });

  it("a model the frontend opens becomes a widget, binary state included", async () => {
    await fromFrontend(
      "comm_open",
      {
        comm_id: "front-1",
        target_name: "jupyter.widget",
        data: {
          state: { _model_name: "ImageModel", _model_module: "@jupyter-widgets/controls", _model_module_version: "2.0.0", format: "png" },
          buffer_paths: [["value"]],
        },
      },
      [new Uint8Array([137, 80])],
      { version: "2.1.0" },
    );
    const w = widgets.widgetById("front-1")!;
    expect(w.spec.model.name).toBe("ImageModel");
    expect([...(w.get("value") as Uint8Array)]).toEqual([137, 80]);
    await fromFrontend(
      "comm_open",
      {
        comm_id: "front-2",
        target_name: "jupyter.widget",
        data: { state: { _model_name: "IntSliderModel", _model_module: "@jupyter-widgets/controls", value: 4 } },
      },
      [],
      { version: "2.1.0" },
    );
    const s = widgets.widgetById("front-2") as widgets.IntSlider;
    expect(s).toBeInstanceOf(widgets.IntSlider);
    expect(s.value).toBe(4);
  });

  it("update_states answers request_states with every widget, buffer paths under [id, 'state']", async () => {
    const s = new widgets.IntSlider({ value: 6 });
    const states = localWidgetStates();
    expect(states.states[s.modelId]).toEqual({
      model_name: "IntSliderModel",
      model_module: "@jupyter-widgets/controls",
      model_module_version: "2.0.0",
      state: expect.objectContaining({ value: 6 }),
    });
    expect(states.buffer_paths).toContainEqual(["front-1", "state", "value"]);
    await fromFrontend("comm_open", { comm_id: "ctl", target_name: CONTROL_TARGET, data: {} }, [], { version: "1.0.0" });
    sent = [];
    await fromFrontend("comm_msg", { comm_id: "ctl", data: { method: "request_states" } });
    expect(sent).toHaveLength(1);
    const data = dataOf(sent[0]!);
    expect(data.method).toBe("update_states");
    expect(Object.keys(data.states as object)).toEqual(Object.keys(states.states));
    expect(sent[0]!.buffers.length).toBe((data.buffer_paths as unknown[]).length);
    // another major version of the control protocol is refused: closed at once
    sent = [];
    await fromFrontend("comm_open", { comm_id: "ctl2", target_name: CONTROL_TARGET, data: {} }, [], { version: "2.0.0" });
    expect(sent.map((m) => m.msgType)).toEqual(["comm_close"]);
    expect(errors).toEqual([expect.stringMatching(/widget control protocol "2.0.0" is not supported/)]);
  });
});
