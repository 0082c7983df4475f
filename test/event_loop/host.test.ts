import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { threadId } from "node:worker_threads";

import { afterEach, describe, expect, test, vi } from "vitest";

import {
  registerBackend,
  type Backend,
  type GuestFunction,
  type GuestInfo,
  type GuestRunOptions,
  type SyncCallback,
} from "../../src/event_loop/backend.js";
import { Host, type HostClass } from "../../src/event_loop/host.js";
import { nodeBackend } from "../../src/event_loop/node_backend.js";
import { Outcome } from "../../src/event_loop/outcome.js";
import { run } from "../../src/event_loop/run.js";
import { ContractHost, NotAHost } from "./fixtures/contract_host.js";

const fixturePath = fileURLToPath(new URL("./fixtures/contract_host.ts", import.meta.url));
const relativeFixture = `./${relative(process.cwd(), fixturePath).split("\\").join("/")}`;

/** Host with no loop at all: the base class plus the one abstract method. */
class BareHost<T = unknown> extends Host<T> {
  static override LOOP = "custom";
  runSyncSoonThreadsafe(_fn: SyncCallback): void {
    throw new Error("BareHost cannot schedule");
  }
}

/** Wraps the node backend and records what the host handed to startGuestRun. */
const spy = {
  calls: [] as Array<Record<string, unknown>>,
};
const spyBackend: Backend = {
  name: "spy",
  run: nodeBackend.run,
  startGuestRun<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, options: GuestRunOptions<Awaited<T>>): GuestInfo {
    const { marker, ...rest } = options;
    spy.calls.push({ ...options });
    void marker;
    return nodeBackend.startGuestRun(func, args, rest as GuestRunOptions<Awaited<T>>);
  },
};
registerBackend("spy", spyBackend);

const custom = { loop: "custom", loopOptions: { hostClass: ContractHost } } as const;

afterEach(() => {
  ContractHost.instances.length = 0;
  spy.calls.length = 0;
  expect(Host.current()).toBeUndefined();
});

describe("Host base class", () => {
  test("a bare host's mainloop without an outcome rejects with the exact message", async () => {
    await expect(new BareHost().mainloop()).rejects.toThrow(new Error("The mainloop should only exit once done_callback has been called!"));
  });

  test("a bare host's mainloop returns the delivered outcome", async () => {
    const host = new BareHost<number>();
    host.doneCallback(Outcome.capture(() => 1 + 1));
    expect(await host.mainloop()).toBe(2);
  });

  test("a bare host's mainloop throws the delivered error", async () => {
    const host = new BareHost<number>();
    const error = new Error("guest failed");
    host.doneCallback(Outcome.error(error));
    await expect(host.mainloop()).rejects.toBe(error);
  });

  test("doneCallback refuses a second outcome", () => {
    const host = new BareHost<number>();
    host.doneCallback(Outcome.value(1));
    expect(() => host.doneCallback(Outcome.value(2))).toThrow("doneCallback was called more than once");
  });

  test("the base runSyncSoonNotThreadsafe falls back to runSyncSoonThreadsafe", () => {
    expect(() => new BareHost().runSyncSoonNotThreadsafe(() => {})).toThrow("BareHost cannot schedule");
  });

  test("defaults: no GUIs, no signal wake-up fd, no guest info, startGuest does nothing", () => {
    const host = new BareHost();
    expect(host.guis).toEqual([]);
    expect(host.hostUsesSignalSetWakeupFd).toBe(false);
    expect(host.guestInfo).toBeUndefined();
    expect(() => host.startGuest()).not.toThrow();
  });

  test("no host is current in this thread when none runs, nor in another thread", () => {
    expect(Host.current()).toBeUndefined();
    expect(Host.current(threadId + 1000)).toBeUndefined();
    expect(Host.describe()).toBeUndefined();
  });
});

describe("Host.register", () => {
  test("a custom class is not registered", () => {
    Host.register(ContractHost);
    expect(Host.registeredLoops()).not.toContain("custom");
  });

  test("a named loop registers once and a second class for it is refused", () => {
    class AlphaHost extends BareHost {
      static override LOOP = "alpha";
    }
    class OtherAlphaHost extends BareHost {
      static override LOOP = "alpha";
    }
    Host.register(AlphaHost);
    Host.register(AlphaHost);
    expect(Host.registeredLoops()).toContain("alpha");
    expect(() => Host.register(OtherAlphaHost)).toThrow('loop="alpha" is already served by AlphaHost; cannot register OtherAlphaHost');
  });

  test("a class that is not a Host subclass is refused", () => {
    expect(() => Host.register(NotAHost as unknown as HostClass)).toThrow(new TypeError("NotAHost is not a subclass of Host!"));
  });

  test("a loop name that could not name a module is refused", () => {
    class DottedHost extends BareHost {
      static override LOOP = "../evil";
    }
    expect(() => Host.register(DottedHost)).toThrow(TypeError);
  });

  test("a subclass registers itself when its definition runs a static block", async () => {
    class BetaHost extends BareHost {
      static override LOOP = "beta";
      static {
        Host.register(this);
      }
    }
    expect(Host.registeredLoops()).toContain("beta");
    expect(BetaHost.LOOP).toBe("beta");
  });
});

describe("Host.run with a custom host (trio's trivial host checks the contract)", () => {
  test("the node backend runs as the guest and its result is returned", async () => {
    const result = await run(
      async (x: string) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return [x];
      },
      ["abc"],
      custom,
    );
    expect(result).toEqual(["abc"]);
    const [host] = ContractHost.instances;
    expect(host?.violations).toEqual([]);
  });

  test("the guest starts inside a host callback and its outcome comes back through the host", async () => {
    let startedInTick: boolean | undefined;
    await Host.run(
      () => {
        startedInTick = (Host.current() as ContractHost).inTick;
      },
      [],
      custom,
    );
    expect(startedInTick).toBe(true);
    const [host] = ContractHost.instances;
    expect(host?.log).toEqual([
      "schedule not-threadsafe",
      "guest started",
      "run not-threadsafe",
      "schedule not-threadsafe",
      "run not-threadsafe",
      "done",
    ]);
    expect(host?.violations).toEqual([]);
  });

  test("callbacks the guest schedules on its host run in the host's queue before done", async () => {
    const ran: string[] = [];
    await run(
      async () => {
        const host = Host.current()!;
        await new Promise<void>((resolve) => {
          host.runSyncSoonThreadsafe(() => {
            ran.push(`in tick: ${(host as ContractHost).inTick}`);
            resolve();
          });
        });
      },
      [],
      custom,
    );
    expect(ran).toEqual(["in tick: true"]);
    expect(ContractHost.instances[0]?.log).toContain("run threadsafe");
    expect(ContractHost.instances[0]?.violations).toEqual([]);
  });

  test("the guest's error propagates through unwrap as the same object", async () => {
    const error = new Error("guest failure");
    await expect(
      run(
        async () => {
          await Promise.resolve();
          throw error;
        },
        [],
        custom,
      ),
    ).rejects.toBe(error);
    expect(ContractHost.instances[0]?.violations).toEqual([]);
  });

  test("GUIS are visible through Host.current() inside the guest and gone afterwards", async () => {
    const seen = await run(
      async () => ({
        guis: Host.current()?.guis,
        description: Host.describe(),
        isContractHost: Host.current() instanceof ContractHost,
      }),
      [],
      custom,
    );
    expect(seen).toEqual({
      guis: ["contract-gui"],
      description: { threadId, loop: "custom", hostClass: "ContractHost" },
      isContractHost: true,
    });
    expect(Host.current()).toBeUndefined();
    expect(Host.describe()).toBeUndefined();
  });

  test("the remaining loop options are passed to the host's constructor", async () => {
    const label = await run(async () => (Host.current() as ContractHost).label, [], {
      loop: "custom",
      loopOptions: { hostClass: ContractHost, label: "from settings" },
    });
    expect(label).toBe("from settings");
  });

  test("a module specifier relative to the working directory names the host class", async () => {
    const hostClass = `${relativeFixture}#ContractHost`;
    const name = await run(async () => Host.current()?.constructor.name, [], {
      loop: "custom",
      loopOptions: { hostClass },
    });
    expect(name).toBe("ContractHost");
  });

  test("a specifier without an export name uses the default export", async () => {
    const guis = await run(async () => Host.current()?.guis, [], {
      loop: "custom",
      loopOptions: { hostClass: pathToFileURL(fixturePath).href },
    });
    expect(guis).toEqual(["contract-gui"]);
  });

  test("a hostClass that is not a Host subclass is a TypeError naming both classes", async () => {
    const settings = { loop: "custom", loopOptions: { hostClass: NotAHost as unknown as HostClass } };
    await expect(run(async () => 1, [], settings)).rejects.toThrow(new TypeError("NotAHost is not a subclass of Host!"));
  });

  test("a specifier naming something that is not a Host subclass is a TypeError too", async () => {
    await expect(run(async () => 1, [], { loop: "custom", loopOptions: { hostClass: `${relativeFixture}#NotAHost` } })).rejects.toThrow(
      new TypeError("NotAHost is not a subclass of Host!"),
    );
  });

  test("a specifier for a module that does not exist gives a clear error", async () => {
    const hostClass = "./no/such/module.js#Missing";
    await expect(run(async () => 1, [], { loop: "custom", loopOptions: { hostClass } })).rejects.toThrow(
      /^Cannot import hostClass "\.\/no\/such\/module\.js#Missing": /,
    );
  });

  test("a specifier naming a missing export gives a clear error", async () => {
    await expect(run(async () => 1, [], { loop: "custom", loopOptions: { hostClass: `${relativeFixture}#Nope` } })).rejects.toThrow(
      /the module has no export "Nope"/,
    );
  });

  test("a host class whose LOOP differs from settings.loop is refused", async () => {
    await expect(run(async () => 1, [], { loop: "pure", loopOptions: { hostClass: ContractHost } })).rejects.toThrow(
      'ContractHost.LOOP is "custom" but settings.loop is "pure"',
    );
  });

  test('loop="custom" without a hostClass is refused', async () => {
    await expect(run(async () => 1, [], { loop: "custom" })).rejects.toThrow(/needs settings.loopOptions.hostClass/);
  });

  test("Host.run without a loop name is refused", async () => {
    await expect(Host.run(async () => 1, [], {})).rejects.toThrow(/settings.loop must name a host loop/);
  });

  test("an unknown backend is refused before any host is created", async () => {
    await expect(run(async () => 1, [], { ...custom, backend: "nope" })).rejects.toThrow(/Unknown backend "nope"/);
    expect(ContractHost.instances).toEqual([]);
  });
});

describe("Host.run rules", () => {
  test("a nested run with a loop in the same thread rejects and the outer host still completes", async () => {
    const result = await run(
      async () => {
        const nested = run(async () => "inner", [], custom);
        await expect(nested).rejects.toThrow(/already running/);
        await expect(nested).rejects.toMatchObject({ code: "EBUSY" });
        return "outer";
      },
      [],
      custom,
    );
    expect(result).toBe("outer");
    expect(ContractHost.instances).toHaveLength(1);
  });

  test("two runs started together in one thread: the second is refused", async () => {
    const first = run(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return "first";
      },
      [],
      custom,
    );
    const second = run(async () => "second", [], custom);
    await expect(second).rejects.toThrow("A host is already running in this thread");
    expect(await first).toBe("first");
  });

  test("startGuest is one-shot: a second call does not start another guest", async () => {
    class TwiceHost extends ContractHost {
      override async mainloop(): Promise<unknown> {
        this.startGuest();
        const info = this.guestInfo;
        this.startGuest();
        expect(this.guestInfo).toBe(info);
        return super.mainloop();
      }
    }
    let starts = 0;
    const result = await run(
      async () => {
        starts++;
        return "once";
      },
      [],
      { backend: "spy", loop: "custom", loopOptions: { hostClass: TwiceHost } },
    );
    expect(result).toBe("once");
    expect(starts).toBe(1);
    expect(spy.calls).toHaveLength(1);
  });

  test("the host is unregistered when func throws, and the thread can run a host again", async () => {
    await expect(
      run(
        () => {
          throw new Error("thrown synchronously");
        },
        [],
        custom,
      ),
    ).rejects.toThrow("thrown synchronously");
    expect(Host.current()).toBeUndefined();
    expect(await run(async () => "again", [], custom)).toBe("again");
  });

  test("a mainloop that exits before doneCallback rejects and unregisters the host", async () => {
    class QuitterHost extends ContractHost {
      override async mainloop(): Promise<unknown> {
        return Host.prototype.mainloop.call(this);
      }
    }
    await expect(run(async () => 1, [], { loop: "custom", loopOptions: { hostClass: QuitterHost } })).rejects.toThrow(
      "The mainloop should only exit once done_callback has been called!",
    );
    expect(Host.current()).toBeUndefined();
    expect(Host.describe()).toBeUndefined();
  });

  test("the host's hostUsesSignalSetWakeupFd is the default backend option", async () => {
    await run(async () => 1, [], { backend: "spy", loop: "custom", loopOptions: { hostClass: ContractHost, signals: true } });
    expect(spy.calls[0]?.hostUsesSignalSetWakeupFd).toBe(true);
  });

  test("an explicit backend option overrides the host's default and other options pass through", async () => {
    await run(async () => 1, [], {
      backend: "spy",
      backendOptions: { hostUsesSignalSetWakeupFd: false, marker: "passed" },
      loop: "custom",
      loopOptions: { hostClass: ContractHost, signals: true },
    });
    expect(spy.calls[0]).toMatchObject({ hostUsesSignalSetWakeupFd: false, marker: "passed" });
    expect(typeof spy.calls[0]?.runSyncSoonThreadsafe).toBe("function");
    expect(typeof spy.calls[0]?.runSyncSoonNotThreadsafe).toBe("function");
    expect(typeof spy.calls[0]?.doneCallback).toBe("function");
  });

  test("a setup error from the backend rejects the run and unregisters the host", async () => {
    await expect(run(async () => 1, [], { ...custom, backendOptions: { noSuchOption: true } })).rejects.toThrow(
      /Unknown option "noSuchOption" for backend "node"/,
    );
    expect(Host.current()).toBeUndefined();
  });

  test("Host.current for another thread is undefined even while a host runs here", async () => {
    const seen = await run(async () => [Host.current(threadId) !== undefined, Host.current(threadId + 1000)], [], custom);
    expect(seen).toEqual([true, undefined]);
  });
});

describe("Host.run loop lookup", () => {
  test("an unknown loop gives a clear error naming the loop", async () => {
    const rejection = run(async () => 1, [], { loop: "qt" });
    await expect(rejection).rejects.toThrow(/^No host is available for loop="qt": importing \.\/qt_host\.js failed/);
    await expect(rejection).rejects.toMatchObject({ code: "ERR_EVENT_LOOP_UNKNOWN_LOOP" });
  });

  test("a loop name that is not a plain identifier is refused", async () => {
    await expect(run(async () => 1, [], { loop: "../../x" })).rejects.toThrow(/Invalid loop name "..\/..\/x"/);
  });

  test("a loop named like the backend is refused", async () => {
    await expect(run(async () => 1, [], { loop: "node" })).rejects.toThrow('loop="node" cannot host backend="node" as a guest of itself');
  });

  test("a host module that does not register its class is reported as not implemented correctly", async () => {
    // A fresh graph in which pure_host.js loads but defines nothing.
    vi.resetModules();
    vi.doMock("../../src/event_loop/pure_host.js", () => ({}));
    try {
      const fresh = await import("../../src/event_loop/index.js");
      await expect(fresh.run(async () => 1, [], { loop: "pure" })).rejects.toThrow(
        new Error("Host for loop=pure is not implemented correctly!"),
      );
    } finally {
      vi.doUnmock("../../src/event_loop/pure_host.js");
      vi.resetModules();
    }
  });

  test("a named loop is imported lazily the first time it is used (fresh module graph)", async () => {
    vi.resetModules();
    const fresh = await import("../../src/event_loop/index.js");
    expect(fresh.Host).not.toBe(Host);
    expect(fresh.Host.registeredLoops()).not.toContain("pure");
    const name = await fresh.run(async () => fresh.Host.current()?.constructor.name, [], { loop: "pure" });
    expect(name).toBe("PureHost");
    expect(fresh.Host.registeredLoops()).toContain("pure");
  });
});
