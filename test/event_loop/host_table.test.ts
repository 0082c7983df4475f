import { threadId, Worker } from "node:worker_threads";

import { beforeAll, describe, expect, test } from "vitest";

import { Host } from "../../src/event_loop/host.js";
import { claim, lookup, release } from "../../src/event_loop/host_table.js";
import { PureHost } from "../../src/event_loop/pure_host.js";
import { run } from "../../src/event_loop/run.js";
import { buildEventLoop, moduleUrl } from "./helpers/build.js";

// Thread ids that no real thread in this process will have.
const FAKE = 1_000_000;

describe("host table", () => {
  test("a claimed entry can be looked up and is gone after release", () => {
    const slot = claim(FAKE, "pure", "PureHost");
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(lookup(FAKE)).toEqual({ threadId: FAKE, loop: "pure", hostClass: "PureHost" });
    release(slot);
    expect(lookup(FAKE)).toBeUndefined();
  });

  test("a thread without a host has no entry", () => {
    expect(lookup(FAKE + 1)).toBeUndefined();
  });

  test("entries of different threads do not mix", () => {
    const a = claim(FAKE + 2, "tk", "TkHost");
    const b = claim(FAKE + 3, "qt", "QtHost");
    expect(lookup(FAKE + 2)?.hostClass).toBe("TkHost");
    expect(lookup(FAKE + 3)?.hostClass).toBe("QtHost");
    release(a);
    expect(lookup(FAKE + 2)).toBeUndefined();
    expect(lookup(FAKE + 3)?.loop).toBe("qt");
    release(b);
  });

  test("long names are truncated on a character boundary", () => {
    const slot = claim(FAKE + 4, "é".repeat(40), `${"x".repeat(95)}€`);
    const entry = lookup(FAKE + 4);
    release(slot);
    expect(entry?.loop).toBe("é".repeat(16));
    expect(entry?.hostClass).toBe("x".repeat(95));
  });

  test("a full table refuses a claim and frees up on release", () => {
    const slots: number[] = [];
    for (let slot; (slot = claim(FAKE + 100 + slots.length, "pure", "PureHost")) >= 0; ) slots.push(slot);
    try {
      expect(slots.length).toBeGreaterThan(0);
      expect(claim(FAKE + 99, "pure", "PureHost")).toBe(-1);
    } finally {
      for (const slot of slots) release(slot);
    }
    const again = claim(FAKE + 99, "pure", "PureHost");
    expect(again).toBeGreaterThanOrEqual(0);
    release(again);
  });

  test("a run while the table is full still works and warns that other threads cannot see it", async () => {
    const slots: number[] = [];
    for (let slot; (slot = claim(FAKE + 1000 + slots.length, "pure", "PureHost")) >= 0; ) slots.push(slot);
    const warnings: Array<{ code?: string }> = [];
    const listener = (warning: Error & { code?: string }): void => {
      warnings.push(warning);
    };
    process.on("warning", listener);
    try {
      const seen = await run(async () => Host.describe()?.hostClass, [], { loop: "pure" });
      // Its own thread still sees it.
      expect(seen).toBe("PureHost");
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
      for (const slot of slots) release(slot);
    }
    expect(warnings.map((w) => w.code)).toContain("TS_ASYNC_KERNEL_HOST_TABLE_FULL");
  });
});

describe("hosts in worker threads (compiled build)", () => {
  let workerData: { indexUrl: string; parentThreadId: number };
  beforeAll(async () => {
    workerData = { indexUrl: moduleUrl(await buildEventLoop(), "index.js"), parentThreadId: threadId };
  });

  /** Messages of a worker, received in order, whenever they arrived. */
  function inbox(worker: Worker) {
    const messages: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    let failure: unknown;
    worker.on("message", (message) => {
      messages.push(message);
      waiters.shift()?.();
    });
    worker.on("error", (error) => {
      failure = error;
      waiters.shift()?.();
    });
    return async (type: string) => {
      while (messages.length === 0) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      const message = messages.shift()!;
      expect(message.type).toBe(type);
      return message;
    };
  }

  const workerUrl = new URL("./fixtures/host_worker.mjs", import.meta.url);

  test("two workers each run their own host at once and Host.current answers per thread", async () => {
    const workers = [new Worker(workerUrl, { workerData }), new Worker(workerUrl, { workerData })] as const;
    // Listen from the start: a worker may exit before the test gets round to waiting for it.
    const exited = workers.map((w) => new Promise((resolve) => w.once("exit", resolve)));
    try {
      const mainHostSeen = await run(
        async () => {
          const receive = workers.map(inbox);
          const [w1, w2] = workers;
          // Read now: a Worker's threadId turns to -1 once it has exited.
          const ids = workers.map((w) => w.threadId);
          const [id1, id2] = ids as [number, number];
          const running = await Promise.all(receive.map((next) => next("running")));
          for (const [i, id] of ids.entries()) {
            expect(running[i]).toMatchObject({
              threadId: id,
              currentClass: "PureHost",
              describe: { threadId: id, loop: "pure", hostClass: "PureHost" },
              currentOfParent: null,
            });
            // From this thread, another thread's host can be described but not returned.
            expect(Host.current(id)).toBeUndefined();
            expect(Host.describe(id)).toEqual({
              threadId: id,
              loop: "pure",
              hostClass: "PureHost",
            });
          }

          w1.postMessage({ sibling: id2 });
          w2.postMessage({ sibling: id1 });
          const siblings = await Promise.all(receive.map((next) => next("sibling")));
          expect(siblings[0]).toMatchObject({
            describe: { threadId: id2, loop: "pure", hostClass: "PureHost" },
            current: null,
            parent: { threadId, loop: "pure", hostClass: "PureHost" },
          });
          expect(siblings[1]).toMatchObject({
            describe: { threadId: id1, loop: "pure", hostClass: "PureHost" },
            current: null,
          });

          w1.postMessage({ fail: false });
          w2.postMessage({ fail: true });
          const [done, failed] = await Promise.all([receive[0]!("done"), receive[1]!("error")]);
          expect(done).toEqual({ type: "done", result: id1 * 10, after: null, describeAfter: null });
          expect(failed).toEqual({ type: "error", message: `failed in thread ${id2}`, after: null });
          await Promise.all(exited);
          for (const id of ids) expect(Host.describe(id)).toBeUndefined();
          return Host.current() instanceof PureHost;
        },
        [],
        { loop: "pure" },
      );
      expect(mainHostSeen).toBe(true);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
