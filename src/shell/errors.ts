/** Turning whatever a cell throws into Jupyter's ename / evalue / traceback. */
import { inspect } from "node:util";
import { errorLine } from "../messaging/traceback.js";

/** Taken at load: a cell may replace the global `Error` (cells run in this realm). */
const BuiltinError = Error;

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Frames from the kernel itself and from Node internals say nothing about the user's code. */
function isInternalFrame(line: string, internalPaths: readonly string[]): boolean {
  if (/\(node:|at node:|\(internal\/|at new Promise \(<anonymous>\)|at async Promise\.all \(index \d+\)$/.test(line)) return true;
  return internalPaths.some((p) => line.includes(p));
}

const FRAME = /^\s+at /;

/** A stack frame as users see it (none for the kernel's and Node's own frames, see formatError). */
function userFrame(line: string, internalPaths: readonly string[], rename?: (frame: string) => string | undefined): string[] {
  if (isInternalFrame(line, internalPaths)) return [];
  const shown = rename ? rename(line) : line;
  return shown === undefined ? [] : [shown];
}

/**
 * An error's `stack` text with the frames a traceback would show: the lines before the first
 * frame (name and message) and lines that are not frames stay as they are.
 */
export function userStack(stack: string, internalPaths: readonly string[], rename?: (frame: string) => string | undefined): string {
  const lines = stack.split("\n");
  const first = lines.findIndex((l) => FRAME.test(l));
  if (first < 0) return stack;
  return [...lines.slice(0, first), ...lines.slice(first).flatMap((l) => (FRAME.test(l) ? userFrame(l, internalPaths, rename) : [l]))].join(
    "\n",
  );
}

/**
 * @param rename - maps script file names in stack frames to what users should see (cells are
 *   compiled under a name derived from their source, so V8 can reuse compiled code, and shown
 *   as `In[n]`).
 */
export function formatError(
  err: unknown,
  internalPaths: readonly string[] = [],
  rename?: (frame: string) => string | undefined,
): ErrorContent {
  try {
    return describeError(err, internalPaths, rename);
  } catch {
    // A hostile value (a getter or a Proxy trap that throws) must not throw again from here:
    // this runs in the kernel's error paths, where a second throw would end the process.
    const evalue = showThrown(err);
    return { ename: "Uncaught", evalue, traceback: [errorLine("Uncaught", evalue, " ")] };
  }
}

function describeError(err: unknown, internalPaths: readonly string[], rename?: (frame: string) => string | undefined): ErrorContent {
  if (err instanceof BuiltinError || (typeof err === "object" && err !== null && "stack" in err && "message" in err)) {
    const e = err as Error;
    const ename = typeof e.name === "string" && e.name ? e.name : e.constructor?.name || "Error";
    const evalue = typeof e.message === "string" ? e.message : String(e.message);
    const stack = typeof e.stack === "string" ? e.stack.split("\n") : [];
    const frames = stack.filter((l) => FRAME.test(l)).flatMap((l) => userFrame(l, internalPaths, rename));
    return { ename, evalue, traceback: [errorLine(ename, evalue), ...frames] };
  }
  const evalue = inspect(err, { depth: 2 });
  return { ename: "Uncaught", evalue, traceback: [errorLine("Uncaught", evalue, " ")] };
}

/** util.inspect shows a Proxy's target and getters as `[Getter]` without calling them. */
function showThrown(err: unknown): string {
  try {
    return inspect(err, { depth: 1 });
  } catch {
    return "(a thrown value that cannot be shown: reading it throws)";
  }
}

/**
 * A property of a thrown value, or undefined when reading it throws (a hostile getter or Proxy):
 * for the kernel's own checks of what a cell threw.
 */
export function fieldOf(value: unknown, key: string): unknown {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `value instanceof type`, false when a Proxy's getPrototypeOf trap throws. */
export function isInstance(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** The error a cell gets when the user interrupts it. */
export class KernelInterrupt extends Error {
  override name = "KernelInterrupt";
  constructor(message = "Execution interrupted by the user") {
    super(message);
  }
}

/** The error a cell gets when it runs past its `timeout` tag. */
export class CellTimeout extends Error {
  override name = "TimeoutError";
  constructor(seconds: number) {
    super(`The cell did not finish within its timeout of ${seconds} s`);
  }
}
