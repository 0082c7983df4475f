/**
 * The shared words a cell's synchronous `prompt()` / `confirm()` blocks on (Atomics.wait) while
 * the main thread cannot take messages. Two threads wake it: the I/O worker, when it has posted an
 * answer, and the SIGINT watcher (sigint_worker.ts), when it catches a SIGINT, which then is an
 * interrupt of the prompt (a SIGINT during a cell's synchronous part breaks the wait by itself:
 * vm `breakOnSigint` terminates the evaluation, Atomics.wait included). The words and who
 * writes them: src/shared_memory/layout.ts (StdinWakeWord).
 */
import { StdinWakeWord } from "../shared_memory/layout.js";

const { WAKE, SIGINTS } = StdinWakeWord;

export function wakeUp(words: Int32Array): void {
  Atomics.add(words, WAKE, 1);
  Atomics.notify(words, WAKE);
}

export function countSigint(words: Int32Array): void {
  Atomics.add(words, SIGINTS, 1);
  wakeUp(words);
}
