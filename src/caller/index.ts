/**
 * The Caller: call functions in other threads (worker threads, each on its own event-loop layer
 * from src/event_loop) and await their results, with errors, output and cancellation crossing
 * back. Knows nothing of Jupyter; the kernel lends it an environment (environment.ts) in each
 * thread. See docs/caller.md.
 */
export { borrowThread, Caller, POOL_CANCEL_GRACE_MS, type CallerOptions } from "./caller.js";
export { Pending, untilFinished } from "./pending.js";
export { CallTimeout, PendingCancelled, ThreadEnded, type ThreadExit } from "./errors.js";
export type { Callable } from "./functions.js";
export type { FunctionRef, OutputEvent, ThreadInfo, ThreadSetup } from "./protocol.js";
export { setThreadEnvironment, type IncomingCall, type ThreadEnvironment } from "./environment.js";
export { cancelCalls } from "./scope.js";
export { configureThreads, stopAllThreads, MAX_IDLE_POOL_THREADS } from "./registry.js";
