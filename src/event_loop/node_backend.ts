import process from "node:process";
import type { Backend, BackendOptions, GuestFunction, GuestInfo, GuestRunOptions } from "./contract.js";
import { Outcome } from "./outcome.js";

/*
 * The `node` backend: native promises on Node's own event loop.
 *
 * How guest mode maps onto libuv
 * ------------------------------
 * In trio and async-kernel the guest is a whole event loop that the host drives one "tick" at a
 * time: each tick runs ready work, then waits for I/O in a helper thread and asks the host to
 * call it again through `run_sync_soon_threadsafe`. In Node there is nothing to unroll:
 *
 * - libuv already owns I/O, timers and signals for this thread, and V8 runs promise jobs on its
 *   microtask queue, which Node drains after every callback it makes into JavaScript. A
 *   promise-based `func` therefore needs no ticks of its own: once started it advances by itself.
 * - What the host does own is *when guest work enters JavaScript*: the start of `func` and the
 *   delivery of its `Outcome` both go through the host's `runSyncSoonNotThreadsafe`, so they run
 *   inside host callbacks, in the host's order, and never synchronously inside `startGuestRun`.
 *   Every call comes from this isolate's only JavaScript thread, so the not-threadsafe variant is
 *   always allowed (it falls back to the threadsafe one when the host gives none, trio's rule).
 * - A future GUI host built on an N-API addon inverts the roles one level down: the toolkit's
 *   loop owns the thread and pumps libuv itself as a guest (as Electron and node-gtk embed it),
 *   calling back into JavaScript, after which Node drains microtasks as usual. This backend is
 *   unchanged by that: it only needs `runSyncSoon*` and `doneCallback`.
 * - `hostUsesSignalSetWakeupFd` is accepted and ignored: signals reach JavaScript through libuv's
 *   signal handles whoever the host is, so there is no wakeup fd to hand over.
 *
 * Lifetime: the run's state is reachable only through the callbacks handed to the host and the
 * pending promise of `func`. If all of them are dropped before `doneCallback` was delivered (the
 * host discarded a scheduled callback, or `func` can never settle) a process warning with code
 * `TS_ASYNC_KERNEL_GUEST_ABANDONED` is emitted, instead of the run vanishing silently.
 */

const KNOWN_GUEST_OPTIONS = new Set(["runSyncSoonThreadsafe", "runSyncSoonNotThreadsafe", "doneCallback", "hostUsesSignalSetWakeupFd"]);

function assertNoBackendOptions(options: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      const expected = [...allowed].join(", ") || "none";
      throw new TypeError(`Unknown option "${key}" for backend "node"; expected: ${expected}`);
    }
  }
}

function assertFunction(value: unknown, what: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new TypeError(`${what} must be a function, got ${value === null ? "null" : typeof value}`);
  }
}

// Held value is a plain string so that it never keeps the run's state alive.
const abandoned = new FinalizationRegistry<string>((what) => {
  process.emitWarning(`A node guest run was abandoned without finishing (${what}).`, {
    code: "TS_ASYNC_KERNEL_GUEST_ABANDONED",
    detail: "The host dropped a scheduled callback, or the guest's promise can never settle, " + "so doneCallback was never delivered.",
  });
});

export const nodeBackend: Backend = {
  name: "node",

  async run<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, options: BackendOptions = {}): Promise<Awaited<T>> {
    assertFunction(func, "func");
    assertNoBackendOptions(options, new Set(["hostUsesSignalSetWakeupFd"]));
    return await func(...args);
  },

  startGuestRun<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, options: GuestRunOptions<Awaited<T>>): GuestInfo {
    assertFunction(func, "func");
    assertNoBackendOptions(options, KNOWN_GUEST_OPTIONS);
    assertFunction(options.runSyncSoonThreadsafe, "runSyncSoonThreadsafe");
    assertFunction(options.doneCallback, "doneCallback");
    if (options.runSyncSoonNotThreadsafe != null) {
      assertFunction(options.runSyncSoonNotThreadsafe, "runSyncSoonNotThreadsafe");
    }
    const soon = options.runSyncSoonNotThreadsafe ?? options.runSyncSoonThreadsafe;
    const doneCallback = options.doneCallback;
    // Only the closures below reference `run`; it is collected exactly when they all are.
    const run = {};

    const deliver = (outcome: Outcome<Awaited<T>>): void => {
      try {
        soon(() => {
          abandoned.unregister(run);
          doneCallback(outcome);
        });
      } catch (error) {
        // The host refused to schedule: delivering directly is the only way left to stop it.
        abandoned.unregister(run);
        doneCallback(Outcome.error(new Error("The host failed to schedule doneCallback", { cause: error })));
      }
    };

    // A throw from the host here is a setup error and leaves nothing behind to warn about.
    soon(() => {
      void Outcome.acapture(func, ...args).then(deliver);
    });
    abandoned.register(run, `func ${func.name || "<anonymous>"}`, run);
    return { backend: "node" };
  },
};
