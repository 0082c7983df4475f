/**
 * Comms for code that runs in the kernel (cells and what they import): this thread's
 * CommManager, and the API cells get from the `ts-async-kernel` module: `Comm`,
 * `registerCommTarget`, `unregisterCommTarget`, `openComms`.
 *
 * One manager per thread: the main thread's serves `queue` and `task` cells, each thread-cell
 * worker has its own (its module instance). The kernel connects each to its output routing.
 *
 * @module
 */
import { type Comm, setDefaultCommHost } from "./comm.js";
import { CommManager, type CommTargetHandler } from "./manager.js";

export { Comm } from "./comm.js";
export type { CommCloseHandler, CommMsgHandler, CommOpenOptions, CommSendOptions } from "./comm.js";
export { CommManager } from "./manager.js";
export type { CommSink, CommTargetHandler, ReceiveResult } from "./manager.js";
export { CommRouter } from "./router.js";
export { freshJson } from "./buffers.js";
export type { CommOwner, RouteResult } from "./router.js";
export type { BufferLike, CommHeader, CommInbound, CommInfo, CommMessage, CommMsgType, CommOutbound, JsonObject } from "./protocol.js";

/** This thread's comms. */
export const comms = new CommManager();
setDefaultCommHost(() => comms);

/**
 * Let frontends open comms to `targetName`: `handler(comm, msg)` gets each new comm and the
 * frontend's comm_open (its data in `msg.content.data`). Registering a name again replaces the
 * handler; comms opened before keep theirs.
 */
export function registerCommTarget(targetName: string, handler: CommTargetHandler): void {
  comms.registerTarget(targetName, handler);
}

/** Stop accepting new comms for `targetName` (open ones stay open); whether it was registered. */
export function unregisterCommTarget(targetName: string): boolean {
  return comms.unregisterTarget(targetName);
}

/** The comms open in this thread, optionally of one target only. */
export function openComms(targetName?: string): Comm[] {
  return comms.list(targetName);
}
