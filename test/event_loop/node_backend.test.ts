import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { beforeAll, describe, expect, test } from "vitest";

import type { GuestFunction, GuestInfo, GuestRunOptions, SyncCallback } from "../../src/event_loop/backend.js";
import { nodeBackend } from "../../src/event_loop/node_backend.js";
import type { Outcome } from "../../src/event_loop/outcome.js";
import { buildEventLoop, moduleUrl } from "./helpers/build.js";

/**
 * trio's `trivial_guest_run`: the simplest possible host loop, built on a plain queue, which
 * checks the guest contract as it goes (violations are collected, then asserted empty).
 */
function trivialGuestRun<T, A extends unknown[]>(
  func: GuestFunction<T, A>,
  args: A,
  {
    notThreadsafe = true,
    options = {},
    inHostAfterStart,
  }: { notThreadsafe?: boolean; options?: Record<string, unknown>; inHostAfterStart?: () => void } = {},
) {
  type Item = { op: "run"; fn: SyncCallback } | { op: "unwrap"; outcome: Outcome<Awaited<T>> };
  const queue: Item[] = [];
  const calls: string[] = [];
  const violations: string[] = [];
  let inTick = false;
  let done = false;
  let wake: (() => void) | undefined;
  const push = (item: Item): void => {
    if (done) violations.push(`${item.op} scheduled after the run was done`);
    queue.push(item);
    wake?.();
    wake = undefined;
  };
  const hostOptions: GuestRunOptions<Awaited<T>> = {
    runSyncSoonThreadsafe: (fn) => {
      calls.push("threadsafe");
      push({ op: "run", fn });
    },
    doneCallback: (outcome) => {
      calls.push("done");
      if (!inTick) violations.push("doneCallback called outside a host callback");
      push({ op: "unwrap", outcome });
    },
    ...options,
  };
  if (notThreadsafe) {
    hostOptions.runSyncSoonNotThreadsafe = (fn) => {
      calls.push("not-threadsafe");
      push({ op: "run", fn });
    };
  }
  const info: GuestInfo = nodeBackend.startGuestRun(func, args, hostOptions);
  const queuedAtStart = queue.length;
  inHostAfterStart?.();
  const result = (async (): Promise<Awaited<T>> => {
    for (;;) {
      const item = queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      } else if (item.op === "run") {
        inTick = true;
        try {
          item.fn();
        } finally {
          inTick = false;
        }
      } else {
        if (queue.length > 0) violations.push("callbacks still queued when done");
        done = true;
        return item.outcome.unwrap();
      }
    }
  })();
  return { info, calls, violations, result, queuedAtStart };
}

const macrotask = () => new Promise((resolve) => setImmediate(resolve));

describe("node backend run (no host)", () => {
  test("run awaits func with its arguments on Node's own loop", async () => {
    const result = await nodeBackend.run(
      async (a: number, b: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return a + b;
      },
      [1, 2],
    );
    expect(result).toBe(3);
  });

  test("run rejects with the error func throws", async () => {
    const error = new Error("from func");
    await expect(nodeBackend.run(() => Promise.reject(error), [])).rejects.toBe(error);
  });

  test("run refuses an unknown backend option", async () => {
    await expect(nodeBackend.run(async () => 1, [], { loopFactory: "x" })).rejects.toThrow(
      /Unknown option "loopFactory" for backend "node"/,
    );
  });

  test("run refuses a func that is not a function", async () => {
    await expect(nodeBackend.run(42 as never, [])).rejects.toThrow(TypeError);
  });
});

describe("node backend startGuestRun", () => {
  test("the guest runs to completion in a trivial host and returns its result", async () => {
    const run = trivialGuestRun(
      async (x: string) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return [x];
      },
      ["abc"],
    );
    expect(await run.result).toEqual(["abc"]);
    await macrotask();
    expect(run.violations).toEqual([]);
    expect(run.info).toEqual({ backend: "node" });
  });

  test("the guest is not started until the host runs its first callback", async () => {
    let started = false;
    let startedWhenStartReturned: boolean | undefined;
    const run = trivialGuestRun(
      () => {
        started = true;
        return "ok";
      },
      [],
      { inHostAfterStart: () => (startedWhenStartReturned = started) },
    );
    // startGuestRun returned with the start queued, and nothing of the guest had run yet.
    expect(startedWhenStartReturned).toBe(false);
    expect(run.queuedAtStart).toBe(1);
    expect(run.calls).toEqual(["not-threadsafe"]);
    expect(await run.result).toBe("ok");
    expect(started).toBe(true);
  });

  test("start and done both go through runSyncSoonNotThreadsafe, in that order", async () => {
    const run = trivialGuestRun(async () => "x", []);
    await run.result;
    expect(run.calls).toEqual(["not-threadsafe", "not-threadsafe", "done"]);
  });

  test("without runSyncSoonNotThreadsafe the backend falls back to runSyncSoonThreadsafe", async () => {
    const run = trivialGuestRun(async () => "x", [], { notThreadsafe: false });
    expect(await run.result).toBe("x");
    expect(run.calls).toEqual(["threadsafe", "threadsafe", "done"]);
    expect(run.violations).toEqual([]);
  });

  test("doneCallback is never called synchronously, even for a synchronous func", async () => {
    const delivered: Outcome<number>[] = [];
    const queue: SyncCallback[] = [];
    nodeBackend.startGuestRun(() => 1 + 1, [], {
      runSyncSoonThreadsafe: (fn) => queue.push(fn),
      doneCallback: (outcome) => delivered.push(outcome),
    });
    expect(delivered).toEqual([]);
    queue.shift()!();
    // The outcome is scheduled only after the guest's promise settles, in a later job.
    expect(delivered).toEqual([]);
    expect(queue).toHaveLength(0);
    await macrotask();
    expect(queue).toHaveLength(1);
    queue.shift()!();
    expect(delivered.map((outcome) => outcome.unwrap())).toEqual([2]);
  });

  test("a func that throws synchronously delivers the error to doneCallback", async () => {
    const error = new Error("sync failure");
    const run = trivialGuestRun((): number => {
      throw error;
    }, []);
    await expect(run.result).rejects.toBe(error);
    expect(run.violations).toEqual([]);
  });

  test("a rejected func delivers its error to doneCallback", async () => {
    const run = trivialGuestRun(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw new RangeError("async failure");
    }, []);
    await expect(run.result).rejects.toThrow(RangeError);
  });

  test("a guest that awaits many timers and promises completes", async () => {
    const run = trivialGuestRun(
      async (n: number) => {
        let total = 0;
        for (let i = 0; i < n; i++) {
          total += await new Promise<number>((resolve) => setTimeout(() => resolve(i), 0));
          total += await Promise.resolve(1);
        }
        return total;
      },
      [20],
    );
    expect(await run.result).toBe(190 + 20);
  });

  test("hostUsesSignalSetWakeupFd is accepted", async () => {
    const run = trivialGuestRun(async () => "ok", [], { options: { hostUsesSignalSetWakeupFd: true } });
    expect(await run.result).toBe("ok");
  });

  test("setup errors throw out of startGuestRun", () => {
    const runSyncSoonThreadsafe = (): void => {};
    const doneCallback = (): void => {};
    expect(() => nodeBackend.startGuestRun(null as never, [], { runSyncSoonThreadsafe, doneCallback })).toThrow(/func must be a function/);
    expect(() => nodeBackend.startGuestRun(async () => 1, [], { runSyncSoonThreadsafe, doneCallback: undefined as never })).toThrow(
      /doneCallback must be a function/,
    );
    expect(() => nodeBackend.startGuestRun(async () => 1, [], { runSyncSoonThreadsafe: undefined as never, doneCallback })).toThrow(
      /runSyncSoonThreadsafe must be a function/,
    );
    expect(() => nodeBackend.startGuestRun(async () => 1, [], { runSyncSoonThreadsafe, doneCallback, taskFactory: 1 })).toThrow(
      /Unknown option "taskFactory" for backend "node"/,
    );
  });

  test("a host that throws while the start is scheduled makes startGuestRun throw", () => {
    const refusal = new Error("host is closed");
    expect(() =>
      nodeBackend.startGuestRun(async () => 1, [], {
        runSyncSoonThreadsafe: () => {
          throw refusal;
        },
        doneCallback: () => {},
      }),
    ).toThrow(refusal);
  });

  test("a host that refuses to schedule the done callback still gets an error outcome", async () => {
    const queue: SyncCallback[] = [];
    let accept = true;
    const outcome = await new Promise<Outcome<number>>((resolve) => {
      nodeBackend.startGuestRun(async () => 1, [], {
        runSyncSoonThreadsafe: (fn) => {
          if (!accept) throw new Error("no more callbacks");
          queue.push(fn);
        },
        doneCallback: resolve,
      });
      accept = false;
      queue.shift()!();
    });
    expect(outcome.isError).toBe(true);
    expect(() => outcome.unwrap()).toThrow("The host failed to schedule doneCallback");
  });
});

describe("node backend lifetime (compiled, in a child process with --expose-gc)", () => {
  let indexUrl: string;
  beforeAll(async () => {
    indexUrl = moduleUrl(await buildEventLoop(), "index.js");
  });

  async function runScript(body: string): Promise<unknown> {
    const script = `
      const { nodeBackend } = await import(${JSON.stringify(indexUrl)});
      const warnings = [];
      process.on("warning", (w) => { if (w.code === "TS_ASYNC_KERNEL_GUEST_ABANDONED") warnings.push(w.message); });
      const collect = async () => {
        for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 5)); }
      };
      ${body}
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", "--no-warnings", "--input-type=module", "-e", script]);
    return JSON.parse(stdout);
  }

  test("a guest run whose host drops the start callback warns that it was abandoned", async () => {
    const result = await runScript(`
      nodeBackend.startGuestRun(async function lostGuest() {}, [], {
        runSyncSoonThreadsafe: () => {},
        doneCallback: () => {},
      });
      for (let i = 0; i < 10 && warnings.length === 0; i++) await collect();
      console.log(JSON.stringify(warnings));
    `);
    expect(result).toEqual([expect.stringContaining("abandoned without finishing (func lostGuest)")]);
  });

  test("a guest run that finishes never warns", async () => {
    const result = await runScript(`
      const done = await new Promise((resolve) => {
        nodeBackend.startGuestRun(async function finished() { return 5; }, [], {
          runSyncSoonThreadsafe: (fn) => setImmediate(fn),
          doneCallback: (outcome) => resolve(outcome.unwrap()),
        });
      });
      await collect();
      console.log(JSON.stringify({ done, warnings }));
    `);
    expect(result).toEqual({ done: 5, warnings: [] });
  });
});
