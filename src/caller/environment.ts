/**
 * What a program embedding the Caller (the kernel) lends it in each thread: how `{module}` and
 * `{source}` functions are found, where output of calls goes, how errors are shown. Without an
 * environment the Caller works in plain Node: modules are imported with `import()` (relative
 * paths from `process.cwd()`), source text is evaluated in the thread's global scope, and a
 * call's output is whatever the function writes to its thread's stdout.
 */
import process from "node:process";
import type { OutputEvent } from "./protocol.js";

export interface ThreadEnvironment {
  /** Import a `{module}` specifier other than a `file:` URL or a `node:` built-in. */
  importModule?(specifier: string): Promise<unknown>;
  /** Evaluate `{source}` text to its value (which should be a function). */
  evaluate?(source: string): unknown;
  /**
   * Run `fn`, a call that came from another thread, so that what it (and what it schedules)
   * prints or displays goes to `call.emit`, to be shown where the call was made, and so that
   * cancelling the call can undo what it started (`call.whenCancelled`).
   */
  runCall?<T>(fn: () => T, call: IncomingCall): T;
  /**
   * Show output of a call made from this thread; runs in the async context of the call site
   * (`routed`), or in none for output of a call forgotten since (long after it settled).
   */
  deliverOutput?(event: OutputEvent, routed: boolean): void;
  /** The stack text of an error that crosses to another thread. */
  describeError?(err: unknown): string | undefined;
  /** An error that escaped its call in a caller thread (thrown in a timer, a rejection nobody handled). */
  strayError?(err: unknown, kind: string): void;
}

/** A call from another thread, as its environment sees it. */
export interface IncomingCall {
  /** Send output to where the call was made. */
  emit(event: OutputEvent): void;
  /** Run `hook` if the call is cancelled (at once if it was). */
  whenCancelled(hook: (reason: Error) => void): void;
}

let current: ThreadEnvironment = {};

/** Set this thread's environment (the kernel does, in every thread it runs code in). */
export function setThreadEnvironment(env: ThreadEnvironment): void {
  current = env;
}

export function threadEnvironment(): ThreadEnvironment {
  return current;
}

/** Default delivery: a call's stream output is written to this thread's stdout/stderr. */
export function deliverOutput(event: OutputEvent, routed: boolean): void {
  if (current.deliverOutput) return current.deliverOutput(event, routed);
  if (!routed) return;
  if (event.kind === "stream") process[event.name].write(event.text);
  else if (event.kind === "display") {
    const text = event.data["text/plain"];
    if (typeof text === "string") process.stdout.write(`${text}\n`);
  }
}
