/**
 * How execute requests of one shell run: the main shell and every subshell (JEP 91) has its own
 * ExecuteScheduler, with its own queue, execution count and stop_on_error state. All of them run
 * cells in the one main-thread namespace (the Shell's vm context), so requests of different
 * subshells interleave at awaits; `// thread` cells run in worker threads instead
 * (thread_cells/).
 *
 * Run modes (cell_settings.ts): `queue` cells run one after another; `task` cells (and silent
 * requests) start at once, beside whatever runs; `thread` cells start at once in a thread.
 *
 * One request, from busy to idle: busy (unless the I/O worker published it), the abort check
 * (stop_on_error), execute_input, the cell (main Shell or a thread), its result or error, the
 * execute_reply, idle. A failure with stop_on_error aborts the requests of this shell received
 * before its reply went out, and those arriving later that the I/O worker marks as made before it
 * (io/abort_windows.ts): they are answered with ExecutionAborted and no execution count. It also
 * cancels the shell's other running cells that stop on error, as async-kernel does.
 */
import type { IExecutePayload } from "../messaging/index.js";
import type { ExecuteOutcome, Shell } from "../shell/shell.js";
import { CellCanceller } from "../shell/cell_canceller.js";
import { formatError, KernelInterrupt } from "../shell/errors.js";
import type { InboundRequest } from "../io/bridge.js";
import { Envelope, oneLineTraceback } from "../io/envelope.js";
import { cancelError } from "./cancel.js";
import { cellSettings, CellSettingsError, stopsOnError, type CellSettings } from "./cell_settings.js";
import type { Log } from "./log.js";
import { cellOutput, type Outbox } from "./outbox.js";
import type { StdinRequests } from "./stdin.js";
import type { CancelReason } from "./thread_cells/protocol.js";
import type { ThreadCells } from "./thread_cells/threads.js";
import { clearTimeout, setImmediate, setTimeout } from "node:timers";

export interface ExecuteRequest {
  req: InboundRequest<"execute_request">;
  channel: "shell" | "control";
  /** performance.now() when the I/O worker received it (the same clock in every thread). */
  receivedAt: number;
  /** The I/O worker published status busy already. */
  busySent: boolean;
  /** The I/O worker marked it: made before a failing reply of its shell went out (stop_on_error). */
  aborted?: boolean;
  /**
   * An interrupt is meant for it: one acted on before it reached this thread (made after it:
   * kernel/interrupts.ts), or one that came while it waited to start. It is interrupted as it starts.
   */
  interrupted?: boolean;
}

/** What a scheduler needs from the kernel. */
export interface SchedulerHost {
  readonly outbox: Outbox;
  readonly log: Log;
  /** Input requests of main-thread cells (none: input() fails in them). */
  readonly stdin?: StdinRequests;
  shell(): Promise<Shell>;
  threads(): Promise<ThreadCells>;
  /**
   * Before a cell runs: the language service learns it (`inNamespace`: it runs in the main
   * namespace). Resolves with its type errors when the cell is type checked.
   */
  beforeCell(code: string, cellName: string, inNamespace: boolean): Promise<string[]> | undefined;
  /** The input history; only the main shell writes to it (subshell counts would collide). */
  history?: { add(line: number, input: string): void; setOutput(line: number, text: string | null): void };
  /**
   * A main-thread cell's deadline: another thread keeps its time and stops the cell's code once
   * it passes (`start`), even where this thread is stuck in it; `end` when the cell has ended.
   * `after`: a timer on this thread that does not count the time a debugger kept it stopped.
   */
  deadline?: { start(token: number, ms: number): void; end(token: number): void; after(ms: number, fn: () => void): { clear(): void } };
  /** The pager (`?name`): what the types say of a name (the language service), else undefined. */
  inspectTypes?(name: string): Promise<{ found: boolean; data: Record<string, unknown> } | undefined>;
}

/** Deadline tokens of main-thread cells, unique in the process (every scheduler draws from here). */
let nextDeadlineToken = 1;

const PAGER = /^\s*(?:\?\s*([\w$.]+)|([\w$.]+)\s*\?)\s*$/;

/** A cell that runs now, as stop_on_error and subshell deletion see it. */
interface Running {
  /** Its failure stops the queue (and so it is cancelled when another such cell fails). */
  stopOnError: boolean;
  /** Not yet running in the shell or its thread (which an interrupt reaches by itself from then on). */
  starting: boolean;
  cancel(reason: CancelReason): void;
}

interface Queued {
  request: ExecuteRequest;
  settings: CellSettings;
}

export class ExecuteScheduler {
  executionCount = 0;
  private readonly queue: Queued[] = [];
  private draining = false;
  /**
   * stop_on_error. From a failure until the I/O worker has sent its reply and opened the shell's
   * abort window (`windowOpened`), every execute request is aborted (`failuresUnsent` > 0); then
   * those received before the reply went out (`abortUntil`, performance.now()), and those the
   * worker marks `aborted` (made before the reply went out, io/abort_windows.ts). A request the
   * client made after it had the reply runs.
   */
  private abortUntil = -1;
  private failuresUnsent = 0;
  private readonly running = new Set<Running>();
  /** The queued request that waits a turn before it starts (see `drain`). */
  private waiting?: ExecuteRequest;
  /** Requests inside `guarded` (started, not yet answered), and who waits for none to be left. */
  private active = 0;
  private readonly settledWaiters: (() => void)[] = [];
  private readonly envelopes = new WeakMap<ExecuteRequest, Envelope<"execute_request">>();
  /** Set once the subshell is deleted: why its requests are refused. */
  private closedReason?: string;

  /**
   * @param label - the subshell's short name in cell names (`In[s1:3]`); undefined for the main shell.
   */
  constructor(
    private readonly host: SchedulerHost,
    readonly label?: string,
  ) {}

  /** Queue or start one execute_request; never throws (a kernel bug still gets a reply). */
  submit(request: ExecuteRequest): void {
    const c = request.req.content;
    if (this.closedReason !== undefined) {
      this.guard(request, async () => this.refuse(request, "ExecutionAborted", this.closedReason!));
      return;
    }
    let settings: CellSettings;
    try {
      settings = cellSettings(c.code, request.req.metadata?.tags, c.silent === true);
    } catch (err) {
      if (!(err instanceof CellSettingsError)) throw err;
      this.guard(request, async () => this.refuse(request, err.name, err.message, true));
      return;
    }
    if (settings.mode === "queue") {
      this.queue.push({ request, settings });
      void this.drain();
    } else {
      this.guard(request, () => this.run(request, settings));
    }
  }

  /** The subshell is deleted: queued requests are aborted, running cells cancelled. */
  close(reason: string): void {
    this.closedReason = reason;
    for (const { request } of this.queue.splice(0)) this.guard(request, async () => this.refuse(request, "ExecutionAborted", reason));
    for (const r of [...this.running]) r.cancel({ kind: "aborted", message: reason });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { request, settings } = next;
        // (A request aborted by stop_on_error is answered at once, in order: it runs nothing.)
        if (!request.busySent && !this.aborts(request)) {
          // Pipelined (the I/O worker had other requests in flight): Node hands a thread every
          // message waiting on its port in one go, running each one's microtasks before the next,
          // so a cell started here would run inside that batch and a shutdown or any later message
          // would wait behind every queued cell. A turn of the event loop first lets the batch end
          // (the waiting requests just join the queue) and such messages be seen between cells.
          this.waiting = request;
          await new Promise((resolve) => setImmediate(resolve));
          this.waiting = undefined;
          if (this.closedReason !== undefined) {
            this.guard(request, async () => this.refuse(request, "ExecutionAborted", this.closedReason!));
            continue;
          }
        }
        await this.guarded(request, () => this.run(request, settings));
      }
    } finally {
      this.draining = false;
    }
  }

  private guard(request: ExecuteRequest, body: () => Promise<void>): void {
    void this.guarded(request, body);
  }

  /** A kernel bug, not the cell's error: still answer, so no client waits forever. */
  private async guarded(request: ExecuteRequest, body: () => Promise<void>): Promise<void> {
    this.active++;
    try {
      await body();
    } catch (err) {
      try {
        this.host.log.error({ err }, "execute failed inside the kernel");
      } catch {
        // whatever was thrown, the request still gets its reply
      }
      const envelope = this.envelope(request);
      envelope.error("KernelError", `internal error: ${formatError(err).evalue}`, [], { execution_count: this.executionCount });
      envelope.idle();
      this.host.outbox.flush();
    } finally {
      if (--this.active === 0) for (const settled of this.settledWaiters.splice(0)) settled();
    }
  }

  /**
   * An interrupt: the cells this scheduler has taken that the shell or their thread does not yet
   * run (the kernel interrupts those itself) are interrupted as they start. Returns how many.
   */
  interruptStarting(): number {
    let n = 0;
    for (const r of [...this.running]) {
      if (!r.starting) continue;
      r.cancel({ kind: "interrupt" });
      n++;
    }
    if (this.waiting && !this.waiting.interrupted) {
      this.waiting.interrupted = true;
      n++;
    }
    return n;
  }

  /** Resolves once every request this scheduler took has been answered (the kernel's shutdown waits for it). */
  settled(): Promise<void> {
    return this.active === 0 && this.queue.length === 0 ? Promise.resolve() : new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Busy, an error reply (and the error on iopub when the user should see it), idle. An aborted
   * request ran nothing: its reply's execution_count is 0, which frontends show as no count
   * (JupyterLab's prompt stays `[ ]`; ipykernel's aborted replies have none), and still a number
   * for clients that read it into an integer.
   */
  private refuse(request: ExecuteRequest, ename: string, evalue: string, show = false): void {
    const envelope = this.envelope(request);
    envelope.busy();
    const traceback = oneLineTraceback(ename, evalue);
    if (show && request.req.content.silent !== true) envelope.publish("error", { ename, evalue, traceback });
    envelope.error(ename, evalue, traceback, { execution_count: ename === "ExecutionAborted" ? 0 : this.executionCount });
    envelope.idle();
    this.host.outbox.flush();
  }

  /** Whether stop_on_error aborts this request (see `abortUntil`). */
  private aborts(request: ExecuteRequest): boolean {
    return request.aborted === true || this.failuresUnsent > 0 || request.receivedAt < this.abortUntil;
  }

  /** The I/O worker has sent a failing reply of this shell (at `openedAt`) and opened its abort window. */
  windowOpened(openedAt: number): void {
    this.failuresUnsent = Math.max(0, this.failuresUnsent - 1);
    this.abortUntil = Math.max(this.abortUntil, openedAt);
  }

  private async run(request: ExecuteRequest, settings: CellSettings): Promise<void> {
    const { req, busySent } = request;
    const { outbox } = this.host;
    const parent = req.header;
    const c = req.content;
    const silent = c.silent === true;
    const storeHistory = !silent && c.store_history !== false;
    const stopOnError = stopsOnError(settings, c.stop_on_error);
    if (this.aborts(request)) {
      // Sent before the client could see the earlier error: aborted, as stop_on_error asks.
      // status "error" rather than the deprecated "aborted" (messaging spec 5.1).
      this.refuse(request, "ExecutionAborted", "Aborted because an earlier cell failed (stop_on_error)");
      return;
    }
    const envelope = this.envelope(request);
    envelope.busy();
    const code = c.code;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    const cellName = this.label === undefined ? `In[${count}]` : `In[${this.label}:${count}]`;
    if (!silent) outbox.publish("execute_input", { code, execution_count: count }, parent);
    // The frontend must see busy before user code that may never yield: flush now, unless the
    // worker published busy already (then everything of a quick cell goes in one batch).
    if (!busySent) outbox.flush();
    const started = new Date().toISOString();
    if (storeHistory) this.host.history?.add(count, code);
    const stdin = this.host.stdin?.forCell(parent, c.allow_stdin === true, settings.timeoutSeconds);
    const out = cellOutput(outbox, parent, silent, stdin);
    const pager = PAGER.exec(code);
    const inThread = settings.mode === "thread" && !pager;
    // Asked before the cell joins the service's notebook, so the check sees the cells before it.
    const diagnostics = pager ? undefined : this.host.beforeCell(code, cellName, !inThread);

    // A cancel may come before the cell has started (while the shell or a thread loads).
    let cancelled: CancelReason | undefined;
    let cancelCell: (reason: CancelReason) => void = () => {};
    const self: Running = {
      stopOnError: stopOnError && !silent,
      starting: true,
      cancel: (reason) => {
        cancelled ??= reason;
        stdin?.cancel(cancelError(reason));
        cancelCell(reason);
      },
    };
    this.running.add(self);
    if (request.interrupted) self.cancel({ kind: "interrupt" });
    // (a thread cell's timeout is kept by thread_cells/threads.ts, which knows its thread's stops)
    const timer =
      settings.timeoutSeconds && !inThread
        ? this.timer(settings.timeoutSeconds * 1000, () => self.cancel({ kind: "timeout", seconds: settings.timeoutSeconds! }))
        : undefined;
    let outcome: ExecuteOutcome;
    let userExpressions: Record<string, unknown> | undefined;
    const payload: IExecutePayload[] = [];
    // typed as strings by the spec, checked one by one below (a client may send anything)
    const exprs: Record<string, unknown> | undefined = c.user_expressions;
    let deadlineToken: number | undefined;
    try {
      if (pager) {
        const name = (pager[1] ?? pager[2])!;
        // the types first (they know interfaces, type aliases, the source as written), then the live value
        const found = (await this.host.inspectTypes?.(name)) ?? (await this.host.shell()).inspect(name, [...name].length, 1);
        outcome = { status: "ok" };
        payload.push({ source: "page", data: found.found ? found.data : { "text/plain": `Object \`${name}\` not found.` }, start: 0 });
      } else if (inThread) {
        const cell = (await this.host.threads()).run(settings.thread ?? {}, {
          code,
          cellName,
          output: out,
          timeoutSeconds: settings.timeoutSeconds,
          userExpressions: exprs,
        });
        cancelCell = cell.cancel;
        self.starting = false;
        if (cancelled) cell.cancel(cancelled);
        ({ outcome, userExpressions } = await cell.result);
      } else {
        const shell = await this.host.shell();
        const control = new CellCanceller();
        cancelCell = (reason) => control.abort(cancelError(reason));
        self.starting = false;
        if (cancelled) cancelCell(cancelled);
        if (settings.timeoutSeconds && this.host.deadline) {
          deadlineToken = nextDeadlineToken++;
          this.host.deadline.start(deadlineToken, settings.timeoutSeconds * 1000);
        }
        outcome = await shell.execute(code, cellName, out, { signal: control, timeoutSeconds: settings.timeoutSeconds, deadlineToken });
        // A cancelled cell leaves no Caller call of its own running (src/caller).
        if (outcome.status === "error" && (outcome.interrupted || cancelled)) {
          const reason = cancelled ? cancelError(cancelled) : new KernelInterrupt();
          void import("./caller_env.js").then(({ cancelCallsOfCell }) => cancelCallsOfCell(out, reason));
        }
        if (outcome.status === "ok" && exprs) {
          userExpressions = {};
          for (const [k, v] of Object.entries(exprs)) {
            userExpressions[k] =
              typeof v === "string"
                ? await shell.userExpression(v, out)
                : { status: "error", ename: "TypeError", evalue: "user expression must be a string", traceback: [] };
          }
        }
      }
    } catch (err) {
      if (err instanceof CellSettingsError) {
        // A thread that cannot be had (unknown backend, a named thread asked with other settings).
        outcome = {
          status: "error",
          error: { ename: err.name, evalue: err.message, traceback: oneLineTraceback(err.name, err.message) },
          interrupted: false,
        };
      } else if (cancelled) {
        // Cancelled while it waited for its thread or the shell (a shutdown refuses new threads):
        // the cancel is what happened to it, not a kernel error.
        const { name, message } = cancelError(cancelled);
        outcome = {
          status: "error",
          error: { ename: name, evalue: message, traceback: oneLineTraceback(name, message) },
          interrupted: cancelled.kind === "interrupt",
        };
      } else {
        throw err;
      }
    } finally {
      timer?.clear();
      if (deadlineToken !== undefined) this.host.deadline?.end(deadlineToken);
      this.running.delete(self);
      stdin?.close();
    }

    if (settings.raisesException && outcome.status === "ok") {
      const evalue = "An expected exception was not raised";
      outcome = {
        status: "error",
        error: {
          ename: "AssertionError",
          evalue,
          traceback: oneLineTraceback("AssertionError", `${evalue} (the cell has the raises-exception tag)`),
        },
        interrupted: false,
      };
    }
    const typeErrors = await diagnostics;
    if (typeErrors?.length && !silent) out.stream("stderr", `Type errors (the cell ran anyway):\n${typeErrors.join("\n")}\n`);
    const metadata = { started, status: outcome.status };
    if (outcome.status === "ok") {
      if (outcome.result && !silent) {
        outbox.publish("execute_result", { execution_count: count, data: outcome.result.data, metadata: outcome.result.metadata }, parent);
      }
      const text = outcome.result?.data["text/plain"];
      if (storeHistory && typeof text === "string") this.host.history?.setOutput(count, text);
      envelope.reply({ status: "ok", execution_count: count, payload, user_expressions: userExpressions ?? {} }, metadata);
    } else {
      if (!silent) outbox.publish("error", outcome.error, parent);
      // A cell aborted because of another's failure (or its subshell's deletion) stops nothing more.
      const stops = stopOnError && !silent && cancelled?.kind !== "aborted";
      const interrupted = cancelled?.kind === "interrupt" || outcome.interrupted;
      envelope.reply(
        { status: "error", execution_count: count, ...outcome.error },
        metadata,
        stops ? (interrupted ? "interrupt" : "failure") : undefined,
      );
      if (stops) this.stopOnError(self, interrupted);
    }
    envelope.idle();
    outbox.flush();
  }

  /** A main-thread cell's timeout: the time a debugger kept this thread stopped does not count. */
  private timer(ms: number, fn: () => void): { clear(): void } {
    if (this.host.deadline) return this.host.deadline.after(ms, fn);
    const t = setTimeout(fn, ms);
    return { clear: () => clearTimeout(t) };
  }

  /**
   * A cell failed: abort what was sent before, cancel the other running cells that stop on error.
   * When the failure is an interrupt, the interrupt is meant for every running cell and may reach
   * this thread after the first cell's guard has stopped it: the others are interrupted too
   * (KernelInterrupt, as the interrupt would answer them), not aborted.
   */
  private stopOnError(failed: Running, interrupted: boolean): void {
    // Until the worker has sent the reply (marked `stopsQueue`) and says so, everything is aborted.
    this.failuresUnsent++;
    const reason: CancelReason = interrupted
      ? { kind: "interrupt" }
      : { kind: "aborted", message: "Cancelled because another cell failed (stop_on_error)" };
    for (const r of [...this.running]) {
      if (r !== failed && r.stopOnError) r.cancel(reason);
    }
  }

  /** The request's envelope (busy, reply, idle: envelope.ts), one per request. */
  private envelope(request: ExecuteRequest): Envelope<"execute_request"> {
    let envelope = this.envelopes.get(request);
    if (!envelope) {
      envelope = new Envelope<"execute_request">(
        (item) => this.host.outbox.push(item),
        request.req.header,
        request.channel,
        request.busySent,
      );
      this.envelopes.set(request, envelope);
    }
    return envelope;
  }
}
