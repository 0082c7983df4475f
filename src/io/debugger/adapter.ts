/**
 * The debug adapter: the Jupyter debug protocol (DAP requests in `debug_request`, responses in
 * `debug_reply`, events in `debug_event`; jupyter_client messaging.rst "Debug request") on one
 * side, the Chrome DevTools Protocol to the main thread (cdp.ts) on the other. It lives in the
 * I/O worker, which keeps answering heartbeat and control while the main thread is paused.
 *
 * - Cells are files to the frontend (cell_files.ts) and scripts to V8, named by their text
 *   (shell/script_name.ts): a breakpoint in a cell that has not run yet is set by that URL
 *   (`Debugger.setBreakpointByUrl`), and V8 places it when the cell's script is compiled.
 * - Lines: the cell transform keeps every line break (transform/index.ts), so line N of a cell is
 *   line N of its script, except for cells tsc compiles (decorators, `accessor`, `using`).
 *   Positions V8 reports are mapped back through the transform's position maps by the main
 *   thread's shell (`locate`, shell/debug_view.ts), which also names the cell (`In[3]`).
 * - Frames of the kernel's own code are hidden, and stepping skips them (blackboxed); a pause on
 *   a statement the transform inserted steps on to the user's next one.
 * - DAP threads: the main thread (1), and each Caller thread it starts (`// thread` cells run in
 *   them), reached through the main thread's session (worker_cdp.ts). Each is a ThreadTarget
 *   (thread_target.ts): its own scripts, breakpoints, pause and stop; the frontend's breakpoints
 *   and filters are set in every one. Requests go to a thread by `threadId`, or by frame id
 *   (unique across threads and stops).
 *
 * Which requests work before `initialize` follows ipykernel (`debugger.py`): debugInfo,
 * inspectVariables, richInspectVariables, modules and source (those that read the main thread
 * answer once a session is attached); everything else asks for a started debugger. No request
 * ever throws: a malformed or unknown one gets `success: false` and a message that says why.
 */
import { readFileSync } from "node:fs";
import type { Debugger, Runtime } from "node:inspector";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DebugProtocol as DAP } from "@vscode/debugprotocol";
import { interruptHandled } from "../../kernel/interrupts.js";
import { type CellLocation, DEBUG_VIEW_GLOBAL, DEBUGGING_GLOBAL, IDENTIFIER, INSERTED_STATEMENTS } from "../../shell/debug_view.js";
import { stopBegins, stopEnds } from "../../shell/attention.js";
import { isCellScript } from "../../shell/script_name.js";
import type { Cdp } from "./cdp.js";
import { catchesAt, tryMap } from "./catch_scan.js";
import { type CellFiles, HASH_SEED } from "./cell_files.js";
import { type Frame, type Paused, type Ref, ThreadTarget } from "./thread_target.js";
import { expandable, thrownText, valueText, valueType } from "./values.js";
import { WorkerCdp } from "./worker_cdp.js";

/** The DAP thread of the main thread. */
export const MAIN_THREAD = 1;
const MAIN_THREAD_INFO = { id: MAIN_THREAD, name: "main thread" };

/** Exception filters offered (initialize's `exceptionBreakpointFilters`) → V8's pause state. */
const EXCEPTION_FILTERS: DAP.ExceptionBreakpointsFilter[] = [
  { filter: "raised", label: "Raised exceptions", description: "Stop where an exception is thrown, caught or not", default: false },
  {
    filter: "uncaught",
    label: "Uncaught exceptions",
    description: "Stop where an exception is thrown that no try … catch of the notebook's code catches (what ends the cell)",
    default: false,
  },
];

/** How many awaiting callers an exception's stack keeps, for the "uncaught" filter (catch_scan.ts). */
const ASYNC_STACK_DEPTH = 32;

/** How many statements the transform inserted a pause may step past in a row (a guard per loop turn). */
const MAX_AUTO_STEPS = 100;
/** How long a pause request is asked again of V8 until it lands in the user's code. */
const PAUSE_RETRY_MS = 5000;
/** How long pauses stay off after an interrupt resumed a paused cell, at most (until the main thread has acted). */
const INTERRUPT_SKIP_MS = 5000;
/**
 * The workers the kernel debugs: Caller threads (caller/registry.ts names them `caller` and
 * `caller <name>`; `// thread` cells run in them), and those the notebook's code starts (their
 * script is not the kernel's). NodeWorker's title is `[worker <id>] <name>`. Other workers (the
 * I/O worker itself, the language service's, the SIGINT watcher) are the kernel's.
 */
const CALLER_TITLE = /^\[worker (\d+)\] caller(?: (.*))?$/;
const WORKER_TITLE = /^\[worker (\d+)\](?: (.*))?$/;

/** A refusal with its message (the request's `success: false`). */
class DapError extends Error {}

export interface DebugAdapterOptions {
  files: CellFiles;
  /** Publish a DAP event (a `debug_event` on iopub). */
  event(event: DAP.Event): void;
  /** A CDP session to the main thread (made at `attach`). */
  connect(): Cdp;
  /** The kernel's package directory: frames of its `dist/` and `node_modules/` are the kernel's. */
  kernelRoot: string;
  /** The main shell's attention words: when the main thread has acted on an interrupt. */
  attention: Int32Array;
  log: { warn(fields: object, message: string): void };
}

interface Breakpoints {
  /** As the frontend sent them (debugInfo gives them back). */
  requested: DAP.SourceBreakpoint[];
}

export class DebugAdapter {
  private started = false;
  private seq = 0;
  private readonly breakpoints = new Map<string, Breakpoints>();
  private exceptionFilters: string[] = [];
  /** The threads debugged, by DAP id: the main thread (from attach to disconnect) and the Caller threads it started. */
  private readonly threads = new Map<number, ThreadTarget>();
  /** The workers' threads by their NodeWorker session. */
  private readonly workers = new Map<string, { thread: ThreadTarget | undefined; cdp: WorkerCdp }>();
  private nextThreadId = MAIN_THREAD + 1;
  private nextRef = 1;
  /**
   * Frame ids are new at every stop, in every thread: JupyterLab keeps its selected frame when
   * the new stack has one of the same path and id (callstack model, `getFrameId`), and then
   * neither moves the cell's highlight nor asks for its variables again after a step.
   */
  private nextFrameId = 1;
  /** References of the values inspectVariables gave, while the thread is not stopped. */
  private readonly idleRefs = new Map<number, Ref>();
  /** The inspectVariables under way (later ones share its answer). */
  private inspecting: Promise<{ variables: DAP.Variable[] }> | undefined;
  private nextBreakpointId = 1;

  constructor(private readonly options: DebugAdapterOptions) {}

  /** The main thread's target, while attached. */
  private get main(): ThreadTarget | undefined {
    return this.threads.get(MAIN_THREAD);
  }

  /** Answer one `debug_request`'s content; never rejects. */
  async request(content: unknown): Promise<DAP.Response> {
    const raw = (typeof content === "object" && content !== null ? content : {}) as Record<string, unknown>;
    const requestSeq = Number.isSafeInteger(raw["seq"]) ? (raw["seq"] as number) : 0;
    const command = typeof raw["command"] === "string" ? raw["command"] : "";
    try {
      if (typeof content !== "object" || content === null || Array.isArray(content))
        throw new DapError("a debug_request's content must be a DAP request object");
      if (command === "") throw new DapError("the DAP request has no command (content.command must be a string)");
      const args = raw["arguments"] ?? {};
      if (typeof args !== "object" || args === null || Array.isArray(args)) throw new DapError(`${command}: arguments must be an object`);
      const body = await this.dispatch(command, args as Record<string, unknown>);
      return {
        seq: ++this.seq,
        type: "response",
        request_seq: requestSeq,
        success: true,
        command,
        ...(body === undefined ? {} : { body }),
      };
    } catch (err) {
      const message = err instanceof DapError ? err.message : `${command}: ${String((err as Error)?.message ?? err)}`;
      if (!(err instanceof DapError)) this.options.log.warn({ err, command }, "debug request failed");
      return { seq: ++this.seq, type: "response", request_seq: requestSeq, success: false, command, message };
    }
  }

  private async dispatch(command: string, args: Record<string, unknown>): Promise<unknown> {
    switch (command) {
      case "initialize":
        this.started = true;
        return capabilities();
      case "debugInfo":
        return this.debugInfo();
      case "source":
        return this.source(args);
      case "inspectVariables":
        return this.inspectVariables();
      case "richInspectVariables":
        return this.richInspectVariables(args);
      case "modules":
        return this.modules(args);
    }
    if (!this.started) throw new DapError(`${command}: the debugger is not started (send initialize first)`);
    switch (command) {
      case "attach":
        await this.attach();
        // after the response, as DAP orders it
        setImmediate(() => this.emit("initialized"));
        return undefined;
      case "configurationDone":
        return undefined;
      case "dumpCell":
        return { sourcePath: this.options.files.dump(str(args, "code", command)) };
      case "setBreakpoints":
        return this.setBreakpoints(args);
      case "setExceptionBreakpoints":
        return this.setExceptionBreakpoints(args);
      case "threads":
        // (before attach, the main thread: where cells run)
        return {
          threads: this.threads.size > 0 ? [...this.threads.values()].map((t) => ({ id: t.id, name: t.name })) : [MAIN_THREAD_INFO],
        };
      case "stackTrace":
        return this.stackTrace(args);
      case "scopes":
        return this.scopes(args);
      case "variables":
        return this.variables(args);
      case "evaluate":
        return this.evaluate(args);
      case "copyToGlobals":
        return this.copyToGlobals(args);
      case "continue": {
        const t = this.threadOf(args, command);
        this.stopped(t, command);
        await this.resume(t);
        const all = t.id === MAIN_THREAD;
        this.emit("continued", { threadId: t.id, allThreadsContinued: all });
        return { allThreadsContinued: all };
      }
      case "next":
      case "stepIn":
      case "stepOut": {
        const t = this.threadOf(args, command);
        this.stopped(t, command);
        t.stepping = true;
        t.leavePause();
        await t.cdp.post(command === "next" ? "Debugger.stepOver" : command === "stepIn" ? "Debugger.stepInto" : "Debugger.stepOut");
        return undefined;
      }
      case "pause": {
        const t = this.threadOf(args, command, false);
        if (t && t.paused === undefined) this.askPause(t);
        return undefined;
      }
      case "disconnect":
        await this.detach();
        this.started = false;
        this.breakpoints.clear();
        this.exceptionFilters = [];
        return undefined;
      default:
        throw new DapError(`unknown command '${command}'`);
    }
  }

  /**
   * The thread a request names (`threadId`); without one, the stopped thread (the main thread
   * first), else the main thread.
   */
  private threadOf(args: Record<string, unknown>, command: string): ThreadTarget;
  private threadOf(args: Record<string, unknown>, command: string, attached: false): ThreadTarget | undefined;
  private threadOf(args: Record<string, unknown>, command: string, attached = true): ThreadTarget | undefined {
    const id = optInt(args, "threadId", command);
    let t: ThreadTarget | undefined;
    if (id === undefined) {
      const threads = [...this.threads.values()];
      t = threads.find((x) => x.paused !== undefined) ?? this.main;
    } else {
      t = this.threads.get(id);
      if (t === undefined && (this.threads.size > 0 || id !== MAIN_THREAD)) throw new DapError(`${command}: no thread ${id}`);
    }
    if (t === undefined && attached) throw new DapError(`${command}: the kernel is not stopped at a breakpoint`);
    return t;
  }

  private debugInfo(): Record<string, unknown> {
    const { files } = this.options;
    return {
      isStarted: this.started,
      hashMethod: "Murmur2",
      hashSeed: HASH_SEED,
      tmpFilePrefix: files.prefix,
      tmpFileSuffix: files.suffix,
      breakpoints: [...this.breakpoints].map(([source, b]) => ({ source, breakpoints: b.requested })),
      stoppedThreads: [...this.threads.values()].filter((t) => t.paused !== undefined).map((t) => t.id),
      richRendering: true,
      exceptionPaths: [],
      copyToGlobals: true,
    };
  }

  /** Connect to the main thread (and, through it, to its Caller threads), and set what the frontend asked for before. */
  private async attach(): Promise<void> {
    if (this.main) return;
    const cdp = this.options.connect();
    const { attention } = this.options;
    const main = new ThreadTarget(MAIN_THREAD, MAIN_THREAD_INFO.name, cdp, {
      onStop: (stopped) => (stopped ? stopBegins(attention) : stopEnds(attention)),
    });
    this.threads.set(MAIN_THREAD, main);
    this.listen(main);
    cdp.on("NodeWorker.attachedToWorker", (p) => void this.workerStarted(main, p));
    cdp.on("NodeWorker.detachedFromWorker", (p) => this.workerEnded(p["sessionId"] as string));
    cdp.on("NodeWorker.receivedMessageFromWorker", (p) => this.workers.get(p["sessionId"] as string)?.cdp.receive(p["message"] as string));
    await this.prepare(main);
    // the Caller threads there are, and those that start later: each waits until its breakpoints are set
    await cdp.post("NodeWorker.enable", { waitForDebuggerOnStart: true });
  }

  /** Follow a thread's session: its scripts, pauses and resumes. */
  private listen(t: ThreadTarget): void {
    t.cdp.on("Debugger.scriptParsed", (p) => {
      // only the user's scripts: an unknown script is the kernel's (hidden), and the kernel
      // compiles one for every evaluation
      const url = p["url"] as string;
      if (!this.kernelUrl(url)) t.urls.set(p["scriptId"] as string, url);
    });
    t.cdp.on("Debugger.paused", (p) => {
      t.threadStopped();
      void this.onPaused(t, p as unknown as Debugger.PausedEventDataType);
    });
    t.cdp.on("Debugger.resumed", () => {
      t.threadPaused = false;
      t.leavePause();
    });
  }

  /** Debugging on in a thread's session, with the breakpoints and filters the frontend set. */
  private async prepare(t: ThreadTarget): Promise<void> {
    const { cdp } = t;
    await cdp.post("Debugger.enable", {});
    await cdp.post("Debugger.setBlackboxPatterns", { patterns: this.kernelPatterns() });
    // a cell whose lines moved has a source map (shell/debug_view.ts MOVED_LINES_MARK): V8 stops
    // before running it, and its breakpoints move to its lines (movedScript)
    await cdp.post("Debugger.setInstrumentationBreakpoint", { instrumentation: "beforeScriptWithSourceMapExecution" });
    for (const [path, b] of this.breakpoints) await this.place(t, path, b);
    await this.applyExceptionFilters(t);
    // loops then keep the notebook's variables up to date, for inspectVariables while they run
    if (!t.plain) await debugging(t, true);
  }

  /**
   * A worker of the main thread's is there (at NodeWorker.enable) or starts. A Caller thread
   * becomes a DAP thread: debugging on, breakpoints set, then it runs (a new one waits until
   * then, so a breakpoint in its first cell is already placed). Other workers are the kernel's:
   * let go.
   */
  private async workerStarted(main: ThreadTarget, p: Record<string, unknown>): Promise<void> {
    const sessionId = p["sessionId"] as string;
    const info = (p["workerInfo"] ?? {}) as { title?: string; url?: string };
    const cdp = new WorkerCdp(main.cdp, sessionId);
    // (its messages are routed from now on: runIfWaitingForDebugger's response too)
    this.workers.set(sessionId, { thread: undefined, cdp });
    const title = info.title ?? "";
    const caller = CALLER_TITLE.exec(title);
    const plain = caller === null && !this.kernelUrl(info.url ?? "");
    const run = () => (p["waitingForDebugger"] === true ? cdp.post("Runtime.runIfWaitingForDebugger").catch(() => {}) : undefined);
    if ((caller === null && !plain) || this.main !== main) {
      this.workers.delete(sessionId);
      await run();
      cdp.disconnect();
      return;
    }
    const worker = WORKER_TITLE.exec(title);
    const name = caller ? (caller[2] ?? `thread pool ${caller[1]}`) : worker?.[2] || `worker ${worker?.[1] ?? sessionId}`;
    // a Caller thread's stops are marked in its own memory, by its shell (evaluated while it is stopped)
    const onStop = (stopped: boolean) =>
      void cdp
        .post("Runtime.evaluate", {
          expression: `typeof ${DEBUG_VIEW_GLOBAL} === "object" && ${DEBUG_VIEW_GLOBAL}.stop(${stopped})`,
          silent: true,
        })
        .catch(() => {});
    const t = new ThreadTarget(this.nextThreadId++, name, cdp, plain ? { plain } : { onStop });
    this.workers.set(sessionId, { thread: t, cdp });
    this.threads.set(t.id, t);
    this.listen(t);
    this.emit("thread", { reason: "started", threadId: t.id });
    try {
      await this.prepare(t);
    } catch (err) {
      if (!t.closed) this.options.log.warn({ err, thread: t.name }, "debugger: cannot debug a thread");
    }
    await run();
  }

  /** A worker ended (or was let go): its DAP thread goes. */
  private workerEnded(sessionId: string): void {
    const w = this.workers.get(sessionId);
    if (!w) return;
    this.workers.delete(sessionId);
    w.cdp.end();
    const t = w.thread;
    if (t === undefined) return;
    t.closed = true;
    t.leavePause();
    // (after a disconnect the thread is gone already, and the frontend was told nothing more)
    if (this.threads.get(t.id) !== t) return;
    this.threads.delete(t.id);
    this.emit("thread", { reason: "exited", threadId: t.id });
  }

  /** Resume every thread, drop every breakpoint, end the sessions. */
  private async detach(): Promise<void> {
    const main = this.main;
    if (!main) return;
    // the workers first: their sessions go through the main thread's
    const threads = [...this.threads.values()].sort((a, b) => b.id - a.id);
    this.threads.clear();
    this.idleRefs.clear();
    for (const t of threads) {
      const wasPaused = t.paused !== undefined;
      t.leavePause();
      t.resetStop();
      t.closed = true;
      t.threadPaused = false;
      const { cdp } = t;
      try {
        if (!t.plain) await debugging(t, false).catch(() => {});
        if (t === main) await cdp.post("NodeWorker.disable").catch(() => {});
        await cdp.post("Debugger.setSkipAllPauses", { skip: true });
        await cdp.post("Debugger.resume").catch(() => {});
        await cdp.post("Debugger.disable");
      } catch (err) {
        if (t === main) throw err;
      } finally {
        cdp.disconnect();
      }
      if (wasPaused) this.emit("continued", { threadId: t.id, allThreadsContinued: t === main });
    }
    this.workers.clear();
  }

  /**
   * An interrupt came (request number `request`, src/kernel/interrupts.ts; the flag is raised
   * already): paused cells resume so that their next guard can stop them (the main thread's;
   * a thread cell's, whose thread the main thread raises the flag of), and no breakpoint stops
   * the interrupted code again until the main thread has acted on the interrupt.
   */
  interrupted(request: number): void {
    const threads = [...this.threads.values()];
    for (const t of threads) {
      const { cdp } = t;
      const wasPaused = t.paused !== undefined;
      const threadPaused = t.threadPaused;
      t.leavePause();
      t.resetStop();
      void cdp.post("Debugger.setSkipAllPauses", { skip: true }).catch(() => {});
      if (threadPaused) void cdp.post("Debugger.resume").catch(() => {});
      if (wasPaused) this.emit("continued", { threadId: t.id, allThreadsContinued: t.id === MAIN_THREAD });
    }
    if (threads.length === 0) return;
    const until = performance.now() + INTERRUPT_SKIP_MS;
    const timer = setInterval(() => {
      if (!interruptHandled(this.options.attention, request) && performance.now() < until) return;
      clearInterval(timer);
      for (const t of threads) if (!t.closed) void t.cdp.post("Debugger.setSkipAllPauses", { skip: false }).catch(() => {});
    }, 10);
  }

  /** The kernel shuts down: a paused thread must run again to end. */
  shutdown(): void {
    void this.detach().catch(() => {});
  }

  /** The kernel ends: the cells' files go. */
  close(): void {
    try {
      this.options.files.remove();
    } catch (err) {
      this.options.log.warn({ err }, "debugger: cannot remove the cells' files");
    }
  }

  // ---- breakpoints

  private async setBreakpoints(args: Record<string, unknown>): Promise<DAP.SetBreakpointsResponse["body"]> {
    const source = obj(args, "source", "setBreakpoints");
    const path = str(source, "path", "setBreakpoints", "source.path");
    let requested: DAP.SourceBreakpoint[];
    if (args["breakpoints"] !== undefined) {
      if (!Array.isArray(args["breakpoints"])) throw new DapError("setBreakpoints: arguments.breakpoints must be an array");
      requested = args["breakpoints"] as DAP.SourceBreakpoint[];
    } else if (Array.isArray(args["lines"])) {
      requested = (args["lines"] as unknown[]).map((line) => ({ line }) as DAP.SourceBreakpoint);
    } else requested = [];
    requested.forEach((b, k) => {
      if (typeof b !== "object" || b === null || !Number.isSafeInteger(b.line) || b.line < 1)
        throw new DapError(`setBreakpoints: breakpoints[${k}].line must be a positive integer`);
      if (b.condition !== undefined && typeof b.condition !== "string")
        throw new DapError(`setBreakpoints: breakpoints[${k}].condition must be a string`);
    });
    if (this.target(path) === undefined)
      throw new DapError(`setBreakpoints: no such source: ${path} (not a cell sent with dumpCell, nor a file)`);
    const entry: Breakpoints = { requested: requested.map((b) => ({ ...b })) };
    if (requested.length > 0) this.breakpoints.set(path, entry);
    else this.breakpoints.delete(path);
    // why one cannot be set (undefined: it is); the main thread's answer for a cell whose lines moved
    const messages = entry.requested.map((b) => this.refusal(path, b));
    for (const t of [...this.threads.values()]) {
      for (const id of t.placed.get(path) ?? []) await t.cdp.post("Debugger.removeBreakpoint", { breakpointId: id }).catch(() => {});
      t.placed.delete(path);
      if (t.id === MAIN_THREAD) {
        const missed = await this.place(t, path, entry);
        for (const [k, m] of missed.entries()) messages[k] ??= m;
      } else await this.place(t, path, entry).catch((err: unknown) => this.threadFailed(t, err));
    }
    return {
      breakpoints: entry.requested.map((b, k) => {
        const message = messages[k];
        const shown = { id: this.nextBreakpointId++, line: b.line, source: { path } };
        return message === undefined ? { ...shown, verified: true } : { ...shown, verified: false, message };
      }),
    };
  }

  /** Why a breakpoint cannot be set in any thread: no such source, a line past the cell's end. */
  private refusal(path: string, b: DAP.SourceBreakpoint): string | undefined {
    const target = this.target(path);
    if (target === undefined) return `no such source: ${path}`;
    if ("lines" in target && b.line > target.lines) return `line ${b.line} is past the end of the cell (${target.lines} lines)`;
    return undefined;
  }

  /** A worker's session failed (it is ending, mostly): said in the log, the thread goes on undebugged. */
  private threadFailed(t: ThreadTarget, err: unknown): void {
    if (!t.closed) this.options.log.warn({ err, thread: t.name }, "debugger: a thread's session failed");
  }

  /** Where breakpoints in `path` go: a cell's script URL, or a file's URL. */
  private target(path: string): { url: string; lines: number } | { urlRegex: string } | undefined {
    const cell = this.options.files.cellAt(path);
    if (cell) return cell;
    try {
      readFileSync(path, { flag: "r" }).length;
    } catch {
      return undefined;
    }
    // a file the notebook imports: V8 knows it by its file: URL (ES modules) or its path
    return { urlRegex: `^(?:${escapeRegex(pathToFileURL(path).href)}|${escapeRegex(path)})$` };
  }

  /**
   * Set `entry`'s breakpoints in thread `t`'s V8 (those `refusal` lets through); for each, why it
   * could not be placed there (undefined: placed, or refused anyway).
   */
  private async place(t: ThreadTarget, path: string, entry: Breakpoints): Promise<Array<string | undefined>> {
    const target = this.target(path);
    const out: Array<string | undefined> = [];
    const placed: string[] = [];
    t.placed.set(path, placed);
    for (const b of entry.requested) {
      if (target === undefined || this.refusal(path, b) !== undefined) {
        out.push(undefined);
        continue;
      }
      const condition = b.condition ? { condition: b.condition } : {};
      const moved = "url" in target ? t.moved.get(target.url) : undefined;
      let set: { breakpointId: string };
      if (moved) {
        // the cell's line in its script (or the next line that has code)
        const line = moved.lines.slice(b.line - 1).find((l) => l > 0);
        if (line === undefined) {
          out.push(`no code on or after line ${b.line}`);
          continue;
        }
        set = await t.cdp.post("Debugger.setBreakpoint", { location: { scriptId: moved.scriptId, lineNumber: line - 1 }, ...condition });
      } else {
        const where = "url" in target ? { url: target.url } : { urlRegex: target.urlRegex };
        set = await t.cdp.post("Debugger.setBreakpointByUrl", { ...where, lineNumber: b.line - 1, ...condition });
      }
      placed.push(set.breakpointId);
      out.push(undefined);
    }
    return out;
  }

  private async setExceptionBreakpoints(args: Record<string, unknown>): Promise<DAP.SetExceptionBreakpointsResponse["body"]> {
    const filters = args["filters"];
    if (!Array.isArray(filters) || filters.some((f) => typeof f !== "string"))
      throw new DapError("setExceptionBreakpoints: arguments.filters must be an array of strings");
    const unknown = filters.find((f) => !EXCEPTION_FILTERS.some((e) => e.filter === f));
    if (unknown !== undefined)
      throw new DapError(`setExceptionBreakpoints: unknown filter '${unknown}' (${EXCEPTION_FILTERS.map((e) => e.filter).join(", ")})`);
    this.exceptionFilters = filters as string[];
    for (const t of [...this.threads.values()]) {
      if (t.id === MAIN_THREAD) await this.applyExceptionFilters(t);
      else await this.applyExceptionFilters(t).catch((err: unknown) => this.threadFailed(t, err));
    }
    return { breakpoints: filters.map(() => ({ verified: true })) };
  }

  private async applyExceptionFilters(t: ThreadTarget): Promise<void> {
    // "uncaught" pauses on every exception too, and the adapter decides (catch_scan.ts): the
    // kernel catches what a cell throws, so V8 would call nothing uncaught
    const all = this.exceptionFilters.includes("raised");
    const uncaught = !all && this.exceptionFilters.includes("uncaught");
    await t.cdp.post("Debugger.setPauseOnExceptions", { state: all || uncaught ? "all" : "none" });
    // the awaiting callers of an async function are where it is caught: kept only for this filter
    await t.cdp.post("Debugger.setAsyncCallStackDepth", { maxDepth: uncaught ? ASYNC_STACK_DEPTH : 0 });
  }

  /**
   * For the "uncaught" filter: does a frame of the stack, or an awaiting caller, stop inside a
   * `try` block of its own function (catch_scan.ts)? The kernel's frames do not count.
   */
  private async caughtByUser(t: ThreadTarget, p: Debugger.PausedEventDataType): Promise<boolean> {
    const places: Array<{ scriptId: string; lineNumber: number; columnNumber?: number }> = p.callFrames.map((f) => f.location);
    for (let a = p.asyncStackTrace; a; a = a.parent) places.push(...a.callFrames);
    for (const at of places) {
      if (!t.urls.has(at.scriptId)) continue;
      let map = t.tryMaps.get(at.scriptId);
      if (map === undefined) {
        const { scriptSource } = await t.cdp.post<{ scriptSource: string }>("Debugger.getScriptSource", { scriptId: at.scriptId });
        map = await tryMap(scriptSource);
        if (t.tryMaps.size >= 64) t.tryMaps.delete(t.tryMaps.keys().next().value!);
        t.tryMaps.set(at.scriptId, map);
      }
      if (catchesAt(map, at.lineNumber, at.columnNumber ?? 0)) return true;
    }
    return false;
  }

  /** Script URL patterns of the kernel's own code and of packages: stepping goes through them. */
  private kernelPatterns(): string[] {
    const root = this.options.kernelRoot;
    const places = [`${root}/dist/`, `${root}/node_modules/`];
    return [
      ...places.flatMap((p) => [`^${escapeRegex(pathToFileURL(p).href)}`, `^${escapeRegex(p)}`]),
      "^node:",
      "/node_modules/",
      "^<ts-async-kernel",
      "^evalmachine\\.",
    ];
  }

  /** Is a script URL the kernel's own code (its frames are hidden)? */
  private kernelUrl(url: string): boolean {
    if (url === "" || url.startsWith("node:") || url.startsWith("<ts-async-kernel") || url.startsWith("evalmachine.")) return true;
    const path = url.startsWith("file://") ? safePath(url) : url;
    const root = this.options.kernelRoot;
    return path.startsWith(`${root}/dist/`) || path.startsWith(`${root}/node_modules/`);
  }

  // ---- pausing

  private async onPaused(t: ThreadTarget, p: Debugger.PausedEventDataType): Promise<void> {
    if (t.closed) return;
    const { cdp } = t;
    if ((p.reason as string) === "Break on start") {
      // a worker that started while attached waited for its breakpoints (workerStarted): on it goes
      await cdp.post("Debugger.resume").catch(() => {});
      return;
    }
    if (p.reason === "instrumentation") {
      // before a script with a source map runs: a cell whose lines moved
      try {
        await this.movedScript(t, p.data as { scriptId: string; url: string });
      } catch (err) {
        this.options.log.warn({ err }, "debugger: cannot move the breakpoints of a cell tsc compiled");
      }
      await cdp.post("Debugger.resume").catch(() => {});
      return;
    }
    const generation = ++t.generation;
    t.firstReason ??= this.reasonOf(t, p);
    const top = p.callFrames[0];
    // a statement the transform inserted: on to the user's next one
    if (top && t.autoSteps < MAX_AUTO_STEPS && (await this.inserted(t, top))) {
      if (generation !== t.generation) return;
      t.autoSteps++;
      await cdp.post("Debugger.stepOver").catch(() => {});
      return;
    }
    let frames: Frame[];
    try {
      frames = await this.frames(t, p.callFrames);
    } catch (err) {
      if (!t.closed) this.options.log.warn({ err, thread: t.name }, "debugger: cannot read the stack of a pause");
      frames = [];
    }
    if (generation !== t.generation || t.closed) return;
    const reason = t.firstReason;
    if (frames.length === 0 || frames[0]!.callFrameId !== top?.callFrameId) {
      // paused outside the user's code (a script's closing line, the kernel's code): go on
      // as the user asked, stepping or running
      if (t.stepping && t.autoSteps < MAX_AUTO_STEPS) {
        t.autoSteps++;
        await cdp.post("Debugger.stepOver").catch(() => {});
      } else {
        // (a pause asked for stays asked: askPause tries again, until it lands in the user's code)
        const asked = t.pauseAsked;
        t.resetStop();
        t.pauseAsked = asked;
        await cdp.post("Debugger.resume").catch(() => {});
      }
      return;
    }
    const exception = p.reason === "exception" || p.reason === "promiseRejection";
    if (exception && !this.exceptionFilters.includes("raised") && (await this.caughtByUser(t, p).catch(() => false))) {
      // the "uncaught" filter, and the user's code catches this one
      if (generation !== t.generation || t.closed) return;
      const asked = t.pauseAsked;
      t.resetStop();
      t.pauseAsked = asked;
      await cdp.post("Debugger.resume").catch(() => {});
      return;
    }
    t.resetStop();
    t.paused = { frames, firstFrameId: this.nextFrameId, refs: new Map() };
    this.nextFrameId += frames.length;
    // the main thread's stop holds the threads' cells too (they wait on it); a worker's holds no other
    const body: DAP.StoppedEvent["body"] = { reason, threadId: t.id, allThreadsStopped: t.id === MAIN_THREAD };
    if (reason === "exception") {
      const data = p.data as Runtime.RemoteObject | undefined;
      // its first line (`Error: message`): the rest is V8's stack, with the scripts' names
      if (data) body.text = (data.description ?? valueText(data)).split("\n", 1)[0];
      body.description = "Paused on exception";
    }
    this.emit("stopped", body);
  }

  /**
   * Stop thread `t` where it is, in the user's code. V8 drops a pause asked for while only
   * blackboxed code runs (the kernel's, between cells) and may stop in Node's internals (then the
   * adapter resumes): asked again until a stop is reported, for a while.
   */
  private askPause(t: ThreadTarget): void {
    t.pauseAsked = true;
    const until = performance.now() + PAUSE_RETRY_MS;
    const ask = (): void => {
      if (!t.pauseAsked || t.closed || t.paused !== undefined || performance.now() > until) {
        clearInterval(timer);
        return;
      }
      if (!t.threadPaused) void t.cdp.post("Debugger.pause").catch(() => {});
    };
    const timer = setInterval(ask, 25);
    ask();
  }

  /**
   * A cell's script whose lines are not the cell's is about to run: learn where the cell's lines
   * are in it (the shell's position maps), and set that cell's breakpoints there, by script id,
   * instead of on its URL (where they would be on the cell's line numbers).
   */
  private async movedScript(t: ThreadTarget, data: { scriptId: string; url: string }): Promise<void> {
    if (!isCellScript(data.url ?? "")) return;
    const lines = await t.view<number[] | null>(`${DEBUG_VIEW_GLOBAL}.scriptLines(${JSON.stringify(data.url)})`);
    if (!lines) return;
    t.moved.set(data.url, { scriptId: data.scriptId, lines });
    for (const [path, entry] of this.breakpoints) {
      if (this.options.files.cellAt(path)?.url !== data.url) continue;
      for (const id of t.placed.get(path) ?? []) await t.cdp.post("Debugger.removeBreakpoint", { breakpointId: id }).catch(() => {});
      await this.place(t, path, entry);
    }
  }

  private reasonOf(t: ThreadTarget, p: Debugger.PausedEventDataType): string {
    if (p.reason === "exception" || p.reason === "promiseRejection") return "exception";
    if ((p.hitBreakpoints?.length ?? 0) > 0) return "breakpoint";
    if (t.stepping) return "step";
    if (t.pauseAsked) return "pause";
    // a `debugger;` statement
    return "breakpoint";
  }

  /** The request needs thread `t` stopped. */
  private stopped(t: ThreadTarget, command: string): Paused {
    if (t.paused === undefined || t.closed)
      throw new DapError(
        `${command}: ${t.id === MAIN_THREAD ? "the kernel" : `thread ${t.id} (${t.name})`} is not stopped at a breakpoint`,
      );
    return t.paused;
  }

  private async resume(t: ThreadTarget): Promise<void> {
    t.leavePause();
    await t.cdp.post("Debugger.resume");
  }

  /** Is the top frame at a statement the transform inserted (not the user's)? */
  private async inserted(t: ThreadTarget, frame: Debugger.CallFrame): Promise<boolean> {
    const { scriptId, lineNumber, columnNumber = 0 } = frame.location;
    if (!isCellScript(t.urls.get(scriptId) ?? "")) return false;
    let lines = t.sources.get(scriptId);
    if (lines === undefined) {
      const { scriptSource } = await t.cdp.post<{ scriptSource: string }>("Debugger.getScriptSource", { scriptId });
      lines = scriptSource.split(/\r\n?|[\n\u2028\u2029]/);
      if (t.sources.size >= 64) t.sources.delete(t.sources.keys().next().value!);
      t.sources.set(scriptId, lines);
    }
    const text = (lines[lineNumber] ?? "").slice(columnNumber);
    return INSERTED_STATEMENTS.some((s) => text.startsWith(s));
  }

  /** The frames the user sees: cells (named and placed by the thread's shell) and the notebook's files. */
  private async frames(t: ThreadTarget, callFrames: Debugger.CallFrame[]): Promise<Frame[]> {
    const cells: Array<[string, number, number]> = [];
    for (const f of callFrames) {
      const url = t.urls.get(f.location.scriptId) ?? "";
      if (isCellScript(url)) cells.push([url, f.location.lineNumber + 1, (f.location.columnNumber ?? 0) + 1]);
    }
    // the output the cell printed before the pause goes out too (a plain worker has neither)
    const located = t.plain
      ? []
      : await t.view<Array<CellLocation | null>>(`(${DEBUG_VIEW_GLOBAL}.flush(), ${DEBUG_VIEW_GLOBAL}.locate(${JSON.stringify(cells)}))`);
    const frames: Frame[] = [];
    let k = 0;
    for (const f of callFrames) {
      const url = t.urls.get(f.location.scriptId) ?? "";
      const topLevel = !f.scopeChain.some((s) => s.type === "local");
      const fn = f.functionName || "<anonymous>";
      const common = { callFrameId: f.callFrameId, scopeChain: f.scopeChain, topLevel };
      if (isCellScript(url)) {
        const at = located[k++];
        if (!at) continue;
        const path = at.source === undefined ? undefined : this.options.files.shown(at.source);
        frames.push({
          ...common,
          name: topLevel ? at.name : `${fn} (${at.name})`,
          source: path === undefined ? { name: at.name } : { name: at.name, path },
          line: at.line,
          column: at.column ?? 1,
        });
      } else if (!this.kernelUrl(url)) {
        const path = url.startsWith("file://") ? safePath(url) : url;
        frames.push({
          ...common,
          name: fn,
          source: { name: path.split("/").pop() ?? path, path },
          line: f.location.lineNumber + 1,
          column: (f.location.columnNumber ?? 0) + 1,
        });
      }
    }
    return frames;
  }

  // ---- while stopped

  private stackTrace(args: Record<string, unknown>): DAP.StackTraceResponse["body"] {
    const paused = this.stopped(this.threadOf(args, "stackTrace"), "stackTrace");
    const start = optInt(args, "startFrame", "stackTrace") ?? 0;
    const levels = optInt(args, "levels", "stackTrace") ?? 0;
    const frames = paused.frames.map((f, k) => ({
      id: paused.firstFrameId + k,
      name: f.name,
      line: f.line,
      column: f.column,
      ...(f.source ? { source: f.source } : {}),
    }));
    return { stackFrames: frames.slice(start, levels > 0 ? start + levels : undefined), totalFrames: frames.length };
  }

  /** The frame a request names (frame ids are unique across threads), with its thread. */
  private frameOf(args: Record<string, unknown>, command: string, optional = false): { t: ThreadTarget; frame: Frame; paused: Paused } {
    let id = optional ? optInt(args, "frameId", command) : int(args, "frameId", command);
    if (id === undefined) {
      // (evaluate without a frame: the top one of the stopped thread)
      const t = this.threadOf({}, command);
      id = this.stopped(t, command).firstFrameId;
    }
    const stopped = [...this.threads.values()].filter((x) => x.paused !== undefined && !x.closed);
    if (stopped.length === 0) throw new DapError(`${command}: the kernel is not stopped at a breakpoint`);
    for (const t of stopped) {
      const frame = t.frame(id);
      if (frame !== undefined) return { t, frame, paused: t.paused! };
    }
    throw new DapError(`${command}: no frame ${id} in this stop`);
  }

  private scopes(args: Record<string, unknown>): DAP.ScopesResponse["body"] {
    const { t, frame, paused } = this.frameOf(args, "scopes");
    const ids = (types: string[]) =>
      frame.scopeChain.filter((s) => types.includes(s.type) && s.object.objectId).map((s) => s.object.objectId!);
    const ref = (r: Ref) => {
      const n = this.nextRef++;
      paused.refs.set(n, r);
      return n;
    };
    const scopes: DAP.Scope[] = [];
    const locals = ids(["local", "block", "catch", "with"]);
    if (t.plain) {
      // a worker of the notebook's code: its scopes as V8 has them (no notebook there)
      const scope = (name: string, types: string[], expensive = false): DAP.Scope[] => {
        const objectIds = ids(types);
        return objectIds.length === 0 ? [] : [{ name, expensive, variablesReference: ref({ kind: "scopes", objectIds, notebook: false }) }];
      };
      return {
        scopes: [
          ...scope("Locals", ["local", "block", "catch", "with"]).map((s) => ({ ...s, presentationHint: "locals" })),
          ...scope("Closure", ["closure"]),
          ...scope("Module", ["module", "script"]),
          ...scope("Globals", ["global"], true),
        ],
      };
    }
    if (frame.topLevel) {
      // a cell's top level: its names are the notebook's
      scopes.push({
        name: "Locals",
        presentationHint: "locals",
        expensive: false,
        variablesReference: ref({ kind: "scopes", objectIds: locals, notebook: true }),
      });
      return { scopes };
    }
    scopes.push({
      name: "Locals",
      presentationHint: "locals",
      expensive: false,
      variablesReference: ref({ kind: "scopes", objectIds: locals, notebook: false }),
    });
    const closures = ids(["closure"]);
    if (closures.length > 0)
      scopes.push({ name: "Closure", expensive: false, variablesReference: ref({ kind: "scopes", objectIds: closures, notebook: false }) });
    scopes.push({ name: "Globals", expensive: false, variablesReference: ref({ kind: "scopes", objectIds: [], notebook: true }) });
    return { scopes };
  }

  private async variables(args: Record<string, unknown>): Promise<DAP.VariablesResponse["body"]> {
    // while stopped, the stop's references (in whichever thread); else those of the last inspectVariables
    const n = int(args, "variablesReference", "variables");
    const t = [...this.threads.values()].find((x) => x.paused?.refs.has(n)) ?? this.main;
    const refs = t?.paused?.refs ?? this.idleRefs;
    const r = t ? refs.get(n) : undefined;
    if (r === undefined)
      throw new DapError(
        `variables: no variablesReference ${n} (references last while the kernel stays stopped, or until the next inspectVariables)`,
      );
    const start = optInt(args, "start", "variables") ?? 0;
    const count = optInt(args, "count", "variables") ?? 0;
    const { cdp } = t!;
    const properties: Runtime.PropertyDescriptor[] = [];
    const internal: Runtime.InternalPropertyDescriptor[] = [];
    const read = async (objectId: string) => {
      const got = await cdp.post<{ result: Runtime.PropertyDescriptor[]; internalProperties?: Runtime.InternalPropertyDescriptor[] }>(
        "Runtime.getProperties",
        { objectId, ownProperties: true, generatePreview: true },
      );
      properties.push(...got.result);
      if (r.kind === "object") internal.push(...(got.internalProperties ?? []).filter((p) => SHOWN_INTERNALS.has(p.name)));
    };
    if (r.kind === "object") await read(r.objectId);
    else {
      for (const id of r.objectIds) await read(id);
      if (r.notebook) {
        const nb = await cdp.post<{ result: Runtime.RemoteObject }>("Runtime.evaluate", {
          expression: `${DEBUG_VIEW_GLOBAL}.notebook()`,
          objectGroup: "dap",
          silent: true,
        });
        if (nb.result.objectId) await read(nb.result.objectId);
      }
    }
    const seen = new Set<string>();
    const variables: DAP.Variable[] = [];
    for (const p of [...internal.map((i) => ({ name: i.name, value: i.value })), ...properties]) {
      // the kernel's own names (guards, runtime) and, in a scope, the first binding of a name only
      if (p.name.startsWith("__tsak_") || seen.has(p.name)) continue;
      seen.add(p.name);
      const value = "value" in p ? p.value : undefined;
      if (value === undefined) {
        variables.push({ name: p.name, value: "(…)", type: "accessor", variablesReference: 0 });
        continue;
      }
      variables.push(this.variable(refs, p.name, value));
    }
    return { variables: count > 0 ? variables.slice(start, start + count) : variables.slice(start) };
  }

  private variable(refs: Map<number, Ref>, name: string, value: Runtime.RemoteObject): DAP.Variable {
    let reference = 0;
    if (expandable(value)) {
      reference = this.nextRef++;
      refs.set(reference, { kind: "object", objectId: value.objectId! });
    }
    return { name, value: valueText(value), type: valueType(value), variablesReference: reference };
  }

  private async evaluate(args: Record<string, unknown>): Promise<DAP.EvaluateResponse["body"]> {
    const expression = str(args, "expression", "evaluate");
    const { t, frame, paused } = this.frameOf(args, "evaluate", true);
    // TypeScript → JavaScript by the stopped thread's shell (a thread with none yet runs no cell: as typed)
    const js = await t.cdp.post<{ result: Runtime.RemoteObject; exceptionDetails?: Runtime.ExceptionDetails }>(
      "Debugger.evaluateOnCallFrame",
      {
        callFrameId: frame.callFrameId,
        expression: `typeof ${DEBUG_VIEW_GLOBAL} === "object" ? ${DEBUG_VIEW_GLOBAL}.expression(${JSON.stringify(expression)}, ${frame.topLevel}) : ${JSON.stringify(expression)}`,
        returnByValue: true,
        silent: true,
      },
    );
    if (js.exceptionDetails) throw new DapError(thrownText(js.exceptionDetails));
    const r = await t.cdp.post<{ result: Runtime.RemoteObject; exceptionDetails?: Runtime.ExceptionDetails }>(
      "Debugger.evaluateOnCallFrame",
      { callFrameId: frame.callFrameId, expression: String(js.result.value), objectGroup: "dap", generatePreview: true, silent: true },
    );
    if (r.exceptionDetails) throw new DapError(thrownText(r.exceptionDetails));
    const shown = this.variable(paused.refs, expression, r.result);
    return { result: shown.value, type: shown.type, variablesReference: shown.variablesReference };
  }

  /**
   * The notebook's names and values, stopped or not (JupyterLab asks at every output of a cell
   * while its debugger is on, for its Variables panel). The main thread answers through the
   * inspector even while a cell runs. Requests that come while one is answered share its answer.
   * Without a session (before attach) there is nothing to ask: no variables.
   */
  private inspectVariables(): Promise<{ variables: DAP.Variable[] }> {
    const cdp = this.main?.cdp;
    if (!cdp) return Promise.resolve({ variables: [] });
    this.inspecting ??= (async () => {
      try {
        await cdp.post("Runtime.releaseObjectGroup", { objectGroup: "inspect" });
        this.idleRefs.clear();
        const nb = await cdp.post<{ result: Runtime.RemoteObject }>("Runtime.evaluate", {
          expression: `${DEBUG_VIEW_GLOBAL}.notebook()`,
          objectGroup: "inspect",
          silent: true,
        });
        if (!nb.result.objectId) return { variables: [] };
        const got = await cdp.post<{ result: Runtime.PropertyDescriptor[] }>("Runtime.getProperties", {
          objectId: nb.result.objectId,
          ownProperties: true,
          generatePreview: true,
        });
        return { variables: got.result.filter((p) => p.value !== undefined).map((p) => this.variable(this.idleRefs, p.name, p.value!)) };
      } finally {
        this.inspecting = undefined;
      }
    })();
    return this.inspecting;
  }

  /**
   * A variable's display bundle, what a cell's result shows (Jupyter's addition to DAP; JupyterLab's
   * "Render Variable"): the name in the given frame while stopped, else the notebook's.
   */
  private async richInspectVariables(args: Record<string, unknown>): Promise<{ data: object; metadata: object }> {
    const command = "richInspectVariables";
    const name = variableName(args, "variableName", command);
    const main = this.main;
    if (!main) throw new DapError(`${command}: the debugger is not attached (send attach first)`);
    const shown =
      args["frameId"] !== undefined && [...this.threads.values()].some((t) => t.paused !== undefined)
        ? await this.onFrame<Bundle>(this.frameOf(args, command), `${DEBUG_VIEW_GLOBAL}.bundle(${name})`, command)
        : await main.view<Bundle>(`${DEBUG_VIEW_GLOBAL}.bundleOf(${JSON.stringify(name)})`).catch((err: Error) => {
            throw new DapError(`${command}: ${firstLine(err.message)}`);
          });
    // metadata only of the types there are (as ipykernel sends it)
    const metadata = Object.fromEntries(Object.entries(shown.metadata).filter(([mime]) => mime in shown.data));
    return { data: shown.data, metadata };
  }

  /**
   * Copy a variable of a stopped frame into the notebook (Jupyter's addition to DAP): later cells
   * and the Globals scope have it. shell.ts `adopt` says what may be assigned.
   */
  private async copyToGlobals(args: Record<string, unknown>): Promise<undefined> {
    const command = "copyToGlobals";
    const from = variableName(args, "srcVariableName", command);
    const to = variableName(args, "dstVariableName", command);
    const frame = this.frameOf({ frameId: int(args, "srcFrameId", command) }, command);
    await this.onFrame(frame, `${DEBUG_VIEW_GLOBAL}.adopt(${JSON.stringify(to)}, ${from})`, command);
    return undefined;
  }

  /**
   * The files the notebook has loaded, its own and its packages' (V8's scripts with a file URL or
   * path; not the kernel's, not Node's, not cells): JupyterLab's Kernel Sources panel, asked after
   * every execution. Each opens with `source`.
   */
  private modules(args: Record<string, unknown>): DAP.ModulesResponse["body"] {
    const start = optInt(args, "startModule", "modules") ?? 0;
    const count = optInt(args, "moduleCount", "modules") ?? 0;
    const paths = new Set<string>();
    for (const url of [...this.threads.values()].flatMap((t) => [...t.urls.values()]))
      if (url.startsWith("file://") || url.startsWith("/")) paths.add(url.startsWith("file://") ? safePath(url) : url);
    const all = [...paths].sort().map((path, id) => ({ id, name: moduleName(path), path }));
    return { modules: all.slice(start, count > 0 ? start + count : undefined), totalModules: all.length };
  }

  /** Evaluate `expression` in a stopped frame; its value as JSON, or its exception as the request's message. */
  private async onFrame<T>({ t, frame }: { t: ThreadTarget; frame: Frame }, expression: string, command: string): Promise<T> {
    if (t.plain) throw new DapError(`${command}: thread ${t.id} (${t.name}) is a worker of the notebook's code, not of its cells`);
    const r = await t.cdp.post<{ result: Runtime.RemoteObject; exceptionDetails?: Runtime.ExceptionDetails }>(
      "Debugger.evaluateOnCallFrame",
      { callFrameId: frame.callFrameId, expression, returnByValue: true, silent: true },
    );
    if (r.exceptionDetails) throw new DapError(`${command}: ${firstLine(thrownText(r.exceptionDetails))}`);
    return r.result.value as T;
  }

  private source(args: Record<string, unknown>): DAP.SourceResponse["body"] {
    const source = obj(args, "source", "source");
    const path = str(source, "path", "source", "source.path");
    try {
      return { content: readFileSync(path, "utf8") };
    } catch {
      throw new DapError(`source: source unavailable: ${path}`);
    }
  }

  private emit(event: string, body?: object): void {
    this.options.event({ seq: ++this.seq, type: "event", event, ...(body === undefined ? {} : { body }) });
  }
}

/** Internal properties worth showing when an object is expanded. */
const SHOWN_INTERNALS = new Set([
  "[[Entries]]",
  "[[PrimitiveValue]]",
  "[[PromiseState]]",
  "[[PromiseResult]]",
  "[[Target]]",
  "[[Handler]]",
]);

function capabilities(): DAP.Capabilities {
  return {
    supportsConfigurationDoneRequest: true,
    supportsConditionalBreakpoints: true,
    supportsEvaluateForHovers: true,
    exceptionBreakpointFilters: EXCEPTION_FILTERS,
  };
}

type Bundle = { data: Record<string, unknown>; metadata: Record<string, unknown> };

function variableName(args: Record<string, unknown>, name: string, command: string): string {
  const v = str(args, name, command);
  if (!IDENTIFIER.test(v)) throw new DapError(`${command}: arguments.${name} '${v}' is not a variable name`);
  return v;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? text;
}

/** What the Kernel Sources panel calls a file: from its package on for a package's, else its path. */
function moduleName(path: string): string {
  const at = path.lastIndexOf("/node_modules/");
  return at >= 0 ? path.slice(at + "/node_modules/".length) : path;
}

/** Set a thread's DEBUGGING_GLOBAL (shell/debug_view.ts): there before its Shell may be. */
async function debugging(t: ThreadTarget, on: boolean): Promise<void> {
  const expression = `Object.defineProperty(globalThis, ${JSON.stringify(DEBUGGING_GLOBAL)}, { value: ${on}, writable: true, configurable: true, enumerable: false })`;
  await t.cdp.post("Runtime.evaluate", { expression, silent: true });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function obj(args: Record<string, unknown>, name: string, command: string): Record<string, unknown> {
  const v = args[name];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new DapError(`${command}: arguments.${name} must be an object`);
  return v as Record<string, unknown>;
}

function str(args: Record<string, unknown>, name: string, command: string, shown = name): string {
  const v = args[name];
  if (typeof v !== "string") throw new DapError(`${command}: arguments.${shown} must be a string`);
  return v;
}

function int(args: Record<string, unknown>, name: string, command: string): number {
  const v = args[name];
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new DapError(`${command}: arguments.${name} must be a non-negative integer`);
  return v as number;
}

function optInt(args: Record<string, unknown>, name: string, command: string): number | undefined {
  return args[name] === undefined ? undefined : int(args, name, command);
}
