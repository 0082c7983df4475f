/**
 * The attention flag: shared memory that another thread sets to stop this thread's cells while
 * this thread may be stuck in one of them (no message could reach it there). Word 0 is the flag
 * that the cells' guards read (rewrite.ts `instrument`); the kernel keeps its interrupt
 * bookkeeping in the other words (src/kernel/interrupts.ts). A module of its own so that the
 * threads which only set the flag load nothing else.
 */
export const ATTENTION_WORDS = 4;
/** Word 0 when nothing asks for attention. */
export const ATTENTION_NONE = 0;
/** Word 0 when an interrupt is asked for: guards throw KernelInterrupt. */
export const ATTENTION_INTERRUPT = 1;

export function newAttention(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(ATTENTION_WORDS * Int32Array.BYTES_PER_ELEMENT));
}
