/**
 * Main thread ↔ thread cells. A thread cell is a Caller call (src/caller) of `runCell` in a
 * caller thread (thread_shell.ts): its request and result cross threads by structured clone,
 * its output as the call's output.
 */
import type { CommInbound, CommOutbound } from "../../comm/protocol.js";
import type { ManagerState } from "../../widgets/index.js";
import type { DisplayOptions, MimeBundle } from "../../shell/output.js";
import type { ExecuteOutcome } from "../../shell/shell.js";

/** Why a running cell is cancelled: the error its awaits are rejected with. */
export type CancelReason = { kind: "interrupt" } | { kind: "timeout"; seconds: number } | { kind: "aborted"; message: string };

export interface RunCellRequest {
  code: string;
  cellName: string;
  timeoutSeconds?: number;
  /** With timeoutSeconds: the token by which the main thread raises the cell's deadline in the thread's attention flag. */
  deadlineToken?: number;
  userExpressions?: Record<string, unknown>;
}

export interface ThreadResult {
  outcome: ExecuteOutcome;
  userExpressions?: Record<string, unknown>;
}
export type ToThread =
  | { type: "run"; id: number; code: string; cellName: string; timeoutSeconds?: number; userExpressions?: Record<string, unknown> }
  | { type: "cancel"; id: number; reason: CancelReason }
  /**
   * A frontend message for a comm of this thread (or a comm_open for one of its targets): its
   * handlers' output goes under `id`, like a cell's, and a `comm_done` with that id follows.
   */
  | { type: "comm"; id: number; msg: CommInbound }
  /** An interrupt while only comm handlers ran here: the flag was raised for them; lower it. */
  | { type: "interrupted" }
  /** The state of this thread's widgets, for a frontend that restores them (jupyter.widget.control). */
  | { type: "widget_states"; id: number };

/** One thing a cell emitted, replayed on the main thread into the cell's `CellOutput`. */
export type OutputEvent =
  | { kind: "stream"; name: "stdout" | "stderr"; text: string }
  | { kind: "display"; data: MimeBundle; options: DisplayOptions }
  | { kind: "clear"; wait: boolean }
  /** A comm message of this thread's code: published with the cell's (or comm message's) parent. */
  | { kind: "comm"; msg: CommOutbound };

export type FromThread =
  /** Output of cells (by id), in the order emitted; may come after the cell's `done` (timers). */
  | { type: "output"; events: { id: number; event: OutputEvent }[] }
  /** After every output the cell emitted up to then. */
  | { type: "done"; id: number; outcome: ExecuteOutcome; userExpressions?: Record<string, unknown> }
  /** The handlers of a `comm` message have settled. */
  | { type: "comm_done"; id: number }
  | { type: "widget_states"; id: number; states: ManagerState }
  /** The comm targets this thread serves now (frontends may open comms to them). */
  | { type: "comm_targets"; names: string[] }
  /** The thread could not start its event loop or Shell; it ends. */
  | { type: "failed"; message: string };
