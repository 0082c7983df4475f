/**
 * Runs calls in this thread, whether they were made here or came from another thread: now
 * (`call`), on a later turn of the event loop (`soon`), after a delay (`later`), or one after
 * another in the queue of their function (`queue`). A call's function sees its own pending as
 * `Caller.currentPending()` (its `signal` tells it was cancelled).
 */
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import { AsyncLocalStorage } from "node:async_hooks";
import { cancelReason, setFinished, whenCancelled, type Deferred, type Pending } from "./pending.js";
import { resolveRef } from "./functions.js";
import type { CallMode, FunctionRef } from "./protocol.js";

type AnyFunction = (...args: unknown[]) => unknown;

export interface Job {
  deferred: Deferred<unknown>;
  fn: AnyFunction | FunctionRef;
  args: unknown[];
  /** Runs the function in the job's context: its call site's, or the capture of its output. */
  within<T>(run: () => T): T;
  /** Reports a failed `queue` job (queued calls are not rejected with their errors). */
  logFailure(err: unknown): void;
  /** Set by the executor: the function has settled, or the job was dropped before it started. */
  finished?: () => void;
}

const running = new AsyncLocalStorage<Pending<unknown>>();

/** The pending of the call whose function is running (in this async context). */
export function runningPending(): Pending<unknown> | undefined {
  return running.getStore();
}

export class Executor {
  private readonly queues = new Map<unknown, Job[]>();

  /** `queueKey` names the function's queue: the function itself, or its `refKey`. */
  submit(job: Job, mode: CallMode, delaySeconds = 0, queueKey: unknown = undefined): void {
    let finished!: () => void;
    setFinished(job.deferred.pending, new Promise<void>((r) => (finished = r)));
    job.finished = finished;
    switch (mode) {
      case "call":
        void this.run(job);
        break;
      case "soon":
        this.after(
          job,
          (go) => setImmediate(go),
          (h) => clearImmediate(h),
        );
        break;
      case "later":
        this.after(
          job,
          (go) => setTimeout(go, Math.max(0, delaySeconds * 1000)),
          (h) => clearTimeout(h),
        );
        break;
      case "queue":
        this.enqueue(job, queueKey);
        break;
    }
  }

  /** Drop the queue of a function: its calls not started yet are cancelled. */
  closeQueue(key: unknown, reason: Error): void {
    const queue = this.queues.get(key);
    if (!queue) return;
    this.queues.delete(key);
    for (const job of [...queue]) job.deferred.pending.cancel(reason);
  }

  private after<H>(job: Job, schedule: (go: () => void) => H, unschedule: (handle: H) => void): void {
    let started = false;
    const handle = schedule(() => {
      started = true;
      void this.run(job);
    });
    whenCancelled(job.deferred.pending, (reason) => {
      if (started) return;
      unschedule(handle);
      job.deferred.reject(reason);
      job.finished?.();
    });
  }

  private enqueue(job: Job, key: unknown): void {
    // Cancelled while it waits: out of the queue, rejected at once.
    whenCancelled(job.deferred.pending, (reason) => {
      const i = queue!.indexOf(job);
      if (i < 0) return;
      queue!.splice(i, 1);
      job.deferred.reject(reason);
      job.finished?.();
    });
    let queue = this.queues.get(key);
    if (queue) {
      queue.push(job);
      return;
    }
    queue = [job];
    this.queues.set(key, queue);
    void this.drain(key, queue);
  }

  private async drain(key: unknown, queue: Job[]): Promise<void> {
    // One call after another, each started on a turn of its own (as `soon` would).
    while (queue.length > 0) {
      await new Promise((r) => setImmediate(r));
      const job = queue.shift();
      if (job) await this.run(job, true);
    }
    if (this.queues.get(key) === queue) this.queues.delete(key);
  }

  /** Run a job; settles when it has (or was cancelled), never rejects. */
  private run(job: Job, queued = false): Promise<void> {
    const { pending, resolve, reject } = job.deferred;
    const cancelled = cancelReason(pending);
    if (cancelled) {
      reject(cancelled);
      job.finished?.();
      return Promise.resolve();
    }
    let result: unknown;
    try {
      result = job.within(() =>
        running.run(pending, () => {
          const fn = job.fn;
          if (typeof fn === "function") return fn(...job.args);
          return resolveRef(fn).then((f) => (cancelReason(pending) ? undefined : f(...job.args)));
        }),
      );
    } catch (err) {
      result = Promise.reject(err);
    }
    return new Promise<void>((done) => {
      let over = false;
      // Cancelled: rejected now, and a queue moves on; `finished` waits for the function.
      whenCancelled(pending, (reason) => {
        if (over) return;
        over = true;
        reject(reason);
        done();
      });
      Promise.resolve(result).then(
        (value) => {
          if (!over) resolve(queued ? undefined : value);
          over = true;
          job.finished?.();
          done();
        },
        (err: unknown) => {
          if (!over) {
            if (queued) {
              job.within(() => job.logFailure(err));
              resolve(undefined);
            } else {
              reject(err);
            }
          }
          over = true;
          job.finished?.();
          done();
        },
      );
    });
  }
}
