/**
 * Main thread ↔ thread cells. A thread cell is a Caller call (src/caller) of `runCell` in a
 * caller thread (thread_shell.ts): its request and result cross threads by structured clone,
 * its output as the call's output.
 */
import type { ExecuteOutcome } from "../../shell/shell.js";

/** Why a running cell is cancelled: the error its awaits are rejected with. */
export type CancelReason =
  | { kind: "interrupt" }
  | { kind: "timeout"; seconds: number }
  | { kind: "aborted"; message: string };

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
