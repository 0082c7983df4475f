/**
 * Runtime completion and inspection: look at the live objects in the cell context.
 * (The TypeScript language service version is a later, richer layer; this one needs no compiler,
 * so it costs nothing at start-up.) Cursor positions on the wire are Unicode code points;
 * JavaScript strings index UTF-16 units, so every position is converted at this boundary.
 */
import { inspect } from "node:util";
import type { MimeBundle } from "./output.js";
import { codePointToIndex, indexToCodePoint } from "../messaging/positions.js";

export interface CompletionReply {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
}

export interface InspectionReply {
  found: boolean;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

const KEYWORDS = [
  "async",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "interface",
  "let",
  "new",
  "null",
  "return",
  "static",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "type",
  "typeof",
  "undefined",
  "var",
  "void",
  "while",
  "with",
  "yield",
];

const IDENT = /[A-Za-z_$\u00a0-\uffff][\w$\u00a0-\uffff]*/;
// `a.b.c.` / `"str".` / `[1,2].` / `x.` followed by a partial identifier at the cursor.
const CHAIN_BEFORE = new RegExp(
  String.raw`(?:((?:${IDENT.source})(?:\s*\.\s*${IDENT.source})*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|` +
    "`[^`]*`" +
    String.raw`|\])\s*\.\s*)?(${IDENT.source})?$`,
  "u",
);

/** Walk a dotted path from the cells' global object without running user code (getters aside). */
function resolvePath(global: object, base: string): { ok: boolean; value: unknown } {
  if (/^["'`]/.test(base)) return { ok: true, value: "" };
  if (base === "]") return { ok: true, value: [] };
  let value: unknown = global;
  for (const name of base.split(".").map((s) => s.trim())) {
    if (value === null || value === undefined) return { ok: false, value: undefined };
    try {
      const holder = Object(value) as Record<string, unknown>;
      if (!(name in holder)) return { ok: false, value: undefined };
      value = holder[name];
    } catch {
      return { ok: false, value: undefined };
    }
  }
  return { ok: true, value };
}

function propertyNames(value: unknown): string[] {
  const names = new Set<string>();
  let obj: unknown = value === null || value === undefined ? null : Object(value);
  for (let depth = 0; obj && depth < 32; depth++) {
    for (const n of Object.getOwnPropertyNames(obj)) if (IDENT.test(n) && !n.startsWith("__")) names.add(n);
    obj = Object.getPrototypeOf(obj);
  }
  return [...names];
}

export function completeAt(global: object, code: string, cursorPos: number): CompletionReply {
  const cursor = codePointToIndex(code, cursorPos);
  const before = code.slice(0, cursor);
  const m = CHAIN_BEFORE.exec(before);
  const base = m?.[1];
  const partial = m?.[2] ?? "";
  let candidates: string[];
  if (base !== undefined) {
    const { ok, value } = resolvePath(global, base);
    candidates = ok ? propertyNames(value) : [];
  } else {
    candidates = [...propertyNames(global), ...KEYWORDS];
  }
  const matches = [...new Set(candidates.filter((c) => c.startsWith(partial)))].sort((a, b) => {
    // Own-case prefix first, then alphabetical: what a user typing `Math.P` expects.
    return a.localeCompare(b);
  });
  const start = cursor - partial.length;
  return {
    matches,
    cursor_start: indexToCodePoint(code, start),
    cursor_end: cursorPos,
    metadata: {},
  };
}

/** The dotted name around the cursor: `Math.ma|x` → `Math.max`. */
function nameAt(code: string, cursor: number): string | undefined {
  let end = cursor;
  while (end < code.length && /[\w$]/.test(code[end]!)) end++;
  const m = new RegExp(String.raw`((?:${IDENT.source})(?:\s*\.\s*${IDENT.source})*)$`, "u").exec(code.slice(0, end));
  return m?.[1]?.replace(/\s+/g, "");
}

/** A function's source as the user wrote it, when it is a cell's (types included); else undefined. */
export type SourceOf = (fn: Function) => string | undefined;

function signatureOf(fn: Function, sourceOf?: SourceOf): string {
  const src = sourceOf?.(fn) ?? Function.prototype.toString.call(fn);
  if (src.includes("[native code]")) return `${fn.name}(${Array.from({ length: fn.length }, (_, i) => `arg${i}`).join(", ")})`;
  return headOf(src)
    .replace(/\s*=>\s*$/, "")
    .replace(/^async\s+/, "async ");
}

/**
 * A function's text up to its body: the parameter list (matched, so object types and defaults
 * in it do not end it) and a return type annotation, if any.
 */
function headOf(src: string): string {
  const open = src.indexOf("(");
  const brace = src.indexOf("{");
  if (open < 0 || (brace >= 0 && brace < open && !/^\s*class\b/.test(src))) return src.slice(0, brace >= 0 ? brace : src.length).trim();
  let depth = 0;
  let i = open;
  for (; i < src.length; i++) {
    const c = src[i];
    if (c === "(" || c === "{" || c === "[") depth++;
    else if ((c === ")" || c === "}" || c === "]") && --depth === 0) break;
  }
  let end = i + 1;
  // a return type: `): T {` or `): T =>`, its own braces and brackets skipped
  const rest = src.slice(end);
  const colon = /^\s*:/.exec(rest);
  if (colon) {
    depth = 0;
    for (let k = colon[0].length; k < rest.length; k++) {
      const c = rest[k]!;
      if (depth === 0 && (rest.startsWith("=>", k) || (c === "{" && /[\w$\])}>?]\s*$/.test(rest.slice(0, k))))) {
        end += k;
        break;
      }
      if (c === "(" || c === "{" || c === "[" || c === "<") depth++;
      else if (c === ")" || c === "}" || c === "]" || (c === ">" && rest[k - 1] !== "=")) depth--;
    }
  }
  return src.slice(0, end).trim();
}

export function inspectAt(global: object, code: string, cursorPos: number, detail: number, sourceOf?: SourceOf): InspectionReply {
  const name = nameAt(code, codePointToIndex(code, cursorPos));
  const notFound: InspectionReply = { found: false, data: {}, metadata: {} };
  if (!name) return notFound;
  const { ok, value } = resolvePath(global, name);
  if (!ok) return notFound;
  const type = value === null ? "null" : typeof value === "object" ? (value.constructor?.name ?? "Object") : typeof value;
  const lines = [`${name}: ${type}`];
  if (typeof value === "function") {
    lines.push(`Signature: ${signatureOf(value, sourceOf)}`);
    if (detail > 0) lines.push("Source:", sourceOf?.(value) ?? Function.prototype.toString.call(value));
  } else {
    lines.push(`Value: ${inspect(value, { depth: detail > 0 ? 4 : 1, colors: false, maxArrayLength: detail > 0 ? 100 : 10 })}`);
  }
  const text = lines.join("\n");
  const markdown = `\`\`\`typescript\n${lines.join("\n")}\n\`\`\``;
  return { found: true, data: { "text/plain": text, "text/markdown": markdown }, metadata: {} };
}
