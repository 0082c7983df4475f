/**
 * How values are shown (src/shell/display.ts, src/shell/inspection.ts): the display protocol
 * (`Symbol.for("Jupyter.display")`, `Symbol.for("jupyter.mimebundle")`) and Deno's fallbacks, in
 * Deno's order; values as Node shows them (no async context on promises and timers, errors with
 * cell frames). What a value gives may be hostile: throwing getters and methods, Proxies, junk,
 * promises that reject or never settle, huge outputs. None of it throws out of the formatting.
 */
import { AsyncResource } from "node:async_hooks";
import { inspect } from "node:util";
import { describe, expect, test } from "vitest";

import { CellScope } from "../../src/shell/cell_scope.js";
import { createDisplayApi, JUPYTER_DISPLAY, MIMEBUNDLE, plainText, resultOf, showValue, type Shown } from "../../src/shell/display.js";
import { showCellFrames } from "../../src/shell/inspection.js";
import type { CellOutput, DisplayOptions, MimeBundle } from "../../src/shell/output.js";

/** showValue with its complaints collected. */
async function show(value: unknown): Promise<{ data: MimeBundle; complaints: string[] }> {
  const complaints: string[] = [];
  const shown: Shown = await showValue(value, (text) => complaints.push(text));
  return { data: shown.data, complaints };
}

/** An output that records what reaches it. */
function recorder() {
  const events: ({ kind: "display"; data: MimeBundle; options?: DisplayOptions } | { kind: "stream"; name: string; text: string })[] = [];
  const output: CellOutput = {
    stream: (name, text) => void events.push({ kind: "stream", name, text }),
    display: (data, options) => void events.push({ kind: "display", data, options }),
    clearOutput() {},
  };
  return { output, events, scope: new CellScope(output) };
}

const throwing = () => {
  throw new Error("gotcha");
};
const displayable = (method: () => unknown) => ({ [JUPYTER_DISPLAY]: method });

describe("the display protocol", () => {
  test("a Jupyter.display bundle gets the value's text/plain unless it has one", async () => {
    const value = displayable(() => ({ "text/html": "<b>x</b>" }));
    expect(await show(value)).toEqual({ data: { "text/html": "<b>x</b>", "text/plain": plainText(value) }, complaints: [] });
    expect((await show(displayable(() => ({ "text/html": "<b>x</b>", "text/plain": "x" })))).data).toEqual({
      "text/html": "<b>x</b>",
      "text/plain": "x",
    });
  });

  test("jupyter.mimebundle goes the same way; Jupyter.display wins when both are there", async () => {
    expect((await show({ [MIMEBUNDLE]: () => ({ "text/markdown": "*m*" }) })).data["text/markdown"]).toBe("*m*");
    const both = { [JUPYTER_DISPLAY]: () => ({ "text/html": "deno" }), [MIMEBUNDLE]: () => ({ "text/html": "ours" }) };
    expect((await show(both)).data["text/html"]).toBe("deno");
    // a function may describe itself too; the method is called with the value as `this`
    const fn = Object.assign(() => 1, {
      [JUPYTER_DISPLAY](this: { label: string }) {
        return { "text/html": this.label };
      },
      label: "f",
    });
    expect((await show(fn)).data["text/html"]).toBe("f");
  });

  test("a promise of a bundle is waited for; the result is a promise only then", async () => {
    const slow = displayable(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { "text/html": "<i>slow</i>" };
    });
    const pending = showValue(slow, () => {});
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).data["text/html"]).toBe("<i>slow</i>");
    expect(
      showValue(
        displayable(() => ({ "text/html": "now" })),
        () => {},
      ),
    ).not.toBeInstanceOf(Promise);
    // any thenable counts
    expect(
      (await show(displayable(() => ({ then: (ok: (v: unknown) => void) => ok({ "text/html": "thenable" }) })))).data["text/html"],
    ).toBe("thenable");
  });

  test("binary entries become base64; BigInts in JSON become numbers (or text when too big)", async () => {
    const { data } = await show(
      displayable(() => ({ "image/png": new Uint8Array([1, 2, 3]), "application/json": { n: 1n, big: 2n ** 64n } })),
    );
    expect(data["image/png"]).toBe("AQID");
    expect(data["application/json"]).toEqual({ n: 1, big: "18446744073709551616" });
  });
});

describe("a display method that fails", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["throws", throwing, /threw, so the value is shown as text: Error: gotcha/],
    ["returns a rejecting promise", () => Promise.reject(new RangeError("nope")), /promise that rejected.*RangeError: nope/s],
    ["returns a thenable whose then throws", () => ({ then: throwing }), /promise that rejected.*gotcha/s],
    [
      "returns a thenable whose then getter throws",
      () => ({
        get then() {
          return throwing();
        },
      }),
      /bundle that cannot be read.*gotcha/s,
    ],
    ["returns a number", () => 42, /returned 42, not a MIME bundle/],
    ["returns null", () => null, /returned null, not a MIME bundle/],
    ["returns an array", () => [{ "text/html": "x" }], /not a MIME bundle/],
    [
      "returns a Proxy whose traps throw",
      () => new Proxy({}, { ownKeys: throwing, get: throwing, getOwnPropertyDescriptor: throwing }),
      /cannot be read.*gotcha/s,
    ],
  ];
  test.each(cases)("%s: a complaint that says why, and the value's text", async (_, method, complaint) => {
    const value = displayable(method);
    const { data, complaints } = await show(value);
    expect(data).toEqual({ "text/plain": plainText(value) });
    expect(complaints).toHaveLength(1);
    expect(complaints[0]).toMatch(complaint);
    expect(complaints[0]).toContain('[Symbol.for("Jupyter.display")]()');
  });

  test("entries that cannot be shown are left out and named; the rest is shown", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { data, complaints } = await show(
      displayable(() => ({ "text/html": 7, "application/json": cyclic, nomime: "x", "text/markdown": "*ok*", "text/latex": undefined })),
    );
    expect(Object.keys(data).sort()).toEqual(["text/markdown", "text/plain"]);
    expect(complaints).toHaveLength(1);
    expect(complaints[0]).toMatch(
      /text\/html must be a string.*application\/json must be JSON data: Converting circular structure.*"nomime" is not a MIME type/s,
    );
  });

  test("a promise that never settles: the cell's result waits, and cancelling the cell ends the wait", async () => {
    const { scope } = recorder();
    const waiting = scope.run(() => resultOf(displayable(() => new Promise(() => {}))));
    expect(waiting).toBeInstanceOf(Promise);
    scope.cancel(new Error("interrupted"));
    await expect(waiting).rejects.toThrow("interrupted");
  });
});

describe("hostile values", () => {
  const hostile: [string, () => unknown][] = [
    [
      "a Proxy whose every trap throws",
      () =>
        new Proxy({}, { get: throwing, has: throwing, ownKeys: throwing, getOwnPropertyDescriptor: throwing, getPrototypeOf: throwing }),
    ],
    [
      "a revoked Proxy",
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    [
      "an object whose display method getter throws",
      () => ({
        get [JUPYTER_DISPLAY]() {
          return throwing();
        },
      }),
    ],
    [
      "an object whose toDataURL, toSpec, schema and outerHTML getters throw",
      () => ({
        get toDataURL() {
          return throwing();
        },
        get toSpec() {
          return throwing();
        },
        get schema() {
          return throwing();
        },
        get outerHTML() {
          return throwing();
        },
      }),
    ],
    ["a null-prototype object", () => Object.create(null)],
    ["a custom inspect method that throws", () => ({ [inspect.custom]: throwing })],
  ];
  test.each(hostile)("%s is shown as text without throwing", async (_, make) => {
    const { data } = await show(make());
    expect(Object.keys(data)).toEqual(["text/plain"]);
    expect(typeof data["text/plain"]).toBe("string");
  });

  test("a custom inspect method that throws is noted, and the value shown without it", async () => {
    const { data, complaints } = await show({ a: 1, [inspect.custom]: throwing });
    expect(data["text/plain"]).toContain("a: 1");
    expect(complaints[0]).toMatch(/util.inspect failed.*gotcha/s);
  });

  test("huge values: the text is bounded as util.inspect bounds it; a bundle is passed on whole", async () => {
    const many = (await show(new Array(1_000_000).fill(7))).data["text/plain"] as string;
    expect(many).toContain("... 999900 more items");
    expect(many.length).toBeLessThan(2000);
    const long = (await show("x".repeat(1_000_000))).data["text/plain"] as string;
    expect(long).toContain("more characters");
    expect(long.length).toBeLessThan(20_000);
    const html = `<p>${"y".repeat(5_000_000)}</p>`;
    expect((await show(displayable(() => ({ "text/html": html })))).data["text/html"]).toBe(html);
  });
});

describe("what a value looks like (Deno's fallbacks, in its order)", () => {
  const VL5 = "https://vega.github.io/schema/vega-lite/v5.json";

  test("a canvas: its data URL, base64 or not", async () => {
    expect((await show({ toDataURL: () => "data:image/png;base64,iVBORw0KGgo=" })).data["image/png"]).toBe("iVBORw0KGgo=");
    expect((await show({ toDataURL: () => "data:image/svg+xml,%3Csvg%3E%3C%2Fsvg%3E" })).data["image/svg+xml"]).toBe("<svg></svg>");
    const { data, complaints } = await show({ toDataURL: () => "not a url" });
    expect(Object.keys(data)).toEqual(["text/plain"]);
    expect(complaints[0]).toMatch(/toDataURL\(\) returned 'not a url', not a data: URL/);
  });

  test("a chart: toSpec() with a $schema, by its version", async () => {
    const spec = (schema: string) => ({ toSpec: () => ({ $schema: schema, mark: "bar" }) });
    expect(Object.keys((await show(spec(VL5))).data)).toEqual(["application/vnd.vegalite.v5+json", "text/plain"]);
    expect((await show(spec("https://vega.github.io/schema/vega-lite/v4.json"))).data).toHaveProperty(
      ["application/vnd.vegalite.v4+json", "mark"],
      "bar",
    );
    expect((await show(spec("https://vega.github.io/schema/vega-lite/v5.17.0.json"))).data).toHaveProperty(
      "application/vnd.vegalite.v5+json",
    );
    expect((await show(spec("https://vega.github.io/schema/vega/v5.json"))).data).toHaveProperty("application/vnd.vega.v5+json");
    // Deno sends another schema as Vega 5; no schema: not a chart
    expect((await show(spec("https://example.com/chart.json"))).data).toHaveProperty("application/vnd.vega.v5+json");
    expect(Object.keys((await show({ toSpec: () => ({ mark: "bar" }) })).data)).toEqual(["text/plain"]);
  });

  test("a DataFrame: 50 rows as a data resource, the first 10 as an escaped HTML table", async () => {
    const rows = Array.from({ length: 80 }, (_, i) => ({ n: BigInt(i), s: `<${i}>`, when: new Date(Date.UTC(2024, 0, 1 + i)) }));
    const frame = {
      // polars' data types name themselves through toJSON()
      schema: { n: { toJSON: () => ({ DataType: "Int64" }) }, s: "Utf8", when: { variant: "Datetime" } },
      head: (k = 5) => ({ toRecords: () => rows.slice(0, k) }),
      toRecords: () => rows,
    };
    const { data, complaints } = await show(frame);
    expect(complaints).toEqual([]);
    const resource = data["application/vnd.dataresource+json"] as { schema: { fields: unknown[] }; data: Record<string, unknown>[] };
    expect(resource.schema.fields).toEqual([
      { name: "n", type: "integer" },
      { name: "s", type: "string" },
      { name: "when", type: "string" },
    ]);
    expect(resource.data).toHaveLength(50);
    expect(resource.data[3]).toEqual({ n: 3, s: "<3>", when: "2024-01-04T00:00:00.000Z" });
    const html = data["text/html"] as string;
    expect(html.match(/<tr>/g)).toHaveLength(11);
    expect(html).toContain("<th>n</th><th>s</th><th>when</th>");
    expect(html).toContain("<td>9</td><td>&lt;9&gt;</td>");
    expect(html).not.toContain("&lt;10&gt;");
  });

  test("a DataFrame whose head() breaks: a complaint, and its text", async () => {
    const { data, complaints } = await show({ schema: { a: "Int64" }, head: throwing, toRecords: () => [] });
    expect(Object.keys(data)).toEqual(["text/plain"]);
    expect(complaints[0]).toMatch(/looks like a DataFrame.*gotcha/s);
  });

  test("PNG and JPEG bytes (a Buffer too); other bytes are text", async () => {
    const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2]);
    expect((await show(png)).data["image/png"]).toBe(Buffer.from(png).toString("base64"));
    expect((await show(Buffer.from([0xff, 0xd8, 1, 0xff, 0xd9]))).data["image/jpeg"]).toBe("/9gB/9k=");
    expect(Object.keys((await show(new Uint8Array([1, 2, 3]))).data)).toEqual(["text/plain"]);
  });

  test("an element: SVG or HTML by its outerHTML", async () => {
    expect((await show({ outerHTML: "<svg></svg>" })).data).toHaveProperty("image/svg+xml", "<svg></svg>");
    expect((await show({ outerHTML: "<div>d</div>" })).data).toHaveProperty("text/html", "<div>d</div>");
  });

  test("Deno's order: canvas, chart, DataFrame, bytes, element", async () => {
    const canvas = { toDataURL: () => "data:image/png;base64,AA==" };
    const chart = { toSpec: () => ({ $schema: VL5 }) };
    const frame = { schema: {}, head: () => ({ toRecords: () => [] }), toRecords: () => [] };
    const element = { outerHTML: "<p>p</p>" };
    expect(await show({ ...element, ...frame, ...chart, ...canvas })).toMatchObject({ data: { "image/png": "AA==" } });
    expect(Object.keys((await show({ ...element, ...frame, ...chart })).data)[0]).toBe("application/vnd.vegalite.v5+json");
    expect(Object.keys((await show({ ...element, ...frame })).data)[0]).toBe("application/vnd.dataresource+json");
    // the display method comes before all of them
    expect((await show({ ...canvas, [JUPYTER_DISPLAY]: () => ({ "text/html": "own" }) })).data).toEqual({
      "text/html": "own",
      "text/plain": expect.any(String),
    });
  });
});

describe("values as Node shows them", () => {
  test("promises and timers made in a cell's scope show no async context", () => {
    const { scope } = recorder();
    const texts = scope.run(() => {
      const timer = setTimeout(() => {}, 1000);
      clearTimeout(timer);
      return [
        plainText(Promise.resolve(1)),
        plainText(new Promise(() => {})),
        plainText({ nested: [Promise.resolve("a")] }),
        inspect(Promise.resolve(2), { customInspect: false }), // what console.dir asks for
        plainText(timer),
        plainText(new AsyncResource("R")),
      ];
    });
    expect(texts.slice(0, 4)).toEqual(["Promise { 1 }", "Promise { <pending> }", "{ nested: [ Promise { 'a' } ] }", "Promise { 2 }"]);
    // timers and AsyncResources keep the ids Node shows in any program
    for (const text of texts) expect(text).not.toMatch(/kResourceStore|CellScope|timer-scope/);
    expect(texts[4]).toMatch(/^Timeout \{/);
    expect(Object.prototype.toString.call(Promise.resolve())).toBe("[object Promise]");
  });

  test("an error shows its cell frames and none of the kernel's", () => {
    showCellFrames(
      (frame) => frame.replace("cell-0000abcd-12:1:5", "In[7]:1:5").replace("cell-0000abcd-12:2:3", "In[7]:2:3"),
      ["/kernel/dist"],
    );
    try {
      const err = new RangeError("bad");
      err.stack =
        "RangeError: bad\n    at f (cell-0000abcd-12:1:5)\n    at cell-0000abcd-12:2:3\n    at Shell.evaluate (file:///kernel/dist/shell/shell.js:1:1)\n    at node:internal/process/task_queues:95:5";
      expect(plainText(err)).toBe("RangeError: bad\n    at f (In[7]:1:5)\n    at In[7]:2:3");
      expect(plainText({ err })).toBe("{\n  err: RangeError: bad\n      at f (In[7]:1:5)\n      at In[7]:2:3\n}");
      // the error itself is left as it was
      expect(err.stack).toContain("cell-0000abcd-12:1:5");
    } finally {
      showCellFrames((frame) => frame, []);
    }
  });
});

describe("display()", () => {
  const { display } = createDisplayApi();

  test("shows at once when the bundle is ready, and returns a promise that resolves", async () => {
    const { scope, events } = recorder();
    const done = scope.run(() => display({ a: 1 }, { metadata: { m: 1 } }));
    expect(events).toEqual([
      { kind: "display", data: { "text/plain": "{ a: 1 }" }, options: { metadata: { m: 1 }, displayId: undefined, update: undefined } },
    ]);
    await expect(done).resolves.toBeUndefined();
  });

  test("with an async display method: shown when it resolves; the promise resolves after", async () => {
    const { scope, events } = recorder();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done = scope.run(() => display(displayable(async () => (await gate, { "text/html": "late" }))));
    expect(events).toEqual([]);
    release();
    await done;
    expect(events).toMatchObject([{ kind: "display", data: { "text/html": "late" } }]);
  });

  test("a failing display method: a note on the cell's stderr, then the text; never a rejection", async () => {
    const { scope, events } = recorder();
    await scope.run(() => display(displayable(() => Promise.reject(new Error("no")))));
    expect(events.map((e) => e.kind)).toEqual(["stream", "display"]);
    expect(events[0]).toMatchObject({ name: "stderr", text: expect.stringMatching(/rejected.*Error: no/s) });
  });

  test("a cell whose result is display()'s promise shows no result of its own", async () => {
    const { scope } = recorder();
    const done = scope.run(() => display(1));
    expect(await scope.run(() => resultOf(done))).toBeUndefined();
    expect(await scope.run(() => resultOf(Promise.resolve(1)))).toMatchObject({ data: { "text/plain": "Promise { 1 }" } });
  });

  test("wrong options and metadata JSON cannot hold throw in the caller, as before", () => {
    const { scope } = recorder();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => scope.run(() => display(1, { metadata: cyclic }))).toThrow(/circular/);
    expect(() => scope.run(() => display(1, { displayId: 5 as unknown as string }))).toThrow("a display id must be a string, got number");
    expect(() => display(1)).toThrow("display() called outside of any cell");
  });
});
