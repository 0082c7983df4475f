/**
 * The APIs of other kernels that cells written for them use (docs/compat.md): Deno's `Deno.jupyter`
 * (src/shell/deno.ts), tslab's module (src/shell/tslab.ts) and IJavascript's `$$`
 * (src/shell/ijavascript.ts, through Shell.execute), with a recording output in place of the
 * kernel's. Bad input gets a clear error, never a broken cell or kernel.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, test } from "vitest";

import { comms } from "../../src/comm/index.js";
import type { CommInbound, CommOutbound } from "../../src/comm/protocol.js";
import { CellScope } from "../../src/shell/cell_scope.js";
import { Deno, DenoApiUnavailable } from "../../src/shell/deno.js";
import { JUPYTER_DISPLAY, showValue } from "../../src/shell/display.js";
import type { CellOutput, DisplayOptions, MimeBundle } from "../../src/shell/output.js";
import { Shell } from "../../src/shell/shell.js";
import * as tslab from "../../src/shell/tslab.js";

type Event =
  | { kind: "display"; data: MimeBundle; options?: DisplayOptions }
  | { kind: "stream"; name: string; text: string }
  | { kind: "clear"; wait: boolean }
  | { kind: "comm"; msg: CommOutbound };

/** An output that records what reaches it, and a scope to run code "in a cell" with it. */
function recorder() {
  const events: Event[] = [];
  const output: CellOutput = {
    stream: (name, text) => void events.push({ kind: "stream", name, text }),
    display: (data, options) => void events.push({ kind: "display", data, options }),
    clearOutput: (wait) => void events.push({ kind: "clear", wait }),
    comm: (msg) => void events.push({ kind: "comm", msg }),
  };
  const scope = new CellScope(output);
  return { output, events, run: <T>(fn: () => T): T => scope.run(fn) };
}

const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 1]);
const JPEG = new Uint8Array([0xff, 0xd8, 0x01, 0xff, 0xd9]);
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

const dir = mkdtempSync(join(tmpdir(), "tsak-compat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Deno.jupyter", () => {
  const { md, html, svg, image, format, display, broadcast, $display } = Deno.jupyter;

  test("the tagged templates give Deno's bundle; undefined values are left out, others joined as `+` joins them", async () => {
    expect(md`# Hello ${1 + 1}${undefined}!`[$display]()).toEqual({ "text/markdown": "# Hello 2!" });
    expect(html`<b>${[1, 2]}</b>`[$display]()).toEqual({ "text/html": "<b>1,2</b>" });
    expect(svg`<svg/>`[$display]()).toEqual({ "image/svg+xml": "<svg/>" });
    // a plain string works too; what is not a template is a clear error
    expect(md("*x*")[$display]()).toEqual({ "text/markdown": "*x*" });
    expect(() => (md as (x: unknown) => unknown)(5)).toThrow(/tagged template .*got number/);
    // shown with a text/plain of the kernel's, as display.html() & co name theirs
    expect((await showValue(html`<i>i</i>`, () => {})).data).toEqual({ "text/html": "<i>i</i>", "text/plain": "<text/html>" });
    expect($display).toBe(Symbol.for("Jupyter.display"));
  });

  test("image() takes PNG or JPEG bytes or a path; anything else is a clear TypeError", () => {
    expect(image(PNG)[$display]()).toEqual({ "image/png": b64(PNG) });
    const path = join(dir, "pic.jpg");
    writeFileSync(path, JPEG);
    expect(image(path)[$display]()).toEqual({ "image/jpeg": b64(JPEG) });
    expect(() => image(join(dir, "missing.png"))).toThrow(/cannot read the image file .*missing\.png.*ENOENT/);
    expect(() => image(new Uint8Array([1, 2, 3]))).toThrow(/JPEG or PNG images/);
    expect(() => (image as (x: unknown) => unknown)({})).toThrow(TypeError);
  });

  test("format() is the bundle the kernel shows a value with", async () => {
    expect(await format({ a: 1 })).toEqual({ "text/plain": "{ a: 1 }" });
    expect(await format({ [JUPYTER_DISPLAY]: async () => ({ "text/html": "<b>async</b>" }) })).toMatchObject({
      "text/html": "<b>async</b>",
    });
    expect(await format(PNG)).toMatchObject({ "image/png": b64(PNG) });
  });

  test("display() shows in the running cell: raw bundles as given, display_id and update", async () => {
    const r = recorder();
    await r.run(async () => {
      await display(html`<b>x</b>`);
      await display({ "text/html": "<i>raw</i>" }, { raw: true, display_id: "d1" });
      await display({ "text/html": "<i>new</i>" }, { raw: true, display_id: "d1", update: true });
      // raw, but not a bundle (an array): formatted instead, as Deno's isMediaBundle decides
      await display([1, 2], { raw: true });
    });
    expect(r.events).toEqual([
      {
        kind: "display",
        data: { "text/html": "<b>x</b>", "text/plain": "<text/html>" },
        options: { metadata: {}, displayId: undefined, update: false },
      },
      { kind: "display", data: { "text/html": "<i>raw</i>" }, options: { metadata: {}, displayId: "d1", update: false } },
      { kind: "display", data: { "text/html": "<i>new</i>" }, options: { metadata: {}, displayId: "d1", update: true } },
      { kind: "display", data: { "text/plain": "[ 1, 2 ]" }, options: { metadata: {}, displayId: undefined, update: false } },
    ]);
    // wrong options reject (Deno's display is async), they do not throw at the call
    const bad = r.run(() => display(1, { display_id: 5 as unknown as string }));
    await expect(bad).rejects.toThrow(/display id must be a string/);
  });

  test("broadcast() publishes display, stream and clear messages with the calling cell as parent", async () => {
    const r = recorder();
    await r.run(async () => {
      await broadcast("display_data", { data: { "text/html": "<b>p</b>" }, metadata: { m: 1 }, transient: { display_id: "p" } });
      await broadcast("update_display_data", { data: { "text/html": "<b>pp</b>" }, metadata: {}, transient: { display_id: "p" } });
      await broadcast("stream", { name: "stderr", text: "warn\n" });
      await broadcast("clear_output", { wait: true });
    });
    expect(r.events).toEqual([
      { kind: "display", data: { "text/html": "<b>p</b>" }, options: { metadata: { m: 1 }, displayId: "p", update: false } },
      { kind: "display", data: { "text/html": "<b>pp</b>" }, options: { metadata: {}, displayId: "p", update: true } },
      { kind: "stream", name: "stderr", text: "warn\n" },
      { kind: "clear", wait: true },
    ]);
  });

  test("broadcast() with bad input rejects with a clear error and publishes nothing", async () => {
    const r = recorder();
    const bad = (...args: unknown[]) => r.run(() => (broadcast as (...a: unknown[]) => Promise<void>)(...args));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(bad("status", { execution_state: "idle" })).rejects.toThrow(
      /"status" is not a message cells can publish; the kernel publishes display_data, /,
    );
    await expect(bad(42, {})).rejects.toThrow(/number is not a message cells can publish/);
    await expect(bad("display_data", "html")).rejects.toThrow(/content must be an object, got the string 'html'/);
    await expect(bad("display_data", [1])).rejects.toThrow(/content must be an object, got an array/);
    await expect(bad("display_data", { data: circular })).rejects.toThrow(/content cannot be sent as JSON/);
    await expect(bad("display_data", { data: { "text/plain": 1n } })).rejects.toThrow(/cannot be sent as JSON.*BigInt/);
    await expect(bad("display_data", {})).rejects.toThrow(/content.data must be an object, got undefined/);
    await expect(bad("update_display_data", { data: {} })).rejects.toThrow(/an update needs the display_id/);
    await expect(bad("stream", { name: "stdlog", text: "x" })).rejects.toThrow(/content.name must be "stdout" or "stderr"/);
    await expect(bad("comm_open", { comm_id: "c", data: {} })).rejects.toThrow(/content.target_name must be a non-empty string/);
    await expect(bad("comm_msg", { comm_id: "nobody", data: {} })).rejects.toThrow(/no comm with id "nobody" is open/);
    await expect(bad("display_data", { data: {} }, { buffers: ["x"] })).rejects.toThrow(/comm buffer must be a Uint8Array/);
    await expect(bad("display_data", { data: {} }, 7)).rejects.toThrow(/options must be an object/);
    expect(r.events).toEqual([]);
  });

  describe("comms through broadcast are the kernel's", () => {
    let sent: CommOutbound[];
    beforeEach(() => {
      sent = [];
      comms.connect({
        send: (m) => sent.push(m),
        reportError: (err) => {
          throw err;
        },
      });
    });
    const inbound = (msgType: string, content: Record<string, unknown>): CommInbound => ({
      header: { msg_id: `f-${msgType}`, msg_type: msgType },
      content,
      metadata: {},
      buffers: [],
    });

    test("comm_open opens a comm the frontend's comm_msg reaches; comm_msg and comm_close go through it", async () => {
      const id = `bc-${Math.random().toString(16).slice(2)}`;
      const r = recorder();
      await r.run(() =>
        broadcast(
          "comm_open",
          { comm_id: id, target_name: "jupyter.widget", data: { state: { value: 0 } } },
          { metadata: { version: "2.1.0" }, buffers: [new Uint8Array([7])] },
        ),
      );
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        msgType: "comm_open",
        content: { comm_id: id, target_name: "jupyter.widget", data: { state: { value: 0 } } },
        metadata: { version: "2.1.0" },
      });
      expect(sent[0]!.buffers).toEqual([new Uint8Array([7])]);
      const comm = comms.get(id)!;
      expect(comm.targetName).toBe("jupyter.widget");
      const got: unknown[] = [];
      comm.onMsg((m) => void got.push(m.content.data));
      expect(await comms.receive(inbound("comm_msg", { comm_id: id, data: { method: "update", state: { value: 3 } } }))).toEqual({
        status: "handled",
      });
      expect(got).toEqual([{ method: "update", state: { value: 3 } }]);

      await r.run(() => broadcast("comm_msg", { comm_id: id, data: { method: "update", state: { value: 4 } } }));
      await r.run(() => broadcast("comm_close", { comm_id: id, data: {} }));
      expect(sent.map((m) => m.msgType)).toEqual(["comm_open", "comm_msg", "comm_close"]);
      expect(comms.get(id)).toBeUndefined();
      // closing again does nothing; a message to it is an error
      await r.run(() => broadcast("comm_close", { comm_id: id }));
      await expect(r.run(() => broadcast("comm_msg", { comm_id: id, data: {} }))).rejects.toThrow(/no comm with id/);
      expect(sent).toHaveLength(3);
    });

    test("opening the same comm id twice is a clear error", async () => {
      const id = `twice-${Math.random().toString(16).slice(2)}`;
      const r = recorder();
      await r.run(() => broadcast("comm_open", { comm_id: id, target_name: "t" }));
      await expect(r.run(() => broadcast("comm_open", { comm_id: id, target_name: "t" }))).rejects.toThrow(/is open already/);
      comms.get(id)!.close();
    });
  });

  test("other Deno APIs throw an error that names the Node equivalent; what objects have still reads", () => {
    const deno = Deno as unknown as Record<string, unknown>;
    expect(() => deno.readTextFile).toThrow(DenoApiUnavailable);
    expect(() => deno.readTextFile).toThrow(
      /Deno\.readTextFile is Deno's API.*In Node: await fs\.promises\.readFile\(path, "utf8"\) \(import fs from "node:fs"\)/,
    );
    expect(() => deno.env).toThrow(/process\.env/);
    expect(() => deno.Command).toThrow(/node:child_process/);
    expect(() => deno.serve).toThrow(/http\.createServer/);
    expect(() => deno.somethingNew).toThrow(/Deno\.somethingNew is Deno's API.*Use Node's API instead/);
    // not a thenable; Object.prototype, symbols and `in` as usual
    expect(deno.then).toBeUndefined();
    expect(typeof deno.toString).toBe("function");
    expect("readTextFile" in deno).toBe(false);
    expect("jupyter" in deno).toBe(true);
    expect(Object.prototype.toString.call(Deno)).toBe("[object Deno]");
  });
});

describe("tslab's module", () => {
  test("each display sends the one MIME type it names, in the running cell; bytes as base64", () => {
    const r = recorder();
    r.run(() => {
      tslab.display.html("<b>h</b>");
      tslab.display.markdown("*m*");
      tslab.display.png(PNG);
      tslab.display.text("t");
      tslab.display.raw("application/x-thing", "raw");
      // bound: a method taken off the display works
      const { svg } = tslab.display;
      svg("<svg/>");
    });
    expect(r.events).toEqual([
      { kind: "display", data: { "text/html": "<b>h</b>" }, options: { displayId: undefined, update: false } },
      { kind: "display", data: { "text/markdown": "*m*" }, options: { displayId: undefined, update: false } },
      { kind: "display", data: { "image/png": b64(PNG) }, options: { displayId: undefined, update: false } },
      { kind: "display", data: { "text/plain": "t" }, options: { displayId: undefined, update: false } },
      { kind: "display", data: { "application/x-thing": "raw" }, options: { displayId: undefined, update: false } },
      { kind: "display", data: { "image/svg+xml": "<svg/>" }, options: { displayId: undefined, update: false } },
    ]);
  });

  test("newDisplay() shows once, then replaces its output", () => {
    const r = recorder();
    const d = tslab.newDisplay();
    r.run(() => {
      d.text("1");
      d.html("<b>2</b>");
    });
    const [first, second] = r.events as { options: DisplayOptions }[];
    expect(first!.options).toEqual({ displayId: expect.stringMatching(/^[0-9a-f]{16}$/), update: false });
    expect(second!.options).toEqual({ displayId: first!.options.displayId, update: true });
    expect(tslab.newDisplay()).not.toBe(d);
  });

  test("bad input is a clear TypeError; versions and the default export are tslab's shape", () => {
    const r = recorder();
    expect(() => r.run(() => tslab.display.html(42 as unknown as string))).toThrow(
      /tslab display of text\/html: expected a string, got number/,
    );
    expect(() => r.run(() => tslab.display.png({} as Uint8Array))).toThrow(
      /expected a string \(or the bytes as a Uint8Array\), got Object/,
    );
    expect(() => r.run(() => tslab.display.raw("nomime", "x"))).toThrow(/"nomime" is not a MIME type/);
    expect(r.events).toEqual([]);
    expect(Object.keys(tslab.versions)).toEqual(["tslab", "typescript", "node"]);
    expect(tslab.versions.node).toBe(process.version);
    expect(tslab.versions.typescript).toMatch(/^\d+\.\d+/);
    expect(tslab.default).toEqual({ versions: tslab.versions, newDisplay: tslab.newDisplay, display: tslab.display });
  });
});

describe("IJavascript's $$", () => {
  function notebook() {
    const shell = new Shell({ cwd: process.cwd(), language: "typescript" });
    let n = 0;
    const r = recorder();
    const run = (code: string, signal?: AbortSignal) => shell.execute(code, `In[${++n}]`, r.output, { signal });
    return { run, events: r.events };
  }
  const stderr = (events: Event[]) =>
    events
      .filter((e): e is Extract<Event, { kind: "stream" }> => e.kind === "stream" && e.name === "stderr")
      .map((e) => e.text)
      .join("");

  test("a result method is the cell's result, exactly that bundle; the cell's own last value is dropped", async () => {
    const nb = notebook();
    expect(await nb.run('$$.html("<b>x</b>"); 42')).toEqual({ status: "ok", result: { data: { "text/html": "<b>x</b>" }, metadata: {} } });
    expect(await nb.run('$$.mime({ "text/plain": "p", "text/html": "<i>p</i>" })')).toEqual({
      status: "ok",
      result: { data: { "text/plain": "p", "text/html": "<i>p</i>" }, metadata: {} },
    });
    expect(await nb.run("$$.sendResult({ a: 1 }); 2")).toEqual({
      status: "ok",
      result: { data: { "text/plain": "{ a: 1 }" }, metadata: {} },
    });
    // a promise is waited for
    expect(await nb.run("$$.sendResult(new Promise((r) => setTimeout(r, 5, 'later')))")).toMatchObject({
      result: { data: { "text/plain": "'later'" } },
    });
  });

  test("$$.async(): the reply waits for a timer's sendResult, which reaches its own cell", async () => {
    const nb = notebook();
    const first = nb.run("$$.async(); setTimeout(() => $$.sendResult('first'), 30); 'not this'");
    const second = nb.run("$$.async(); setTimeout(() => $$.sendResult('second'), 5)");
    expect(await second).toMatchObject({ status: "ok", result: { data: { "text/plain": "'second'" } } });
    expect(await first).toMatchObject({ status: "ok", result: { data: { "text/plain": "'first'" } } });
    expect(await nb.run("$$.async(); setTimeout(() => $$.done(), 5); 1")).toEqual({ status: "ok" });
    expect(await nb.run("$$.async(); setTimeout(() => $$.done(7), 5)")).toMatchObject({ result: { data: { "text/plain": "7" } } });
  });

  test("$$.sendError fails the cell with that error, now or from a timer", async () => {
    const nb = notebook();
    expect(await nb.run("$$.sendError(new RangeError('bad'))")).toMatchObject({
      status: "error",
      error: { ename: "RangeError", evalue: "bad" },
    });
    expect(await nb.run("$$.async(); setTimeout(() => $$.sendError(new Error('late')), 5)")).toMatchObject({
      status: "error",
      error: { ename: "Error", evalue: "late" },
    });
    // a promise that rejects, given as a result, is the cell's error
    expect(await nb.run("$$.sendResult(Promise.reject(new TypeError('rejected')))")).toMatchObject({
      status: "error",
      error: { ename: "TypeError", evalue: "rejected" },
    });
  });

  test("sending twice, or after the cell ended, is dropped with a note on the cell's stderr", async () => {
    const nb = notebook();
    expect(await nb.run("$$.sendResult(1); $$.sendResult(2)")).toMatchObject({ result: { data: { "text/plain": "1" } } });
    expect(stderr(nb.events)).toContain("$$.sendResult(): In[1] has already sent its result, so this is dropped");
    expect(await nb.run("globalThis.laterDollar = $$; 'done'")).toMatchObject({ result: { data: { "text/plain": "'done'" } } });
    expect(await nb.run("laterDollar.html('<b>too late</b>')")).toEqual({ status: "ok" });
    expect(stderr(nb.events)).toContain("$$.html(): In[2] has finished, so this is dropped");
    expect(nb.events.filter((e) => e.kind === "display")).toEqual([]);
  });

  test("$$.done() without $$.async() ends the cell with no result; keepAlive results are shown at once", async () => {
    const nb = notebook();
    expect(await nb.run("$$.done(); 5")).toEqual({ status: "ok" });
    const outcome = await nb.run("$$.text('one', true); $$.html('<b>two</b>', true); setTimeout(() => $$.sendResult('three'), 5)");
    expect(outcome).toMatchObject({ result: { data: { "text/plain": "'three'" } } });
    expect(nb.events.filter((e) => e.kind === "display").map((e) => (e as { data: MimeBundle }).data)).toEqual([
      { "text/plain": "one" },
      { "text/html": "<b>two</b>" },
    ]);
  });

  test("an async cell waiting for $$ is cancelled like any await; $$.async(false) ends the wait", async () => {
    const nb = notebook();
    const control = new AbortController();
    const waiting = nb.run("$$.async()", control.signal);
    await new Promise((r) => setTimeout(r, 10));
    control.abort(new Error("stopped"));
    expect(await waiting).toMatchObject({ status: "error", error: { evalue: "stopped" } });
    expect(await nb.run("$$.async(); setTimeout(() => $$.async(false), 5); 1")).toEqual({ status: "ok" });
  });

  test("$$.display(id): the first output shows, later ones replace it; without an id each is new", async () => {
    const nb = notebook();
    await nb.run(
      "const dd = $$.display('dd'); dd.text('a'); dd.html('<b>b</b>'); const free = $$.display(); free.text('c'); free.text('d'); dd.close(); dd.text('closed')",
    );
    const shown = nb.events.filter((e) => e.kind === "display") as { data: MimeBundle; options: DisplayOptions }[];
    expect(shown.map((e) => [e.data, e.options.displayId, e.options.update])).toEqual([
      [{ "text/plain": "a" }, "dd", false],
      [{ "text/html": "<b>b</b>" }, "dd", true],
      [{ "text/plain": "c" }, undefined, undefined],
      [{ "text/plain": "d" }, undefined, undefined],
    ]);
    expect(stderr(nb.events)).toContain('$$.display("dd").text(): the display is closed, so this is dropped.');
  });

  test("a value's _toMime()/_toHtml() show it, after the display symbols; a failing one is reported", async () => {
    const complaints: string[] = [];
    const show = async (v: unknown) => (await showValue(v, (t) => complaints.push(t))).data;
    expect(await show({ _toHtml: () => "<u>u</u>" })).toEqual({
      "text/html": "<u>u</u>",
      "text/plain": "{ _toHtml: [Function: _toHtml] }",
    });
    expect(
      await show({
        _toMime: () => ({ "text/plain": "mine", "text/html": "<b>m</b>" }),
        _toHtml: () => "<i>not used</i>",
        _toSvg: () => "<svg/>",
      }),
    ).toEqual({
      "text/plain": "mine",
      "text/html": "<b>m</b>",
      "image/svg+xml": "<svg/>",
    });
    expect(await show({ [JUPYTER_DISPLAY]: () => ({ "text/html": "deno" }), _toHtml: () => "ijs" })).toMatchObject({ "text/html": "deno" });
    expect(
      await show({
        _toHtml() {
          throw new Error("no html");
        },
        _toPng: () => "iVBOR",
      }),
    ).toMatchObject({ "image/png": "iVBOR" });
    expect(complaints.join("\n")).toMatch(/_toHtml\(\) threw, so its part of the value's bundle is left out: Error: no html/);
    expect(await show({ _toMime: () => 42 })).toEqual({ "text/plain": "{ _toMime: [Function: _toMime] }" });
    expect(complaints.join("\n")).toMatch(/_toMime\(\) returned 42, not a MIME bundle/);
  });
});
