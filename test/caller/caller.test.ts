/**
 * The Caller (src/caller) with real worker threads, from the compiled build (helpers/build.ts):
 * calls in this thread and in other threads, functions by module and by source, errors and
 * cancellation crossing both ways, threads ending, the pool, calls from one caller thread to
 * another, and shutdown.
 */
import { threadId } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCaller, moduleUrl } from "./helpers/build.js";

type CallerModule = typeof import("../../src/caller/index.js");
let api: CallerModule;
let Caller: CallerModule["Caller"];
let work: string;
/** Polls `check` until it holds (or the test times out). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}
/** A reference to a function of fixtures/work.mjs. */
const fn = (name: string) => ({ module: work, export: name });

beforeAll(async () => {
  const dir = await buildCaller();
  api = (await import(moduleUrl(dir, "caller/index.js"))) as CallerModule;
  Caller = api.Caller;
  work = moduleUrl(dir, "fixtures/work.mjs");
}, 60_000);

afterAll(async () => {
  await api?.stopAllThreads();
});

describe("Pending", () => {
  it("is a promise that can be cancelled; what then() makes is a plain promise", async () => {
    const p = Caller.current().call(() => new Promise<number>((r) => setTimeout(() => r(1), 20)));
    expect(p).toBeInstanceOf(Promise);
    expect(p).toBeInstanceOf(api.Pending);
    const chained = p.then((v) => v + 1);
    expect(chained).not.toBeInstanceOf(api.Pending);
    expect(await chained).toBe(2);
    expect(p.done).toBe(true);
    expect(p.cancel()).toBe(false);
    expect(() => p.timeout(-1)).toThrow(RangeError);
  });

  it("a signal asked for after the cancel is aborted with the reason", async () => {
    const p = Caller.current().callLater(10, () => 1);
    const reason = new Error("changed my mind");
    p.cancel(reason);
    expect(p.signal.aborted).toBe(true);
    expect(p.signal.reason).toBe(reason);
    await expect(p).rejects.toBe(reason);
  });
});

describe("in this thread", () => {
  it("call runs at once, callSoon on a later turn, callLater after its delay", async () => {
    const here = Caller.current();
    expect(here.isCurrent).toBe(true);
    expect(here.name).toBe("main");
    expect(Caller.mainThread()).toBe(here);
    const order: string[] = [];
    const soon = here.callSoon(() => order.push("soon"));
    const now = here.call(() => order.push("call"));
    order.push("after both calls");
    expect(order).toEqual(["call", "after both calls"]);
    await Promise.all([soon, now]);
    expect(order).toEqual(["call", "after both calls", "soon"]);
    const t0 = performance.now();
    expect(await here.callLater(0.1, (a: number, b: number) => a * b, 6, 7)).toBe(42);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });

  it("rejects with the function's own error, thrown or rejected", async () => {
    const here = Caller.current();
    await expect(
      here.call(() => {
        throw new TypeError("sync");
      }),
    ).rejects.toThrow(TypeError);
    await expect(here.call(async () => Promise.reject(new Error("async")))).rejects.toThrow("async");
  });

  it("cancel rejects at once, aborts the function's signal, and a later call never runs", async () => {
    const here = Caller.current();
    let signal: AbortSignal | undefined;
    const p = here.call(() => {
      signal = Caller.currentPending()!.signal;
      return new Promise(() => {});
    });
    expect(p.cancel("no more")).toBe(true);
    await expect(p).rejects.toMatchObject({ name: "PendingCancelled", message: "no more" });
    expect(signal?.aborted).toBe(true);
    expect(p.cancel()).toBe(false);
    let ran = false;
    const later = here.callLater(0.05, () => (ran = true));
    later.cancel(new RangeError("own reason"));
    await expect(later).rejects.toThrow(RangeError);
    await new Promise((r) => setTimeout(r, 100));
    expect(ran).toBe(false);
    await expect(here.call(() => new Promise(() => {})).timeout(0.05)).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("queueCall runs one call of a function after the other; a failure is logged, not raised", async () => {
    const here = Caller.current();
    const log: string[] = [];
    const step = async (item: string) => {
      log.push(`start ${item}`);
      await new Promise((r) => setTimeout(r, 10));
      if (item === "bad") throw new Error("bad item");
      log.push(`end ${item}`);
    };
    const errors: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((text: string) => errors.push(text) > 0) as typeof process.stderr.write;
    try {
      await Promise.all(["a", "bad", "c"].map((item) => here.queueCall(step, item)));
    } finally {
      process.stderr.write = original;
    }
    expect(log).toEqual(["start a", "end a", "start bad", "start c", "end c"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^A queued call of step failed: Error: bad item/);
    // queueClose cancels what has not started; cancelling one takes it out of the queue
    const first = here.queueCall(step, "x");
    await new Promise((r) => setTimeout(r, 5));
    const second = here.queueCall(step, "y");
    const third = here.queueCall(step, "z");
    second.cancel();
    await expect(second).rejects.toMatchObject({ name: "PendingCancelled" });
    here.queueClose(step);
    await first;
    await expect(third).rejects.toThrow("The queue of the function was closed");
    expect(log.slice(5)).toEqual(["start x", "end x"]);
  });
});

describe("in another thread", () => {
  it("runs a module's function there and gives its result here; one thread per name", async () => {
    const w = Caller.get({ name: "w" });
    expect(Caller.get({ name: "w" })).toBe(w);
    expect(w.isCurrent).toBe(false);
    await w.ready;
    expect(await w.call(fn("add"), 2, 3)).toBe(5);
    const where = (await w.call(fn("whereAmI"))) as { threadId: number; name: string };
    expect(where).toEqual({ threadId: w.threadId, name: "w" });
    expect(where.threadId).not.toBe(threadId);
    expect(String(w)).toBe('Caller(thread "w")');
  });

  it("evaluates source text there, each call afresh", async () => {
    const w = Caller.get({ name: "w" });
    expect(await w.call({ source: "(a, b) => a * b" }, 6, 7)).toBe(42);
    await w.call({ source: "() => { globalThis.kept = 1 }" });
    expect(await w.call({ source: "() => ++globalThis.kept" })).toBe(2);
    expect(await w.callSoon({ source: "() => ++globalThis.kept" })).toBe(3);
    await expect(w.call({ source: "42" })).rejects.toThrow("The source text is not a function: it evaluated to number 42");
  });

  it("copies arguments and results by structured clone", async () => {
    const w = Caller.get({ name: "w" });
    const value = { when: new Date(0), bytes: new Uint8Array([1, 2]), map: new Map([["k", 1]]), nested: [1, { a: "b" }] };
    expect(await w.call(fn("echo"), value)).toEqual(value);
    await expect(w.call(fn("echo"), { f: () => 1 })).rejects.toMatchObject({ name: "DataCloneError" });
    await expect(w.call(fn("giveFunction"))).rejects.toMatchObject({
      name: "DataCloneError",
      message: expect.stringMatching(/^The result could not be sent back to the thread "main"/),
    });
  });

  it("refuses a function of this thread for another thread, saying what to give instead", () => {
    const w = Caller.get({ name: "w" });
    expect(() => w.call(() => 1)).toThrow(/A function cannot be sent to another thread: name it as \{module/);
    expect(() => w.call({ modul: "x" } as never)).toThrow(TypeError);
  });

  it("gives back errors with their class, name, message and the stack of the thread", async () => {
    const w = Caller.get({ name: "w" });
    const err = (await w.call(fn("fail"), "out of range").catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe("out of range");
    expect(err.stack).toMatch(/^RangeError: out of range\n\s+at fail \(.*work\.mjs:\d+:\d+\)/);
    expect(err.stack).toMatch(/\n\s+at <thread "w">$/);
    const custom = (await w
      .call({ source: "() => { class Oops extends Error { name = 'Oops'; code = 'E_OOPS' }; throw new Oops('custom') }" })
      .catch((e: unknown) => e)) as Error & { code: string };
    expect([custom.name, custom.message, custom.code]).toEqual(["Oops", "custom", "E_OOPS"]);
    expect(await w.call(fn("failWith"), 42).catch((e: unknown) => e)).toBe(42);
    await expect(w.call({ module: work, export: "nothing" })).rejects.toThrow(`The module "${work}" has no export "nothing"`);
    await expect(w.call({ module: "./no/such/module.mjs" })).rejects.toMatchObject({ code: "ERR_MODULE_NOT_FOUND" });
  });

  it("cancelling crosses: the function's signal is aborted there with the reason", async () => {
    const w = Caller.get({ name: "w" });
    const p = w.call(fn("awaitCancel"));
    await until(async () => (await w.call(fn("waitingForCancel"))) === 1);
    p.cancel(new RangeError("stop now"));
    await expect(p).rejects.toMatchObject({ name: "RangeError", message: "stop now" });
    await until(async () => (await w.call(fn("waitingForCancel"))) === 0);
    expect(await w.call(fn("lastCancel"))).toEqual({ name: "RangeError", message: "stop now" });
    // cancelled before it starts: it never runs
    const later = w.callLater(0.05, { source: "() => { globalThis.lateRan = true }" });
    later.cancel();
    await expect(later).rejects.toMatchObject({ name: "PendingCancelled" });
    await new Promise((r) => setTimeout(r, 100));
    expect(await w.call({ source: "() => globalThis.lateRan ?? false" })).toBe(false);
  });

  it("queues calls of a function there, one after another, logging failures there", async () => {
    const w = Caller.get({ name: "w" });
    await Promise.all(["a", "bad", "c"].map((item) => w.queueCall(fn("record"), item, 10)));
    expect(await w.call(fn("recorded"))).toEqual(["start a", "end a", "start bad", "start c", "end c"]);
  });

  it("callLater waits in the target thread", async () => {
    const w = Caller.get({ name: "w" });
    const t0 = performance.now();
    await w.callLater(0.1, fn("add"), 1, 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });

  it("refuses settings that differ from the running thread's, and unknown backends", () => {
    Caller.get({ name: "settings" });
    expect(() => Caller.get({ name: "settings", loop: "pure" })).toThrow(
      'thread "settings" already runs with backend=node: give its name alone (or the same settings)',
    );
    expect(() => Caller.get({ name: "other", backend: "nosuch" })).toThrow(/unknown backend "nosuch"/);
    expect(() => Caller.get({ name: "main", loop: "pure" })).toThrow(/"main" is the main thread/);
    expect(() => Caller.get({ nmae: "x" } as never)).toThrow('Caller.get: unknown option "nmae"');
    expect(Caller.get({ name: "main" })).toBe(Caller.current());
  });

  it("runs a thread on a host loop; one that cannot start fails its calls with the reason", async () => {
    const pure = Caller.get({ name: "pure", loop: "pure" });
    expect(await pure.call(fn("add"), 1, 2)).toBe(3);
    const broken = Caller.get({ name: "broken", loop: "nosuch" });
    const call = broken.call(fn("add"), 1, 2);
    await expect(broken.ready).rejects.toMatchObject({
      name: "ThreadEnded",
      message: expect.stringMatching(/^The thread "broken" could not start: No host is available for loop="nosuch"/),
    });
    await expect(call).rejects.toMatchObject({ name: "ThreadEnded" });
  });
});

describe("threads ending", () => {
  it("a thread that exits fails its calls with ThreadEnded and the exit code; its name is free again", async () => {
    const x = Caller.get({ name: "exits" });
    await x.ready;
    const first = x.threadId;
    const err = (await x.call(fn("exit"), 3).catch((e: unknown) => e)) as InstanceType<CallerModule["ThreadEnded"]>;
    expect(err).toBeInstanceOf(api.ThreadEnded);
    expect(err.message).toBe('The thread "exits" ended (exit code 3)');
    expect(err.exit).toEqual({ code: 3 });
    await expect(x.call(fn("add"), 1, 1)).rejects.toBeInstanceOf(api.ThreadEnded);
    const again = Caller.get({ name: "exits" });
    expect(again).not.toBe(x);
    expect(await again.call(fn("add"), 1, 1)).toBe(2);
    expect(again.threadId).not.toBe(first);
  });

  it("stop() ends a thread even in a synchronous loop; its calls reject", async () => {
    const s = Caller.get({ name: "stopped" });
    // the expectation is attached first: the call rejects while stop() is awaited
    const busy = expect(s.call(fn("spin"), 60_000)).rejects.toMatchObject({
      name: "ThreadEnded",
      message: 'The thread "stopped" was stopped',
    });
    await new Promise((r) => setTimeout(r, 100));
    await s.stop();
    await busy;
    await expect(Caller.current().stop()).rejects.toThrow("The main thread cannot be stopped");
  });
});

describe("the pool", () => {
  it("toThread runs CPU-bound work in a pooled thread while this thread goes on", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const id = await Caller.toThread(fn("spin"), 300);
    clearInterval(timer);
    expect(id).not.toBe(threadId);
    expect(ticks).toBeGreaterThan(10);
    // an idle pool thread is reused; calls at the same time get threads of their own
    expect(await Caller.toThread(fn("spin"), 0)).toBe(id);
    const ids = await Promise.all([1, 2, 3].map(() => Caller.toThread(fn("spin"), 100)));
    expect(new Set(ids).size).toBe(3);
  });

  it("a cancelled toThread call is rejected at once; a pool thread stuck in it is stopped", async () => {
    const spinning = Caller.toThread(fn("spin"), 60_000);
    await new Promise((r) => setTimeout(r, 200));
    let finished = false;
    void api.untilFinished(spinning).then(() => (finished = true));
    spinning.cancel("give up");
    await expect(spinning).rejects.toMatchObject({ name: "PendingCancelled", message: "give up" });
    expect(finished).toBe(false);
    // the thread cannot take the cancel: it is stopped after the grace period, and the pool goes on
    await api.untilFinished(spinning);
    expect(await Caller.toThread(fn("add"), 1, 2)).toBe(3);
  });

  it("toThread cancels across threads", async () => {
    const p = Caller.toThread(fn("awaitCancel"));
    await new Promise((r) => setTimeout(r, 50));
    p.cancel("enough");
    await expect(p).rejects.toMatchObject({ name: "PendingCancelled", message: "enough" });
  });
});

describe("from a caller thread", () => {
  it("calls the main thread, another named thread and the pool", async () => {
    const a = Caller.get({ name: "a" });
    (globalThis as { mainValue?: number }).mainValue = 40;
    expect(await a.call(fn("callMain"), "(n) => globalThis.mainValue + n", 2)).toBe(42);
    expect(await a.call(fn("callNamed"), "b", "() => process.pid")).toBe(process.pid);
    const b = Caller.get({ name: "b" });
    expect(await a.call(fn("callNamed"), "b", "() => { globalThis.fromA = 'yes'; return 1 }")).toBe(1);
    expect(await b.call({ source: "() => globalThis.fromA" })).toBe("yes");
    expect(await a.call(fn("callPool"), "(n) => n + 1", 1)).toBe(2);
  });

  it("gets errors of the other threads, and of the main thread's registry", async () => {
    const a = Caller.get({ name: "a" });
    const err = (await a.call(fn("callMain"), "() => { throw new TypeError('from main') }").catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe("from main");
    // the stack shows both hops: main, then a
    expect(err.stack).toMatch(/at <thread "main">\n\s+at <thread "a">$/);
    Caller.get({ name: "fixed" });
    await expect(a.call(fn("getWith"), { name: "fixed", loop: "pure" })).rejects.toThrow('thread "fixed" already runs with backend=node');
    expect(await a.call(fn("getWith"), { name: "a" })).toBe("ready");
  });

  it("a call from a thread that ends is cancelled where it runs", async () => {
    const caller = Caller.get({ name: "doomed" });
    const target = Caller.get({ name: "target" });
    void caller.call(fn("callNamedFunction"), "target", "awaitCancel").catch(() => {});
    await until(async () => (await target.call(fn("waitingForCancel"))) === 1);
    await caller.stop();
    await until(async () => (await target.call(fn("waitingForCancel"))) === 0);
    expect(await target.call(fn("lastCancel"))).toEqual({
      name: "ThreadEnded",
      message: 'The thread "doomed", which made the call, ended',
    });
  });
});

describe("a program of its own", () => {
  it("ends by itself once its calls are done, with a named thread and a pool thread still idle", async () => {
    const { execFile } = await import("node:child_process");
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { promisify } = await import("node:util");
    const dir = await mkdtemp(join(tmpdir(), "tsak-caller-program-"));
    const program = join(dir, "program.mjs");
    await writeFile(
      program,
      `import { Caller } from ${JSON.stringify(moduleUrl(await buildCaller(), "caller/api.js"))};
const named = await Caller.get({ name: "w" }).call({ module: "node:path", export: "join" }, "a", "b");
const pooled = await Caller.toThread({ module: "node:path", export: "basename" }, "/x/y");
console.log(named, pooled);
`,
    );
    try {
      // Hung, the process would outlive the timeout (the named thread forever, the pool's for 60 s).
      const run = promisify(execFile)(process.execPath, [program], { timeout: 30_000 });
      await expect(run).resolves.toMatchObject({ stdout: "a/b y\n" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe("scopes and shutdown", () => {
  it("cancelCalls cancels the unsettled calls made in a context", async () => {
    const { AsyncLocalStorage } = await import("node:async_hooks");
    const scope = new AsyncLocalStorage<string>();
    const w = Caller.get({ name: "w" });
    const inA = scope.run("a", () => w.call(fn("awaitCancel")));
    const inB = scope.run("b", () => Caller.current().callLater(0.2, () => "b ran"));
    await new Promise((r) => setTimeout(r, 50));
    expect(api.cancelCalls(() => scope.getStore() === "a", new Error("scope a is done"))).toBe(1);
    await expect(inA).rejects.toThrow("scope a is done");
    expect(await inB).toBe("b ran");
  });

  it("stopAllThreads ends every thread; no new one starts after", async () => {
    const w = Caller.get({ name: "w" });
    const busy = expect(w.call(fn("spin"), 60_000)).rejects.toBeInstanceOf(api.ThreadEnded);
    await api.stopAllThreads();
    await busy;
    expect(() => Caller.get({ name: "late" })).toThrow("Caller threads are shut down");
  });
});
