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
const { FLAG, DEADLINE_TOKEN, EVALUATION, PENDING_OUTPUT, PAUSED_MS } = AttentionWord;

/** The thread was stopped by a debugger for `ms` more (the debug adapter, as it lets it go on). */
export function addPausedMs(words: Int32Array, ms: number): void {
  if (ms >= 1) add(words, PAUSED_MS, Math.round(ms));
}

/**
 * Calls `fn` once the thread has run `ms` from now, not counting the time a debugger kept it
 * stopped meanwhile (a cell's `timeout` is the time its code had to run): the stops it has been
 * told of (PAUSED_MS), and `pausedNow`, the current stop's time so far, where the caller sees
 * it (the I/O worker does; a stopped thread runs no timer).
 */
export function setRunningTimeout(words: Int32Array, ms: number, fn: () => void, pausedNow: () => number = () => 0): { clear(): void } {
  const start = load(words, PAUSED_MS);
  // the paused time already added to the wait
  let credited = 0;
  const check = (): void => {
    const owed = load(words, PAUSED_MS) - start + pausedNow() - credited;
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
