/**
 * The main thread's handle on the language-service worker (src/language/worker.ts): spawns it
 * off the start-up path, gives the I/O worker a direct channel to it (completion and inspection
 * never pass through this thread, which may be stuck in a cell), feeds it the cells that run, and
 * asks it for type diagnostics.
 */
import { URL } from "node:url";
import { MessageChannel, Worker } from "node:worker_threads";
import type { FromMain, LanguageWorkerData, ToMainFromLanguage } from "../language/protocol.js";
import type { Inspection } from "../language/service.js";
import { CellLogWriter, newCellLog } from "../language/cell_log.js";
import type { Language } from "./kernel_info.js";
import type { Log } from "./log.js";
import { clearTimeout, setTimeout } from "node:timers";

/** The longest a type check waits for the service's warm-up before its own timeout starts. */
const WARMUP_LIMIT_MS = 30_000;

/**
 * The service's young generation (V8 splits it into two semi-spaces and a large-object space:
 * 3 MB is 1 MB semi-spaces, V8's starting size). Left to V8, loading the compiler and the lib
 * files grows it to 16 MB semi-spaces, 32 MB kept resident for the kernel's whole life although
 * almost nothing lives there between queries; the program's ASTs are long-lived and promoted
 * anyway. Measured: 27 MB less RSS, warm-up and query times unchanged (docs/performance.md).
 */
const YOUNG_GENERATION_MB = 3;

export interface LanguageClientOptions {
  cwd: string;
  language: Language;
  globalsDts: string;
  modulePaths?: Record<string, string[]>;
  /** The notebook's decorator settings (shell.ts `decorators`). */
  decorators?: { experimentalDecorators?: boolean; emitDecoratorMetadata?: boolean };
  log: Log;
  /** Hand the I/O worker its end of the channel. */
  attachIo(port: import("node:worker_threads").MessagePort): void;
}

export class LanguageClient {
  private readonly worker: Worker;
  /** Cells go through shared memory: no wake-up of the language thread per cell (cell_log.ts). */
  private readonly cellLog: CellLogWriter;
  private nextId = 0;
  private readonly checks = new Map<number, (lines: string[]) => void>();
  private readonly queries = new Map<string, (content: unknown) => void>();
  private warm = false;
  private failed = false;
  /** Resolves when the worker has loaded the compiler and warmed up (or failed). */
  private readonly ready: Promise<void>;

  constructor(options: LanguageClientOptions) {
    const { port1, port2 } = new MessageChannel();
    const cellLog = newCellLog();
    this.cellLog = new CellLogWriter(cellLog);
    const workerData: LanguageWorkerData = {
      cwd: options.cwd,
      language: options.language,
      globalsDts: options.globalsDts,
      modulePaths: options.modulePaths,
      decorators: options.decorators,
      io: port2,
      cellLog,
    };
    this.worker = new Worker(new URL("../language/worker.js", import.meta.url), {
      workerData,
      transferList: [port2],
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    // Completion should not keep a finished kernel alive.
    this.worker.unref();
    let setReady!: () => void;
    this.ready = new Promise((r) => (setReady = r));
    this.worker.on("message", (m: ToMainFromLanguage) => {
      if (m.type === "ready") {
        this.warm = true;
        setReady();
      }
      if (m.type === "answer") {
        this.queries.get(m.reply.id)?.(m.reply.content);
        this.queries.delete(m.reply.id);
      }
      if (m.type === "diagnostics") {
        this.checks.get(m.id)?.(m.lines);
        this.checks.delete(m.id);
      }
    });
    const fail = (err: unknown) => {
      if (this.failed) return;
      this.failed = true;
      options.log.error({ err }, "language service failed; completion falls back to runtime introspection");
      for (const resolve of this.checks.values()) resolve([]);
      this.checks.clear();
      for (const resolve of this.queries.values()) resolve(null);
      this.queries.clear();
      setReady();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => code !== 0 && fail(new Error(`language worker exited with code ${code}`)));
    options.attachIo(port1);
  }

  /** A cell that runs: later completion sees its declarations. */
  addCell(code: string): void {
    if (this.failed) return;
    const seq = this.cellLog.append(code);
    if (seq !== undefined) this.worker.postMessage({ type: "cell", seq, code } satisfies FromMain);
  }

  /**
   * Type errors of `code` after the cells so far, as text lines; [] when there are none, the
   * service failed, or it took longer than `timeoutMs` once warm (the first check of a kernel
   * also waits for the warm-up: loading the compiler and Node's types takes seconds).
   */
  check(code: string, cellName: string, timeoutMs: number): Promise<string[]> {
    if (this.failed) return Promise.resolve([]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.checks.set(id, (lines) => {
        clearTimeout(timer);
        resolve(lines);
      });
      this.worker.postMessage({ type: "check", id, code, cellName } satisfies FromMain);
      // Bounded even if the worker hangs in its warm-up: a cell's reply never waits forever.
      const warm = new Promise<void>((r) => setTimeout(r, WARMUP_LIMIT_MS).unref());
      void Promise.race([this.ready, warm]).then(() => {
        if (!this.checks.has(id)) return;
        timer = setTimeout(() => {
          this.checks.delete(id);
          resolve([]);
        }, timeoutMs);
      });
    });
  }

  /**
   * What the types say of the name at `cursor` (the pager's `?name`), or undefined: the service is
   * not warm yet, has nothing to say (a value typed `any`), or took longer than `timeoutMs`.
   */
  inspect(code: string, cursor: number, detail: number, timeoutMs: number): Promise<Inspection | undefined> {
    if (this.failed || !this.warm) return Promise.resolve(undefined);
    const id = `main-${this.nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.queries.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.queries.set(id, (content) => {
        clearTimeout(timer);
        resolve(content === null ? undefined : (content as Inspection));
      });
      this.worker.postMessage({ type: "query", request: { type: "inspect", id, code, cursor, detail } } satisfies FromMain);
    });
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}
