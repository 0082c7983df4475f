/**
 * Interrupt requests across the kernel's threads, in the shared attention memory of the main
 * thread's shell (src/shell/attention.ts: word 0 is the flag the cells' guards read).
 *
 * An interrupt may be asked for by the I/O worker (`interrupt_request`), by the SIGINT watcher
 * (a signal while no cell evaluation watches), or found by the main thread itself (a
 * `breakOnSigint` evaluation stopped by a signal). The main thread may be stuck in a cell's loop
 * when it is asked, so the asker raises the flag itself (the guards then throw) and counts the
 * request; the main thread acts on each request once, whichever notice reaches it first.
 *
 * The I/O worker also sends the process a SIGINT (what stops a package's loop in the synchronous
 * part of a cell). Whoever catches that signal must not count it as a new request: such
 * self-sent signals are counted and taken back by their catcher.
 */
import process from "node:process";
import { ATTENTION_INTERRUPT, ATTENTION_NONE } from "../shell/attention.js";

// Taken now: on the main thread a cell may declare a global of the same name (cells share its realm).
const { add, compareExchange, load, store } = Atomics;

/**
 * Word 0: the shell's attention flag; 1: interrupt requests made; 2: self-sent SIGINTs not yet
 * caught; 5: requests the main thread has acted on (words 3, 4 and 6 are attention.ts's).
 */
const FLAG = 0;
const REQUESTS = 1;
const SELF_SIGNALS = 2;
const HANDLED = 5;

/** Ask for an interrupt: the cells' guards throw from now on, until the main thread acts. */
export function requestInterrupt(words: Int32Array): number {
  // The flag first: whoever sees the new count lowers the flag after it was raised, never before.
  store(words, FLAG, ATTENTION_INTERRUPT);
  return add(words, REQUESTS, 1) + 1;
}

/** Has the main thread acted on request number `n` (and every one before)? */
export function interruptHandled(words: Int32Array, n: number): boolean {
  return load(words, HANDLED) >= n;
}

/** SIGINT to this process, counted so that its catcher knows it for ours. */
export function sendSelfSigint(words: Int32Array): void {
  add(words, SELF_SIGNALS, 1);
  process.kill(process.pid, "SIGINT");
}

/**
 * A SIGINT was caught: counts it as a request unless it was one the kernel sent itself (whose
 * request was made by the sender).
 */
export function sigintCaught(words: Int32Array): void {
  for (;;) {
    const n = load(words, SELF_SIGNALS);
    if (n <= 0) break;
    if (compareExchange(words, SELF_SIGNALS, n, n - 1) === n) return;
  }
  requestInterrupt(words);
}

/** The main thread's record of the requests it has acted on. */
export class InterruptLedger {
  private handled = 0;

  constructor(private readonly words: Int32Array) {}

  /**
   * True (once) when requests were made since the last call: the caller then interrupts. Lowers
   * the flag, unless a newer request came in meanwhile (its notice is on the way).
   */
  takeNew(): boolean {
    const requested = load(this.words, REQUESTS);
    if (requested === this.handled) return false;
    this.handled = requested;
    store(this.words, HANDLED, requested);
    // (a deadline raised meanwhile stays up)
    compareExchange(this.words, FLAG, ATTENTION_INTERRUPT, ATTENTION_NONE);
    if (load(this.words, REQUESTS) !== requested) store(this.words, FLAG, ATTENTION_INTERRUPT);
    return true;
  }
}
