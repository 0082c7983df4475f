/**
 * Every word of shared memory the kernel's threads use to reach a thread that may be stuck (in a
 * cell's loop, in a blocking `prompt()`, in the SIGINT watcher's `Atomics.wait`), where no message
 * could be read. Indices and values in one place, so that an index is never taken for a value:
 * each buffer has a table of word indices (`…Word`) and, where a word holds one of a few states,
 * a table of its values. The buffers are made here too. What the words mean in motion:
 * src/shell/attention.ts and src/kernel/interrupts.ts (attention memory), src/kernel/stdin_wake.ts
 * (stdin wake words), src/kernel/sigint_watch.ts (SIGINT control words).
 *
 * Loaded by every thread that touches these words (cells' threads, the I/O worker, the SIGINT
 * watcher): it imports nothing.
 */

// Taken now: on a thread where cells run, a cell may declare a global of the same name.
const SharedMemory = SharedArrayBuffer;
const Words = Int32Array;

/**
 * The attention memory: one per thread where cells run (the main shell, each Caller thread).
 * Made by that thread (start.ts for the main shell, thread_shell.ts in a Caller thread).
 */
export const AttentionWord = {
  /**
   * The flag (values: AttentionFlag), read by every guard of cell code (`__tsak_g[0] !== 0`,
   * transform/rewrite.ts) and by CellRuntime.check. Raised by the I/O worker (interrupt,
   * deadline, flush), the SIGINT watcher (interrupt), the main thread (a Caller thread's
   * interrupt and deadline); lowered by the thread that acts on it.
   */
  FLAG: 0,
  /** Interrupt requests made, a count: added to by whoever asks (I/O worker, SIGINT watcher, main thread); read by the main thread. */
  REQUESTS: 1,
  /** SIGINTs the I/O worker sent the process, not yet caught, a count: the catcher (SIGINT watcher or main thread) takes each back. */
  SELF_SIGNALS: 2,
  /** The deadline token of the cell whose `timeout` passed: written by who raises the deadline, read by the cells' thread. */
  DEADLINE_TOKEN: 3,
  /** Output held on the cells' thread (values: PendingOutput): written by that thread's outbox, read by the I/O worker. */
  PENDING_OUTPUT: 4,
  /** Interrupt requests the main thread has acted on, a count: written by the main thread, read by the I/O worker. */
  HANDLED: 5,
  /**
   * Odd while a cell's synchronous part runs in a `vm` evaluation (the only place a SIGINT stops
   * code), even otherwise; one more at every start and end: written by the cells' thread, read by
   * the I/O worker (is the evaluation it saw still the one running?).
   */
  EVALUATION: 6,
  /**
   * Execute requests handed to the main thread, a count: added to by the I/O worker as it hands
   * each over (the request carries its number), read by whoever asks for an interrupt.
   */
  EXECUTES_HANDED: 7,
  /**
   * The EXECUTES_HANDED count when the latest interrupt was asked for (raised to, never lowered):
   * written by the asker before it counts the request, read by the main thread as it acts. The
   * executes up to it were made before that interrupt, so it is meant for them too, also for one
   * still on its way to the main thread when the interrupt was acted on.
   */
  INTERRUPT_COVERS: 8,
  /**
   * Milliseconds the thread has spent stopped by a debugger, a count; and, while it is stopped,
   * when that stop began (STOPPED_AT: performance.now() in ms plus 1, the same clock in every
   * thread; 0 while it runs). Written by the I/O worker's debug adapter as the thread stops and
   * before it lets it go on (the main thread's directly, a Caller thread's through its shell);
   * read by the timeouts of cells, which do not count the stops (shell/attention.ts `setRunningTimeout`).
   */
  PAUSED_MS: 9,
  STOPPED_AT: 10,
} as const;
export const ATTENTION_WORDS = 11;

/** The values of AttentionWord.FLAG. The guards test for NONE only: it must stay 0. */
export const AttentionFlag = {
  /** Nothing asks for attention. */
  NONE: 0,
  /** An interrupt is asked for: guards throw KernelInterrupt. */
  INTERRUPT: 1,
  /** The deadline of the cell named by DEADLINE_TOKEN passed: that cell's guards throw CellTimeout. */
  DEADLINE: 2,
  /** The I/O worker finds output held back (PENDING_OUTPUT): the next guard hands it over. */
  FLUSH: 3,
} as const;
export type AttentionFlagValue = (typeof AttentionFlag)[keyof typeof AttentionFlag];

/** The values of AttentionWord.PENDING_OUTPUT. */
export const PendingOutput = { NONE: 0, HELD: 1 } as const;

export function newAttention(): Int32Array {
  return new Words(new SharedMemory(ATTENTION_WORDS * Words.BYTES_PER_ELEMENT));
}

/**
 * The stdin wake words: what a cell's blocking `prompt()` on the main thread sleeps on
 * (`Atomics.wait`). Made by the main thread (StdinRequests), handed to the I/O worker and the
 * SIGINT watcher.
 */
export const StdinWakeWord = {
  /** Bumped, with a notify, whenever the waiting thread should look again: by the I/O worker (an answer was posted) and the SIGINT watcher. */
  WAKE: 0,
  /** SIGINTs caught, a count: added to by the SIGINT watcher (and the I/O worker's interrupt); a wait that sees it change was interrupted. */
  SIGINTS: 1,
} as const;
export const STDIN_WAKE_WORDS = 2;

export function newStdinWake(): SharedArrayBuffer {
  return new SharedMemory(STDIN_WAKE_WORDS * Words.BYTES_PER_ELEMENT);
}

/**
 * The SIGINT watcher's control words (values: SigintControl), written by the main thread
 * (sigint_watch.ts), waited on by the watcher thread (sigint_worker.ts).
 */
export const SigintControlWord = {
  /** RAISED: the watcher ends. */
  END: 0,
  /** RAISED: the watcher arms (the main thread has dropped its own SIGINT listener first). */
  ARM: 1,
} as const;
export const SIGINT_CONTROL_WORDS = 2;

/** The values of each SigintControlWord: each is raised once and never lowered. */
export const SigintControl = { LOWERED: 0, RAISED: 1 } as const;

export function newSigintControl(): SharedArrayBuffer {
  return new SharedMemory(SIGINT_CONTROL_WORDS * Words.BYTES_PER_ELEMENT);
}
