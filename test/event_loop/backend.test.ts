import { describe, expect, test } from "vitest";

import {
  backendNames,
  getBackend,
  registerBackend,
  type Backend,
  type GuestFunction,
  type GuestInfo,
  type GuestRunOptions,
} from "../../src/event_loop/backend.js";
import { Host } from "../../src/event_loop/host.js";
import { nodeBackend } from "../../src/event_loop/node_backend.js";
import { Outcome } from "../../src/event_loop/outcome.js";
import { run } from "../../src/event_loop/run.js";
import "../../src/event_loop/pure_host.js";

/**
 * A stand-in for a structured-concurrency backend (the trio analogue): it runs the guest in a
 * cancel scope, drives it in explicit ticks through the host, and returns a cancel handle.
 */
interface ScopedGuestInfo extends GuestInfo {
  cancel(reason?: unknown): void;
}

class CancelledError extends Error {
  override name = "CancelledError";
}

function makeScopedBackend(name: string): Backend & { ticks: number } {
  const backend = {
    name,
    ticks: 0,
    async run<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A): Promise<Awaited<T>> {
      return await func(...args);
    },
    startGuestRun<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, options: GuestRunOptions<Awaited<T>>): ScopedGuestInfo {
      const soon = options.runSyncSoonNotThreadsafe ?? options.runSyncSoonThreadsafe;
      let cancelled: unknown;
      let settled = false;
      const tick = (): void => {
        backend.ticks++;
        if (settled) return;
        if (cancelled !== undefined) {
          settled = true;
          soon(() => options.doneCallback(Outcome.error(cancelled)));
          return;
        }
        soon(tick);
      };
      soon(() => {
        void Outcome.acapture(func, ...args).then((outcome) => {
          if (settled) return;
          settled = true;
          soon(() => options.doneCallback(outcome));
        });
        tick();
      });
      return {
        backend: name,
        cancel(reason = new CancelledError("cancelled")) {
          options.runSyncSoonThreadsafe(() => {
            cancelled = reason;
          });
        },
      };
    },
  };
  return backend;
}

describe("backend registry", () => {
  test("the node backend is registered by default", () => {
    expect(backendNames()).toContain("node");
    expect(getBackend("node")).toBe(nodeBackend);
  });

  test("an unknown backend name gives an error listing the known names", () => {
    expect(() => getBackend("asyncio")).toThrow(/Unknown backend "asyncio"; known backends: .*"node"/);
    try {
      getBackend("asyncio");
    } catch (error) {
      expect((error as { code?: string }).code).toBe("ERR_EVENT_LOOP_UNKNOWN_BACKEND");
    }
  });

  test("registering the same backend object twice is a no-op", () => {
    expect(() => registerBackend("node", nodeBackend)).not.toThrow();
    expect(backendNames().filter((name) => name === "node")).toHaveLength(1);
  });

  test("a different backend under a taken name is refused", () => {
    expect(() => registerBackend("node", { ...nodeBackend })).toThrow(/already registered as "node"/);
  });

  test("a backend whose name differs from its registered name is refused", () => {
    expect(() => registerBackend("other", nodeBackend)).toThrow(/registered as "other" reports name "node"/);
  });

  test("a backend without run and startGuestRun is refused", () => {
    const broken = { name: "broken", run: nodeBackend.run } as unknown as Backend;
    expect(() => registerBackend("broken", broken)).toThrow(/must implement run\(\) and startGuestRun\(\)/);
    expect(backendNames()).not.toContain("broken");
  });

  test("an empty backend name is refused", () => {
    expect(() => registerBackend("", nodeBackend)).toThrow(TypeError);
  });

  test("a second backend with cancel scopes runs without a host through run()", async () => {
    registerBackend("scoped-a", makeScopedBackend("scoped-a"));
    expect(await run(async (x: number) => x * 2, [21], { backend: "scoped-a" })).toBe(42);
  });

  test("a second backend runs as the guest of a host and ticks through it", async () => {
    const scoped = makeScopedBackend("scoped-b");
    registerBackend("scoped-b", scoped);
    const result = await run(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return Host.current()?.constructor.name;
      },
      [],
      { backend: "scoped-b", loop: "pure" },
    );
    expect(result).toBe("PureHost");
    expect(scoped.ticks).toBeGreaterThan(0);
  });

  test("the second backend's cancel handle ends the guest with its cancel error", async () => {
    registerBackend("scoped-c", makeScopedBackend("scoped-c"));
    const never = new Promise<never>(() => {});
    const pending = run(() => never, [], { backend: "scoped-c", loop: "pure" });
    // Wait until the host runs, then cancel through the guest info the host got back.
    let host: Host | undefined;
    while ((host = Host.current()) === undefined || host.guestInfo === undefined) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    (host.guestInfo as ScopedGuestInfo).cancel();
    await expect(pending).rejects.toThrow(CancelledError);
  });
});
