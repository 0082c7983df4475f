import process from "node:process";
import { isMainThread } from "node:worker_threads";

import type { SyncCallback } from "./contract.js";
import { loadGtkAddon } from "./gtk_native.js";
import { Host, type HostOptions } from "./host.js";
import type { Outcome } from "./outcome.js";

// At import, so that `Host.run` reports a missing toolkit or build as the reason the loop is unavailable.
const gtk = loadGtkAddon();

export interface GtkHostOptions extends HostOptions {
  /**
   * Receives what a scheduled callback threw. Default: a process warning with code
   * `TS_ASYNC_KERNEL_GTK_HOST_CALLBACK`; the loop goes on, as GTK's does.
   */
  onCallbackError?: (error: unknown) => void;
}

function reportByWarning(error: unknown): void {
  const warning = new Error(`A callback scheduled on GtkHost threw: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
  warning.name = "GtkHostCallbackWarning";
  process.emitWarning(Object.assign(warning, { code: "TS_ASYNC_KERNEL_GTK_HOST_CALLBACK" }));
}

/**
 * The GTK host (loop `"gtk"`): GLib's main loop, which GTK's windows run on, owns the thread, and
 * Node's libuv loop runs inside it as a guest (native/gtk/ts_async_gtk.c: how the thread is
 * entered, how libuv is polled, how wakeups cross; docs/event_loop.md).
 *
 * `runSyncSoon*` queue the callback here and wake GLib through an idle source, which runs one
 * callback per main-loop iteration as an outermost Node callback: the callback's promise jobs run
 * right after it, GTK's input and redraws and libuv's I/O in between. `mainloop` arms the loop,
 * starts the guest (its first callback runs once GLib runs) and resolves when `doneCallback` has
 * quit the loop.
 *
 * Limits: Node's main thread only (GTK is single-threaded, and the addon serves one thread), one
 * run at a time. While JavaScript runs (a cell's synchronous loop), neither GTK nor libuv does:
 * windows are not redrawn until it yields.
 */
export class GtkHost<T = unknown> extends Host<T> {
  static override LOOP = "gtk";
  static override GUIS = ["gtk", "gtk3"];
  static {
    Host.register(this);
  }

  #queue: SyncCallback[] = [];
  #head = 0;
  #stopped = false;
  #callbackErrors = 0;
  readonly #onCallbackError: (error: unknown) => void;

  constructor(options: GtkHostOptions = {}) {
    super(options);
    for (const key of Object.keys(options)) {
      if (key !== "onCallbackError") throw new TypeError(`Unknown option "${key}" for GtkHost; expected: onCallbackError`);
    }
    if (options.onCallbackError !== undefined && typeof options.onCallbackError !== "function") {
      throw new TypeError(`GtkHost option "onCallbackError" must be a function, got ${typeof options.onCallbackError}`);
    }
    if (!isMainThread) throw new Error('The GTK host (loop "gtk") runs in Node\'s main thread only: GTK is single-threaded');
    this.#onCallbackError = options.onCallbackError ?? reportByWarning;
  }

  /** Callbacks that threw. */
  get callbackErrors(): number {
    return this.#callbackErrors;
  }

  /** Callbacks waiting in the queue. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  runSyncSoonThreadsafe(fn: SyncCallback): void {
    this.#push(fn);
  }

  override runSyncSoonNotThreadsafe(fn: SyncCallback): void {
    this.#push(fn);
  }

  override doneCallback(outcome: Outcome<T>): void {
    super.doneCallback(outcome);
    gtk.quit();
  }

  override async mainloop(): Promise<T> {
    const exited = new Promise<void>((resolve) => gtk.enter(() => this.#invokeOne(), resolve));
    try {
      this.startGuest();
    } catch (error) {
      // A setup error: the loop, armed already, must not start with nobody to stop it.
      gtk.quit();
      await exited;
      this.#stopped = true;
      throw error;
    }
    await exited;
    this.#stopped = true;
    return super.mainloop();
  }

  #push(fn: SyncCallback): void {
    if (typeof fn !== "function") throw new TypeError(`GtkHost can only schedule functions, got ${typeof fn}`);
    if (this.#stopped) throw new Error("GtkHost has stopped: the callback would never run");
    this.#queue.push(fn);
    gtk.wake();
  }

  /** GLib's idle source calls this: one callback, then whether more are waiting. */
  #invokeOne(): boolean {
    if (this.#head === this.#queue.length) return false;
    const fn = this.#queue[this.#head++]!;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
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
