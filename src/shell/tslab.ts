/**
 * tslab's module, as this kernel gives it: `import * as tslab from "tslab"` (or `require("tslab")`)
 * in a cell, or in a file a cell imports, gets this module whether or not the real tslab package
 * is installed (the real one's display only works inside tslab's own kernel: elsewhere it throws
 * "Not ready"). Its API is tslab's `dist/public.d.ts` (npm tslab 1.0.22): `display.html` & co,
 * `newDisplay()`, `versions`.
 *
 * As in tslab, each display sends only the one MIME type it names (no text/plain), and a display
 * from `newDisplay()` shows once and then replaces itself (`update_display_data` with its
 * display_id). Unlike tslab, output goes to the cell whose code runs (tslab's goes to the latest
 * cell), through the cell's scope as all output here does.
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";
import { types } from "node:util";
import { currentOutput } from "./output.js";

/** tslab's `Display`: each method shows its argument as one MIME type. */
export interface Display {
  javascript(s: string): void;
  html(s: string): void;
  markdown(s: string): void;
  latex(s: string): void;
  svg(s: string): void;
  png(b: Uint8Array): void;
  jpeg(b: Uint8Array): void;
  gif(b: Uint8Array): void;
  pdf(b: Uint8Array): void;
  text(s: string): void;
  /** Any MIME type: text as it is, bytes as base64. */
  raw(contentType: string, b: string | Uint8Array): void;
}

interface Versions {
  tslab: string;
  typescript: string;
  node: string;
}

const require = createRequire(import.meta.url);

function versionOf(spec: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(spec), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/**
 * As tslab's: `tslab` is the version of what serves tslab's API, here ts-async-kernel's; `typescript`
 * the TypeScript cells are compiled with.
 */
export const versions: Versions = Object.freeze({
  tslab: versionOf("../../package.json"),
  typescript: versionOf("typescript/package.json"),
  node: process.version,
});

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return typeof v;
}

/** The display methods of one Display (bound: `const { html } = tslab.display` works too). */
function makeDisplay(id: string | undefined): Display {
  let shown = false;
  const raw = (contentType: string, b: string | Uint8Array): void => {
    if (typeof contentType !== "string" || !contentType.includes("/"))
      throw new TypeError(`tslab display: ${JSON.stringify(contentType) ?? String(contentType)} is not a MIME type`);
    let data: string;
    if (typeof b === "string") data = b;
    else if (types.isUint8Array(b)) data = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
    else throw new TypeError(`tslab display of ${contentType}: expected a string (or the bytes as a Uint8Array), got ${describe(b)}`);
    const out = currentOutput();
    if (!out) throw new Error("tslab display called outside of any cell");
    // a Display of newDisplay() shows once, then replaces what it showed (tslab's `update`)
    out.display({ [contentType]: data }, { displayId: id, update: id !== undefined && shown });
    if (id !== undefined) shown = true;
  };
  const text = (type: string) => (s: string) => {
    if (typeof s !== "string") throw new TypeError(`tslab display of ${type}: expected a string, got ${describe(s)}`);
    raw(type, s);
  };
  const bytes = (type: string) => (b: Uint8Array) => raw(type, b);
  return {
    javascript: text("text/javascript"),
    html: text("text/html"),
    markdown: text("text/markdown"),
    latex: text("text/latex"),
    svg: text("image/svg+xml"),
    png: bytes("image/png"),
    jpeg: bytes("image/jpeg"),
    gif: bytes("image/gif"),
    pdf: bytes("application/pdf"),
    text: text("text/plain"),
    raw,
  };
}

/** A Display that shows once and then replaces its own output. */
export function newDisplay(): Display {
  return makeDisplay(randomBytes(8).toString("hex"));
}

/** Rich output in the running cell's output. */
export const display: Display = makeDisplay(undefined);

/** tslab is a CommonJS package: `import tslab from "tslab"` gets its exports object. */
export default { versions, newDisplay, display };
