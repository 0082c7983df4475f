/**
 * Interrupt requests across the kernel's threads, in the shared attention memory of the main
 * thread's shell (its words: src/shared_memory/layout.ts; the flag is the word the cells' guards read).
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
import { AttentionFlag, AttentionWord } from "../shared_memory/layout.js";

// Taken now: on the main thread a cell may declare a global of the same name (cells share its realm).
const { add, compareExchange, load, store } = Atomics;
const { FLAG, REQUESTS, SELF_SIGNALS, HANDLED, EXECUTES_HANDED, INTERRUPT_COVERS } = AttentionWord;

/**
 * Ask for an interrupt: the cells' guards throw from now on, until the main thread acts. It is
 * meant for every execute request handed to the main thread so far (INTERRUPT_COVERS), also one
 * the main thread has not seen yet: the frontend saw it busy and asked to stop it.
 */
export function requestInterrupt(words: Int32Array): number {
  // Before the count: whoever sees the new count sees what it covers.
  coverExecutes(words, load(words, EXECUTES_HANDED));
  // The flag first: whoever sees the new count lowers the flag after it was raised, never before.
  store(words, FLAG, AttentionFlag.INTERRUPT);
  return add(words, REQUESTS, 1) + 1;
}

/** Raises INTERRUPT_COVERS to `n` (two askers, the I/O worker and the SIGINT watcher, may race). */
function coverExecutes(words: Int32Array, n: number): void {
  for (let seen = load(words, INTERRUPT_COVERS); seen < n; ) {
    const was = compareExchange(words, INTERRUPT_COVERS, seen, n);
    if (was === seen) return;
    seen = was;
  }
}

/** The I/O worker hands an execute request to the main thread: its number, which it carries there. */
export function executeHanded(words: Int32Array): number {
  return add(words, EXECUTES_HANDED, 1) + 1;
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
  /** INTERRUPT_COVERS of the request acted on last. */
  private asked = 0;
  /** What interrupts that stopped no cell cover (see `coverUnseen`). */
  private covers = 0;

  constructor(private readonly words: Int32Array) {}

  /**
   * True (once) when requests were made since the last call: the caller then interrupts. Lowers
   * the flag, unless a newer request came in meanwhile (its notice is on the way).
   */
  takeNew(): boolean {
    const requested = load(this.words, REQUESTS);
    if (requested === this.handled) return false;
    this.handled = requested;
    this.asked = load(this.words, INTERRUPT_COVERS);
    store(this.words, HANDLED, requested);
    // (a deadline raised meanwhile stays up)
    compareExchange(this.words, FLAG, AttentionFlag.INTERRUPT, AttentionFlag.NONE);
    if (load(this.words, REQUESTS) !== requested) store(this.words, FLAG, AttentionFlag.INTERRUPT);
    return true;
  }

  /**
   * The interrupt just taken stopped no cell: the frontend was shown one running that this thread
   * had not seen yet (held up elsewhere: an earlier cell's timer that spins, a module loading), so
   * the executes handed over before it are interrupted as they arrive. One that stopped a cell
   * leaves those behind it to stop_on_error, as the cells queued behind it.
   */
  coverUnseen(): void {
    this.covers = Math.max(this.covers, this.asked);
  }

  /**
   * Whether an execute request (its number from `executeHanded`) arriving now is covered by an
   * interrupt acted on before it came (`coverUnseen`): it is interrupted as it starts.
   */
  covered(execute: number): boolean {
    return execute <= this.covers;
  }
}
