/**
 * The comm API cells get from the `ts-async-kernel` module (also as "ts-async-kernel/comm"):
 * nothing of the kernel's own plumbing.
 *
 * @module
 */
export { Comm, openComms, registerCommTarget, unregisterCommTarget } from "./index.js";
export type {
  BufferLike,
  CommCloseHandler,
  CommHeader,
  CommMessage,
  CommMsgHandler,
  CommOpenOptions,
  CommSendOptions,
  CommTargetHandler,
  JsonObject,
} from "./index.js";
