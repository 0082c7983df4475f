/**
 * How a value is shown, wherever one is (a cell's result, `display()`, the Output widget; on
 * every thread), and the display API every cell sees as globals: `display`, `display.html` & co,
 * `updateDisplay`, `clearOutput`.
 *
 * `showValue` is the one way a value becomes a MIME bundle, in Deno's order (its `format()` in
 * cli/js/40_jupyter.js): the value's own display method, `Symbol.for("Jupyter.display")` (Deno's
 * convention, which nodejs-polars and anywidget implement) or `Symbol.for("jupyter.mimebundle")`,
 * returning a bundle or a promise of one; else what the value looks like: a canvas
 * (`toDataURL()`), a Vega or Vega-Lite chart (`toSpec()`), a DataFrame (`schema`, `head`,
 * `toRecords`), PNG or JPEG bytes, an SVG or HTML element (`outerHTML`). Every bundle has its
 * text/plain, as util.inspect shows the value. A display method that throws, rejects or returns
 * what is not a bundle is reported (a `Complaint`) and the value is shown as text.
 */
import { Buffer } from "node:buffer";
import { inspect, types } from "node:util";
import { currentScope } from "./cell_scope.js";
import { currentOutput, type CellOutput, type MimeBundle } from "./output.js";
import { renderElement } from "./jsx_render.js";

export const MIMEBUNDLE = Symbol.for("jupyter.mimebundle");
/** Deno's `Deno.jupyter.$display`. */
export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

// Taken at load: cells share this realm and may replace these globals.
const BuiltinPromise = Promise;
const { parse, stringify } = JSON;
const { keys, entries, assign } = Object;
const { isArray } = Array;
const { isSafeInteger } = Number;

export interface Shown {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

/** Receives the text that says why a value's own way of showing itself failed. */
export type Complaint = (text: string) => void;

export interface DisplayCallOptions {
  /** Treat `value` as a ready mime bundle. */
  raw?: boolean;
  displayId?: string;
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** text/plain as the Node REPL would show it, without colour codes; never throws. */
export function plainText(value: unknown, complain?: Complaint): string {
  try {
    return typeof value === "string" ? inspect(value) : inspect(value, { depth: 4, colors: false });
  } catch (err) {
    // a custom inspect method that throws: shown without custom methods
    complain?.(`util.inspect failed on this value, so it is shown without its custom inspect method: ${thrown(err)}`);
    try {
      return inspect(value, { depth: 4, colors: false, customInspect: false });
    } catch {
      return "[a value that cannot be shown]";
    }
  }
}

/** What a value's method threw, as util.inspect shows it (an error with its cell frames). */
function thrown(err: unknown): string {
  try {
    return inspect(err, { depth: 2, colors: false });
  } catch {
    return "(a thrown value that cannot be shown)";
  }
}

/** A property, or undefined when reading it throws (a hostile getter or Proxy trap). */
function read(value: object, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  return typeof read(value, "then") === "function";
}

/** The value's MIME bundle: its own (awaited if a promise), else by its shape, else its text. Never throws or rejects. */
export function showValue(value: unknown, complain: Complaint): Shown | Promise<Shown> {
  const own = ownBundle(value, complain);
  if (own instanceof BuiltinPromise) return own.then((bundle) => withText(bundle, value, complain));
  return withText(own as MimeBundle | undefined, value, complain);
}

function withText(bundle: MimeBundle | undefined, value: unknown, complain: Complaint): Shown {
  const data: MimeBundle = bundle === undefined ? {} : bundle;
  if (typeof data["text/plain"] !== "string") data["text/plain"] = plainText(value, complain);
  return { data, metadata: {} };
}

const METHODS = [
  [JUPYTER_DISPLAY, '[Symbol.for("Jupyter.display")]()'],
  [MIMEBUNDLE, '[Symbol.for("jupyter.mimebundle")]()'],
] as const;

function ownBundle(value: unknown, complain: Complaint): MimeBundle | undefined | Promise<MimeBundle | undefined> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
  for (const [symbol, name] of METHODS) {
    const method = read(value, symbol);
    if (typeof method !== "function") continue;
    let bundle: unknown;
    try {
      bundle = method.call(value);
    } catch (err) {
      complain(`${name} threw, so the value is shown as text: ${thrown(err)}`);
      return undefined;
    }
    if (!isThenable(bundle)) return checkBundle(bundle, name, complain);
    // the resolve function never throws: a hostile thenable rejects instead
    return new BuiltinPromise<unknown>((resolve) => resolve(bundle)).then(
      (ready) => checkBundle(ready, name, complain),
      (err: unknown) => {
        complain(`${name} returned a promise that rejected, so the value is shown as text: ${thrown(err)}`);
        return undefined;
      },
    );
  }
  return ijavascriptBundle(value, complain) ?? (typeof value === "object" ? byShape(value, complain) : undefined);
}

/**
 * IJavascript's display methods (its `defaultMimer`, n-riesco/nel lib/server/context.js): the
 * bundle `_toMime()` returns, then each of `_toHtml()`, `_toSvg()`, `_toPng()`, `_toJpeg()` for
 * its type where `_toMime()` gave none. A method that throws is reported and its entry left out.
 */
const IJAVASCRIPT_METHODS = [
  ["_toMime", undefined],
  ["_toHtml", "text/html"],
  ["_toSvg", "image/svg+xml"],
  ["_toPng", "image/png"],
  ["_toJpeg", "image/jpeg"],
] as const;

function ijavascriptBundle(value: object, complain: Complaint): MimeBundle | undefined {
  const methods = IJAVASCRIPT_METHODS.filter(([method]) => typeof read(value, method) === "function");
  if (methods.length === 0) return undefined;
  const data: MimeBundle = {};
  for (const [method, mime] of methods) {
    if (mime !== undefined && mime in data) continue;
    let out: unknown;
    try {
      out = (value as Record<string, () => unknown>)[method]!();
    } catch (err) {
      complain(`${method}() threw, so its part of the value's bundle is left out: ${thrown(err)}`);
      continue;
    }
    if (mime === undefined) {
      assign(data, checkBundle(out, `${method}()`, complain));
      continue;
    }
    const entry = entryOf(mime, out);
    if ("value" in entry) data[mime] = entry.value;
    else complain(`${method}() returned what cannot be shown, left out: ${entry.problem}.`);
  }
  return data;
}

/** application/json and `+json` types hold JSON; every other type holds text (base64 for binary). */
const isJsonType = (mime: string) => mime === "application/json" || mime.endsWith("+json");

/** BigInts (Int64 columns) as numbers where exact, else as text. */
const jsonOf = (v: unknown): unknown =>
  parse(stringify(v, (_, x: unknown) => (typeof x === "bigint" ? (isSafeInteger(Number(x)) ? Number(x) : String(x)) : x)) as string);

/** A bundle's entry as it goes on the wire, or why it cannot. */
function entryOf(mime: string, v: unknown): { value: unknown } | { problem: string } {
  if (!mime.includes("/")) return { problem: `"${mime}" is not a MIME type` };
  if (isJsonType(mime)) {
    try {
      const value = jsonOf(v);
      return value === undefined ? { problem: `${mime} must be JSON data, got ${typeof v}` } : { value };
    } catch (err) {
      return { problem: `${mime} must be JSON data: ${err instanceof Error ? err.message : thrown(err)}` };
    }
  }
  if (typeof v === "string") return { value: v };
  if (types.isUint8Array(v)) return { value: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (types.isArrayBuffer(v)) return { value: Buffer.from(v).toString("base64") };
  return { problem: `${mime} must be a string (base64 for binary data), got ${v === null ? "null" : typeof v}` };
}

/** The bundle `source` gave, with what cannot be shown left out and reported. */
export function checkBundle(bundle: unknown, source: string, complain: Complaint): MimeBundle | undefined {
  if (bundle === null || typeof bundle !== "object" || isArray(bundle)) {
    complain(
      `${source} returned ${preview(bundle)}, not a MIME bundle (an object such as { "text/html": "<b>hi</b>" }), so the value is shown as text.`,
    );
    return undefined;
  }
  const data: MimeBundle = {};
  const problems: string[] = [];
  try {
    for (const mime of keys(bundle)) {
      const v = (bundle as Record<string, unknown>)[mime];
      if (v === undefined) continue;
      const entry = entryOf(mime, v);
      if ("value" in entry) data[mime] = entry.value;
      else problems.push(entry.problem);
    }
  } catch (err) {
    complain(`${source} returned a bundle that cannot be read, so the value is shown as text: ${thrown(err)}`);
    return undefined;
  }
  if (problems.length) complain(`${source} returned a bundle with entries that cannot be shown, left out: ${problems.join("; ")}.`);
  return data;
}

function preview(v: unknown): string {
  try {
    return inspect(v, { depth: 0, maxStringLength: 60, breakLength: Infinity });
  } catch {
    return typeof v;
  }
}

// ---- what a value looks like (Deno's format(), in its order) ----------------------------------

function call(value: object, method: string, complain: Complaint, ...args: unknown[]): { ok: true; result: unknown } | { ok: false } {
  const fn = read(value, method);
  if (typeof fn !== "function") return { ok: false };
  try {
    return { ok: true, result: fn.apply(value, args) };
  } catch (err) {
    complain(`${method}() threw, so the value is shown as text: ${thrown(err)}`);
    return { ok: false };
  }
}

function byShape(value: object, complain: Complaint): MimeBundle | undefined {
  const element = renderElement(value, complain);
  if (element !== undefined) return { "text/html": element, "text/plain": element };
  const canvas = call(value, "toDataURL", complain);
  if (canvas.ok) return fromDataUrl(canvas.result, complain);
  if (typeof read(value, "toSpec") === "function") {
    const spec = call(value, "toSpec", complain);
    const vega = spec.ok ? vegaBundle(spec.result, complain) : undefined;
    if (vega !== undefined) return vega;
  }
  if (isDataFrameLike(value)) return dataFrameBundle(value, complain);
  if (types.isUint8Array(value)) {
    const kind = imageKind(value);
    if (kind !== undefined) return { [kind]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  const markup = read(value, "outerHTML");
  if (typeof markup === "string") return { [markup.startsWith("<svg") ? "image/svg+xml" : "text/html"]: markup };
  return undefined;
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*),([\s\S]*)$/;

function fromDataUrl(url: unknown, complain: Complaint): MimeBundle | undefined {
  const m = typeof url === "string" ? DATA_URL.exec(url) : null;
  if (m === null) {
    complain(`toDataURL() returned ${preview(url)}, not a data: URL, so the value is shown as text.`);
    return undefined;
  }
  const [, mime, params, payload] = m as unknown as [string, string, string, string];
  try {
    return { [mime]: params.split(";").includes("base64") ? payload : decodeURIComponent(payload) };
  } catch (err) {
    complain(`toDataURL() returned a data: URL that cannot be decoded, so the value is shown as text: ${thrown(err)}`);
    return undefined;
  }
}

/** A spec with `$schema` is Vega's or Vega-Lite's (others are not charts: the next rule applies). */
function vegaBundle(spec: unknown, complain: Complaint): MimeBundle | undefined {
  if (spec === null || typeof spec !== "object") return undefined;
  const schema = read(spec, "$schema");
  if (typeof schema !== "string") return undefined;
  const lite = /vega-lite\/v(\d+)/.exec(schema);
  const vega = /\/vega\/v(\d+)/.exec(schema);
  // Deno sends any other schema as Vega 5
  const mime = lite ? `application/vnd.vegalite.v${lite[1]}+json` : `application/vnd.vega.v${vega ? vega[1] : "5"}+json`;
  return checkBundle({ [mime]: spec }, "toSpec()", complain);
}

function isDataFrameLike(value: object): boolean {
  const schema = read(value, "schema");
  return (
    schema !== null &&
    typeof schema === "object" &&
    typeof read(value, "head") === "function" &&
    typeof read(value, "toRecords") === "function"
  );
}

/** Polars' data types as JSON Schema types (Table Schema fields). */
const FIELD_TYPES: Record<string, string> = {
  Null: "null",
  Bool: "boolean",
  Boolean: "boolean",
  Int8: "integer",
  Int16: "integer",
  Int32: "integer",
  Int64: "integer",
  UInt8: "integer",
  UInt16: "integer",
  UInt32: "integer",
  UInt64: "integer",
  Float32: "number",
  Float64: "number",
  Date: "string",
  Datetime: "string",
  Utf8: "string",
  String: "string",
  Categorical: "string",
  List: "array",
  Struct: "object",
};

/** A column's type name: a string, a data type whose toJSON() names it (polars), or its `variant`. */
function typeName(type: unknown): string | undefined {
  if (typeof type === "string") return type;
  if (type === null || typeof type !== "object") return undefined;
  try {
    const json = typeof read(type, "toJSON") === "function" ? (type as { toJSON(): unknown }).toJSON() : undefined;
    if (typeof json === "string") return json;
    if (json !== null && typeof json === "object" && typeof read(json, "DataType") === "string") return read(json, "DataType") as string;
  } catch {
    // not a polars data type
  }
  const variant = read(type, "variant");
  return typeof variant === "string" ? variant : undefined;
}

/** Rows in the data resource, and in the HTML table (Deno's numbers). */
const RESOURCE_ROWS = 50;
const TABLE_ROWS = 10;

function dataFrameBundle(frame: object, complain: Complaint): MimeBundle | undefined {
  const schema = read(frame, "schema") as object;
  try {
    const fields = entries(schema).map(([name, type]) => {
      const base = /^[A-Za-z0-9]+/.exec(typeName(type) ?? "")?.[0] ?? "";
      return { name, type: FIELD_TYPES[base] ?? "string" };
    });
    const records = (n: number): Record<string, unknown>[] => {
      const head = (frame as { head(n: number): unknown }).head(n);
      const rows = head !== null && typeof head === "object" ? (head as { toRecords?: () => unknown }).toRecords?.() : undefined;
      if (!isArray(rows)) throw new TypeError(`head(${n}).toRecords() did not return an array`);
      return rows as Record<string, unknown>[];
    };
    const data = records(RESOURCE_ROWS);
    const cell = (v: unknown) => escapeHtml(v === null || (typeof v !== "object" && typeof v !== "function") ? String(v) : plainText(v));
    const head = fields.map((f) => `<th>${escapeHtml(f.name)}</th>`).join("");
    const body = records(TABLE_ROWS)
      .map((row) => `<tr>${fields.map((f) => `<td>${cell(read(row, f.name))}</td>`).join("")}</tr>`)
      .join("");
    return checkBundle(
      {
        "application/vnd.dataresource+json": { schema: { fields }, data },
        "text/html": `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`,
      },
      "a DataFrame's head().toRecords()",
      complain,
    );
  } catch (err) {
    complain(`The value looks like a DataFrame (schema, head, toRecords) but reading it failed, so it is shown as text: ${thrown(err)}`);
    return undefined;
  }
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function imageKind(bytes: Uint8Array): "image/png" | "image/jpeg" | undefined {
  const n = bytes.length;
  if (n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9) return "image/jpeg";
  if (n >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "image/png";
  return undefined;
}

// ---- where shown values go --------------------------------------------------------------------

/** Complaints go to the stderr of the output the value was meant for. */
export function complainTo(out: Pick<CellOutput, "stream"> | undefined): Complaint {
  return (text) => {
    try {
      out?.stream("stderr", `${text}\n`);
    } catch {
      // nowhere to say it
    }
  };
}

/** An await of the running cell (rejected when the cell is cancelled), or a plain one outside cells. */
function cancellable<T>(promise: Promise<T>): Promise<T> {
  const scope = currentScope();
  return scope === undefined ? promise : (scope.wait(promise) as Promise<T>);
}

/** The promises display() returned: a cell whose last expression is one shows no result (its display is its output). */
const displaying = new WeakSet<object>();

/** A promise of another call that shows output (Deno's broadcast), which shows no result either. */
export function asDisplayPromise<T>(promise: Promise<T>): Promise<T> {
  displaying.add(promise);
  return promise;
}

/**
 * A cell's result: its bundle (waiting, cancellably, for a display method's promise), or nothing
 * for a promise of display().
 */
export function resultOf(value: unknown): Shown | undefined | Promise<Shown | undefined> {
  if (typeof value === "object" && value !== null && displaying.has(value))
    return cancellable(value as Promise<void>).then(() => undefined);
  const shown = showValue(value, complainTo(currentOutput()));
  return shown instanceof BuiltinPromise ? cancellable(shown) : shown;
}

/**
 * The bundle a value shows now, without waiting (the debugger's rich view of a variable, asked
 * while the thread may be paused, when no promise can settle): a display method that returns a
 * promise gives way to the value's text, and so does a bundle that is not JSON.
 */
export function showNow(value: unknown): Shown {
  const notes: string[] = [];
  const complain: Complaint = (text) => notes.push(text);
  const shown = showValue(value, complain);
  if (shown instanceof BuiltinPromise) {
    shown.catch(() => {});
    return { data: { "text/plain": plainText(value) }, metadata: {} };
  }
  try {
    return jsonSafe(shown);
  } catch {
    return { data: { "text/plain": shown.data["text/plain"] ?? plainText(value) }, metadata: {} };
  }
}

/** Every display carries JSON: functions, symbols, cycles and the like are rejected with a clear error. */
function jsonSafe<T>(bundle: T): T {
  return parse(stringify(bundle)) as T;
}

function destination(what: string): CellOutput {
  const out = currentOutput();
  if (!out) throw new Error(`${what}() called outside of any cell`);
  return out;
}

function emit(out: CellOutput, data: MimeBundle, opts: DisplayCallOptions, metadata: Record<string, unknown>): void {
  out.display(data, { metadata, displayId: opts.displayId, update: opts.update });
}

/** The options' JSON, checked in the cell that asked (not later, when the message is serialized). */
function checkedMetadata(opts: DisplayCallOptions): Record<string, unknown> {
  if (opts.displayId !== undefined && typeof opts.displayId !== "string") {
    throw new TypeError(`a display id must be a string, got ${opts.displayId === null ? "null" : typeof opts.displayId}`);
  }
  return opts.metadata === undefined ? {} : jsonSafe(opts.metadata);
}

function b64(data: string | Uint8Array): string {
  return typeof data === "string" ? data : Buffer.from(data).toString("base64");
}

export function createDisplayApi() {
  /**
   * Shown at once when the bundle is ready (every value but one whose display method returns a
   * promise); the promise resolves once it is shown and never rejects (a failing display method
   * is reported on stderr and the value shown as text). Wrong options throw here.
   */
  const display = (value: unknown, opts: DisplayCallOptions = {}): Promise<void> => {
    const out = destination("display");
    const metadata = checkedMetadata(opts);
    let done: Promise<void>;
    if (opts.raw) {
      emit(out, jsonSafe(value as MimeBundle), opts, metadata);
      done = BuiltinPromise.resolve();
    } else {
      const shown = showValue(value, complainTo(out));
      if (shown instanceof BuiltinPromise) {
        done = shown.then((s) => {
          try {
            emit(out, s.data, opts, { ...s.metadata, ...metadata });
          } catch (err) {
            complainTo(out)(`display() could not show the value: ${thrown(err)}`);
          }
        });
      } else {
        emit(out, shown.data, opts, { ...shown.metadata, ...metadata });
        done = BuiltinPromise.resolve();
      }
    }
    displaying.add(done);
    return done;
  };
  const mime =
    <V>(type: string, text: (v: V) => unknown) =>
    (value: V, opts: DisplayCallOptions = {}): void => {
      const out = destination("display");
      emit(out, { [type]: text(value), "text/plain": `<${type}>` }, opts, checkedMetadata(opts));
    };
  const api = Object.assign(display, {
    html: mime("text/html", (s: string) => String(s)),
    markdown: mime("text/markdown", (s: string) => String(s)),
    svg: mime("image/svg+xml", (s: string) => String(s)),
    latex: mime("text/latex", (s: string) => String(s)),
    png: mime("image/png", (d: string | Uint8Array) => b64(d)),
    jpeg: mime("image/jpeg", (d: string | Uint8Array) => b64(d)),
    json: mime("application/json", (o: unknown) => jsonSafe(o)),
    plotly: mime("application/vnd.plotly.v1+json", (o: unknown) => jsonSafe(o)),
    vegalite: mime("application/vnd.vegalite.v5+json", (o: unknown) => jsonSafe(o)),
  });
  const updateDisplay = (displayId: string, value: unknown, opts: DisplayCallOptions = {}): Promise<void> =>
    display(value, { ...opts, displayId, update: true });
  const clearOutput = (opts: { wait?: boolean } = {}) => {
    destination("clearOutput").clearOutput(opts.wait === true);
  };
  return { display: api, updateDisplay, clearOutput };
}
