/**
 * Main thread ↔ thread-cell worker. Everything here crosses threads by structured clone: plain
 * data only (strings, numbers, plain objects), never functions or class instances.
 */
import type { CommInbound, CommOutbound } from "../../comm/protocol.js";
import type { ManagerState } from "../../widgets/index.js";
import type { Language } from "../kernel_info.js";
import type { DisplayOptions, MimeBundle } from "../../shell/output.js";
import type { ExecuteOutcome } from "../../shell/shell.js";

/** workerData of a thread-cell worker. */
export interface ThreadWorkerData {
  cwd: string;
  language: Language;
  /** src/event_loop settings of the thread. */
  backend: string;
  loop?: string;
  /** The thread's attention memory (src/shell/attention.ts): the main thread raises its flag to interrupt. */
  attention: SharedArrayBuffer;
}

/** Why a running cell is cancelled: the error its awaits are rejected with. */
export type CancelReason =
  | { kind: "interrupt" }
  | { kind: "timeout"; seconds: number }
  | { kind: "aborted"; message: string };

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
