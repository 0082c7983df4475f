import { afterEach, describe, expect, test } from "vitest";

import { Host } from "../../src/event_loop/host.js";
import { Outcome } from "../../src/event_loop/outcome.js";
import { PureHost } from "../../src/event_loop/pure_host.js";
import { run } from "../../src/event_loop/run.js";

const pure = { loop: "pure" } as const;

/** Run `func` on a pure host and also return the host it ran on. */
async function runOnPureHost<T>(
  func: (host: PureHost) => Promise<T> | T,
  loopOptions: Record<string, unknown> = {},
): Promise<{ result: T; host: PureHost }> {
  let host: PureHost | undefined;
  const result = await run(
    async () => {
      host = Host.current() as PureHost;
      return await func(host);
    },
    [],
    { loop: "pure", loopOptions },
  );
  return { result, host: host! };
}

afterEach(() => {
  expect(Host.current()).toBeUndefined();
});

describe("PureHost", () => {
  test('importing the module registers PureHost for loop "pure" with no GUIs', () => {
    expect(Host.registeredLoops()).toContain("pure");
    expect(PureHost.LOOP).toBe("pure");
    expect(PureHost.GUIS).toEqual([]);
  });

  test("runs the guest to completion and returns its result", async () => {
    const { result, host } = await runOnPureHost(async () => "abc");
    expect(result).toBe("abc");
    expect(host).toBeInstanceOf(PureHost);
  });

  test("the guest's start and outcome pass through the host's queue", async () => {
    const ticks: number[] = [];
    const { host } = await runOnPureHost(async () => undefined, { onTick: (tick: number) => ticks.push(tick) });
    // One callback starts the guest, one delivers its outcome.
    expect(host.ticks).toBe(2);
    expect(ticks).toEqual([1, 2]);
    expect(host.pending).toBe(0);
  });

  test("callbacks run in FIFO order across both scheduling functions", async () => {
    const order: number[] = [];
    await runOnPureHost(
      (host) =>
        new Promise<void>((resolve) => {
          for (let i = 0; i < 10; i++) {
            const schedule = i % 2 === 0 ? host.runSyncSoonThreadsafe : host.runSyncSoonNotThreadsafe;
            schedule.call(host, () => order.push(i));
          }
          host.runSyncSoonThreadsafe(resolve);
        }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("many guest callbacks all run through the host", async () => {
    const count = 5_000;
    let ran = 0;
    const { host } = await runOnPureHost(
      (host) =>
        new Promise<void>((resolve) => {
          for (let i = 0; i < count; i++) host.runSyncSoonThreadsafe(() => ran++);
          host.runSyncSoonThreadsafe(resolve);
        }),
    );
    expect(ran).toBe(count);
    expect(host.ticks).toBe(count + 3);
  });

  test("a callback's promise jobs run before the next callback starts", async () => {
    const order: string[] = [];
    await runOnPureHost(
      (host) =>
        new Promise<void>((resolve) => {
          host.runSyncSoonThreadsafe(() => {
            order.push("first");
            void Promise.resolve()
              .then(() => order.push("first's job"))
              .then(() => order.push("first's second job"));
          });
          host.runSyncSoonThreadsafe(() => {
            order.push("second");
            resolve();
          });
        }),
    );
    expect(order).toEqual(["first", "first's job", "first's second job", "second"]);
  });

  test("a guest that awaits timers and other promises completes", async () => {
    const { result } = await runOnPureHost(async () => {
      const values = await Promise.all([
        new Promise<number>((resolve) => setTimeout(() => resolve(1), 5)),
        new Promise<number>((resolve) => setImmediate(() => resolve(2))),
        Promise.resolve(3),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return values;
    });
    expect(result).toEqual([1, 2, 3]);
  });

  test("the idle host runs nothing while the guest waits on a timer", async () => {
    const { result } = await runOnPureHost(async (host) => {
      const before = host.ticks;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return [before, host.ticks, host.pending];
    });
    // Read inside the start callback (not yet counted), then after the wait: only that one ran.
    expect(result).toEqual([0, 1, 0]);
  });

  test("the guest's error propagates through unwrap as the same object", async () => {
    const error = new Error("guest error");
    await expect(
      run(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          throw error;
        },
        [],
        pure,
      ),
    ).rejects.toBe(error);
  });

  test("a throwing callback is reported and the loop goes on", async () => {
    const reported: unknown[] = [];
    const boom = new Error("callback failed");
    const { result, host } = await runOnPureHost(
      (host) =>
        new Promise<string>((resolve) => {
          host.runSyncSoonThreadsafe(() => {
            throw boom;
          });
          host.runSyncSoonThreadsafe(() => resolve("still running"));
        }),
      { onCallbackError: (error: unknown) => reported.push(error) },
    );
    expect(result).toBe("still running");
    expect(reported).toEqual([boom]);
    expect(host.callbackErrors).toBe(1);
  });

  test("by default a throwing callback is reported as a process warning", async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on("warning", listener);
    try {
      await runOnPureHost(
        (host) =>
          new Promise<void>((resolve) => {
            host.runSyncSoonThreadsafe(() => {
              throw new Error("loud, not silent");
            });
            host.runSyncSoonThreadsafe(resolve);
          }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      name: "PureHostCallbackWarning",
      code: "TS_ASYNC_KERNEL_PURE_HOST_CALLBACK",
    });
    expect(warnings[0]?.message).toContain("loud, not silent");
  });

  test("an onTick hook that throws is reported like a callback error", async () => {
    const reported: unknown[] = [];
    const { result } = await runOnPureHost(async () => "done", {
      onTick: () => {
        throw new Error("tick hook");
      },
      onCallbackError: (error: unknown) => reported.push(error),
    });
    expect(result).toBe("done");
    expect(reported).toHaveLength(2);
  });

  test("callbacks scheduled in the guest's last moments run before the host stops", async () => {
    let late = false;
    const { host } = await runOnPureHost((host) => {
      host.runSyncSoonThreadsafe(() => host.runSyncSoonThreadsafe(() => (late = true)));
      return "returned at once";
    });
    expect(late).toBe(true);
    expect(host.pending).toBe(0);
  });

  test("scheduling after the mainloop has ended throws instead of dropping the callback", async () => {
    const { host } = await runOnPureHost(async () => undefined);
    expect(() => host.runSyncSoonThreadsafe(() => {})).toThrow("PureHost has stopped");
    expect(() => host.runSyncSoonNotThreadsafe(() => {})).toThrow("PureHost has stopped");
  });

  test("only functions can be scheduled", () => {
    expect(() => new PureHost().runSyncSoonThreadsafe("nope" as never)).toThrow(TypeError);
  });

  test("an unknown option is refused with the expected names", () => {
    expect(() => new PureHost({ onTik: () => {} })).toThrow(
      'Unknown option "onTik" for PureHost; expected one of: onTick, onCallbackError',
    );
  });

  test("an option that is not a function is refused", async () => {
    await expect(run(async () => 1, [], { loop: "pure", loopOptions: { onTick: 5 } })).rejects.toThrow(
      'PureHost option "onTick" must be a function, got number',
    );
  });

  test("a doneCallback from outside any callback wakes the idle host", async () => {
    const host = new PureHost<number>();
    const finished = host.mainloop();
    await new Promise((resolve) => setImmediate(resolve));
    host.doneCallback(Outcome.value(7));
    expect(await finished).toBe(7);
  });
});
