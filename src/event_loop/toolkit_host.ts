import process from "node:process";
import { isMainThread } from "node:worker_threads";

import { CallbackQueue } from "./callback_queue.js";
import type { SyncCallback } from "./contract.js";
import type { HostAddon } from "./host_addon.js";
import { Host, type HostOptions } from "./host.js";
import type { Outcome } from "./outcome.js";

export interface ToolkitHostOptions extends HostOptions {
  /**
   * Receives what a scheduled callback threw. Default: a process warning with code
   * `TS_ASYNC_KERNEL_<LOOP>_HOST_CALLBACK`; the loop goes on, as the toolkit's does.
   */
  onCallbackError?: (error: unknown) => void;
}

/**
 * A host whose loop is a GUI toolkit's, run by a native addon (native/common/node_guest.h): the
 * toolkit's loop owns the thread and Node's libuv loop runs inside it as a guest (GtkHost,
 * TkHost; docs/event_loop.md).
 *
 * `runSyncSoon*` queue the callback here and wake the toolkit (an idle source in GLib, an event
 * on Tcl's queue), which runs one callback per wake-up as an outermost Node callback: the
 * callback's promise jobs run right after it, the toolkit's input and drawing and libuv's I/O in
 * between. `mainloop` arms the loop, starts the guest (its first callback runs once the toolkit's
 * loop runs) and resolves when `doneCallback` has quit the loop.
 *
 * Limits: Node's main thread only (toolkits are single-threaded, and an addon serves one thread),
 * one run at a time. While JavaScript runs (a cell's synchronous loop), neither the toolkit nor
 * libuv does: windows are not redrawn until it yields.
 */
export abstract class ToolkitHost<T = unknown> extends Host<T> {
  readonly #queue = new CallbackQueue();
  #stopped = false;
  #callbackErrors = 0;
  readonly #toolkit: HostAddon;
  readonly #onCallbackError: (error: unknown) => void;

  protected constructor(toolkit: HostAddon, options: ToolkitHostOptions = {}) {
    super(options);
    const name = this.constructor.name;
    for (const key of Object.keys(options)) {
      if (key !== "onCallbackError") throw new TypeError(`Unknown option "${key}" for ${name}; expected: onCallbackError`);
    }
    if (options.onCallbackError !== undefined && typeof options.onCallbackError !== "function") {
      throw new TypeError(`${name} option "onCallbackError" must be a function, got ${typeof options.onCallbackError}`);
    }
    const loop = (this.constructor as typeof Host).LOOP;
    if (!isMainThread) throw new Error(`The ${name} (loop "${loop}") runs in Node's main thread only: its toolkit is single-threaded`);
    this.#toolkit = toolkit;
    this.#onCallbackError =
      options.onCallbackError ??
      ((error) => {
        const warning = new Error(`A callback scheduled on ${name} threw: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
        warning.name = `${name}CallbackWarning`;
        process.emitWarning(Object.assign(warning, { code: `TS_ASYNC_KERNEL_${loop.toUpperCase()}_HOST_CALLBACK` }));
      });
  }

  /** Callbacks that threw. */
  get callbackErrors(): number {
    return this.#callbackErrors;
  }

  /** Callbacks waiting in the queue. */
  get pending(): number {
    return this.#queue.size;
  }

  runSyncSoonThreadsafe(fn: SyncCallback): void {
    this.#push(fn);
  }

  override runSyncSoonNotThreadsafe(fn: SyncCallback): void {
    this.#push(fn);
  }

  override doneCallback(outcome: Outcome<T>): void {
    super.doneCallback(outcome);
    this.#toolkit.quit();
  }

  override async mainloop(): Promise<T> {
    const exited = new Promise<void>((resolve) => this.#toolkit.enter(() => this.#invokeOne(), resolve));
    try {
      this.startGuest();
    } catch (error) {
      // A setup error: the loop, armed already, must not start with nobody to stop it.
      this.#toolkit.quit();
      await exited;
      this.#stopped = true;
      throw error;
    }
    await exited;
    this.#stopped = true;
    return super.mainloop();
  }

  #push(fn: SyncCallback): void {
    if (typeof fn !== "function") throw new TypeError(`${this.constructor.name} can only schedule functions, got ${typeof fn}`);
    if (this.#stopped) throw new Error(`${this.constructor.name} has stopped: the callback would never run`);
    this.#queue.push(fn);
    this.#toolkit.wake();
  }

  /** The toolkit calls this when woken: one callback, then whether more are waiting. */
  #invokeOne(): boolean {
    const fn = this.#queue.take();
    if (fn === undefined) return false;
    try {
      fn();
    } catch (error) {
      this.#callbackErrors++;
      try {
        this.#onCallbackError(error);
      } catch {
        // the reporter failing must not stop the loop
      }
    }
    return this.pending > 0;
  }
}
