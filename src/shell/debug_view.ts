/**
 * What the I/O worker's debug adapter (src/io/debugger) asks of the main thread, through the
 * inspector (`Runtime.evaluate` from the worker's session, mostly while the thread is paused at a
 * breakpoint): which cell a script position is in and where (the transform's position maps live
 * here, in the shell), the notebook's names with their values, and the output held back.
 * Cells never call it. A module without imports: the worker reads the global's name from here.
 */

/** The global (non-enumerable, like the cells' runtime names) the adapter evaluates. */
export const DEBUG_VIEW_GLOBAL = "__tsak_dbg";

/**
 * True in a thread's realm while a debugger is attached to that thread: the adapter sets it in
 * each thread it debugs, from attach to disconnect, whether or not a Shell exists there yet (a
 * thread's Shell is made on its first cell). While it is, top-level loops work on the notebook's
 * variables themselves, not on local copies (transform/loop_locals.ts), so what the debugger
 * inspects while a loop runs is the loop's current value.
 */
export const DEBUGGING_GLOBAL = "__tsak_debugging";

/** A JavaScript identifier: what the requests that name a variable accept (they evaluate it). */
export const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/** A script position in its cell: line and column 1-based (the column when it can be mapped). */
export interface CellLocation {
  /** What tracebacks call the cell (`In[3]`). */
  name: string;
  /** The cell's text as run (absent once the kernel has dropped it for memory). */
  source?: string;
  line: number;
  column?: number;
}

/**
 * Appended to the script of a cell whose lines moved (tsc compiled it; TransformResult.linesKept
 * is false): a source map with no mappings, only so that the script has one, which makes V8 stop
 * before running it when a debugger asked for that (`Debugger.setInstrumentationBreakpoint`
 * `beforeScriptWithSourceMapExecution`): the adapter then moves the breakpoints set on the
 * cell's lines to the script's lines, before any of them could be passed.
 */
export const MOVED_LINES_MARK = `\n//# sourceMappingURL=data:application/json;base64,${btoa('{"version":3,"sources":[],"names":[],"mappings":""}')}`;

export interface DebugView {
  /**
   * Script positions (file name, 1-based line, 1-based column) → where each is in its cell; null
   * for one that is not in a cell's code.
   */
  locate(positions: ReadonlyArray<readonly [file: string, line: number, column: number]>): Array<CellLocation | null>;
  /**
   * For a cell whose script has lines of its own (tsc compiled it), the script line of each of
   * its lines (index: cell line - 1; 0: none); null for a file that is not a kept cell.
   */
  scriptLines(file: string): number[] | null;
  /** The notebook's names and their values now, in one object (without the kernel's own names). */
  notebook(): Record<string, unknown>;
  /**
   * A value's MIME bundle as a cell's result would show it, at once (display.ts showNow): for
   * `richInspectVariables`, evaluated in a paused frame as `bundle(name)`.
   */
  bundle(value: unknown): { data: Record<string, unknown>; metadata: Record<string, unknown> };
  /** The bundle of a notebook name's value; throws for a name the notebook does not have. */
  bundleOf(name: string): { data: Record<string, unknown>; metadata: Record<string, unknown> };
  /**
   * `copyToGlobals`: the notebook's `name` is now `value`. A name the notebook declared is assigned; a
   * name the notebook has not declared becomes a property of the global object, which later cells
   * read by its name (and the Variables panel lists); a `const`, or a global of Node's or the
   * kernel's, is refused.
   */
  adopt(name: string, value: unknown): void;
  /**
   * `evaluate`: what the user typed (TypeScript in a TypeScript notebook) as the JavaScript to
   * evaluate in a paused frame; in a cell's top-level frame (`topLevel`) the notebook's names are
   * renamed as in a cell (transform `debuggerExpression`). Throws the cell's SyntaxError for text
   * that does not parse.
   */
  expression(code: string, topLevel: boolean): string;
  /**
   * A debugger stopped this thread (`true`), or is about to let it go on (`false`): its cells'
   * timeouts do not count the stop (asked of a Caller thread; the I/O worker marks the main
   * thread's stops itself).
   */
  stop(stopped: boolean): void;
  /** Hand the output this thread holds over to the I/O worker (what a paused cell printed shows). */
  flush(): void;
}

/**
 * Statements the cell transform inserts (transform/rewrite.ts: a REPL script's first statement,
 * `BEGIN`, and the interrupt guard, `GUARD`, at the start of every loop and function body). The
 * user never wrote them: a pause at one steps on to the user's next statement.
 */
export const INSERTED_STATEMENTS: readonly string[] = ["__tsak_b();", "if (__tsak_g[0] !== 0) void __tsak_x;"];
