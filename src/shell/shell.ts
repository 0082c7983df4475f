/**
 * The shell: one persistent `vm` context in which cells run, plus what the kernel asks of it
 * (results, errors, user expressions, completion, inspection, is_complete). It emits output only
 * through the `CellOutput` the kernel hands it; it never sees wire frames.
 *
 * Interrupt: the synchronous part of a cell runs with `breakOnSigint`, so a SIGINT stops a busy
 * loop there and the context lives on; cells that are awaiting are rejected with KernelInterrupt
 * by `interrupt()` (the kernel calls it from its SIGINT handler).
 */
import vm from "node:vm";
import { Console } from "node:console";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformCell, CellSyntaxError } from "./transform/index.js";
import { routedStream, withOutput, type CellOutput, type MimeBundle } from "./output.js";
import { mimeBundleOf } from "./display.js";
import { clearOutput, display, updateDisplay, widgets } from "./kernel_module.js";
import { CellTimeout, formatError, KernelInterrupt, type ErrorContent } from "./errors.js";
import { createImporter } from "./modules.js";
import { completeAt, inspectAt, type CompletionReply, type InspectionReply } from "./introspect.js";
import { CellRegistry } from "./cells.js";

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
}

/** Per-cell cancellation: rejects the cell's awaits like an interrupt does, with the signal's reason. */
export interface CellControl {
  signal?: AbortSignal;
  /** Stops the cell's synchronous part (up to its first await) after this long, as a CellTimeout. */
  timeoutSeconds?: number;
}

/** Paths of the kernel's own code: stack frames there are hidden from users. */
const KERNEL_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

export class Shell {
  readonly context: vm.Context;
  readonly language: Language;
  private readonly running = new Set<(err: Error) => void>();
  private readonly breakOnSigint: boolean;
  private readonly internalPaths = [KERNEL_DIR];
  /** Every cell run, by script file name: its name (`In[3]`) and positions for tracebacks. */
  private readonly cells: CellRegistry;
  /** Show cells as `In[n]:line:column` of the cell; drop frames of the wrapper's closing line. */
  private readonly renameFrames = (frame: string): string | undefined => this.cells.renameFrame(frame);

  constructor(options: ShellOptions) {
    this.language = options.language;
    this.breakOnSigint = options.breakOnSigint ?? true;
    this.cells = new CellRegistry({ language: options.language });
    const sandbox: Record<string, unknown> = {};
    this.context = vm.createContext(sandbox, { name: "ts-async-kernel" });
    const own = new Set(vm.runInContext("Object.getOwnPropertyNames(globalThis)", this.context) as string[]);
    // Node's globals (setTimeout, process, Buffer, fetch, ...) are not part of a fresh context.
    // Forward them lazily: reading some of them (fetch, crypto) loads modules, which would cost
    // start-up time for cells that never use them.
    for (const key of Object.getOwnPropertyNames(globalThis)) {
      if (own.has(key) || key === "globalThis") continue;
      Object.defineProperty(sandbox, key, {
        configurable: true,
        enumerable: false,
        get: () => (globalThis as Record<string, unknown>)[key],
        set: (value: unknown) => Object.defineProperty(sandbox, key, { value, writable: true, configurable: true, enumerable: true }),
      });
    }
    const { importModule, require } = createImporter(options.cwd);
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
      widgets,
      require,
      module: { exports: {}, require },
      __filename: `${options.cwd}/__notebook__.ts`,
      __dirname: options.cwd,
      __tsak_import: importModule,
      __tsak_import_meta: { url: pathToFileURL(`${options.cwd}/__notebook__.ts`).href, dirname: options.cwd, filename: `${options.cwd}/__notebook__.ts` },
      global: vm.runInContext("globalThis", this.context),
    };
    for (const [k, v] of Object.entries(globals)) {
      Object.defineProperty(sandbox, k, { value: v, writable: true, configurable: true, enumerable: false });
    }
  }

  /** Run a cell; never throws: every failure becomes an `error` outcome. */
  async execute(code: string, cellName: string, output: CellOutput, control: CellControl = {}): Promise<ExecuteOutcome> {
    return withOutput(output, async () => {
      let interrupt!: (err: Error) => void;
      const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
      this.running.add(interrupt);
      const { signal, timeoutSeconds } = control;
      const cancel = () => {
        this.running.delete(interrupt);
        interrupt(signal!.reason as Error);
      };
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        if (signal?.aborted) throw signal.reason;
        const { value, hasResult } = await Promise.race([this.evaluate(code, cellName, timeoutSeconds), interrupted]);
        if (!hasResult || value === undefined) return { status: "ok" };
        return { status: "ok", result: mimeBundleOf(value) };
      } catch (err) {
        const timedOut = timeoutSeconds !== undefined && (err as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
        return this.failure(timedOut ? new CellTimeout(timeoutSeconds) : err, cellName);
      } finally {
        signal?.removeEventListener("abort", cancel);
        this.running.delete(interrupt);
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

  /** Reject every cell that is running (awaiting); returns how many there were. */
  interrupt(): number {
    const n = this.running.size;
    for (const reject of this.running) reject(new KernelInterrupt());
    this.running.clear();
    return n;
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Evaluate one user expression after a cell (execute_request `user_expressions`). */
  async userExpression(expr: string, output: CellOutput): Promise<Record<string, unknown>> {
    const outcome = await withOutput(output, async () => {
      try {
        const { value } = await this.evaluate(expr, "<user_expression>");
        return { status: "ok" as const, ...mimeBundleOf(value) };
      } catch (err) {
        const e = this.failure(err, "<user_expression>").error;
        return { status: "error" as const, ...e };
      }
    });
    return outcome;
  }

  complete(code: string, cursor: number): CompletionReply {
    return completeAt(this.context, code, cursor);
  }

  inspect(code: string, cursor: number, detail: number): InspectionReply {
    return inspectAt(this.context, code, cursor, detail);
  }

  /** `complete`, `incomplete` (with an indent) or `invalid`, by parsing. */
  isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
    if (code.trim() === "") return { status: "complete" };
    try {
      transformCell(code, { language: this.language });
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
    const transformed = transformCell(code, { language: this.language });
    // Same source, same file name: V8 then reuses the compiled script when a cell runs again.
    const filename = this.cells.add(code, cellName);
    let script: vm.Script;
    try {
      script = new vm.Script(transformed.code, { filename });
    } catch (err) {
      throw this.cells.compileError(err, filename, transformed.code) ?? err;
    }
    const run: vm.RunningScriptOptions = { breakOnSigint: this.breakOnSigint };
    if (timeoutSeconds) run.timeout = Math.max(1, Math.round(timeoutSeconds * 1000));
    const completion = script.runInContext(this.context, run) as Promise<{ value: unknown } | undefined>;
    const result = await completion;
    return { value: result?.value, hasResult: transformed.hasResult && result !== undefined };
  }

  private failure(err: unknown, cellName: string): { status: "error"; error: ErrorContent; interrupted: boolean } {
    if (err instanceof CellSyntaxError) {
      // tabs stay tabs, so that the caret lines up under the line as a terminal shows it
      const pointer = err.sourceLine.slice(0, Math.max(0, err.column)).replace(/[^\t]/g, " ") + "^";
      return {
        status: "error",
        interrupted: false,
        error: {
          ename: "SyntaxError",
          evalue: err.message,
          traceback: [`${cellName}:${err.line}`, err.sourceLine, pointer, `\u001b[0;31mSyntaxError\u001b[0m: ${err.message}`],
        },
      };
    }
    const code = (err as { code?: unknown } | null)?.code;
    const interrupted = err instanceof KernelInterrupt || code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
    const error = formatError(interrupted && !(err instanceof KernelInterrupt) ? new KernelInterrupt() : err, this.internalPaths, this.renameFrames);
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
