/**
 * Main thread ↔ thread-cell worker. Everything here crosses threads by structured clone: plain
 * data only (strings, numbers, plain objects), never functions or class instances.
 */
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
  | { type: "cancel"; id: number; reason: CancelReason };

/** One thing a cell emitted, replayed on the main thread into the cell's `CellOutput`. */
export type OutputEvent =
  | { kind: "stream"; name: "stdout" | "stderr"; text: string }
  | { kind: "display"; data: MimeBundle; options: DisplayOptions }
  | { kind: "clear"; wait: boolean };

export type FromThread =
  /** Output of cells (by id), in the order emitted; may come after the cell's `done` (timers). */
  | { type: "output"; events: { id: number; event: OutputEvent }[] }
  /** After every output the cell emitted up to then. */
  | { type: "done"; id: number; outcome: ExecuteOutcome; userExpressions?: Record<string, unknown> }
  /** The thread could not start its event loop or Shell; it ends. */
  | { type: "failed"; message: string };
