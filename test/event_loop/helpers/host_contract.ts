/*
 * The seed's rules for a host, as tests any registered loop must pass (host_contract.test.ts runs
 * them for "pure" and "gtk"): the guest runs to its outcome through the host's callbacks, one host
 * per thread, a one-shot startGuest, doneCallback before the mainloop returns; and what cell code
 * needs of Node inside any host (promise jobs after each callback, timers, immediates, messages,
 * worker threads).
 */
import { MessageChannel, threadId, Worker } from "node:worker_threads";

import { describe, expect, test } from "vitest";

import type { SyncCallback } from "../../../src/event_loop/contract.js";
import { Host, type HostClass } from "../../../src/event_loop/host.js";
import type { Outcome } from "../../../src/event_loop/outcome.js";
import type { PureHost } from "../../../src/event_loop/pure_host.js";
import { run } from "../../../src/event_loop/run.js";

/** A subclass of the loop's host that records what the contract is about. */
async function spyClass(loop: string): Promise<{ cls: HostClass; events: string[] }> {
  // Typed as a concrete host (any registered one implements runSyncSoonThreadsafe).
  const Base = (await Host.load(loop)) as unknown as typeof PureHost;
  const events: string[] = [];
  class Spy extends Base {
    static override LOOP = loop;
    override runSyncSoonThreadsafe(fn: SyncCallback): void {
      events.push("soon");
      super.runSyncSoonThreadsafe(fn);
    }
    override runSyncSoonNotThreadsafe(fn: SyncCallback): void {
      events.push("soon");
      super.runSyncSoonNotThreadsafe(fn);
    }
    override doneCallback(outcome: Outcome<unknown>): void {
      events.push("done");
      super.doneCallback(outcome);
    }
    override async mainloop(): Promise<unknown> {
      events.push("mainloop");
      try {
        return await super.mainloop();
      } finally {
        events.push("mainloop returned");
      }
    }
  }
  return { cls: Spy as unknown as HostClass, events };
}

/** The tests of the host contract for `loop`. */
export function describeHostContract(loop: string): void {
  const settings = { loop } as const;

  describe(`the host contract, loop "${loop}"`, () => {
    test("runs the guest to its result on this loop's host, which is this thread's host meanwhile", async () => {
      const seen = await run(
        async (a: number, b: number) => {
          const host = Host.current();
          return { sum: a + b, loop: (host?.constructor as HostClass).LOOP, described: Host.describe() };
        },
        [40, 2],
        settings,
      );
      expect(seen.sum).toBe(42);
      expect(seen.loop).toBe(loop);
      expect(seen.described).toMatchObject({ threadId, loop });
      expect(Host.current()).toBeUndefined();
      expect(Host.describe()).toBeUndefined();
    });

    test("the guest's error, also a synchronous throw, is thrown by run as the same object", async () => {
      const error = new RangeError("in the guest");
      await expect(
        run(
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            throw error;
          },
          [],
          settings,
        ),
      ).rejects.toBe(error);
      await expect(
        run(
          () => {
            throw error;
          },
          [],
          settings,
        ),
      ).rejects.toBe(error);
    });

    test("the guest starts and ends through the host's callbacks, and doneCallback comes before the mainloop returns", async () => {
      const { cls, events } = await spyClass(loop);
      const result = await run(async () => "ok", [], { loop, loopOptions: { hostClass: cls } });
      expect(result).toBe("ok");
      expect(events).toEqual(["mainloop", "soon", "soon", "done", "mainloop returned"]);
    });

    test("one host per thread: a second run in the guest is refused and the first goes on", async () => {
      const result = await run(
        async () => {
          const second = await run(async () => "second", [], settings).catch((error: NodeJS.ErrnoException) => [error.message, error.code]);
          return { second, stillHere: (Host.current()?.constructor as HostClass).LOOP };
        },
        [],
        settings,
      );
      expect(result).toEqual({ second: ["A host is already running in this thread", "EBUSY"], stillHere: loop });
    });

    test("startGuest is one-shot: calling it again from the guest starts nothing", async () => {
      let starts = 0;
      const result = await run(
        async () => {
          starts++;
          Host.current()!.startGuest();
          Host.current()!.startGuest();
          await new Promise((resolve) => setTimeout(resolve, 5));
          return starts;
        },
        [],
        settings,
      );
      expect(result).toBe(1);
    });

    test("callbacks run in order, each one's promise jobs before the next", async () => {
      const order: string[] = [];
      await run(
        () =>
          new Promise<void>((resolve) => {
            const host = Host.current()!;
            for (let i = 0; i < 3; i++) {
              const schedule = i % 2 === 0 ? host.runSyncSoonThreadsafe : host.runSyncSoonNotThreadsafe;
              schedule.call(host, () => {
                order.push(`cb${i}`);
                void Promise.resolve().then(() => order.push(`job${i}`));
              });
            }
            host.runSyncSoonThreadsafe(resolve);
          }),
        [],
        settings,
      );
      expect(order).toEqual(["cb0", "job0", "cb1", "job1", "cb2", "job2"]);
    });

    test("many callbacks all run", async () => {
      let ran = 0;
      await run(
        () =>
          new Promise<void>((resolve) => {
            const host = Host.current()!;
            for (let i = 0; i < 5000; i++) host.runSyncSoonThreadsafe(() => ran++);
            host.runSyncSoonThreadsafe(resolve);
          }),
        [],
        settings,
      );
      expect(ran).toBe(5000);
    });

    test("inside the host, Node's loop goes on: timers, immediates, nextTicks, messages and worker threads", async () => {
      const result = await run(
        async () => {
          const order: string[] = [];
          const { port1, port2 } = new MessageChannel();
          const message = new Promise<string>((resolve) =>
            port1.once("message", (m: string) => {
              // promise jobs of a message's handler run at once, not when the host returns
              void Promise.resolve().then(() => resolve(`${m} + job`));
            }),
          );
          port2.postMessage("message");
          process.nextTick(() => order.push("tick"));
          await new Promise((resolve) => setTimeout(resolve, 10));
          order.push("timer");
          await new Promise((resolve) => setImmediate(resolve));
          order.push("immediate");
          const fromPort = await message;
          port1.close();
          const worker = new Worker("require('node:worker_threads').parentPort.postMessage(6 * 7)", { eval: true });
          const fromWorker = await new Promise((resolve) => worker.once("message", resolve));
          await worker.terminate();
          return { order, fromPort, fromWorker };
        },
        [],
        settings,
      );
      expect(result).toEqual({ order: ["tick", "timer", "immediate"], fromPort: "message + job", fromWorker: 42 });
    });

    test("a callback that throws is reported and the loop goes on", async () => {
      const reported: unknown[] = [];
      const boom = new Error("callback failed");
      const result = await run(
        () =>
          new Promise<string>((resolve) => {
            const host = Host.current()!;
            host.runSyncSoonThreadsafe(() => {
              throw boom;
            });
            host.runSyncSoonThreadsafe(() => resolve("still running"));
          }),
        [],
        { loop, loopOptions: { onCallbackError: (error: unknown) => reported.push(error) } },
      );
      expect(result).toBe("still running");
      expect(reported).toEqual([boom]);
    });

    test("scheduling after the mainloop has ended throws instead of dropping the callback", async () => {
      const host = await run(async () => Host.current()!, [], settings);
      expect(() => host.runSyncSoonThreadsafe(() => {})).toThrow("has stopped");
    });

    test("a setup error throws out of run and leaves the thread free for the next run", async () => {
      await expect(run(async () => 1, [], { loop, backendOptions: { nonsense: true } })).rejects.toThrow('Unknown option "nonsense"');
      expect(Host.current()).toBeUndefined();
      expect(await run(async () => "next", [], settings)).toBe("next");
    });

    test("runs one after another, many times", async () => {
      const results: number[] = [];
      for (let i = 0; i < 20; i++) results.push(await run(async (x: number) => x * 2, [i], settings));
      expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    });
  });
}
