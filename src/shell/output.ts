/**
 * Where a cell's output goes. The shell knows nothing of wire frames: the kernel gives each
 * execution a `CellOutput`, and everything the cell prints or displays, now or later from its
 * timers and promises, is routed to that object through the cell's scope (cell_scope.ts).
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import type { CellOutput } from "./cell_output.js";
import { CellScope, currentScope } from "./cell_scope.js";

export type { CellOutput, DisplayOptions, MimeBundle } from "./cell_output.js";

let fallback: CellOutput | undefined;

/** Output emitted outside any cell's scope (a callback of a native module, say) goes to the latest cell. */
export function setLatestOutput(output: CellOutput): void {
  fallback = output;
}

/**
 * Run `fn` with `output` as its destination, in a scope of its own (its timers and awaits are
 * cancelled by an interrupt like a cell's; the deadline of the code that calls it is kept), without
 * making it the fallback for code outside any cell: for the handlers of frontend comm messages,
 * and for output captured by a widget.
 */
export function routeOutput<T>(output: CellOutput, fn: () => T): T {
  const scope = new CellScope(output);
  scope.deadline = currentScope()?.deadline;
  return scope.run(fn);
}

/** The output of the cell whose code is running, else of the most recent cell. */
export function currentOutput(): CellOutput | undefined {
  return currentScope()?.output ?? fallback;
}

/**
 * A stream-like object (enough for `console.Console` and code that writes to stdout). Not a real
 * Writable: that would buffer writes and run them later, outside the writing cell's async context.
 * The listener methods exist because Console attaches and detaches an error handler per write.
 */
export function routedStream(name: "stdout" | "stderr", sink: (text: string) => void) {
  const self = {
    on: () => self,
    once: () => self,
    off: () => self,
    removeListener: () => self,
    emit: () => false,
    listenerCount: () => 0,
    write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const text =
        typeof chunk === "string"
          ? chunk
          : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
      const out = currentOutput();
      if (out) out.stream(name, text);
      else sink(text);
      const done = typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") process.nextTick(() => (done as (err: Error | null) => void)(null));
      return true;
    },
    isTTY: false,
  };
  return self;
}

/**
 * Route `process.stdout.write`/`process.stderr.write` of the kernel process to the cells.
 * The kernel logs with pino straight to fd 2, so its own logs are unaffected.
 */
export function captureProcessStreams(): void {
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    const original = stream.write.bind(stream);
    const routed = routedStream(name, (text) => original(text));
    (stream as unknown as { write: unknown }).write = routed.write;
  }
}
