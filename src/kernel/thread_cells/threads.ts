/**
 * The main thread's side of `// thread` cells. Their threads are Caller threads (src/caller):
 * anonymous cells borrow one from the Caller's pool (`toThread`'s), named ones (`// thread
 * name=render`) use the Caller thread of that name, the same one `Caller.get({name: "render"})`
 * gives cells, so its globals persist from cell to cell and calls can reach them.
 *
 * A cell is a call of `runCell` (thread_shell.ts) in that thread, made in the cell's output
 * scope, so its output (also what its timers print later) reaches its cell. Cancelling a cell
 * (interrupt, timeout, stop_on_error) cancels the call, which rejects the cell's awaits there;
 * an interrupt or a timeout also raises the thread's attention flag, which stops the cell's own
 * code wherever it runs (rewrite.ts `instrument`). An interrupted or timed-out cell whose thread
 * still does not take the cancel within CANCEL_GRACE_MS (a package's loop) has its thread
 * stopped, and loses that thread's globals.
 *
 * Comms a thread cell opens live in its thread (thread_comms.ts); a pool thread that holds comms
 * (widgets) is never given back to the pool, so it lives as long as the kernel does.
 *
 * The kernel configures Caller threads (caller_env.ts `configureCallerThreads`) when it makes its
 * shell, before the first thread cell.
 */
import { clearTimeout, setTimeout } from "node:timers";
import { backendNames } from "../../event_loop/backend.js";
import { oneLineTraceback } from "../../messaging/traceback.js";
import { borrowThread, Caller, ThreadEnded, untilFinished, type Pending } from "../../caller/index.js";
import { lowerInterrupt, raiseDeadline, raiseInterrupt, setRunningTimeout } from "../../shell/attention.js";
import { CellScope } from "../../shell/cell_scope.js";
import type { CellOutput } from "../../shell/output.js";
import type { ExecuteOutcome } from "../../shell/shell.js";
import { cancelError } from "../cancel.js";
import { CellSettingsError, type ThreadTarget } from "../cell_settings.js";
import type { CancelReason, RunCellRequest, ThreadResult } from "./protocol.js";
import { attentionOf } from "./thread_attention.js";
import { holdsComms } from "./thread_comms.js";

export type { ThreadResult } from "./protocol.js";

/** How long a cancelled thread cell may take to settle before its thread is stopped. */
const CANCEL_GRACE_MS = 1000;
const DEFAULT_BACKEND = "node";
const THREAD_SHELL = new URL("./thread_shell.js", import.meta.url).href;
const RUN_CELL = { module: THREAD_SHELL, export: "runCell" };
/** Deadline tokens of thread cells with a `timeout` tag (each thread has its own attention memory). */
let nextDeadlineToken = 1;

export interface ThreadCell {
  code: string;
  cellName: string;
  output: CellOutput;
  timeoutSeconds?: number;
  userExpressions?: Record<string, unknown>;
}

export interface RunningThreadCell {
  result: Promise<ThreadResult>;
  cancel(reason: CancelReason): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function errorOutcome(ename: string, evalue: string): ExecuteOutcome {
  return {
    status: "error",
    error: { ename, evalue, traceback: oneLineTraceback(ename, evalue) },
    interrupted: ename === "KernelInterrupt",
  };
}

export class ThreadCells {
  private readonly running = new Set<RunningThreadCell>();
  private closed = false;

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
    let caller: Caller;
    let release = () => {};
    if (target.name !== undefined) {
      if (target.name === "main") throw new CellSettingsError(`"main" names the main thread: give a thread cell another name`);
      const options: { name: string; backend?: string; loop?: string } = { name: target.name };
      if (target.backend !== undefined) options.backend = target.backend;
      if (target.loop !== undefined) options.loop = target.loop;
      try {
        caller = Caller.get(options);
      } catch (err) {
        throw new CellSettingsError((err as Error).message);
      }
    } else {
      ({ caller, release } = borrowThread());
    }

    const request: RunCellRequest = { code: cell.code, cellName: cell.cellName };
    if (cell.timeoutSeconds) {
      request.timeoutSeconds = cell.timeoutSeconds;
      request.deadlineToken = nextDeadlineToken++;
    }
    if (cell.userExpressions) request.userExpressions = cell.userExpressions;

    let cancelled: CancelReason | undefined;
    let settled = false;
    let call: Pending<ThreadResult> | undefined;
    let flag: Int32Array | undefined;
    // The cell's timeout: on the thread's memory once it is known, whose PAUSED_MS a debugger's
    // stops of that thread add to (they do not count); until then, as the clock says.
    const seconds = cell.timeoutSeconds;
    const begun = performance.now();
    let timeout: { clear(): void } | undefined;
    if (seconds) {
      const t = setTimeout(() => running.cancel({ kind: "timeout", seconds }), seconds * 1000);
      timeout = { clear: () => clearTimeout(t) };
    }
    const started = attentionOf(caller).then((memory) => {
      flag = memory;
      if (seconds && !cancelled && !settled) {
        timeout?.clear();
        const left = Math.max(0, seconds * 1000 - (performance.now() - begun));
        timeout = setRunningTimeout(memory, left, () => running.cancel({ kind: "timeout", seconds }));
      }
      if (cancelled) throw cancelError(cancelled);
      // Made in the cell's output scope: the call's output (now and later) is the cell's.
      call = new CellScope(cell.output).run(() => caller.call(RUN_CELL, request)) as Pending<ThreadResult>;
      return call;
    });
    const running: RunningThreadCell = {
      result: started
        .then(
          (result) => result,
          async (err: unknown) => {
            // Interrupted or timed out: the call is rejected at once; wait for the thread to take
            // the cancel. A loop that no guard stops never does: end the thread (the only way to
            // stop it). Another cell's failure (stop_on_error) or a deleted subshell never ends a thread.
            if (call && cancelled && cancelled.kind !== "aborted" && !(err instanceof ThreadEnded)) {
              const tookIt = await Promise.race([untilFinished(call).then(() => true), sleep(CANCEL_GRACE_MS).then(() => false)]);
              if (!tookIt) {
                await caller.stop();
                err = new ThreadEnded("stopped", { stopped: true });
              }
            }
            return { outcome: this.failure(err, cancelled, target.name) };
          },
        )
        .finally(() => {
          settled = true;
          timeout?.clear();
          this.running.delete(running);
          // A pool thread goes back once the cell has let it go (a stopped one is not taken back),
          // unless it holds comms: they live as long as the thread.
          void (call ? untilFinished(call) : Promise.resolve()).then(() => {
            if (!holdsComms(caller)) release();
          });
        }),
      cancel: (reason) => {
        if (settled || cancelled) return;
        cancelled = reason;
        if (!call || !flag) return; // it has not started: it will not
        const memory = flag;
        // The flag stops the cell's own code at its next guard even while the thread is stuck
        // in it (no message could reach it there); lowered once the thread has taken the cancel.
        if (reason.kind === "interrupt") {
          raiseInterrupt(memory);
          void untilFinished(call).then(() => lowerInterrupt(memory));
        } else if (reason.kind === "timeout" && request.deadlineToken !== undefined) {
          // the thread lowers it when the cell ends (thread_shell.ts)
          raiseDeadline(memory, request.deadlineToken);
        }
        call.cancel(cancelError(reason));
      },
    };
    this.running.add(running);
    return running;
  }

  /** Cancel every running thread cell with KernelInterrupt; how many there were. */
  interrupt(): number {
    const all = [...this.running];
    for (const cell of all) cell.cancel({ kind: "interrupt" });
    return all.length;
  }

  /** No more cells (kernel shutdown; the kernel stops the Caller threads). */
  close(): void {
    this.closed = true;
  }

  /** The outcome of a cell whose call failed: cancelled, its thread ended, or its result could not cross. */
  private failure(err: unknown, cancelled: CancelReason | undefined, name: string | undefined): ExecuteOutcome {
    const lost = name !== undefined ? `; the globals of thread "${name}" are gone` : "";
    if (err instanceof ThreadEnded) {
      if (cancelled) {
        const e = cancelError(cancelled);
        return errorOutcome(e.name, `${e.message} (the thread did not stop by itself, so it was ended${lost})`);
      }
      const { failure, stopped, code } = err.exit;
      const why =
        failure !== undefined
          ? `the thread could not start: ${failure}`
          : stopped
            ? "the thread was stopped"
            : `the thread ended (exit code ${code ?? "unknown"}; process.exit() in a thread cell ends its thread)`;
      return errorOutcome("ThreadEnded", `${why}${lost}`);
    }
    const e = err as { name?: unknown; message?: unknown } | null;
    return errorOutcome(typeof e?.name === "string" ? e.name : "Error", typeof e?.message === "string" ? e.message : String(err));
  }
}
