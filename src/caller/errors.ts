/**
 * Errors crossing threads: a thrown value becomes plain data in the thread where it was thrown
 * and an error again where the call was made, with its name, message and the stack of the thread
 * it came from (errors of the standard classes keep their class, so `instanceof TypeError` holds).
 */
import { inspect } from "node:util";

/** How a thread ended, when the root thread knows it. */
export interface ThreadExit {
  /** The thread's exit code (`process.exit(n)` in it, 1 when it was terminated). */
  code?: number;
  /** Why it could not start (a host loop that does not exist, a failing setup). */
  failure?: string;
  /** It was stopped on purpose: `caller.stop()`, or every thread at shutdown. */
  stopped?: boolean;
}

export type ErrorData =
  | { kind: "error"; name: string; message: string; stack: string; code?: string | number; exit?: ThreadExit }
  /** Something not an Error was thrown (`throw 42`) and can cross as it is. */
  | { kind: "value"; value: unknown };

/** A call was cancelled (`pending.cancel()`), and the reason was not an Error of its own. */
export class PendingCancelled extends Error {
  override name = "PendingCancelled";
  constructor(message = "The call was cancelled") {
    super(message);
  }
}

/** The thread a call was running in (or was sent to) ended before the call settled. */
export class ThreadEnded extends Error {
  override name = "ThreadEnded";
  /** What the root thread knows of the end; empty in other threads. */
  readonly exit: ThreadExit;
  constructor(message: string, exit: ThreadExit = {}) {
    super(message);
    this.exit = exit;
  }
}

/** A call ran past its `pending.timeout(seconds)`. */
export class CallTimeout extends Error {
  override name = "TimeoutError";
  constructor(seconds: number) {
    super(`The call did not finish within ${seconds} s`);
  }
}

// Taken now: a cell may declare a global of the same name (cells share their thread's realm).
const clone = structuredClone;

const STANDARD = new Map<string, ErrorConstructor>([
  ["Error", Error],
  ["TypeError", TypeError],
  ["RangeError", RangeError],
  ["SyntaxError", SyntaxError],
  ["ReferenceError", ReferenceError],
  ["EvalError", EvalError],
  ["URIError", URIError],
]);

function isErrorLike(err: unknown): err is Error {
  return err instanceof Error || (typeof err === "object" && err !== null && "message" in err && "stack" in err);
}

/**
 * `err` as data. `describe` may give the stack text to send (the kernel names cell frames
 * `In[n]`); it must not throw, but a hostile error object is survived anyway.
 */
export function errorData(err: unknown, describe?: (err: unknown) => string | undefined): ErrorData {
  if (!isErrorLike(err)) {
    try {
      clone(err);
      return { kind: "value", value: err };
    } catch {
      const text = inspect(err, { depth: 2 });
      return { kind: "error", name: "Uncaught", message: text, stack: `Uncaught ${text}` };
    }
  }
  try {
    const name = typeof err.name === "string" && err.name ? err.name : "Error";
    const message = typeof err.message === "string" ? err.message : String(err.message);
    const stack = describe?.(err) ?? (typeof err.stack === "string" ? err.stack : `${name}: ${message}`);
    const data: ErrorData = { kind: "error", name, message, stack };
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" || typeof code === "number") data.code = code;
    if (err instanceof ThreadEnded) data.exit = err.exit;
    return data;
  } catch {
    return { kind: "error", name: "Error", message: "(an error that cannot be shown)", stack: "Error: (an error that cannot be shown)" };
  }
}

/**
 * The error again, in this thread. Its stack is the remote one, then a line naming the thread it
 * came from (`where`), so a traceback shows both sides of the call.
 */
export function rebuildError(data: ErrorData, where?: string): unknown {
  if (data.kind === "value") return data.value;
  let err: Error;
  if (data.name === "ThreadEnded") err = new ThreadEnded(data.message, data.exit);
  else if (data.name === "PendingCancelled") err = new PendingCancelled(data.message);
  else {
    const Standard = STANDARD.get(data.name);
    err = Standard ? new Standard(data.message) : new Error(data.message);
    if (!Standard) Object.defineProperty(err, "name", { value: data.name, writable: true, configurable: true, enumerable: false });
  }
  if (data.code !== undefined) (err as Error & { code?: unknown }).code = data.code;
  err.stack = where ? `${data.stack}\n    at <${where}>` : data.stack;
  return err;
}
