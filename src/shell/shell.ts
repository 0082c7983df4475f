/**
 * The shell: cells run in this thread's own realm (its global object is the cells' namespace),
 * plus what the kernel asks of it (results, errors, user expressions, completion, inspection,
 * is_complete). It emits output only through the `CellOutput` the kernel hands it; it never sees
 * wire frames. One shell per thread: every shell of a thread shares its globals.
 *
 * Why this realm and not a separate `vm` context: a context's global object answers every
 * global lookup through an interceptor (~100 ns each), which made a loop over a notebook array
 * a hundred times slower than the same code in a program, and its built-ins differ from those of
 * Node's APIs (`fs.readdirSync(".") instanceof Array` was false). The price: a cell's top-level
 * declaration replaces a global of the same name for all code in the thread, packages included
 * (the shell warns once when a built-in global is replaced); the kernel's own code imports what
 * it uses (timers, process) instead of reading globals.
 *
 * Interrupt: the synchronous part of a cell runs with `breakOnSigint` (which also stops code of
 * packages it calls); the cell's own code is guarded wherever it runs (rewrite.ts `instrument`:
 * loops and functions check the shared attention flag, awaits are cancellable), so a cell is
 * stopped after an `await` and in its timers too. Cancelling a cell rejects its pending awaits
 * and clears its timers (cell_scope.ts).
 */
import vm from "node:vm";
import { types } from "node:util";
import { Console } from "node:console";
import process from "node:process";
import { setImmediate } from "node:timers";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformCell, CellSyntaxError } from "./transform/index.js";
import { RUNTIME_GLOBAL } from "./transform/rewrite.js";
import { routedStream, setLatestOutput, type CellOutput, type MimeBundle } from "./output.js";
import { resultOf, showValue, complainTo } from "./display.js";
import { showCellFrames } from "./inspection.js";
import { clearOutput, confirm, display, input, prompt, updateDisplay, widgets } from "./kernel_module.js";
import { CellTimeout, fieldOf, formatError, isInstance, KernelInterrupt, type ErrorContent } from "./errors.js";
import { createImporter } from "./modules.js";
import { completeAt, inspectAt, type CompletionReply, type InspectionReply } from "./introspect.js";
import { CellRegistry } from "./cells.js";
import { CellScope, liveScopes } from "./cell_scope.js";
import { CellRuntime, trackedTimers } from "./cell_runtime.js";
import { newAttention } from "./attention.js";
import type { CancelSignal } from "./cell_canceller.js";

export type Language = "typescript" | "javascript";

export type ExecuteOutcome =
  | { status: "ok"; result?: { data: MimeBundle; metadata: Record<string, unknown> } }
  | { status: "error"; error: ErrorContent; interrupted: boolean };

export interface ShellOptions {
  cwd: string;
  language: Language;
  /**
   * Stop a busy cell on SIGINT (vm `breakOnSigint`); default true. Off in worker threads: a
   * worker's watch would take the SIGINT meant for the main thread's cell.
   */
  breakOnSigint?: boolean;
  /**
   * The shared attention flag the cells' guards read (cell_runtime.ts); the kernel gives the
   * threads that set it the same memory. Default: a flag of the shell's own.
   */
  attention?: Int32Array;
  /** A cell's evaluation was stopped by a SIGINT (the caller decides what that signal means). */
  onSigint?: () => void;
  /** Hands over the output the kernel holds for the I/O worker (asked through the attention flag). */
  flushOutput?: () => void;
}

/** Per-cell cancellation: rejects the cell's awaits like an interrupt does, with the signal's reason. */
export interface CellControl {
  signal?: CancelSignal;
  /** Stops the cell's synchronous part (up to its first await) after this long, as a CellTimeout. */
  timeoutSeconds?: number;
  /**
   * With `timeoutSeconds`: the token by which another thread stops the cell's code anywhere once
   * the time is up (attention.ts `raiseDeadline`), where this thread may be too stuck to notice.
   */
  deadlineToken?: number;
}

/** Compiled cells kept for running again (a notebook re-run, a cell run in a loop by a client). */
const SCRIPT_CACHE = 64;

/** Legacy globals nothing relies on: a cell may take their names without a warning. */
const UNUSED_GLOBALS = new Set(["escape", "unescape"]);

/** Paths of the kernel's own code: stack frames there are hidden from users. */
const KERNEL_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** A cell being run: its scope, and the rejection that ends its outcome at once when cancelled. */
interface Running {
  scope: CellScope;
  end: (reason: unknown) => void;
}

export class Shell {
  readonly language: Language;
  /** What the cells' scripts call to be interruptible (`__tsak_rt`). */
  readonly runtime: CellRuntime;
  private readonly running = new Set<Running>();
  private readonly breakOnSigint: boolean;
  private readonly onSigint: (() => void) | undefined;
  private readonly internalPaths = [KERNEL_DIR];
  /** Every cell run, by script file name: its name (`In[3]`) and positions for tracebacks. */
  private readonly cells: CellRegistry;
  /** Show cells as `In[n]:line:column` of the cell; drop frames of the wrapper's closing line. */
  private readonly renameFrames = (frame: string): string | undefined => this.cells.renameFrame(frame);
  /** Globals that were there before any cell ran: replacing one is worth a warning. */
  private readonly builtins: Set<string>;
  private readonly warned = new Set<string>();
  /** Every top-level name a cell has declared. */
  private readonly declared = new Set<string>();
  /** Compiled scripts of recent cells, by file name (which derives from the source), oldest first. */
  private readonly scripts = new Map<string, vm.Script>();

  constructor(options: ShellOptions) {
    this.language = options.language;
    this.breakOnSigint = options.breakOnSigint ?? true;
    this.onSigint = options.onSigint;
    this.cells = new CellRegistry({ language: options.language, interruptible: true });
    showCellFrames(this.renameFrames, this.internalPaths);
    const { importModule, require } = createImporter(options.cwd);
    const notebook = `${options.cwd}/__notebook__.ts`;
    const locals = { require, module: { exports: {}, require }, __filename: notebook, __dirname: options.cwd, ...trackedTimers() };
    this.runtime = new CellRuntime(options.attention ?? newAttention(), locals, this.declared);
    if (options.flushOutput) this.runtime.flushOutput = options.flushOutput;
    const fallbackWrite = (name: "stdout" | "stderr") => (text: string) => process[name].write(text);
    const globals: Record<string, unknown> = {
      console: new Console({
        stdout: routedStream("stdout", fallbackWrite("stdout")) as unknown as NodeJS.WritableStream,
        stderr: routedStream("stderr", fallbackWrite("stderr")) as unknown as NodeJS.WritableStream,
        colorMode: false,
      }),
      display,
      updateDisplay,
      clearOutput,
      input,
      prompt,
      confirm,
      widgets,
      __tsak_import: importModule,
      __tsak_import_meta: { url: pathToFileURL(notebook).href, dirname: options.cwd, filename: notebook },
      [RUNTIME_GLOBAL]: this.runtime,
    };
    this.builtins = new Set(Object.getOwnPropertyNames(globalThis));
    for (const [k, v] of Object.entries(globals)) {
      Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true, enumerable: false });
    }
  }

  /** Run a cell; never throws: every failure becomes an `error` outcome. */
  async execute(code: string, cellName: string, output: CellOutput, control: CellControl = {}): Promise<ExecuteOutcome> {
    setLatestOutput(output);
    const scope = new CellScope(output);
    if (control.deadlineToken !== undefined && control.timeoutSeconds) scope.deadline = { token: control.deadlineToken, seconds: control.timeoutSeconds };
    return scope.run(async () => {
      let end!: (reason: unknown) => void;
      const ended = new Promise<never>((_, reject) => (end = reject));
      const running: Running = { scope, end };
      this.running.add(running);
      const { signal, timeoutSeconds } = control;
      const cancel = () => this.cancel(running, signal!.reason);
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        if (signal?.aborted) throw signal.reason;
        const { value, hasResult } = await Promise.race([this.evaluate(code, cellName, output, timeoutSeconds), ended]);
        if (!hasResult || value === undefined) return { status: "ok" };
        // waits only for a display method's promise (no extra turn for every result)
        const shown = resultOf(value);
        const result = types.isPromise(shown) ? await shown : shown;
        return result === undefined ? { status: "ok" } : { status: "ok", result };
      } catch (err) {
        const timedOut = timeoutSeconds !== undefined && fieldOf(err, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT";
        return this.failure(timedOut ? new CellTimeout(timeoutSeconds) : err, cellName);
      } finally {
        signal?.removeEventListener("abort", cancel);
        this.running.delete(running);
      }
    });
  }

  /**
   * An error that escaped its cell (thrown in a timer, an unhandled rejection) as text for the
   * cell's stderr: its name, message and frames, the cell frames shown as `In[n]:line:column`.
   */
  errorText(err: unknown): string {
    try {
      const { traceback } = formatError(err, this.internalPaths, this.renameFrames);
      return [traceback[0]!.replace(/\u001b\[[0-9;]*m/g, ""), ...traceback.slice(1)].join("\n");
    } catch {
      // a hostile error object (throwing getters) must not throw again from the error handler
      return "(an error that cannot be shown)";
    }
  }

  /**
   * Interrupt: every running cell ends with KernelInterrupt, its pending awaits rejected and its
   * timers cleared. With no cell running, what earlier cells left going in the background
   * (pending awaits, timers, intervals) is stopped instead. Returns how many cells were running.
   * (The attention flag is the caller's: it clears it once every thread that may read it knows.)
   */
  interrupt(): number {
    const running = [...this.running];
    if (running.length === 0) {
      for (const scope of liveScopes()) scope.cancel(new KernelInterrupt());
      return 0;
    }
    for (const r of running) this.cancel(r, new KernelInterrupt());
    return running.length;
  }

  /**
   * The cell's pending awaits reject now; its outcome is forced only after the microtasks that
   * follow, so that a cell whose code reacts (its `catch` and `finally` blocks) has done so
   * before the reply, and one that does not (awaiting something of a package's, or a `finally`
   * that awaits) still ends at once.
   */
  private cancel(running: Running, reason: unknown): void {
    if (!this.running.delete(running)) return;
    running.scope.cancel(reason);
    setImmediate(() => running.end(reason));
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Evaluate one user expression after a cell (execute_request `user_expressions`). */
  async userExpression(expr: string, output: CellOutput): Promise<Record<string, unknown>> {
    const outcome = await new CellScope(output).run(async () => {
      try {
        const { value } = await this.evaluate(expr, "<user_expression>", output);
        return { status: "ok" as const, ...(await showValue(value, complainTo(output))) };
      } catch (err) {
        const e = this.failure(err, "<user_expression>").error;
        return { status: "error" as const, ...e };
      }
    });
    return outcome;
  }

  complete(code: string, cursor: number): CompletionReply {
    return completeAt(globalThis, code, cursor);
  }

  inspect(code: string, cursor: number, detail: number): InspectionReply {
    return inspectAt(globalThis, code, cursor, detail);
  }

  /** `complete`, `incomplete` (with an indent) or `invalid`, by parsing. */
  isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
    if (code.trim() === "") return { status: "complete" };
    try {
      transformCell(code, { language: this.language, interruptible: true });
      return { status: "complete" };
    } catch (err) {
      if (!(err instanceof CellSyntaxError)) return { status: "invalid" };
      const lines = code.split("\n");
      let offset = 0;
      for (let i = 0; i < err.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
      offset += err.column;
      // An error at (or past) the end of the text means more input could complete it.
      if (offset >= code.trimEnd().length) return { status: "incomplete", indent: " ".repeat(2 * openDepth(code)) };
      return { status: "invalid" };
    }
  }

  private async evaluate(code: string, cellName: string, output: CellOutput, timeoutSeconds?: number): Promise<{ value: unknown; hasResult: boolean }> {
    const transformed = transformCell(code, { language: this.language, interruptible: true });
    this.warnOnReplacedGlobals(transformed.declared, output);
    for (const name of transformed.declared) this.declared.add(name);
    // Same source, same file name (and same script): a cell run again is not compiled again.
    const filename = this.cells.add(code, cellName);
    let script = this.scripts.get(filename);
    if (script === undefined) {
      try {
        script = new vm.Script(transformed.code, { filename });
      } catch (err) {
        throw this.cells.compileError(err, filename, transformed.code) ?? err;
      }
      if (this.scripts.size >= SCRIPT_CACHE) this.scripts.delete(this.scripts.keys().next().value!);
    } else {
      this.scripts.delete(filename);
    }
    this.scripts.set(filename, script);
    const run: vm.RunningScriptOptions = { breakOnSigint: this.breakOnSigint };
    if (timeoutSeconds) run.timeout = Math.max(1, Math.round(timeoutSeconds * 1000));
    let completion: Promise<{ value: unknown } | undefined>;
    try {
      completion = script.runInThisContext(run) as Promise<{ value: unknown } | undefined>;
    } catch (err) {
      if (fieldOf(err, "code") === "ERR_SCRIPT_EXECUTION_INTERRUPTED") this.onSigint?.();
      throw err;
    }
    const result = await completion;
    return { value: result?.value, hasResult: transformed.hasResult && result !== undefined };
  }

  /** Once per name: a top-level declaration that replaces a global the kernel started with. */
  private warnOnReplacedGlobals(declared: readonly string[], output: CellOutput): void {
    for (const name of declared) {
      if (!this.builtins.has(name) || UNUSED_GLOBALS.has(name) || this.warned.has(name)) continue;
      this.warned.add(name);
      output.stream("stderr", `Warning: '${name}' was a global; from now on it is your value for all code in the kernel, packages included.\n`);
    }
  }

  private failure(err: unknown, cellName: string): { status: "error"; error: ErrorContent; interrupted: boolean } {
    // What a cell throws may be hostile (throwing getters, a Proxy): read it only through
    // fieldOf / isInstance / formatError, which never throw.
    if (isInstance(err, CellSyntaxError)) {
      const syntax = err as CellSyntaxError;
      // tabs stay tabs, so that the caret lines up under the line as a terminal shows it
      const pointer = syntax.sourceLine.slice(0, Math.max(0, syntax.column)).replace(/[^\t]/g, " ") + "^";
      return {
        status: "error",
        interrupted: false,
        error: {
          ename: "SyntaxError",
          evalue: syntax.message,
          traceback: [`${cellName}:${syntax.line}`, syntax.sourceLine, pointer, `\u001b[0;31mSyntaxError\u001b[0m: ${syntax.message}`],
        },
      };
    }
    const ours = isInstance(err, KernelInterrupt);
    const interrupted = ours || fieldOf(err, "code") === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
    const error = formatError(interrupted && !ours ? new KernelInterrupt() : err, this.internalPaths, this.renameFrames);
    return { status: "error", error, interrupted };
  }
}

/** How many brackets are left open (strings and comments ignored, roughly). */
function openDepth(code: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "/" && code[i + 1] === "/") {
      while (i < code.length && code[i] !== "\n") i++;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return depth;
}
