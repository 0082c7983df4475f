import process from "node:process";
import { setImmediate } from "node:timers";

import { CallbackQueue } from "./callback_queue.js";
import type { SyncCallback } from "./contract.js";
import { Host, type HostOptions } from "./host.js";
import type { Outcome } from "./outcome.js";

export interface PureHostOptions extends HostOptions {
  /** Called after each callback the host has run, with the number run so far. */
  onTick?: (tick: number) => void;
  /**
   * Receives what a scheduled callback (or `onTick`) threw. Default: a process warning with code
   * `TS_ASYNC_KERNEL_PURE_HOST_CALLBACK`, so the error is reported but the loop goes on.
   */
  onCallbackError?: (error: unknown) => void;
}

const OPTION_NAMES = ["onTick", "onCallbackError"];

function reportByWarning(error: unknown): void {
  const warning = new Error(`A callback scheduled on PureHost threw: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
  warning.name = "PureHostCallbackWarning";
  // emitWarning ignores its options for an Error argument, so the code goes on the error itself.
  process.emitWarning(Object.assign(warning, { code: "TS_ASYNC_KERNEL_PURE_HOST_CALLBACK" }));
}

/**
 * A host written in plain JavaScript that pumps its own FIFO queue of callbacks (loop `"pure"`).
 * It proves the guest protocol and serves tests and users who want a host without a GUI.
 *
 * How it runs: each queued callback is dispatched in its own `setImmediate` macrotask, so Node
 * drains the microtasks (the guest's promise jobs) after every callback, the way it does after
 * each call from a GUI toolkit's loop, and libuv I/O keeps flowing between callbacks. When the
 * queue is empty the mainloop awaits a promise that the next `runSyncSoon*` or `doneCallback`
 * resolves: no spinning, no blocking. It stops once `doneCallback` has been called and the queue
 * is drained.
 *
 * Errors: a callback that throws does not stop the loop (as in Tk or Qt); the error goes to
 * `onCallbackError`, by default a process warning, and is counted in `callbackErrors`. It is never
 * dropped silently. Scheduling after the mainloop has ended throws, since nothing would run it.
 *
 * Like any pending promise, the waiting mainloop does not keep the process alive by itself: the
 * guest's own timers and I/O do.
 */
export class PureHost<T = unknown> extends Host<T> {
  static override LOOP = "pure";
  static {
    Host.register(this);
  }

  readonly #queue = new CallbackQueue();
  #wake: (() => void) | undefined;
  #stopped = false;
  #ticks = 0;
  #callbackErrors = 0;
  readonly #onTick: ((tick: number) => void) | undefined;
  readonly #onCallbackError: (error: unknown) => void;

  constructor(options: PureHostOptions = {}) {
    super(options);
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.includes(key)) {
        throw new TypeError(`Unknown option "${key}" for PureHost; expected one of: ${OPTION_NAMES.join(", ")}`);
      }
    }
    for (const key of OPTION_NAMES) {
      const value = options[key];
      if (value !== undefined && typeof value !== "function") {
        throw new TypeError(`PureHost option "${key}" must be a function, got ${typeof value}`);
      }
    }
    this.#onTick = options.onTick;
    this.#onCallbackError = options.onCallbackError ?? reportByWarning;
  }

  /** Callbacks run so far. */
  get ticks(): number {
    return this.#ticks;
  }

  /** Callbacks (or `onTick` calls) that threw. */
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
    this.#wakeUp();
  }

  override async mainloop(): Promise<T> {
    this.startGuest();
    for (;;) {
      const fn = this.#queue.take();
      if (fn !== undefined) {
        await this.#dispatch(fn);
      } else if (this.outcome !== undefined) {
        break;
      } else {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    }
    this.#stopped = true;
    return super.mainloop();
  }

  #push(fn: SyncCallback): void {
    if (typeof fn !== "function") throw new TypeError(`PureHost can only schedule functions, got ${typeof fn}`);
    if (this.#stopped) throw new Error("PureHost has stopped: the callback would never run");
    this.#queue.push(fn);
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #dispatch(fn: SyncCallback): Promise<void> {
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        try {
          fn();
        } catch (error) {
          this.#report(error);
        }
        this.#ticks++;
        try {
          this.#onTick?.(this.#ticks);
        } catch (error) {
          this.#report(error);
        }
        resolve();
      });
    });
  }

  #report(error: unknown): void {
    this.#callbackErrors++;
    this.#onCallbackError(error);
  }
}
