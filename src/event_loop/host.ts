import process from "node:process";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { threadId as currentThreadId } from "node:worker_threads";

import { getBackend, type BackendOptions, type GuestFunction, type GuestInfo, type SyncCallback } from "./backend.js";
import { claim, lookup, release, type HostDescription } from "./host_table.js";
import type { Outcome } from "./outcome.js";

export type { HostDescription } from "./host_table.js";

/** Options a host class is constructed with: `RunSettings.loopOptions` without `hostClass`. */
export type HostOptions = Record<string, unknown>;

/** A concrete `Host` subclass. */
export interface HostClass<H extends Host = Host> {
  new (options?: HostOptions): H;
  readonly LOOP: string;
  readonly GUIS: readonly string[];
  readonly name: string;
}

/**
 * How to run a function: with which backend, and optionally inside which host loop.
 *
 * `loopOptions.hostClass` is either a `Host` subclass or a string `"<module>#<export>"`. The
 * module part is resolved against `process.cwd()` when it starts with `./` or `../` or is an
 * absolute path, and is otherwise passed to `import()` as is (a `file:` URL, or a package, which
 * then resolves from this module's location). The export is the text after the last `#` (a
 * leading `#`, as in subpath imports, belongs to the module); without one, the default export.
 */
export type RunSettings = {
  backend?: string;
  backendOptions?: BackendOptions;
  loop?: string;
  loopOptions?: { hostClass?: HostClass | string; [option: string]: unknown };
};

const CUSTOM = "custom";
// Loop names become module names (`<loop>_host.js`), so they must not be able to walk paths.
const LOOP_NAME = /^[a-z][a-z0-9_]*$/;

// The host of this thread (JS objects never cross threads, so one variable per isolate suffices).
let running: Host | undefined;
const subclasses = new Map<string, HostClass>();

function describeValue(value: unknown): string {
  if (typeof value === "function") return value.name ? value.name : "<anonymous function>";
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return `<${value.constructor?.name ?? "object"}>`;
}

function busy(): Error {
  return Object.assign(new Error("A host is already running in this thread"), { code: "EBUSY" });
}

async function importHostClass(specifier: string): Promise<unknown> {
  const hash = specifier.lastIndexOf("#");
  const module = hash > 0 ? specifier.slice(0, hash) : specifier;
  const name = hash > 0 ? specifier.slice(hash + 1) : "default";
  if (module === "" || name === "") {
    throw new TypeError(`Invalid hostClass specifier "${specifier}"; expected "<module>#<export>"`);
  }
  const local = module.startsWith("./") || module.startsWith("../") || isAbsolute(module);
  const target = local ? pathToFileURL(resolve(process.cwd(), module)).href : module;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot import hostClass "${specifier}": ${reason}`, { cause: error });
  }
  if (!(name in namespace)) {
    throw new Error(`Cannot import hostClass "${specifier}": the module has no export "${name}"`);
  }
  return namespace[name];
}

async function importLoop(loop: string): Promise<void> {
  // A plain variable keeps bundlers (Vite, in tests) from turning this into a static glob.
  const specifier = `./${loop}_host.js`;
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw Object.assign(
      new Error(`No host is available for loop="${loop}": importing ./${loop}_host.js failed: ${reason}`, {
        cause: error,
      }),
      { code: "ERR_EVENT_LOOP_UNKNOWN_LOOP" },
    );
  }
}

/**
 * A host mainloop that runs a backend as its guest, in the current thread.
 *
 * Why: GUI toolkits (and other foreign loops) want to own the thread's loop; guest mode lets
 * async code keep running inside them instead of fighting over the thread.
 *
 * How it works: `Host.run` builds the host and gives it a one-shot `startGuest`, which hands the
 * backend the host's `runSyncSoon*` and `doneCallback`. The backend runs guest work only inside
 * callbacks the host runs, and delivers the guest's `Outcome` through them at the end.
 *
 * Checklist for a subclass (see pure_host.ts for a complete one):
 * 1. set `static override LOOP` (or `"custom"` for a class given through `loopOptions.hostClass`)
 *    and, for a named loop, add `static { Host.register(this); }` so that importing the module
 *    `<loop>_host.js` registers it (this is the only registration mechanism);
 * 2. implement `runSyncSoonThreadsafe` (and `runSyncSoonNotThreadsafe` if cheaper);
 * 3. in `mainloop()`, call `this.startGuest()` once the loop can accept callbacks, run the loop
 *    until `doneCallback` has been called, then `return super.mainloop()`:
 *
 *        class TkHost extends Host {
 *          static override LOOP = "tk";
 *          static override GUIS = ["tk"];
 *          static { Host.register(this); }
 *          runSyncSoonThreadsafe(fn) { toolkit.post(fn); }
 *          override doneCallback(outcome) { super.doneCallback(outcome); toolkit.quit(); }
 *          override async mainloop() { this.startGuest(); await toolkit.run(); return super.mainloop(); }
 *        }
 *
 * **The mainloop must not exit before `doneCallback` has been called.**
 * **Only one host runs per thread.**
 *
 * Ownership: `Host.run` creates the instance, registers it as this thread's host for the whole
 * mainloop and unregisters it when the mainloop settles, whatever the outcome.
 *
 * Limitations: JavaScript cannot block a thread in a loop, so `mainloop()` and `Host.run` return
 * promises. Host objects cannot cross threads: `Host.current()` answers for this thread only and
 * `Host.describe()` gives other threads a description (see host_table.ts).
 */
export abstract class Host<T = unknown> {
  /** The loop name this class serves; `"custom"` means "do not register". */
  static LOOP: string;
  /** The GUI toolkits this host serves (async-kernel's `MATPLOTLIB_GUIS`). */
  static GUIS: readonly string[] = [];

  /** Set by `Host.run`: the host owns signal wake-ups, so the guest must leave them alone. */
  hostUsesSignalSetWakeupFd = false;

  /**
   * Starts the guest; installed by `Host.run` and one-shot (later calls do nothing). Must be
   * called by the subclass's mainloop at the right moment.
   */
  startGuest: () => void = () => {};

  #outcome: Outcome<T> | undefined;
  #guestInfo: GuestInfo | undefined;

  // biome-ignore lint/complexity/noUselessConstructor: declares the options every subclass accepts
  constructor(_options: HostOptions = {}) {}

  /**
   * Register `cls` as the host for `cls.LOOP`; called from the subclass's static block. A
   * `"custom"` class is not registered. A second class for the same loop throws: two modules
   * claiming one loop name is a packaging error that "last one wins" would hide.
   */
  static register(cls: HostClass): void {
    if (!(cls?.prototype instanceof Host)) {
      throw new TypeError(`${describeValue(cls)} is not a subclass of ${Host.name}!`);
    }
    const loop = cls.LOOP;
    if (loop === CUSTOM) return;
    if (typeof loop !== "string" || !LOOP_NAME.test(loop)) {
      throw new TypeError(`${cls.name}.LOOP must match ${String(LOOP_NAME)}, got ${describeValue(loop)}`);
    }
    const existing = subclasses.get(loop);
    if (existing !== undefined && existing !== cls) {
      throw new Error(`loop="${loop}" is already served by ${existing.name}; cannot register ${cls.name}`);
    }
    subclasses.set(loop, cls);
  }

  /**
   * The host class of the named `loop`, imported and registered now if it is not yet (what
   * `Host.run` does on first use): a program that starts other work first (threads, sockets)
   * learns before it does that the loop is unavailable, and why.
   */
  static async load(loop: string): Promise<HostClass> {
    if (typeof loop !== "string" || !LOOP_NAME.test(loop) || loop === CUSTOM) {
      throw new TypeError(`Invalid loop name ${describeValue(loop)}; expected ${String(LOOP_NAME)}`);
    }
    if (!subclasses.has(loop)) {
      await importLoop(loop);
      if (!subclasses.has(loop)) throw new Error(`Host for loop=${loop} is not implemented correctly!`);
    }
    return subclasses.get(loop)!;
  }

  /** Loop names with a registered host class (loaded so far). */
  static registeredLoops(): string[] {
    return [...subclasses.keys()];
  }

  /**
   * The host running in thread `threadId` (default: this thread). Host objects cannot cross
   * threads, so this is `undefined` for any other thread; use `Host.describe` for those.
   */
  static current(threadId: number = currentThreadId): Host | undefined {
    return threadId === currentThreadId ? running : undefined;
  }

  /**
   * Describe the host running in thread `threadId` (default: this thread), from any thread that
   * shares the process-wide host table (see host_table.ts for when a worker shares it).
   */
  static describe(threadId: number = currentThreadId): HostDescription | undefined {
    if (threadId === currentThreadId && running !== undefined) {
      const cls = running.constructor as HostClass;
      return { threadId, loop: cls.LOOP, hostClass: cls.name };
    }
    return lookup(threadId);
  }

  /**
   * Run `func(...args)` with the backend `settings.backend` (default `"node"`) as a guest of the
   * host for `settings.loop`, in this thread, and return its result (or throw its error).
   */
  static async run<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, settings: RunSettings): Promise<Awaited<T>> {
    // Checked here for a fast failure and again just before registering, after the awaits.
    if (running !== undefined) throw busy();
    const loop = settings.loop;
    if (typeof loop !== "string" || loop === "") {
      throw new TypeError(`settings.loop must name a host loop, got ${describeValue(loop)}`);
    }
    const backendName = settings.backend ?? "node";
    const backend = getBackend(backendName);
    const { hostClass, ...loopOptions } = settings.loopOptions ?? {};

    let cls: unknown;
    if (hostClass !== undefined) {
      cls = typeof hostClass === "string" ? await importHostClass(hostClass) : hostClass;
      if (typeof cls !== "function" || !(cls === this || cls.prototype instanceof this)) {
        throw new TypeError(`${describeValue(cls)} is not a subclass of ${this.name}!`);
      }
    } else {
      if (loop === CUSTOM) {
        throw new TypeError('loop="custom" needs settings.loopOptions.hostClass');
      }
      if (!LOOP_NAME.test(loop)) {
        throw new TypeError(`Invalid loop name "${loop}"; expected ${String(LOOP_NAME)}`);
      }
      if (loop === backendName) {
        throw new TypeError(`loop="${loop}" cannot host backend="${backendName}" as a guest of itself`);
      }
      cls = await Host.load(loop);
    }
    const HostCls = cls as HostClass<Host<Awaited<T>>>;
    if (HostCls.LOOP !== loop) {
      throw new Error(`${HostCls.name}.LOOP is "${String(HostCls.LOOP)}" but settings.loop is "${loop}"`);
    }

    const host = new HostCls(loopOptions);
    const backendOptions = {
      hostUsesSignalSetWakeupFd: host.hostUsesSignalSetWakeupFd,
      ...settings.backendOptions,
    };
    host.startGuest = () => {
      host.startGuest = () => {};
      host.#guestInfo = backend.startGuestRun(func, args, {
        ...backendOptions,
        runSyncSoonThreadsafe: host.runSyncSoonThreadsafe.bind(host),
        runSyncSoonNotThreadsafe: host.runSyncSoonNotThreadsafe.bind(host),
        doneCallback: host.doneCallback.bind(host),
      });
    };

    // No await between this check and registration, so two runs cannot both pass it.
    if (running !== undefined || lookup(currentThreadId) !== undefined) throw busy();
    running = host;
    const slot = claim(currentThreadId, HostCls.LOOP, HostCls.name);
    if (slot < 0) {
      process.emitWarning("The process-wide host table is full; Host.describe() from other threads will miss this host", {
        code: "TS_ASYNC_KERNEL_HOST_TABLE_FULL",
      });
    }
    try {
      return await host.mainloop();
    } finally {
      if (slot >= 0) release(slot);
      running = undefined;
    }
  }

  /** The GUI toolkits this host serves (its class's `GUIS`). */
  get guis(): readonly string[] {
    return (this.constructor as HostClass).GUIS;
  }

  /** What the backend's `startGuestRun` returned, once the guest has been started. */
  get guestInfo(): GuestInfo | undefined {
    return this.#guestInfo;
  }

  /** The outcome delivered to `doneCallback`, if any yet. */
  protected get outcome(): Outcome<T> | undefined {
    return this.#outcome;
  }

  /** Schedule `fn` to run soon on this host; must accept calls at any time, re-entrantly. */
  abstract runSyncSoonThreadsafe(fn: SyncCallback): void;

  /**
   * Schedule `fn` from within this host's own thread. Falls back to `runSyncSoonThreadsafe`
   * (trio's rule); override when the host has a cheaper path.
   */
  runSyncSoonNotThreadsafe(fn: SyncCallback): void {
    this.runSyncSoonThreadsafe(fn);
  }

  /** Receives the guest's outcome, exactly once. Subclasses stop their loop here. */
  doneCallback(outcome: Outcome<T>): void {
    if (this.#outcome !== undefined) throw new Error("doneCallback was called more than once");
    this.#outcome = outcome;
  }

  /**
   * Run the host's loop until the guest is done and return its result. Subclasses start the
   * guest and run their loop, then `return super.mainloop()`.
   */
  async mainloop(): Promise<T> {
    this.startGuest();
    if (this.#outcome === undefined) {
      throw new Error("The mainloop should only exit once done_callback has been called!");
    }
    return this.#outcome.unwrap();
  }
}
