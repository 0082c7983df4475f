import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { holdUntilListened } from "../../src/io/spawn.js";

/** A worker that says something and ends at once, as the I/O worker does when it cannot bind. */
function quickWorker(): Worker {
  return new Worker(`require("node:worker_threads").parentPort.postMessage({ type: "fatal", message: "cannot bind" });`, { eval: true });
}

async function ended(worker: Worker): Promise<void> {
  // threadId turns -1 once the thread has ended (no listener needed to see it).
  while (worker.threadId !== -1) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("holdUntilListened (the I/O worker's spawn)", () => {
  it("hands over what the worker said and its exit, though it ended before anyone listened", async () => {
    const io = holdUntilListened(quickWorker());
    await ended(io.worker);
    const seen: unknown[] = [];
    io.listen({ message: (m) => seen.push(m), error: (e) => seen.push(e), exit: (code) => seen.push({ exit: code }) });
    expect(seen).toEqual([{ type: "fatal", message: "cannot bind" }, { exit: 0 }]);
  });

  it("passes on what comes after listening, in order", async () => {
    const io = holdUntilListened(
      new Worker(
        `const { parentPort } = require("node:worker_threads"); parentPort.postMessage(1); parentPort.on("message", (m) => { parentPort.postMessage(m); if (m === 3) parentPort.close(); });`,
        { eval: true },
      ),
    );
    const seen: unknown[] = [];
    const exited = new Promise<void>((resolve) =>
      io.listen({ message: (m) => seen.push(m), error: (e) => seen.push(e), exit: () => resolve() }),
    );
    io.worker.postMessage(2);
    io.worker.postMessage(3);
    await exited;
    expect(seen).toEqual([1, 2, 3]);
  });
});
