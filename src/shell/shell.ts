/**
 * The shell: cells run in this thread's own realm, plus what the kernel asks of it (results,
 * errors, user expressions, completion, inspection, is_complete). It emits output only through
 * the `CellOutput` the kernel hands it; it never sees wire frames. One shell per thread: every
 * shell of a thread shares its realm.
 *
 * Why this realm and not a separate `vm` context: a context's global object answers every
 * global lookup through an interceptor (~100 ns each), which made a loop over a notebook array
 * a hundred times slower than the same code in a program, and its built-ins differ from those of
 * Node's APIs (`fs.readdirSync(".") instanceof Array` was false).
 *
 * How a cell runs (evaluator.ts, transform/): a cell that declares, imports or awaits at its top
 * level is a script of V8's REPL mode, so its `let`, `const` and `class` are lexical bindings of
 * the global scope (as fast as a module's, off `globalThis`, a `const` constant, declarable again
 * by a later cell); anything else is a plain cached script. The notebook's names that would shadow
 * a global for every package (`const fetch = 1`) are bound under other identifiers
 * (notebook_names.ts), so packages keep Node's; the kernel's own code imports what it uses
 * (timers, process) instead of reading globals.
 *
 * Interrupt: a cell's synchronous part runs inside a `vm` evaluation with `breakOnSigint` (which
 * also stops code of packages it calls); the cell's own code is guarded wherever it runs
 * (rewrite.ts `instrument`: loops and functions check the shared attention flag, awaits are
 * cancellable), so a cell is stopped after an `await` and in its timers too. Cancelling a cell
 * rejects its pending awaits and clears its timers (cell_scope.ts).
 */
import { errorLine } from "../messaging/traceback.js";
import vm from "node:vm";
import { createRequire } from "node:module";
import { types } from "node:util";
import process from "node:process";
import { setImmediate } from "node:timers";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  transformCell,
  debuggerExpression,
  CellSyntaxError,
  loadTslib,
  TSLIB_GLOBAL,
  type CellImport,
  type DecoratorOptions,
  type JsxSettings,
  type TransformOptions,
} from "./transform/index.js";
import { notebookSettings } from "./tsconfig.js";
import { useNotebookDir } from "./jsx_render.js";
import { CELL_LOCALS, RUNTIME_CONSTANTS, RUNTIME_GLOBAL, TERMINABLE } from "./transform/rewrite.js";
import { cellConsole } from "./cell_console.js";
import { currentOutput, setLatestOutput, type CellOutput, type MimeBundle } from "./output.js";
import { resultOf, showNow, showValue, complainTo } from "./display.js";
import { showCellFrames } from "./inspection.js";
import { clearOutput, confirm, display, input, prompt, updateDisplay, widgets } from "./kernel_module.js";
import { CellTimeout, fieldOf, formatError, isInstance, KernelInterrupt, type ErrorContent } from "./errors.js";
import { createImporter, type Importer } from "./modules.js";
import { completeAt, inspectAt, type CompletionReply, type InspectionReply } from "./introspect.js";
import { CellRegistry } from "./cells.js";
import { CellScope, currentScope, liveScopes } from "./cell_scope.js";
import { CellRuntime, trackedTimers } from "./cell_runtime.js";
import { evaluationBegins, evaluationEnds, stopBegins, stopEnds } from "./attention.js";
import { newAttention } from "../shared_memory/layout.js";
import type { CancelSignal } from "./cell_canceller.js";
import { Evaluator, ReplError, ScriptCompileError, type RunOptions } from "./evaluator.js";
import { demangle, NotebookNames } from "./notebook_names.js";
import { DEBUG_VIEW_GLOBAL, DEBUGGING_GLOBAL, type DebugView, IDENTIFIER, MOVED_LINES_MARK } from "./debug_view.js";
import { installFunctionSource, scriptText } from "./function_source.js";
import { denoForCells } from "./deno.js";
import { beginCell, cellEnd, finishCell, installDollar, type CellEnd } from "./ijavascript.js";

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
   * Interrupts come as SIGINT (the kernelspec's `signal` interrupt mode), which ends a cell's
   * synchronous part at once, before its guards could stop it: no `finally` runs, so top-level
   * loops work on the notebook's variables themselves (transform/loop_locals.ts). Default false.
   */
  signalInterrupts?: boolean;
  /**
   * The shared attention flag the cells' guards read (cell_runtime.ts); the kernel gives the
   * threads that set it the same memory. Default: a flag of the shell's own.
   */
  attention?: Int32Array;
  /** A cell's evaluation was stopped by a SIGINT (the caller decides what that signal means). */
  onSigint?: () => void;
  /** Hands over the output the kernel holds for the I/O worker (asked through the attention flag). */
  flushOutput?: () => void;
  /** IPython's convention: a last expression ending in `;` shows no result (default: it does). */
  semicolonHidesResult?: boolean;
  /** Install `npm:` packages a cell imports that are not there (default true; `--no-npm-install`). */
  npmInstall?: boolean;
  /** Replaces how cells import modules (tests give modules of their own). */
  importModule?: Importer;
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

/**
 * Tell the cells' top-level loops whether a V8 termination may end them (loop_locals.ts
 * TERMINABLE): while `terminable`, or an evaluation this one runs inside is; returns what to give
 * back after.
 */
function setTerminable(terminable: boolean): boolean {
  const global = globalThis as Record<string, unknown>;
  const outer = global[TERMINABLE] === true;
  global[TERMINABLE] = terminable || outer;
  return outer;
}

function restoreTerminable(outer: boolean): void {
  (globalThis as Record<string, unknown>)[TERMINABLE] = outer;
}

/** Paths of the kernel's own code: stack frames there are hidden from users. */
const KERNEL_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where output of code run outside any cell goes when there is no cell at all. */
const SILENT: CellOutput = { stream: () => {}, display: () => {}, clearOutput: () => {} };

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
  /** Running cells whose guards threw KernelInterrupt since `interrupt` last ran (guard throws count once each). */
  private cellsStoppedByGuards = 0;
  private readonly breakOnSigint: boolean;
  private readonly signalInterrupts: boolean;
  /** A debugger is attached (debug_view.ts `attached`): loops keep the notebook's variables current. */
  /** Is a debugger attached to this thread (debug_view.ts DEBUGGING_GLOBAL)? */
  private get debuggerAttached(): boolean {
    return (globalThis as Record<string, unknown>)[DEBUGGING_GLOBAL] === true;
  }
  /** Names copyToGlobals made properties of the global object (the notebook lists them too). */
  private readonly adopted = new Set<string>();
  private readonly onSigint: (() => void) | undefined;
  /** Frames of the kernel's own code and scripts (the evaluator's `<ts-async-kernel>`), hidden from users. */
  private readonly internalPaths = [KERNEL_DIR, "<ts-async-kernel"];
  /** Every cell run, by script file name: its name (`In[3]`) and positions for tracebacks. */
  private readonly cells: CellRegistry;
  /** Show cells as `In[n]:line:column` of the cell, renamed identifiers as written. */
  private readonly renameFrames = (frame: string): string | undefined => {
    const renamed = this.cells.renameFrame(frame);
    return renamed === undefined ? undefined : demangle(renamed);
  };
  /** The notebook's names and the identifiers they are bound under. */
  readonly names: NotebookNames;
  private readonly evaluator: Evaluator;
  private readonly importModule: Importer;
  private readonly semicolonHidesResult: boolean;
  /** The notebook's decorator and JSX settings (its tsconfig.json: tsconfig.ts). */
  readonly decorators: DecoratorOptions;
  private readonly jsx: JsxSettings | undefined;
  /** `namespace()`, as of a version of the notebook's names. */
  private view: { version: number; object: object } | undefined;

  constructor(options: ShellOptions) {
    this.language = options.language;
    this.breakOnSigint = options.breakOnSigint ?? true;
    this.signalInterrupts = options.signalInterrupts ?? false;
    this.onSigint = options.onSigint;
    this.semicolonHidesResult = options.semicolonHidesResult ?? false;
    const settings = notebookSettings(options.cwd);
    this.decorators = settings.decorators;
    this.jsx = settings.jsx;
    useNotebookDir(options.cwd);
    const { importModule: notebookImport, require } = createImporter(options.cwd, { npmInstall: options.npmInstall });
    const importModule = options.importModule ?? notebookImport;
    this.importModule = importModule;
    const notebook = `${options.cwd}/__notebook__.ts`;
    const locals: Record<string, unknown> = {
      require,
      module: { exports: {}, require },
      __filename: notebook,
      __dirname: options.cwd,
      ...trackedTimers(),
      Deno: denoForCells(),
    };
    this.runtime = new CellRuntime(options.attention ?? newAttention(), locals);
    this.evaluator = Evaluator.realm;
    if (options.flushOutput) this.runtime.flushOutput = options.flushOutput;
    this.runtime.interrupting = (scope) => {
      if (scope !== undefined && [...this.running].some((r) => r.scope === scope)) this.cellsStoppedByGuards++;
    };
    const globals: Record<string, unknown> = {
      console: cellConsole((name, text) => process[name].write(text)),
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
    for (const [k, v] of Object.entries(globals)) {
      Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true, enumerable: false });
    }
    // tsc's helpers for the cells tsc compiles (transform/tsc.ts), loaded when first read
    let tslib: unknown;
    Object.defineProperty(globalThis, TSLIB_GLOBAL, {
      get: () => (tslib ??= loadTslib(createRequire(import.meta.url))),
      configurable: true,
      enumerable: false,
    });
    // IJavascript's `$$`, the running cell's (ijavascript.ts): a global, harmless to packages
    installDollar(globalThis);
    this.names = NotebookNames.realm(CELL_LOCALS);
    this.cells = new CellRegistry(this.transformOptions());
    showCellFrames(this.renameFrames, this.internalPaths);
    installFunctionSource((text) => this.cells.functionText(text)?.js);
    this.declareRuntime();
    Object.defineProperty(globalThis, DEBUG_VIEW_GLOBAL, {
      value: this.debugView(),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  /** What the debug adapter in the I/O worker asks of this thread (debug_view.ts). */
  private debugView(): DebugView {
    return {
      scriptLines: (file) => this.cells.scriptLines(file) ?? null,
      locate: (positions) =>
        positions.map(([file, line, column]) => {
          const at = this.cells.locate(file, line, column);
          return at === undefined ? null : at;
        }),
      notebook: () => {
        const values: Record<string, unknown> = Object.create(null);
        for (const [name, id] of this.names.declared()) values[name] = this.valueOf(id);
        for (const name of this.adopted)
          if (!(name in values) && Object.hasOwn(globalThis, name)) values[name] = (globalThis as Record<string, unknown>)[name];
        return values;
      },
      bundle: (value) => showNow(value),
      bundleOf: (name) => {
        const id = [...this.names.declared()].find(([n]) => n === name)?.[1];
        if (id !== undefined) return showNow(this.valueOf(id));
        if (this.adopted.has(name) && Object.hasOwn(globalThis, name)) return showNow((globalThis as Record<string, unknown>)[name]);
        throw new ReferenceError(`the notebook has no variable '${name}'`);
      },
      adopt: (name, value) => this.adopt(name, value),
      expression: (code, topLevel) => debuggerExpression(code, this.language, topLevel ? this.names : undefined),
      stop: (stopped) => (stopped ? stopBegins : stopEnds)(this.runtime.flag),
      flush: () => this.runtime.flushOutput?.(),
    };
  }

  /** debug_view.ts `adopt`: copyToGlobals. */
  private adopt(name: string, value: unknown): void {
    if (!IDENTIFIER.test(name)) throw new TypeError(`'${name}' is not a variable name`);
    if (name.startsWith("__tsak_")) throw new TypeError(`'${name}' is one of the kernel's own names`);
    if (this.names.declares(name)) {
      if (this.names.constant(name)) throw new TypeError(`'${name}' is a const of the notebook: it cannot be assigned`);
      const id = [...this.names.declared()].find(([n]) => n === name)![1];
      // a function compiled at the global scope assigns the REPL scripts' binding
      (vm.runInThisContext(`(value) => { ${id} = value; }`) as (value: unknown) => void)(value);
      return;
    }
    if (this.names.guards(name) || (Object.hasOwn(globalThis, name) && !this.adopted.has(name)))
      throw new TypeError(`'${name}' is a global of Node's or the kernel's: copy the value under another name`);
    Object.defineProperty(globalThis, name, { value, writable: true, enumerable: true, configurable: true });
    this.adopted.add(name);
  }

  /**
   * The names cell scripts read the runtime through (rewrite.ts RUNTIME_CONSTANTS, and each
   * cell-local name as `__tsak_cell_<name>`): non-enumerable properties of the global object,
   * defined once per shell (a later shell of this realm, as tests make, defines them again).
   * Global properties that are never written are constants to V8's optimizing compiler, so a
   * guard costs one load of the flag: a script-scope `const` of a REPL script is not (it may be
   * declared again), and cost a tight loop of method calls half again as much. The check is a
   * getter that guards read (rewrite.ts GUARD says why a read, not a call).
   */
  private declareRuntime(): void {
    const rt = this.runtime;
    const [flag, check, wait, iterate, result, module, begin] = RUNTIME_CONSTANTS;
    Object.defineProperty(globalThis, check, { get: rt.check, configurable: true, enumerable: false });
    const values: Array<[string, unknown]> = [
      [flag, rt.flag],
      [wait, rt.await],
      [iterate, rt.iterate],
      [result, rt.result],
      [module, rt.module],
      [begin, this.evaluator.begin],
      // true only while a synchronous part that a termination may end runs (`evaluate`)
      [TERMINABLE, false],
      ...CELL_LOCALS.map((name): [string, unknown] => [NotebookNames.cellLocal(name), rt.locals[name]]),
    ];
    for (const [name, value] of values) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    }
  }

  /** Run a cell; never throws: every failure becomes an `error` outcome. */
  async execute(code: string, cellName: string, output: CellOutput, control: CellControl = {}): Promise<ExecuteOutcome> {
    setLatestOutput(output);
    const scope = new CellScope(output);
    if (control.deadlineToken !== undefined && control.timeoutSeconds)
      scope.deadline = { token: control.deadlineToken, seconds: control.timeoutSeconds };
    beginCell(scope, cellName);
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
        const { value, hasResult } = await Promise.race([this.evaluate(code, cellName, timeoutSeconds), ended]);
        // a cell that ended itself through IJavascript's `$$`, or still waits for it to
        const byDollar = cellEnd(scope);
        if (byDollar !== undefined)
          return await this.endedBy(
            types.isPromise(byDollar) ? await Promise.race([scope.wait(byDollar) as Promise<CellEnd>, ended]) : byDollar,
            cellName,
          );
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
        finishCell(scope);
      }
    });
  }

  /** The outcome of a cell its `$$` ended: the result it sent (its own last value is dropped), or the error. */
  private async endedBy(end: CellEnd, cellName: string): Promise<ExecuteOutcome> {
    switch (end.kind) {
      case "none":
        return { status: "ok" };
      case "error":
        return this.failure(end.error, cellName);
      case "bundle":
        return Object.keys(end.data).length === 0 ? { status: "ok" } : { status: "ok", result: { data: end.data, metadata: {} } };
      case "result": {
        const shown = resultOf(end.value);
        const result = types.isPromise(shown) ? await shown : shown;
        return result === undefined ? { status: "ok" } : { status: "ok", result };
      }
    }
  }

  /**
   * An error that escaped its cell (thrown in a timer, an unhandled rejection) as text for the
   * cell's stderr: its name, message and frames, the cell frames shown as `In[n]:line:column`.
   */
  errorText(err: unknown): string {
    try {
      const { traceback } = formatError(err, this.internalPaths, this.renameFrames);
      return demangle([traceback[0]!.replace(/\u001b\[[0-9;]*m/g, ""), ...traceback.slice(1)].join("\n"));
    } catch {
      // a hostile error object (throwing getters) must not throw again from the error handler
      return "(an error that cannot be shown)";
    }
  }

  /**
   * Interrupt: every running cell ends with KernelInterrupt, its pending awaits rejected and its
   * timers cleared. With no cell running, what earlier cells left going in the background
   * (pending awaits, timers, intervals) is stopped instead. Returns how many cells it stopped,
   * counting those its raised flag had stopped before (their guards threw; they may be over).
   * (The attention flag is the caller's: it clears it once every thread that may read it knows.)
   */
  interrupt(): number {
    // the cells the raised flag stopped before this thread heard of the interrupt count too
    const stopped = this.cellsStoppedByGuards;
    this.cellsStoppedByGuards = 0;
    const running = [...this.running];
    if (running.length === 0) {
      for (const scope of liveScopes()) scope.cancel(new KernelInterrupt());
      return stopped;
    }
    for (const r of running) this.cancel(r, new KernelInterrupt());
    return running.length + stopped;
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
        const { value } = await this.evaluate(expr, "<user_expression>");
        return { status: "ok" as const, ...(await showValue(value, complainTo(output))) };
      } catch (err) {
        const e = this.failure(err, "<user_expression>").error;
        return { status: "error" as const, ...e };
      }
    });
    return outcome;
  }

  /**
   * Evaluate an expression as cell code of this realm (a Caller `{source}` call): TypeScript
   * stripped, notebook names meant as cells mean them, loops guarded and awaits cancellable.
   */
  async evaluateSource(source: string): Promise<unknown> {
    return (await this.evaluateCell(`(${source}\n)`, "<Caller source>")).value;
  }

  /**
   * Run a cell and give its result as a value (not as output): for the Caller and for tests. In
   * the scope of the code that calls it, if any; errors are thrown.
   */
  async evaluateCell(code: string, cellName: string): Promise<{ value: unknown; hasResult: boolean }> {
    const run = () => this.evaluate(code, cellName);
    return currentScope() ? run() : new CellScope(currentOutput() ?? SILENT).run(run);
  }

  complete(code: string, cursor: number): CompletionReply {
    return completeAt(this.namespace(), code, cursor);
  }

  inspect(code: string, cursor: number, detail: number): InspectionReply {
    return inspectAt(this.namespace(), code, cursor, detail, (fn) => {
      const text = scriptText(fn);
      return text.includes("__tsak_") ? this.cells.functionText(text)?.source : undefined;
    });
  }

  /**
   * The cells' namespace as one object, for introspection: the notebook's names as the user wrote
   * them (global-scope bindings, not properties of `globalThis`) over the realm's globals.
   */
  namespace(): object {
    if (this.view?.version === this.names.version) return this.view.object;
    const object = Object.create(globalThis) as object;
    const define = (name: string, id: string): void => {
      Object.defineProperty(object, name, { get: () => this.valueOf(id), enumerable: true, configurable: true });
    };
    for (const name of CELL_LOCALS) if (!this.names.declares(name)) define(name, NotebookNames.cellLocal(name));
    for (const [name, id] of this.names.declared()) define(name, id);
    this.view = { version: this.names.version, object };
    return object;
  }

  /** The value of a global-scope binding; undefined while it is uninitialized (a cell that threw before it). */
  private valueOf(id: string): unknown {
    try {
      return vm.runInThisContext(id);
    } catch {
      return undefined;
    }
  }

  /** `complete`, `incomplete` (with an indent) or `invalid`, by parsing. */
  isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
    if (code.trim() === "") return { status: "complete" };
    try {
      // The cell's own options: a transform is cached by its options and source, and one made
      // without the notebook's names (no cell-local `require`) was what the cell then ran.
      transformCell(code, this.transformOptions());
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

  private async evaluate(code: string, cellName: string, timeoutSeconds?: number): Promise<{ value: unknown; hasResult: boolean }> {
    const t = transformCell(code, this.transformOptions());
    // Same source, same file name: a `script` cell run again is not compiled again.
    const filename = this.cells.add(code, cellName);
    // a script whose lines are not the cell's says so, for a debugger (debug_view.ts)
    const script = t.linesKept ? t.code : t.code + MOVED_LINES_MARK;
    const run: RunOptions = { breakOnSigint: this.breakOnSigint };
    // V8's watchdog counts wall time, a debugger's stops included: while one is attached the
    // deadline (attention.ts), which does not count them, stops the cell at its next guard instead
    if (timeoutSeconds && !this.debuggerAttached) run.timeout = Math.max(1, Math.round(timeoutSeconds * 1000));
    // V8 may end this evaluation before the guards act (a SIGINT in signal mode, the vm timeout)
    // (or a debugger may look at the notebook's variables while a loop runs: debug_view.ts `attached`)
    const terminable = (this.breakOnSigint && this.signalInterrupts) || run.timeout !== undefined || this.debuggerAttached;
    if (t.mode === "script") {
      let value: unknown;
      evaluationBegins(this.runtime.flag);
      const outer = setTerminable(terminable);
      try {
        value = this.evaluator.runScript(script, filename, run);
      } catch (err) {
        if (isInstance(err, ScriptCompileError)) {
          const { error } = err as ScriptCompileError;
          throw this.cells.compileError(error, filename, t.code) ?? error;
        }
        throw this.stopped(err) ?? err;
      } finally {
        restoreTerminable(outer);
        evaluationEnds(this.runtime.flag);
      }
      return { value, hasResult: t.hasResult };
    }
    // An ES module's imports are all loaded before its code runs: a cell whose import fails
    // declares nothing.
    const modules = t.imports.length > 0 ? await this.load(t.imports) : [];
    const scope = currentScope();
    if (scope) scope.result = undefined;
    const undo = this.names.commit(t.bindings);
    this.runtime.modules = modules;
    let done: Promise<void>;
    evaluationBegins(this.runtime.flag);
    const outer = setTerminable(terminable);
    try {
      done = this.evaluator.runRepl(script, filename, run);
    } finally {
      restoreTerminable(outer);
      evaluationEnds(this.runtime.flag);
      this.runtime.modules = [];
    }
    try {
      await done;
    } catch (err) {
      if (isInstance(err, ReplError)) {
        const { value, compile } = err as ReplError;
        if (compile) {
          undo();
          throw this.cells.replSyntaxError(value, filename, compile) ?? value;
        }
        throw value;
      }
      throw this.stopped(err) ?? err;
    }
    const result = scope?.result;
    return { value: result?.value, hasResult: t.hasResult && result !== undefined };
  }

  /** How this shell's cells are transformed (the registry rebuilds positions with the same). */
  private transformOptions(): TransformOptions {
    return {
      language: this.language,
      interruptible: true,
      // a debugger steps through loops as written and reads the notebook's variables while they run
      loopLocals: !this.debuggerAttached,
      names: this.names,
      semicolonHidesResult: this.semicolonHidesResult,
      decorators: this.decorators,
      jsx: this.jsx,
    };
  }

  /** The modules a cell imports, loaded as its part (cancelled with it); in JavaScript, each named import must exist. */
  private async load(imports: readonly CellImport[]): Promise<unknown[]> {
    const scope = currentScope();
    // A plain loop, not `map`: an error made in the importer (a bad `npm:` specifier) has only
    // the kernel's frames then, which tracebacks hide (no `Array.map (<anonymous>)` left over).
    const loadings: Promise<unknown>[] = [];
    for (const imp of imports) {
      const loading = this.importModule(imp.specifier, imp.attributes ? { with: imp.attributes } : undefined);
      loadings.push(scope ? scope.wait(loading) : loading);
    }
    const modules = await Promise.all(loadings);
    // An ES module that names an export its module lacks is a SyntaxError; in a TypeScript cell
    // the name may be a type (`import { Options } from "lib"`), which TypeScript erases: undefined.
    if (this.language === "typescript") return modules;
    imports.forEach((imp, k) => {
      const ns = modules[k] as object;
      for (const name of imp.names) {
        if (!(name in ns))
          throw withoutFrames(new SyntaxError(`The requested module '${imp.specifier}' does not provide an export named '${name}'`));
      }
    });
    return modules;
  }

  /** A vm error for a cell stopped by SIGINT (reported to the kernel) or by its timeout; undefined for anything else. */
  private stopped(err: unknown): unknown {
    const code = fieldOf(err, "code");
    if (code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") this.onSigint?.();
    return code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" || code === "ERR_SCRIPT_EXECUTION_TIMEOUT" ? err : undefined;
  }

  private failure(err: unknown, cellName: string): { status: "error"; error: ErrorContent; interrupted: boolean } {
    // What a cell throws may be hostile (throwing getters, a Proxy): read it only through
    // fieldOf / isInstance / formatError, which never throw.
    if (isInstance(err, CellSyntaxError)) {
      const syntax = err as CellSyntaxError;
      // tabs stay tabs, so that the caret lines up under the line as a terminal shows it
      const pointer = `${syntax.sourceLine.slice(0, Math.max(0, syntax.column)).replace(/[^\t]/g, " ")}^`;
      return {
        status: "error",
        interrupted: false,
        error: {
          ename: "SyntaxError",
          evalue: syntax.message,
          traceback: [`${cellName}:${syntax.line}`, syntax.sourceLine, pointer, errorLine("SyntaxError", syntax.message)],
        },
      };
    }
    const ours = isInstance(err, KernelInterrupt);
    const interrupted = ours || fieldOf(err, "code") === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
    const shown = formatError(interrupted && !ours ? new KernelInterrupt() : err, this.internalPaths, this.renameFrames);
    // V8's messages name the identifiers a cell was compiled with (`__tsak_const_x is not defined`)
    const error = { ename: shown.ename, evalue: demangle(shown.evalue), traceback: shown.traceback.map(demangle) };
    return { status: "error", error, interrupted };
  }
}

/** An error about the cell as a whole (as V8's link errors of a module are): no frames of the kernel's. */
function withoutFrames<E extends Error>(err: E): E {
  err.stack = `${err.name}: ${err.message}`;
  return err;
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
