/**
 * The `console` cells get: Node's Console writing to the running cell's streams (output.ts
 * `routedStream`), with a `trace` that shows the frames a traceback would.
 *
 * Node's `console.trace` captures a stack on a plain object (`Error.captureStackTrace`,
 * lib/internal/console/constructor.js) and writes its text: util.inspect never sees an Error, so
 * the custom inspection that shows errors with their cells' frames (inspection.ts) does not apply,
 * and the trace named cells by their script files (`cell-…`) and listed the kernel's evaluator.
 */
import { Console } from "node:console";
import { format } from "node:util";
import { cellStack } from "./inspection.js";
import { routedStream } from "./output.js";

// Taken at load: cells share this realm and may replace `Error`.
const captureStackTrace = Error.captureStackTrace;

/** @param fallback - where text goes when no cell is running (output.ts `routedStream`). */
export function cellConsole(fallback: (name: "stdout" | "stderr", text: string) => void): Console {
  const stream = (name: "stdout" | "stderr") => routedStream(name, (text) => fallback(name, text)) as unknown as NodeJS.WritableStream;
  const console = new Console({ stdout: stream("stdout"), stderr: stream("stderr"), colorMode: false });
  // Node's own, with the stack as users see it; `console.error` as Node's calls it (bound, or the
  // cell's replacement of it)
  const trace = function trace(...args: unknown[]): void {
    const err: { name: string; message: string; stack?: unknown } = { name: "Trace", message: format(...args) };
    captureStackTrace(err, trace);
    console.error(typeof err.stack === "string" ? cellStack(err.stack) : err.stack);
  };
  Object.defineProperty(console, "trace", { value: trace, writable: true, configurable: true, enumerable: true });
  return console;
}
