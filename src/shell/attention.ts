/**
 * The attention flag: shared memory that another thread sets to stop this thread's cells while
 * this thread may be stuck in one of them (no message could reach it there). Its words and their
 * values are laid out in src/shared_memory/layout.ts; here is what the deadline, the output
 * hand-over and the evaluation count do with them (the interrupt words: src/kernel/interrupts.ts).
 * A module of its own so that the threads which only set the flag load nothing else.
 */
import { clearTimeout, setTimeout } from "node:timers";
import { AttentionFlag, AttentionWord, PendingOutput } from "../shared_memory/layout.js";

// Taken now: on a thread where cells run, a cell may declare a global of the same name.
const { add, compareExchange, load, store } = Atomics;
const { FLAG, DEADLINE_TOKEN, EVALUATION, PENDING_OUTPUT, PAUSED_MS, STOPPED_AT } = AttentionWord;

/** A debugger stopped the thread (the debug adapter, as it learns of it). */
export function stopBegins(words: Int32Array): void {
  compareExchange(words, STOPPED_AT, 0, Math.round(performance.now()) + 1);
}

/**
 * The thread goes on (the debug adapter, before it lets it): the stop's length is added to
 * PAUSED_MS before the stop is cleared, so a timeout read in between waits longer, never less.
 */
export function stopEnds(words: Int32Array): void {
  const at = load(words, STOPPED_AT);
  if (at === 0) return;
  add(words, PAUSED_MS, Math.max(0, Math.round(performance.now()) + 1 - at));
  store(words, STOPPED_AT, 0);
}

/** How long the thread has been stopped by a debugger, its stops so far and the one going on. */
function stoppedMs(words: Int32Array): number {
  const at = load(words, STOPPED_AT);
  return load(words, PAUSED_MS) + (at === 0 ? 0 : Math.max(0, Math.round(performance.now()) + 1 - at));
}

/**
 * Calls `fn` once the thread whose words these are has run `ms` from now, not counting the time
 * a debugger kept it stopped meanwhile (a cell's `timeout` is the time its code had to run).
 * Another thread may keep the time: the stops are in the words.
 */
export function setRunningTimeout(words: Int32Array, ms: number, fn: () => void): { clear(): void } {
  const start = stoppedMs(words);
  // the stopped time already added to the wait
  let credited = 0;
  const check = (): void => {
    const owed = stoppedMs(words) - start - credited;
    if (owed < 1) {
      fn();
      return;
    }
    credited += owed;
    timer = setTimeout(check, owed);
  };
  let timer = setTimeout(check, ms);
  return { clear: () => clearTimeout(timer) };
}

/**
 * The deadline of the cell with `token` passed: its guards throw from now on. Asked by a thread
 * that keeps time while the cell's own thread may be stuck in it; an interrupt already asked for
 * is left as it is (it stops the cell too).
 */
export function raiseDeadline(words: Int32Array, token: number): void {
  store(words, DEADLINE_TOKEN, token);
  // over a request for output (asked again later), not over an interrupt
  for (;;) {
    const now = load(words, FLAG);
    if (now !== AttentionFlag.NONE && now !== AttentionFlag.FLUSH) return;
    if (compareExchange(words, FLAG, now, AttentionFlag.DEADLINE) === now) return;
  }
}

/**
 * Stop a Caller thread's cell code at its next guard (the main thread interrupts the thread's
 * cells or comm handlers; no request is counted: only the main shell counts, interrupts.ts).
 */
export function raiseInterrupt(words: Int32Array): void {
  store(words, FLAG, AttentionFlag.INTERRUPT);
}

/** The interrupt raised by raiseInterrupt was taken: lowered, unless something else is asked meanwhile. */
export function lowerInterrupt(words: Int32Array): void {
  compareExchange(words, FLAG, AttentionFlag.INTERRUPT, AttentionFlag.NONE);
}

/** A cell's evaluation starts (see AttentionWord.EVALUATION). */
export function evaluationBegins(words: Int32Array): void {
  add(words, EVALUATION, 1);
}

/** The evaluation started last has ended. */
export function evaluationEnds(words: Int32Array): void {
  add(words, EVALUATION, 1);
}

/** The evaluation word now: odd while an evaluation runs. */
export function evaluationNow(words: Int32Array): number {
  return load(words, EVALUATION);
}

/** Output is held back on the cells' thread (its outbox has messages not yet handed over). */
export function outputPending(words: Int32Array): void {
  store(words, PENDING_OUTPUT, PendingOutput.HELD);
}

/** The held output was handed over: nothing to ask for any more. */
export function outputHandedOver(words: Int32Array): void {
  store(words, PENDING_OUTPUT, PendingOutput.NONE);
  compareExchange(words, FLAG, AttentionFlag.FLUSH, AttentionFlag.NONE);
}

/** Ask the cells' thread to hand over the output it holds, if nothing weightier is asked. */
export function askForOutput(words: Int32Array): void {
  if (load(words, PENDING_OUTPUT) === PendingOutput.HELD) compareExchange(words, FLAG, AttentionFlag.NONE, AttentionFlag.FLUSH);
}

/** The cell with `token` has ended (or its timeout was handled): its deadline no longer asks. */
export function lowerDeadline(words: Int32Array, token: number): void {
  if (load(words, DEADLINE_TOKEN) === token) compareExchange(words, FLAG, AttentionFlag.DEADLINE, AttentionFlag.NONE);
}
