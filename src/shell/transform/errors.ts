/**
 * Syntax errors of a cell, positioned in the cell's own text. A position in transformed text
 * (sucrase output, namespace-lowered source) is mapped back with the transform's offset map
 * (positions.ts); `mapColumn` is the fallback when sucrase's internals are unavailable. Every
 * transform step preserves lines.
 */
import { identityMap, type OffsetMap } from "./positions.js";

/** Taken at load: a cell may replace the global `Error` (cells run in this realm). */
const BuiltinError = Error;

export class CellSyntaxError extends Error {
  /** 1-based line in the original cell. */
  line: number;
  /** 0-based column in the original cell's line. */
  column: number;
  /** The offending line of the original cell (without its line terminator). */
  sourceLine: string;

  constructor(message: string, line: number, column: number, sourceLine: string) {
    super(message);
    this.name = "SyntaxError";
    this.line = line;
    this.column = column;
    this.sourceLine = sourceLine;
  }
}

const LINE_SPLIT = /\r\n?|[\n\u2028\u2029]/;

/** 1-based line and 0-based column of an offset (line terminators as ECMAScript counts them). */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 0x2028 || c === 0x2029) {
      line++;
      lineStart = i + 1;
    } else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart };
}

export function lineOf(text: string, line: number): string {
  return text.split(LINE_SPLIT)[line - 1] ?? "";
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\v" || c === "\f" || c === "\u00a0" || c === "\ufeff";
}

/**
 * Map a column of `from` (a transformed line) to the matching column of `to` (the original
 * line). Transforms mostly delete text (type annotations) and change whitespace, so the
 * non-space characters of `from` are matched greedily, in order, as a subsequence of `to`;
 * characters the transform inserted are skipped.
 */
export function mapColumn(from: string, to: string, column: number): number {
  if (from === to) return Math.min(column, to.length);
  let j = 0;
  const limit = Math.min(column, from.length);
  for (let i = 0; i < limit; i++) {
    const ch = from[i]!;
    if (isSpace(ch)) continue;
    const k = to.indexOf(ch, j);
    if (k !== -1) j = k + 1;
  }
  // at (or past) the end of the transformed line: the end of the original line
  if (column >= from.length) return to.length;
  const ch = from[column]!;
  if (!isSpace(ch)) {
    const k = to.indexOf(ch, j);
    if (k !== -1) return k;
  } else {
    // skip the original's whitespace too, to land on the next token
    while (j < to.length && isSpace(to[j]!)) j++;
  }
  return Math.min(j, to.length);
}

/** acorn's messages for syntax that Node.js or the cell transform lacks, said plainly. */
function clearerMessage(message: string, parsed: string, pos: number): string {
  // sucrase parses decorators and leaves them in place; neither it nor Node.js compiles them
  if (parsed.charCodeAt(pos) === 64 /* @ */ && message.startsWith("Unexpected character")) return DECORATORS_UNSUPPORTED;
  if (message.startsWith("Using declaration cannot appear in the top level")) return USING_UNSUPPORTED_AT_TOP;
  return message;
}

export const DECORATORS_UNSUPPORTED = "decorators are not supported in cells";
/** A cell's top-level bindings outlive the cell, so there is no scope end to dispose them at. */
export const USING_UNSUPPORTED_AT_TOP = "'using' declarations are not supported at the top level of a cell (use try/finally)";

/**
 * Build a CellSyntaxError from a parser error (acorn or sucrase: both carry `pos`, an offset
 * into the text they parsed, and a message ending in " (line:column)"). `toOriginal` maps
 * offsets of `parsed` to offsets of `original`.
 */
export function toCellSyntaxError(err: unknown, parsed: string, original: string, toOriginal?: OffsetMap): CellSyntaxError | undefined {
  if (!(err instanceof BuiltinError)) return undefined;
  const pos = (err as { pos?: unknown }).pos;
  if (typeof pos !== "number") return undefined;
  const message = clearerMessage(err.message.replace(/ \(\d+:\d+\)$/, ""), parsed, pos);
  return syntaxErrorAt(message, pos, parsed, original, toOriginal);
}

export function syntaxErrorAt(message: string, pos: number, parsed: string, original: string, toOriginal?: OffsetMap): CellSyntaxError {
  if (parsed === original) toOriginal = identityMap;
  if (toOriginal !== undefined) {
    const at = lineColumnOf(original, Math.max(0, Math.min(toOriginal(pos), original.length)));
    return new CellSyntaxError(message, at.line, at.column, lineOf(original, at.line));
  }
  const { line, column } = lineColumnOf(parsed, pos);
  const sourceLine = lineOf(original, line);
  return new CellSyntaxError(message, line, mapColumn(lineOf(parsed, line), sourceLine, column), sourceLine);
}
