/**
 * The cells that have run, by script file name: what tracebacks call them (`In[n]`) and where a
 * script position is in the cell (line and column).
 *
 * A function defined in any earlier cell may still be called, so every cell is kept, as its
 * source text: the most compact form, from which the transform rebuilds the position map on
 * demand (`cellPositionMap`). Rebuilt maps are kept for the few cells seen in recent tracebacks.
 * Bounds: past `sourceChars` of kept sources the oldest cells keep only their name and line
 * count (frames then show the line, still exact, without a column); past `entries` the oldest
 * are forgotten (frames keep the script's file name).
 */
import { cellPositionMap, CellSyntaxError, originalText, type CellPositionMap, type TransformOptions } from "./transform/index.js";
import { scriptName } from "./script_name.js";

export { scriptName } from "./script_name.js";

/** Taken at load: a cell may replace the global `Error` (cells run in this realm). */
const BuiltinError = Error;

export interface CellRegistryLimits {
  /** Total source characters kept for position maps. */
  sourceChars: number;
  /** Cells remembered at all. */
  entries: number;
  /** Position maps kept once built. */
  maps: number;
}

const DEFAULT_LIMITS: CellRegistryLimits = { sourceChars: 32 * 1024 * 1024, entries: 100_000, maps: 16 };

interface Cell {
  name: string;
  lines: number;
  /** undefined once dropped for memory (see CellRegistryLimits). */
  source: string | undefined;
}

/** How many cells (most recent first) `functionText` transforms again to find a function. */
const FUNCTION_SEARCH = 200;

/** A script file name in a stack frame, with its line and column if there. */
const FRAME_LOCATION = /(cell-[0-9a-f]{8}-\d+)(?::(\d+)(?::(\d+))?)?/g;

export class CellRegistry {
  private readonly cells = new Map<string, Cell>();
  /** Built position maps, least recently used first (undefined: the cell does not transform). */
  private readonly maps = new Map<string, CellPositionMap | undefined>();
  private sourceChars = 0;
  private readonly limits: CellRegistryLimits;
  /** `functionText` answers, by the text asked about. */
  private readonly functions = new Map<string, { js: string; source: string } | undefined>();

  constructor(
    private readonly options: TransformOptions,
    limits: Partial<CellRegistryLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * Record a cell about to run under `name`; returns the file name to compile its script with.
   * The name comes from the source, so a cell run again has the same file name (V8 reuses its
   * compiled script) and now goes by its latest name.
   */
  add(source: string, name: string): string {
    const file = scriptName(source);
    const old = this.cells.get(file);
    if (old !== undefined) {
      this.cells.delete(file);
      if (old.source !== undefined) this.sourceChars -= old.source.length;
    }
    this.cells.set(file, { name, lines: countLines(source), source });
    this.sourceChars += source.length;
    this.evict();
    return file;
  }

  /** Which cell a script file name belongs to, if it is one of ours. */
  nameOf(file: string): string | undefined {
    return this.cells.get(file)?.name;
  }

  /**
   * Where a script position is in its cell, for the debugger (debug_view.ts): the cell's name,
   * its source when still kept, and the cell's line and column (1-based; the column only when it
   * can be mapped). `line` and `column` are 1-based, as in stack frames. undefined for a file
   * that is not a cell, or a position on the script's own lines.
   */
  locate(file: string, line: number, column: number): { name: string; source?: string; line: number; column?: number } | undefined {
    const cell = this.cells.get(file);
    if (cell === undefined) return undefined;
    const at = this.position(file, cell, line, column);
    if (at === undefined) return undefined;
    return cell.source === undefined ? { name: cell.name, ...at } : { name: cell.name, source: cell.source, ...at };
  }

  /**
   * For a cell whose script has lines of its own (tsc compiled it), where each of its lines is
   * in the script (CellPositionMap.scriptLinesOfCell); undefined for a file that is not a kept
   * cell. For the debugger's breakpoints (debug_view.ts).
   */
  scriptLines(file: string): number[] | undefined {
    const cell = this.cells.get(file);
    const map = cell === undefined ? undefined : this.mapOf(file, cell);
    return map === undefined ? undefined : Array.from(map.scriptLinesOfCell());
  }

  /**
   * A stack frame with every script location shown as the cell's `In[n]:line:column`.
   * `undefined` drops the frame: it is on the wrapper's closing line, which holds no cell code.
   */
  renameFrame(frame: string): string | undefined {
    let beyond = false;
    const renamed = frame.replace(FRAME_LOCATION, (all, file: string, line?: string, column?: string) => {
      const cell = this.cells.get(file);
      if (cell === undefined) return all;
      if (line === undefined) return cell.name;
      const at = this.position(file, cell, Number(line), column === undefined ? undefined : Number(column));
      if (at === undefined) {
        beyond = true;
        return all;
      }
      return at.column === undefined ? `${cell.name}:${at.line}` : `${cell.name}:${at.line}:${at.column}`;
    });
    return beyond ? undefined : renamed;
  }

  /**
   * V8's syntax error for a script that acorn accepted (syntax this Node.js lacks, or an early
   * error acorn does not check) → the same error positioned in the cell. Node puts the position
   * at the top of the stack: `file:line`, the script's line, a caret line.
   */
  compileError(err: unknown, file: string, script: string): CellSyntaxError | undefined {
    if (!(err instanceof BuiltinError) && !(typeof err === "object" && err !== null && "stack" in err)) return undefined;
    const { stack, message } = err as { stack?: unknown; message?: unknown };
    if (typeof stack !== "string" || typeof message !== "string") return undefined;
    const cell = this.cells.get(file);
    const head = /^(cell-[0-9a-f]{8}-\d+):(\d+)\n([^\n]*)\n([ \t]*)\^/.exec(stack);
    if (cell === undefined || head === null || head[1] !== file) return undefined;
    const line = Number(head[2]);
    const scriptLine = script.split(/\r\n?|[\n\u2028\u2029]/)[line - 1];
    // the caret's column counts in the line Node printed; it must be the script's line
    const column = scriptLine === head[3] ? head[4]!.length + 1 : undefined;
    const at = this.position(file, cell, line, column);
    if (at === undefined || cell.source === undefined) return undefined;
    const sourceLine = cell.source.split(/\r\n?|[\n\u2028\u2029]/)[at.line - 1] ?? "";
    return new CellSyntaxError(message, at.line, (at.column ?? 1) - 1, sourceLine);
  }

  /**
   * What V8 threw for a REPL script it did not compile (a syntax error acorn let through, or a
   * name declared again by a declaration V8's REPL mode refuses) → the same error positioned in
   * the cell. `at`: 1-based line and 0-based column in the script.
   */
  replSyntaxError(value: unknown, file: string, at: { line: number; column: number }): CellSyntaxError | undefined {
    const cell = this.cells.get(file);
    const message = value instanceof BuiltinError ? value.message : undefined;
    if (cell === undefined || message === undefined || cell.source === undefined) return undefined;
    const lines = cell.source.split(/\r\n?|[\n\u2028\u2029]/);
    let where = this.position(file, cell, Math.min(at.line, cell.lines), at.column + 1) ?? { line: Math.min(at.line, cell.lines) };
    // V8 gives no position for a name the global scope already has (found when the script is
    // instantiated): point at the cell's declaration of it
    const taken = /^Identifier '(.+)' has already been declared$/.exec(message);
    if (taken && at.line === 1 && at.column === 0) {
      const name = taken[1]!.replace(/[$]/g, "\\$");
      const declaration = new RegExp(`\\b(?:let|const|var|class|function\\*?|enum|namespace|import)\\s+(?:[^;]*?[\\s{,])?${name}\\b`);
      const line = lines.findIndex((l) => declaration.test(l));
      if (line >= 0) where = { line: line + 1, column: lines[line]!.search(new RegExp(`\\b${name}\\b`)) + 1 };
    }
    const sourceLine = lines[where.line - 1] ?? "";
    return new CellSyntaxError(message, where.line, (where.column ?? 1) - 1, sourceLine);
  }

  /**
   * The text a function of some cell was written as (function_source.ts): `text` is the
   * function's text in its cell's script. The most recent cells are searched first, up to
   * `FUNCTION_SEARCH` of them; answers are kept for the texts asked about most recently.
   */
  functionText(text: string): { js: string; source: string } | undefined {
    if (this.functions.has(text)) return this.functions.get(text);
    let found: { js: string; source: string } | undefined;
    let tried = 0;
    for (const cell of [...this.cells.values()].reverse()) {
      if (cell.source === undefined) continue;
      if (++tried > FUNCTION_SEARCH) break;
      found = originalText(cell.source, this.options, text);
      if (found) break;
    }
    this.functions.set(text, found);
    if (this.functions.size > this.limits.maps * 4) this.functions.delete(this.functions.keys().next().value!);
    return found;
  }

  /** Script line and column → cell line and column (the column only when it can be mapped). */
  private position(file: string, cell: Cell, line: number, column: number | undefined): { line: number; column?: number } | undefined {
    const map = column === undefined ? undefined : this.mapOf(file, cell);
    // the map knows which script lines hold the cell (tsc-compiled cells have lines of their own)
    if (map !== undefined) return map.position(line, column!);
    // without it: the transform keeps the cell's lines, and a line past them is the script's own
    if (line > cell.lines) return undefined;
    return { line };
  }

  private mapOf(file: string, cell: Cell): CellPositionMap | undefined {
    if (this.maps.has(file)) {
      const map = this.maps.get(file);
      this.maps.delete(file);
      this.maps.set(file, map);
      return map;
    }
    if (cell.source === undefined) return undefined;
    const map = cellPositionMap(cell.source, this.options);
    this.maps.set(file, map);
    if (this.maps.size > this.limits.maps) this.maps.delete(this.maps.keys().next().value!);
    return map;
  }

  private evict(): void {
    for (const [file, cell] of this.cells) {
      if (this.sourceChars <= this.limits.sourceChars && this.cells.size <= this.limits.entries) break;
      if (cell.source !== undefined) {
        this.sourceChars -= cell.source.length;
        cell.source = undefined;
        this.maps.delete(file);
      }
      if (this.cells.size > this.limits.entries) this.cells.delete(file);
    }
  }
}

function countLines(text: string): number {
  const m = text.match(/\r\n?|[\n\u2028\u2029]/g);
  return (m === null ? 0 : m.length) + 1;
}
