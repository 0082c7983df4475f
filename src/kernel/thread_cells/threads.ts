/**
 * The main thread's side of `// thread` cells: a small pool of anonymous thread workers (an idle
 * one is reused, at most MAX_IDLE are kept) and the named ones (`// thread name=render`: reused by
 * name, so their globals persist from cell to cell).
 *
 * Each worker (worker.ts) has its own Shell; a cell's output comes back as plain events that are
 * replayed here into the cell's `CellOutput` (so the Outbox gives them the cell's parent), then
 * its outcome. Cancelling a cell (interrupt, timeout, stop_on_error) rejects its awaits in the
 * thread, and an interrupt also raises the thread's attention flag, which stops the cell's own
 * code wherever it runs (rewrite.ts `instrument`). A cell that still does not settle within
 * CANCEL_GRACE_MS (a package's loop, or a timeout of a loop) has its thread terminated, and
 * loses that thread's globals.
 *
 * Comms a thread's code opens belong to that thread: their messages come back as output events
 * (the main thread publishes them and tells the kernel's comm router, comms.ts), and the
 * frontend's messages for them are delivered here (`deliver`, a CommOwner). A pool thread that
 * holds comms is never ended for being idle; a thread that ends takes its comms with it.
 *
 * The workers hold no zeromq sockets, so terminating them is always safe.
 */
import { URL } from "node:url";
import { Worker } from "node:worker_threads";
import type { CommInbound, CommOwner } from "../../comm/index.js";
import type { ManagerState } from "../../widgets/index.js";
import { backendNames } from "../../event_loop/backend.js";
import type { CellOutput } from "../../shell/output.js";
import type { ExecuteOutcome } from "../../shell/shell.js";
import { cancelError } from "../cancel.js";
import { CellSettingsError, type ThreadTarget } from "../cell_settings.js";
import type { ThreadCommHost } from "../comms.js";
import type { Language } from "../kernel_info.js";
import type { Log } from "../log.js";
import type { CancelReason, FromThread, ThreadWorkerData, ToThread } from "./protocol.js";
import { ATTENTION_INTERRUPT, newAttention, raiseDeadline } from "../../shell/attention.js";
import { setTimeout } from "node:timers";

/** Idle anonymous threads kept for reuse; more are ended when their cell finishes. */
const MAX_IDLE = 2;
/** How long a cancelled thread cell may take to settle before its thread is terminated. */
const CANCEL_GRACE_MS = 1000;
/** Finished cells whose late output (timers, promises) is still routed to them, per thread. */
const LATE_OUTPUTS = 64;
const DEFAULT_BACKEND = "node";

export interface ThreadCell {
  code: string;
  cellName: string;
  output: CellOutput;
  timeoutSeconds?: number;
  userExpressions?: Record<string, unknown>;
}

export interface ThreadResult {
  outcome: ExecuteOutcome;
  userExpressions?: Record<string, unknown>;
}

export interface RunningThreadCell {
  result: Promise<ThreadResult>;
  cancel(reason: CancelReason): void;
}

export interface ThreadCellsOptions {
  /** The kernel's comms (the router of frontend comm messages); none: threads' comm messages are dropped. */
  comms?: ThreadCommHost;
  cwd: string;
  language: Language;
  log: Log;
}

interface Cell {
  output: CellOutput;
  resolve: (r: ThreadResult) => void;
  cancelled?: CancelReason;
}

function errorOutcome(ename: string, evalue: string): ExecuteOutcome {
  return { status: "error", error: { ename, evalue, traceback: [`\u001b[0;31m${ename}\u001b[0m: ${evalue}`] }, interrupted: ename === "KernelInterrupt" };
}

class ThreadWorker implements CommOwner<CellOutput> {
  readonly worker: Worker;
  /** Raised to interrupt: stops the thread's cell code even in a loop that never awaits. */
  private readonly attention = newAttention();
  private readonly cells = new Map<number, Cell>();
  /** Frontend comm messages being handled here, by id: where their handlers' output goes. */
  private readonly commCalls = new Map<number, { output: CellOutput; done: () => void }>();
  private readonly comms: ThreadCommHost | undefined;
  private readonly stateRequests = new Map<number, (s: ManagerState | undefined) => void>();
  private readonly late = new Map<number, CellOutput>();
  private nextId = 1;
  /** Why the thread ended (or could not start), for the cells it leaves. */
  private failure?: string;
  private stopping = false;
  ended = false;

  constructor(
    readonly backend: string,
    readonly loop: string | undefined,
    readonly name: string | undefined,
    options: ThreadCellsOptions,
    private readonly onIdle: (w: ThreadWorker) => void,
    private readonly onEnd: (w: ThreadWorker) => void,
  ) {
    this.comms = options.comms;
    const data: ThreadWorkerData = { cwd: options.cwd, language: options.language, backend, attention: this.attention.buffer as SharedArrayBuffer };
    if (loop) data.loop = loop;
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: data, name: name ? `thread cell ${name}` : "thread cell" });
    // Idle threads never keep the kernel alive (it exits on shutdown regardless).
    this.worker.unref();
    this.worker.on("message", (m: FromThread) => this.onMessage(m));
    this.worker.on("error", (err) => {
      this.failure ??= `the thread failed: ${err.message}`;
      options.log.error({ err, thread: name }, "thread-cell worker failed");
    });
    this.worker.on("exit", (code) => this.onExit(code));
  }

  get busy(): boolean {
    return this.cells.size > 0;
  }

  run(cell: ThreadCell): RunningThreadCell {
    const id = this.nextId++;
    const result = new Promise<ThreadResult>((resolve) => this.cells.set(id, { output: cell.output, resolve }));
    if (this.ended) {
      this.settleAll();
    } else {
      const msg: ToThread = { type: "run", id, code: cell.code, cellName: cell.cellName };
      if (cell.timeoutSeconds) msg.timeoutSeconds = cell.timeoutSeconds;
      if (cell.userExpressions) msg.userExpressions = cell.userExpressions;
      this.worker.postMessage(msg);
    }
    return { result, cancel: (reason) => this.cancel(id, reason) };
  }

  /** A frontend message for a comm (or a target) of this thread; settles when its handlers have. */
  deliver(msg: CommInbound, output: CellOutput): Promise<void> {
    if (this.ended) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((done) => {
      this.commCalls.set(id, { output, done });
      this.worker.postMessage({ type: "comm", id, msg } satisfies ToThread);
    });
  }

  /** The state of this thread's widgets; undefined if it does not answer within `timeoutMs` (busy). */
  widgetStates(timeoutMs: number): Promise<ManagerState | undefined> {
    if (this.ended) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stateRequests.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.stateRequests.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.worker.postMessage({ type: "widget_states", id } satisfies ToThread);
    });
  }

  /** Cancel every running cell (an interrupt); how many there were. */
  cancelAll(reason: CancelReason): number {
    const ids = [...this.cells.keys()];
    // the thread lowers the flag when it handles the cancel
    if (ids.length > 0 && reason.kind === "interrupt") Atomics.store(this.attention, 0, ATTENTION_INTERRUPT);
    for (const id of ids) this.cancel(id, reason);
    // Comm handlers (a widget's observer in a loop) stop at their guards too; the thread lowers the
    // flag once they have given the thread back.
    if (ids.length === 0 && this.commCalls.size > 0 && reason.kind === "interrupt" && !this.ended) {
      Atomics.store(this.attention, 0, ATTENTION_INTERRUPT);
      this.worker.postMessage({ type: "interrupted" } satisfies ToThread);
    }
    return ids.length + this.commCalls.size;
  }

  terminate(): void {
    this.stopping = true;
    void this.worker.terminate();
  }

  private cancel(id: number, reason: CancelReason): void {
    const cell = this.cells.get(id);
    if (!cell || cell.cancelled || this.ended) return;
    cell.cancelled = reason;
    // its deadline token is its id: the cell's code stops at its next guard (the thread lowers it)
    if (reason.kind === "timeout") raiseDeadline(this.attention, id);
    this.worker.postMessage({ type: "cancel", id, reason } satisfies ToThread);
    // A synchronous loop never sees the cancel: end the thread (the only way to stop it).
    setTimeout(() => {
      if (this.cells.get(id) === cell) this.terminate();
    }, CANCEL_GRACE_MS).unref();
  }

  private onMessage(m: FromThread): void {
    switch (m.type) {
      case "output":
        for (const { id, event } of m.events) {
          const out = this.cells.get(id)?.output ?? this.commCalls.get(id)?.output ?? this.late.get(id);
          if (event.kind === "comm") {
            // Never dropped: the frontend's widgets must stay in step with the thread's.
            this.comms?.noteOutbound(this, event.msg);
            (out?.comm ? out : this.comms?.orphans)?.comm?.(event.msg);
            continue;
          }
          if (!out) continue;
          if (event.kind === "stream") out.stream(event.name, event.text);
          else if (event.kind === "display") out.display(event.data, event.options);
          else out.clearOutput(event.wait);
        }
        break;
      case "done": {
        const cell = this.cells.get(m.id);
        if (!cell) return;
        this.cells.delete(m.id);
        this.keepLate(m.id, cell.output);
        cell.resolve(m.userExpressions ? { outcome: m.outcome, userExpressions: m.userExpressions } : { outcome: m.outcome });
        if (!this.busy) this.onIdle(this);
        break;
      }
      case "comm_done": {
        const call = this.commCalls.get(m.id);
        if (!call) return;
        this.commCalls.delete(m.id);
        this.keepLate(m.id, call.output);
        call.done();
        break;
      }
      case "widget_states": {
        const answer = this.stateRequests.get(m.id);
        this.stateRequests.delete(m.id);
        answer?.(m.states);
        break;
      }
      case "comm_targets":
        this.comms?.setTargets(this, m.names);
        break;
      case "failed":
        this.failure = `the thread could not start: ${m.message}`;
        break;
    }
  }

  /** Output that comes after a cell or comm handler settled (timers) still reaches its parent. */
  private keepLate(id: number, output: CellOutput): void {
    this.late.set(id, output);
    if (this.late.size > LATE_OUTPUTS) this.late.delete(this.late.keys().next().value!);
  }

  private onExit(code: number): void {
    this.ended = true;
    this.onEnd(this);
    this.settleAll(code);
    for (const call of this.commCalls.values()) call.done();
    for (const answer of this.stateRequests.values()) answer(undefined);
    this.stateRequests.clear();
    this.commCalls.clear();
    this.comms?.ownerGone(this);
  }

  /** The thread is gone: every cell still running there fails, saying why. */
  private settleAll(code?: number): void {
    const lost = this.name ? `; the globals of thread "${this.name}" are gone` : "";
    for (const [id, cell] of this.cells) {
      this.cells.delete(id);
      if (cell.cancelled) {
        const err = cancelError(cell.cancelled);
        cell.resolve({ outcome: errorOutcome(err.name, `${err.message} (the thread did not stop by itself, so it was ended${lost})`) });
      } else {
        const why = this.failure ?? (this.stopping ? "the kernel stopped the thread" : `the thread ended (exit code ${code ?? "unknown"}; process.exit() in a thread cell ends its thread)`);
        cell.resolve({ outcome: errorOutcome("ThreadEnded", `${why}${lost}`) });
      }
    }
  }
}

export class ThreadCells {
  private readonly idle: ThreadWorker[] = [];
  private readonly named = new Map<string, ThreadWorker>();
  private readonly live = new Set<ThreadWorker>();
  private closed = false;

  constructor(private readonly options: ThreadCellsOptions) {}

  /**
   * Run a cell in the thread `target` names (a pool thread without a name).
   * @throws CellSettingsError for a backend that does not exist, or a named thread asked for
   *   with other settings than it runs with.
   */
  run(target: ThreadTarget, cell: ThreadCell): RunningThreadCell {
    if (this.closed) throw new Error("the kernel is shutting down");
    const backend = target.backend ?? DEFAULT_BACKEND;
    if (!backendNames().includes(backend)) {
      throw new CellSettingsError(`unknown thread backend "${backend}": expected one of ${backendNames().join(", ")}`);
    }
    return this.threadFor(target, backend).run(cell);
  }

  /** Cancel every running thread cell with KernelInterrupt; how many there were. */
  interrupt(): number {
    let n = 0;
    for (const w of this.live) n += w.cancelAll({ kind: "interrupt" });
    return n;
  }

  /** End every thread (kernel shutdown). */
  close(): Promise<unknown> {
    this.closed = true;
    const all = [...this.live];
    for (const w of all) w.terminate();
    return Promise.allSettled(all.map((w) => (w.ended ? undefined : new Promise((r) => w.worker.once("exit", r)))));
  }

  private threadFor(target: ThreadTarget, backend: string): ThreadWorker {
    if (target.name !== undefined) {
      const existing = this.named.get(target.name);
      if (existing) {
        const asked = (target.backend !== undefined && target.backend !== existing.backend) || (target.loop !== undefined && target.loop !== existing.loop);
        if (asked) {
          throw new CellSettingsError(
            `thread "${target.name}" already runs with backend=${existing.backend}${existing.loop ? ` loop=${existing.loop}` : ""}: ` +
              `give its name alone (or the same options) to run there`,
          );
        }
        return existing;
      }
      const w = this.spawn(backend, target.loop, target.name);
      this.named.set(target.name, w);
      return w;
    }
    const reused = this.idle.pop();
    return reused ?? this.spawn(backend, undefined, undefined);
  }

  private spawn(backend: string, loop: string | undefined, name: string | undefined): ThreadWorker {
    const w = new ThreadWorker(backend, loop, name, this.options, (t) => this.onIdle(t), (t) => this.onEnd(t));
    this.live.add(w);
    return w;
  }

  private onIdle(w: ThreadWorker): void {
    if (w.name !== undefined || this.closed || this.idle.includes(w)) return;
    if (this.idle.length < MAX_IDLE) this.idle.push(w);
    // Its comms (widgets) live as long as the thread: keep it, out of the pool.
    else if (!this.options.comms?.holds(w)) w.terminate();
  }

  private onEnd(w: ThreadWorker): void {
    this.live.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    if (w.name !== undefined && this.named.get(w.name) === w) this.named.delete(w.name);
  }
}
