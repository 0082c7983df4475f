/**
 * The calls this thread has made and that have not settled, with the async context each was
 * made in, so that an embedding program can cancel the calls some piece of work made (the
 * kernel: those of a cell it cancels) without knowing where they went.
 */
import { AsyncResource } from "node:async_hooks";
import { whenSettled, type Pending } from "./pending.js";

/** Runs a function in the async context it was made in. */
export type Context = <R>(fn: () => R) => R;

/**
 * The current async context, to run code in later (AsyncLocalStorage.snapshot does the same,
 * but costs ~10 times more on Node 20).
 */
export function captureContext(): Context {
  const resource = new AsyncResource("Caller");
  return (fn) => resource.runInAsyncScope(fn);
}

const open = new Map<Pending<unknown>, Context>();

/** Remember a call until it settles. */
export function trackCall(pending: Pending<unknown>, context: Context): void {
  open.set(pending, context);
  whenSettled(pending, () => open.delete(pending));
}

/**
 * Cancel, with `reason`, every unsettled call made from this thread in a context where
 * `inScope()` is true (it runs in each call's context). Returns how many.
 */
export function cancelCalls(inScope: () => boolean, reason: Error): number {
  let n = 0;
  for (const [pending, context] of [...open]) {
    let match = false;
    try {
      match = context(inScope);
    } catch {
      // a predicate that throws matches nothing
    }
    if (match && pending.cancel(reason)) n++;
  }
  return n;
}
