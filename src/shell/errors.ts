/** Turning whatever a cell throws into Jupyter's ename / evalue / traceback. */
import { inspect } from "node:util";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

const RED = "\u001b[0;31m";
const RESET = "\u001b[0m";

/** Frames from the kernel itself and from Node internals say nothing about the user's code. */
function isInternalFrame(line: string, internalPaths: readonly string[]): boolean {
  if (/\(node:|at node:|\(internal\/|at new Promise \(<anonymous>\)/.test(line)) return true;
  return internalPaths.some((p) => line.includes(p));
}

/**
 * @param rename - maps script file names in stack frames to what users should see (cells are
 *   compiled under a name derived from their source, so V8 can reuse compiled code, and shown
 *   as `In[n]`).
 */
export function formatError(err: unknown, internalPaths: readonly string[] = [], rename?: (frame: string) => string | undefined): ErrorContent {
  if (err instanceof Error || (typeof err === "object" && err !== null && "stack" in err && "message" in err)) {
    const e = err as Error;
    const ename = typeof e.name === "string" && e.name ? e.name : e.constructor?.name || "Error";
    const evalue = typeof e.message === "string" ? e.message : String(e.message);
    const stack = typeof e.stack === "string" ? e.stack.split("\n") : [];
    const frames = stack.filter((l) => /^\s+at /.test(l) && !isInternalFrame(l, internalPaths)).flatMap((l) => {
        const shown = rename ? rename(l) : l;
        return shown === undefined ? [] : [shown];
      });
    return { ename, evalue, traceback: [`${RED}${ename}${RESET}: ${evalue}`, ...frames] };
  }
  const evalue = inspect(err, { depth: 2 });
  return { ename: "Uncaught", evalue, traceback: [`${RED}Uncaught${RESET} ${evalue}`] };
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
