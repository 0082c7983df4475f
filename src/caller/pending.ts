/**
 * `Pending`: the promise of a call made through a Caller, which can also be cancelled.
 *
 * Cancelling rejects the pending at once with the reason and aborts its `signal` (in the thread
 * that runs the call too, as soon as that thread takes the cancel: at once, unless synchronous
 * code holds it). The function may run on until it looks at its signal; `untilFinished` tells
 * when the thread has let the call go. A cancelled pending nobody awaits is no unhandled rejection.
 */
import { clearTimeout, setTimeout } from "node:timers";
import { CallTimeout, PendingCancelled } from "./errors.js";

/** What the code that made a pending can do with it (module-private). */
export interface Deferred<T> {
  pending: Pending<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(error: unknown): void;
}

type Executor<T> = (resolve: (value: T | PromiseLike<T>) => void, reject: (error: unknown) => void) => void;

// Taken now: a cell may declare a global of the same name (cells share their thread's realm).
const Controller = AbortController;

let makeDeferred: <T>(onCancel?: (reason: Error) => void) => Deferred<T>;
let addSettleHook: (pending: Pending<unknown>, hook: () => void) => void;
let addCancelHook: (pending: Pending<unknown>, hook: (reason: Error) => void) => void;
let reasonOf: (pending: Pending<unknown>) => Error | undefined;

export class Pending<T> extends Promise<T> {
  // then/catch/finally give plain promises: only the call itself can be cancelled.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  // Made on first use of `signal`: most calls are never cancelled, and an AbortSignal is costly.
  #controller?: AbortController;
  #cancelled?: Error;
  #cancelHooks?: ((reason: Error) => void)[];
  #done = false;
  // Typed loosely, so that a Pending<T> is a Pending<unknown> (as a Promise<T> is a Promise<unknown>).
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  #onCancel?: ((reason: Error) => void) | undefined;
  #timer?: NodeJS.Timeout | undefined;
  #hooks?: (() => void)[];

  /** As `new Promise(executor)`; Callers make pendings themselves (see `Caller.call`). */
  constructor(executor?: Executor<T>) {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (error: unknown) => void;
    super((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#resolve = resolve as (value: unknown) => void;
    this.#reject = reject;
    if (executor) {
      try {
        executor(
          (v) => this.#settle(true, v),
          (e) => this.#settle(false, e),
        );
      } catch (err) {
        this.#settle(false, err);
      }
    }
  }

  static {
    makeDeferred = <T>(onCancel?: (reason: Error) => void): Deferred<T> => {
      const pending = new Pending<T>();
      pending.#onCancel = onCancel;
      return { pending, resolve: (v) => pending.#settle(true, v), reject: (e) => pending.#settle(false, e) };
    };
    addSettleHook = (pending, hook) => {
      if (pending.#done) hook();
      else (pending.#hooks ??= []).push(hook);
    };
    addCancelHook = (pending, hook) => {
      if (pending.#cancelled) hook(pending.#cancelled);
      else if (!pending.#done) (pending.#cancelHooks ??= []).push(hook);
    };
    reasonOf = (pending) => pending.#cancelled;
  }

  /** Aborted when the pending is cancelled; its reason is the error the pending rejects with. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new Controller();
      if (this.#cancelled) this.#controller.abort(this.#cancelled);
    }
    return this.#controller.signal;
  }

  /** Settled (or settling: resolved with a promise that has not settled yet). */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Cancel the call: `reason` is the error it is rejected with (a string: a `PendingCancelled`
   * with that message). Returns false when it had settled already.
   */
  cancel(reason?: string | Error): boolean {
    if (this.#done || this.#cancelled) return false;
    // An Error of any realm (the kernel's cells have their own) is the reason itself.
    const error = typeof reason === "object" && reason !== null ? reason : new PendingCancelled(reason);
    this.#cancelled = error;
    // Whoever cancels knows it was cancelled: no unhandled-rejection report for that.
    this.catch(() => {});
    const hooks = this.#cancelHooks?.splice(0) ?? [];
    this.#controller?.abort(error);
    this.#onCancel?.(error);
    for (const hook of hooks) hook(error);
    return true;
  }

  /** Cancel the call with a `TimeoutError` unless it settles within `seconds`. Returns this. */
  timeout(seconds: number): this {
    if (!(seconds >= 0)) throw new RangeError(`timeout must be a number of seconds >= 0, not ${seconds}`);
    if (!this.#done) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.cancel(new CallTimeout(seconds)), seconds * 1000);
      // Waiting for the timeout alone must not keep a process alive; the call itself does.
      this.#timer.unref();
    }
    return this;
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    if (ok) this.#resolve(value);
    else this.#reject(value);
    this.#cancelHooks = undefined;
    for (const hook of this.#hooks?.splice(0) ?? []) hook();
  }
}

/**
 * Run `hook` once `pending` is settled, without handling its rejection for anyone (a call nobody
 * awaits that fails is still reported as an unhandled rejection).
 */
export function whenSettled(pending: Pending<unknown>, hook: () => void): void {
  addSettleHook(pending, hook);
}

/** Run `hook` when `pending` is cancelled (at once if it was); never after it settled otherwise. */
export function whenCancelled(pending: Pending<unknown>, hook: (reason: Error) => void): void {
  addCancelHook(pending, hook);
}

/** Why `pending` was cancelled, if it was. */
export function cancelReason(pending: Pending<unknown>): Error | undefined {
  return reasonOf(pending);
}

/** A new pending and the functions that settle it; `onCancel` runs when it is cancelled. */
export function deferred<T>(onCancel?: (reason: Error) => void): Deferred<T> {
  return makeDeferred<T>(onCancel);
}

const finished = new WeakMap<object, Promise<void>>();

/** Note how to know that the thread running `pending`'s call has let it go (module-private). */
export function setFinished<T>(pending: Pending<T>, done: Promise<void>): void {
  finished.set(pending, done);
}

/**
 * Resolves once the thread that runs the call has let it go: its function settled, or (after a
 * cancel, which rejects the pending at once) the thread took the cancel, or the thread ended.
 * A thread held by synchronous code never does: that is how to tell it is stuck.
 */
export function untilFinished<T>(pending: Pending<T>): Promise<void> {
  const known = finished.get(pending);
  if (known) return known;
  return new Promise((resolve) => whenSettled(pending, resolve));
}
