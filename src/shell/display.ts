/**
 * The display API every cell sees as globals: `display`, `display.html` & co, `updateDisplay`,
 * `clearOutput`. Any object can describe itself by a method under `Symbol.for("jupyter.mimebundle")`.
 */
import { Buffer } from "node:buffer";
import { inspect } from "node:util";
import { currentOutput, type MimeBundle } from "./output.js";

export const MIMEBUNDLE = Symbol.for("jupyter.mimebundle");

export interface DisplayCallOptions {
  /** Treat `value` as a ready mime bundle. */
  raw?: boolean;
  displayId?: string;
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** text/plain as the Node REPL would show it, without colour codes. */
export function plainText(value: unknown): string {
  return typeof value === "string" ? inspect(value) : inspect(value, { depth: 4, colors: false });
}

/** Every display carries JSON: functions, symbols, cycles and the like are rejected with a clear error. */
function jsonSafe(bundle: MimeBundle): MimeBundle {
  return JSON.parse(JSON.stringify(bundle)) as MimeBundle;
}

export function mimeBundleOf(value: unknown): { data: MimeBundle; metadata: Record<string, unknown> } {
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    const fn = (value as Record<symbol, unknown>)[MIMEBUNDLE];
    if (typeof fn === "function") {
      const data = { ...(fn.call(value) as MimeBundle) };
      if (!("text/plain" in data)) data["text/plain"] = plainText(value);
      return { data: jsonSafe(data), metadata: {} };
    }
  }
  return { data: { "text/plain": plainText(value) }, metadata: {} };
}

function emit(data: MimeBundle, opts: DisplayCallOptions = {}): void {
  const out = currentOutput();
  if (!out) throw new Error("display() called outside of any cell");
  out.display(data, { metadata: opts.metadata ?? {}, displayId: opts.displayId, update: opts.update });
}

function b64(data: string | Uint8Array): string {
  return typeof data === "string" ? data : Buffer.from(data).toString("base64");
}

export function createDisplayApi() {
  const display = (value: unknown, opts: DisplayCallOptions = {}): void => {
    if (opts.raw) {
      emit(jsonSafe(value as MimeBundle), opts);
      return;
    }
    const { data, metadata } = mimeBundleOf(value);
    emit(data, { ...opts, metadata: { ...metadata, ...opts.metadata } });
  };
  const mime = <V>(type: string, text: (v: V) => unknown) => (value: V, opts: DisplayCallOptions = {}) =>
    emit({ [type]: text(value), "text/plain": `<${type}>` }, opts);
  const api = Object.assign(display, {
    html: mime("text/html", (s: string) => String(s)),
    markdown: mime("text/markdown", (s: string) => String(s)),
    svg: mime("image/svg+xml", (s: string) => String(s)),
    latex: mime("text/latex", (s: string) => String(s)),
    png: mime("image/png", (d: string | Uint8Array) => b64(d)),
    jpeg: mime("image/jpeg", (d: string | Uint8Array) => b64(d)),
    json: mime("application/json", (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown),
    plotly: mime("application/vnd.plotly.v1+json", (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown),
    vegalite: mime("application/vnd.vegalite.v5+json", (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown),
  });
  const updateDisplay = (displayId: string, value: unknown, opts: DisplayCallOptions = {}) =>
    display(value, { ...opts, displayId, update: true });
  const clearOutput = (opts: { wait?: boolean } = {}) => {
    const out = currentOutput();
    if (!out) throw new Error("clearOutput() called outside of any cell");
    out.clearOutput(opts.wait === true);
  };
  return { display: api, updateDisplay, clearOutput };
}
