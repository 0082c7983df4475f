/** The errors a running cell's awaits are rejected with when the kernel cancels it. */
import { CellTimeout, KernelInterrupt } from "../shell/errors.js";
import type { CancelReason } from "./thread_cells/protocol.js";

/** A cell stopped (or never started) because of another cell's failure, or its subshell went away. */
export class ExecutionAborted extends Error {
  override name = "ExecutionAborted";
}

export function cancelError(reason: CancelReason): Error {
  switch (reason.kind) {
    case "interrupt":
      return new KernelInterrupt();
    case "timeout":
      return new CellTimeout(reason.seconds);
    case "aborted":
      return new ExecutionAborted(reason.message);
  }
}
