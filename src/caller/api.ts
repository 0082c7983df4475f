/**
 * The Caller's public API, the package's `ts-async-kernel/caller` entry: call functions in other
 * threads and await their results (docs/caller.md). What the kernel lends the Caller
 * (`setThreadEnvironment`, `configureThreads`, `cancelCalls`, the pool's borrowing, and
 * `stopAllThreads`, which shuts the Caller down for good) stays in index.ts; this re-exports from
 * it, so both name the same module instances. Caller threads never keep a process alive.
 *
 * @module
 */
export { Caller, type CallerOptions } from "./index.js";
export { Pending, untilFinished } from "./index.js";
export { CallTimeout, PendingCancelled, ThreadEnded, type ThreadExit } from "./index.js";
export type { Callable, FunctionRef } from "./index.js";
