/**
 * The calls this thread has made and that have not settled, with the async context each was
 * made in, so that an embedding program can cancel the calls some piece of work made (the
 * kernel: those of a cell it cancels) without knowing where they went.
 */
import { whenSettled, type Pending } from "./pending.js";

type Context = <R>(fn: () => R) => R;

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
