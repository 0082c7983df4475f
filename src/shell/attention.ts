/**
 * The attention flag: shared memory that another thread sets to stop this thread's cells while
 * this thread may be stuck in one of them (no message could reach it there). Word 0 is the flag
 * that the cells' guards read (rewrite.ts `instrument`); the kernel keeps its interrupt
 * bookkeeping in the other words (src/kernel/interrupts.ts). A module of its own so that the
 * threads which only set the flag load nothing else.
 */
export const ATTENTION_WORDS = 8;
/** Word 0 when nothing asks for attention. */
export const ATTENTION_NONE = 0;
/** Word 0 when an interrupt is asked for: guards throw KernelInterrupt. */
export const ATTENTION_INTERRUPT = 1;
/** Word 0 when a cell's deadline (`timeout` tag) passed: the guards of that cell throw CellTimeout. */
export const ATTENTION_DEADLINE = 2;
/** The word that names the cell whose deadline passed (its deadline token). */
export const DEADLINE_WORD = 3;
/**
 * Word 0 when the thread that sends this thread's output finds some held back here for a while:
 * the next guard hands it over (a cell's loop would otherwise keep it until the loop ends).
 */
export const ATTENTION_FLUSH = 3;
/** 1 while this thread holds output it has not handed over yet. */
export const PENDING_OUTPUT_WORD = 4;
/**
 * Odd while a cell's synchronous part runs in a `vm` evaluation on this thread (the only place a
 * SIGINT stops code), even otherwise; one more at every start and end, so that another thread
 * can tell whether the evaluation it saw is still the one running (src/kernel/interrupts.ts).
 */
export const EVALUATION_WORD = 6;

// Taken now: on a thread where cells run, a cell may declare a global of the same name.
const { add, compareExchange, load, store } = Atomics;

export function newAttention(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(ATTENTION_WORDS * Int32Array.BYTES_PER_ELEMENT));
}

/**
 * The deadline of the cell with `token` passed: its guards throw from now on. Asked by a thread
 * that keeps time while the cell's own thread may be stuck in it; an interrupt already asked for
 * is left as it is (it stops the cell too).
 */
export function raiseDeadline(words: Int32Array, token: number): void {
  store(words, DEADLINE_WORD, token);
  // over a request for output (asked again later), not over an interrupt
  for (;;) {
    const now = load(words, 0);
    if (now !== ATTENTION_NONE && now !== ATTENTION_FLUSH) return;
    if (compareExchange(words, 0, now, ATTENTION_DEADLINE) === now) return;
  }
}

/** A cell's evaluation starts (see EVALUATION_WORD). */
export function evaluationBegins(words: Int32Array): void {
  add(words, EVALUATION_WORD, 1);
}

/** The evaluation started last has ended. */
export function evaluationEnds(words: Int32Array): void {
  add(words, EVALUATION_WORD, 1);
}

/** The evaluation word now: odd while an evaluation runs. */
export function evaluationNow(words: Int32Array): number {
  return load(words, EVALUATION_WORD);
}

/** Output is held back on the cells' thread (its outbox has messages not yet handed over). */
export function outputPending(words: Int32Array): void {
  store(words, PENDING_OUTPUT_WORD, 1);
}

/** The held output was handed over: nothing to ask for any more. */
export function outputHandedOver(words: Int32Array): void {
  store(words, PENDING_OUTPUT_WORD, 0);
  compareExchange(words, 0, ATTENTION_FLUSH, ATTENTION_NONE);
}

/** Ask the cells' thread to hand over the output it holds, if nothing weightier is asked. */
export function askForOutput(words: Int32Array): void {
  if (load(words, PENDING_OUTPUT_WORD) === 1) compareExchange(words, 0, ATTENTION_NONE, ATTENTION_FLUSH);
}

/** The cell with `token` has ended (or its timeout was handled): its deadline no longer asks. */
export function lowerDeadline(words: Int32Array, token: number): void {
  if (load(words, DEADLINE_WORD) === token) compareExchange(words, 0, ATTENTION_DEADLINE, ATTENTION_NONE);
}
