/**
 * Positions in a transformed cell → positions in the cell the user wrote.
 *
 * Each transform step (namespace lowering, sucrase's type stripping, the rewrite) keeps the text
 * it does not change in order, so its map is a list of anchors in output order: the output text
 * from `outs[k]` on comes from the input at `ins[k]`, copied for `lens[k]` characters (0 for text
 * the step inserted or replaced, which maps to where it was inserted). The cell's map is the
 * composition of its steps' maps. Maps are built only when needed: for a syntax error, or when a
 * traceback is formatted (see `cellPositionMap` in index.ts), never on a cell's normal run.
 */

/** Output offset of a transform step → offset in that step's input. */
export type OffsetMap = (offset: number) => number;

export const identityMap: OffsetMap = (offset) => offset;

/** Collects anchors (in output order) and builds the map. */
export class AnchorList {
  private readonly outs: number[] = [];
  private readonly ins: number[] = [];
  private readonly lens: number[] = [];

  /** Output from `out` on comes from input `input`, copied for `len` characters. */
  add(out: number, input: number, len: number): void {
    this.outs.push(out);
    this.ins.push(input);
    this.lens.push(len);
  }

  map(): OffsetMap {
    const outs = Int32Array.from(this.outs);
    const ins = Int32Array.from(this.ins);
    const lens = Int32Array.from(this.lens);
    return (offset) => {
      // the last anchor at or before `offset` (the last of equal ones: empty segments are skipped)
      let lo = 0;
      let hi = outs.length - 1;
      let k = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (outs[mid]! <= offset) {
          k = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (k < 0) return offset;
      return ins[k]! + Math.min(offset - outs[k]!, lens[k]!);
    };
  }
}

export function composeMaps(...maps: OffsetMap[]): OffsetMap {
  const steps = maps.filter((m) => m !== identityMap);
  if (steps.length === 0) return identityMap;
  // the first map is applied first: give them from the last step (output side) back to the first
  return (offset) => steps.reduce((o, m) => m(o), offset);
}

/** Offsets where lines start (line terminators as ECMAScript counts them, as V8 does). */
export function lineStarts(text: string): Int32Array {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 0x2028 || c === 0x2029) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return Int32Array.from(starts);
}

/** 1-based line and 0-based column of `offset`, given the text's line starts. */
export function lineColumnAt(starts: Int32Array, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! };
}

/**
 * A cell's position map: line and column in the script that ran (as V8 reports them in stack
 * frames, both 1-based) → line and column in the cell (both 1-based). Holds only typed arrays
 * and the anchors, not the texts.
 */
export class CellPositionMap {
  private readonly scriptLines: Int32Array;
  private readonly cellLines: Int32Array;
  private readonly cellLength: number;
  /** Script lines that hold cell code (the last `trailer` lines are the script's own). */
  private readonly codeLines: number;
  /** Per script line, the 1-based column of its first non-blank character (0: a blank line). */
  private readonly scriptFirst: Int32Array;
  /** The same per line of the cell. */
  private readonly cellFirst: Int32Array;
  /** Per line of each, a hash of the first characters of its code (from its first non-blank one). */
  private readonly scriptHeads: Int32Array;
  private readonly cellHeads: Int32Array;

  constructor(
    script: string,
    cell: string,
    private readonly toCell: OffsetMap,
    trailer = 0,
  ) {
    this.scriptLines = lineStarts(script);
    this.cellLines = lineStarts(cell);
    this.cellLength = cell.length;
    this.codeLines = this.scriptLines.length - trailer;
    this.scriptFirst = firstColumns(script, this.scriptLines);
    this.cellFirst = firstColumns(cell, this.cellLines);
    this.scriptHeads = heads(script, this.scriptLines, this.scriptFirst);
    this.cellHeads = heads(cell, this.cellLines, this.cellFirst);
  }

  /**
   * The other way, by lines: for each line of the cell (index: line - 1), the script line that
   * holds its code (1-based; 0 when none does: a blank line, a type-only line). Where a debugger
   * puts a breakpoint set on a cell's line. The script line of a cell line is the first one
   * whose first character maps to that line's first character and that starts as it does (`const
   * shown = …` for `const shown: number = …`); failing that, one that maps there; failing that,
   * one that maps into the line. Lines a compiler adds (tsc's helpers) map to arbitrary places.
   */
  scriptLinesOfCell(): Int32Array {
    const n = this.cellLines.length;
    const [same, exact, near] = [new Int32Array(n), new Int32Array(n), new Int32Array(n)];
    for (let line = 1; line <= this.codeLines; line++) {
      const column = this.scriptFirst[line - 1]!;
      if (column === 0) continue;
      const at = this.position(line, column);
      if (at === undefined) continue;
      const k = at.line - 1;
      if (at.column === this.cellFirst[k]) {
        if (same[k] === 0 && this.scriptHeads[line - 1] === this.cellHeads[k]) same[k] = line;
        if (exact[k] === 0) exact[k] = line;
      }
      if (near[k] === 0) near[k] = line;
    }
    return same.map((line, k) => line || exact[k] || near[k]!);
  }

  /** Number of lines of the cell. */
  get lines(): number {
    return this.cellLines.length;
  }

  /** `undefined` for a position on the script's own lines (a REPL script's closing `;void 0`). */
  position(line: number, column: number): { line: number; column: number } | undefined {
    if (!Number.isInteger(line) || line < 1 || line > this.codeLines) return undefined;
    const offset = this.scriptLines[line - 1]! + Math.max(0, column - 1);
    const mapped = Math.max(0, Math.min(this.toCell(offset), this.cellLength));
    const at = lineColumnAt(this.cellLines, mapped);
    return { line: at.line, column: at.column + 1 };
  }
}

/** Per line (given the text's line starts), the 1-based column of its first non-blank character; 0 for a blank line. */
function firstColumns(text: string, starts: Int32Array): Int32Array {
  const out = new Int32Array(starts.length);
  starts.forEach((start, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]! : text.length;
    let i = start;
    while (i < end && (text[i] === " " || text[i] === "\t")) i++;
    if (i < end && !"\r\n\u2028\u2029".includes(text[i]!)) out[k] = i - start + 1;
  });
  return out;
}

/** Per line, a hash of up to 6 characters of its code from its first non-blank one (`firstColumns`). */
function heads(text: string, starts: Int32Array, first: Int32Array): Int32Array {
  const out = new Int32Array(starts.length);
  starts.forEach((start, k) => {
    if (first[k] === 0) return;
    const from = start + first[k]! - 1;
    let h = 0;
    for (let i = from; i < from + 6 && i < text.length && !"\r\n\u2028\u2029".includes(text[i]!); i++)
      h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    out[k] = h;
  });
  return out;
}
