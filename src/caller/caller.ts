/**
 * `Caller`: call a function in a thread, from any thread, and await its result. The TypeScript
 * counterpart of async-kernel's Caller (one per thread), on worker threads.
 *
 *     const work = Caller.get({ name: "work" });                       // a thread of its own
 *     await work.call({ module: "./fib.ts", export: "fib" }, 30);      // runs there; its result here
 *     await Caller.toThread({ source: "(n) => n * 2" }, 21);           // a pooled thread
 *     Caller.current().callLater(1, () => console.log("a second later"));
 *
 * Every method returns a `Pending`: a promise that can also be cancelled. In its own thread a
 * Caller runs any function; into another thread it sends a reference (`{module, export}` or
 * `{source}`) and the arguments, by structured clone. See docs/caller.md.
 */
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { Connection, threadEnded } from "./connection.js";
import { runningPending, type Job } from "./executor.js";
import { functionRef, refKey, refLabel, type Callable } from "./functions.js";
import { deferred, setFinished, untilFinished, whenCancelled, type Pending } from "./pending.js";
import type { CallMode, ThreadInfo, ThreadOptions } from "./protocol.js";
import { captureContext, trackCall } from "./scope.js";
import { acquireThread, connectionTo, entryOf, getThread, releaseThread, stopThread, type ThreadEntry } from "./registry.js";
import { stackOf, threadLabel } from "./server.js";
import { askRoot, executor, ROOT_NAME, tellRoot, thisThread } from "./thread.js";

export type CallerOptions = ThreadOptions;

type AnyFunction = (...args: unknown[]) => unknown;

/** How long a cancelled `toThread` call may hold its thread before the thread is stopped. */
export const POOL_CANCEL_GRACE_MS = 1000;

/** How a Caller reaches its thread. */
interface Link {
  run(mode: CallMode, fn: Callable, args: unknown[], delay?: number): Pending<unknown>;
  closeQueue(fn: Callable): void;
  stop(): Promise<void>;
}

/** This thread: calls run on its executor. */
const localLink: Link = {
  run(mode, fn, args, delay) {
    const d = deferred<unknown>();
    const target = typeof fn === "function" ? (fn as AnyFunction) : functionRef(fn);
    const context = captureContext();
    const job: Job = {
      deferred: d,
      fn: target,
      args,
      within: context,
      logFailure: (err) =>
        process.stderr.write(
          `A queued call of ${typeof target === "function" ? target.name || "(anonymous function)" : refLabel(target)} failed: ${stackOf(err)}\n`,
        ),
    };
    trackCall(d.pending, context);
    executor.submit(job, mode, delay, typeof target === "function" ? target : refKey(target));
    return d.pending;
  },
  closeQueue(fn) {
    const key = typeof fn === "function" ? fn : refKey(functionRef(fn));
    executor.closeQueue(key, new Error("The queue of the function was closed"));
  },
  stop() {
    return Promise.reject(
      new Error(
        thisThread().isRoot
          ? "The main thread cannot be stopped"
          : "A thread cannot stop itself through its own Caller: return, or ask from another thread",
      ),
    );
  },
};

/** Another thread, through a call channel. */
function remoteLink(connection: Connection, stop: () => Promise<void>): Link {
  return {
    run: (mode, fn, args, delay) => connection.call(functionRef(fn), args, mode, delay),
    closeQueue: (fn) => connection.closeQueue(refKey(functionRef(fn))),
    stop,
  };
}

/** Callers of other threads known to this thread: by thread id (root) or by name (caller threads). */
const byThread = new Map<number, Caller>();
const byName = new Map<string, Caller>();
let current: Caller | undefined;
let main: Caller | undefined;
/** A Caller, in a caller thread, of the thread whose id `threadIdKnown` gives (asked of the root). */
let connectFromWorker: (info: ThreadInfo, threadIdKnown: Promise<number>) => Caller;
/** A caller thread's Caller of a pool thread, one per thread. */
let poolCaller: (info: ThreadInfo) => Caller;
/** The root's Caller of a caller thread, one per thread. */
let rootCaller: (entry: ThreadEntry) => Caller;

export class Caller {
  #info: ThreadInfo;
  readonly #link: Link;
  /** Resolves once the thread serves calls; rejects (ThreadEnded) if it could not start. */
  readonly ready: Promise<void>;
  /** Resolves once the thread has ended (never for this thread's own Caller). */
  readonly ended: Promise<void>;

  private constructor(info: ThreadInfo, link: Link, ready: Promise<void>, ended: Promise<void>) {
    this.#info = info;
    this.#link = link;
    this.ready = ready;
    this.ended = ended;
    ready.catch(() => {});
  }

  /** The Caller of the thread this code runs in. */
  static current(): Caller {
    current ??= new Caller(thisThread().info, localLink, Promise.resolve(), new Promise(() => {}));
    return current;
  }

  /** The Caller of the main thread (the kernel's; in a program, the thread that started the others). */
  static mainThread(): Caller {
    const self = thisThread();
    if (self.isRoot) return Caller.current();
    if (!main) {
      const info: ThreadInfo = { threadId: self.rootThreadId, name: ROOT_NAME, backend: "node" };
      main = connectFromWorker(info, Promise.resolve(self.rootThreadId));
    }
    return main;
  }

  /**
   * The Caller of the thread named `options.name`, started (with `backend` and `loop`, see
   * src/event_loop) if there is none; the same thread for every thread that asks by that name.
   * Without a name: a new thread, yours to `stop()`. "main" names the main thread.
   * Settings that differ from those of the running thread of that name are an error (thrown
   * here in the main thread; in other threads, the calls and `ready` reject with it).
   */
  static get(options: CallerOptions = {}): Caller {
    checkOptions(options);
    const self = thisThread();
    if (options.name !== undefined && options.name === self.info.name && options.backend === undefined && options.loop === undefined)
      return Caller.current();
    if (self.isRoot) {
      const entry = getThread(options);
      return entry ? rootCaller(entry) : Caller.current();
    }
    if (options.name === ROOT_NAME && options.backend === undefined && options.loop === undefined) return Caller.mainThread();
    if (options.name !== undefined && options.backend === undefined && options.loop === undefined) {
      const known = byName.get(options.name);
      if (known && !known.#closed) return known;
    }
    const info: ThreadInfo = { threadId: -1, backend: options.backend ?? "node" };
    if (options.name !== undefined) info.name = options.name;
    if (options.loop !== undefined) info.loop = options.loop;
    const caller = connectFromWorker(
      info,
      askRoot({ type: "get", options }).then((r) => r.thread!.threadId),
    );
    if (options.name !== undefined) byName.set(options.name, caller);
    return caller;
  }

  /**
   * Call `fn(...args)` in a thread of the pool (made as needed; at most a few idle ones are
   * kept), and its result here. For CPU-bound work that should not hold up this thread.
   */
  static toThread<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<Awaited<R>> {
    const ref = functionRef(fn);
    const self = thisThread();
    if (self.isRoot) {
      const { caller, release } = borrowThread();
      const pending = caller.#link.run("call", ref, args);
      poolCallDone(pending, release, () => void caller.stop());
      return pending as Pending<Awaited<R>>;
    }
    // Ask the root for a pool thread, then call there through a channel of our own.
    let inner: Pending<unknown> | undefined;
    let cancelled: Error | undefined;
    const d = deferred<unknown>((reason) => {
      d.reject(reason);
      if (inner) inner.cancel(reason);
      else cancelled = reason;
    });
    let finished!: () => void;
    setFinished(d.pending, new Promise<void>((r) => (finished = r)));
    trackCall(d.pending, captureContext());
    void askRoot({ type: "acquire" })
      .then((r) => {
        const id = r.thread!.threadId;
        inner = poolCaller(r.thread!).#link.run("call", ref, args);
        inner.then(d.resolve, d.reject);
        void untilFinished(inner).then(finished);
        poolCallDone(
          inner,
          () => tellRoot({ type: "release", threadId: id }),
          () => void askRoot({ type: "stop", threadId: id }).catch(() => {}),
        );
        if (cancelled) inner.cancel(cancelled);
      })
      .catch((err: unknown) => {
        d.reject(err);
        finished();
      });
    return d.pending as Pending<Awaited<R>>;
  }

  /**
   * The Caller of the running thread with id `threadId`, if there is one: this thread's, the main
   * thread's, or (in the main thread) any Caller thread's.
   */
  static ofThread(threadId: number): Caller | undefined {
    const self = thisThread();
    if (threadId === self.info.threadId) return Caller.current();
    if (threadId === self.rootThreadId) return Caller.mainThread();
    if (!self.isRoot) return undefined;
    const entry = entryOf(threadId);
    return entry ? rootCaller(entry) : undefined;
  }

  /** The pending of the call whose function is running here, if any: its `signal` says whether it was cancelled. */
  static currentPending(): Pending<unknown> | undefined {
    return runningPending();
  }

  /** The thread's id (`threadId` of node:worker_threads); -1 until known (asked for from another caller thread). */
  get threadId(): number {
    return this.#info.threadId;
  }

  get name(): string | undefined {
    return this.#info.name;
  }

  /** The src/event_loop backend and host loop the thread runs (as asked, until it is known). */
  get backend(): string {
    return this.#info.backend;
  }

  get loop(): string | undefined {
    return this.#info.loop;
  }

  /** This code runs in the Caller's thread. */
  get isCurrent(): boolean {
    return this.#link === localLink;
  }

  /** Run `fn(...args)` in the thread now (in this thread: synchronously up to its first await) and resolve with its result. */
  call<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<Awaited<R>> {
    return this.#link.run("call", fn as Callable, args) as Pending<Awaited<R>>;
  }

  /** As `call`, but on a later turn of the thread's event loop (never inside the code that calls it). */
  callSoon<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<Awaited<R>> {
    return this.#link.run("soon", fn as Callable, args) as Pending<Awaited<R>>;
  }

  /** As `call`, after at least `delaySeconds` (timed in the target thread). Cancelling it before then means it never runs. */
  callLater<A extends unknown[], R>(delaySeconds: number, fn: Callable<A, R>, ...args: A): Pending<Awaited<R>> {
    if (typeof delaySeconds !== "number" || !(delaySeconds >= 0))
      throw new RangeError(`callLater: the delay must be a number of seconds >= 0, not ${String(delaySeconds)}`);
    return this.#link.run("later", fn as Callable, args, delaySeconds) as Pending<Awaited<R>>;
  }

  /**
   * Queue `fn(...args)` behind the earlier queued calls of the same function in this thread (one
   * FIFO per function, each call starting after the one before has settled). A call that fails
   * is logged (on stderr, where the call was made), not raised: the pending resolves once the
   * call has run, either way. Cancelling it takes it out of the queue.
   */
  queueCall<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<void> {
    const pending = this.#link.run("queue", fn as Callable, args) as Pending<void>;
    // Queued calls are fire-and-forget: a cancelled one nobody awaits is no unhandled rejection.
    pending.catch(() => {});
    return pending;
  }

  /** Drop the queue of `fn`: its calls that have not started are cancelled. */
  queueClose(fn: Callable): void {
    this.#link.closeQueue(fn);
  }

  /**
   * End the thread (terminated: also while it runs synchronous code); its calls in flight reject
   * with ThreadEnded, and its name is free again. Resolves once it has ended.
   */
  stop(): Promise<void> {
    return this.#link.stop();
  }

  toString(): string {
    return `Caller(${threadLabel(this.#info)})`;
  }

  get #closed(): boolean {
    return this.#connection?.closed ?? false;
  }

  #connection?: Connection;

  static {
    connectFromWorker = (info, threadIdKnown) => {
      const connection = new Connection(threadLabel(info), () => Promise.resolve(threadEnded(threadLabel(info))));
      const stop = async () => {
        const id = await threadIdKnown;
        await askRoot({ type: "stop", threadId: id });
      };
      const ready = threadIdKnown.then(async (id) => {
        info.threadId = id;
        const r = await askRoot({ type: "connect", threadId: id });
        Object.assign(info, r.thread);
        connection.attach(r.port!);
      });
      ready.catch((err: unknown) => connection.end(err));
      const caller = new Caller(info, remoteLink(connection, stop), ready, connection.ended);
      caller.#connection = connection;
      return caller;
    };
    rootCaller = (entry) => {
      const id = entry.info.threadId;
      let caller = byThread.get(id);
      if (!caller) {
        caller = new Caller(
          entry.info,
          remoteLink(connectionTo(entry), () => stopThread(id)?.then(() => {}) ?? Promise.resolve()),
          entry.started,
          entry.exited.then(() => {}),
        );
        byThread.set(id, caller);
        void entry.exited.then(() => byThread.delete(id));
      }
      return caller;
    };
    poolCaller = (info) => {
      let caller = byThread.get(info.threadId);
      if (!caller || caller.#closed) {
        caller = connectFromWorker({ ...info }, Promise.resolve(info.threadId));
        byThread.set(info.threadId, caller);
      }
      return caller;
    };
  }
}

/**
 * A pool thread goes back to the pool once its call has finished there. A cancelled call whose
 * thread does not take the cancel within POOL_CANCEL_GRACE_MS (synchronous code) has its thread
 * stopped: pool threads keep nothing worth a thread that spins on for nobody.
 */
function poolCallDone(pending: Pending<unknown>, release: () => void, stop: () => void): void {
  void untilFinished(pending).then(release);
  whenCancelled(pending, () => {
    const timer = setTimeout(stop, POOL_CANCEL_GRACE_MS);
    timer.unref();
    void untilFinished(pending).then(() => clearTimeout(timer));
  });
}

function checkOptions(options: CallerOptions): void {
  if (typeof options !== "object" || options === null)
    throw new TypeError("Caller.get: options must be an object {name?, backend?, loop?}");
  for (const key of Object.keys(options)) {
    if (key !== "name" && key !== "backend" && key !== "loop")
      throw new TypeError(`Caller.get: unknown option "${key}" (expected name, backend, loop)`);
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== "string") throw new TypeError(`Caller.get: option "${key}" must be a string`);
  }
}

/**
 * A thread of the `toThread` pool, for a program (in the main thread) that needs the thread
 * itself, e.g. to stop it: give it back with `release()` once done.
 */
export function borrowThread(): { caller: Caller; release(): void } {
  if (!thisThread().isRoot) throw new Error("borrowThread works in the main thread only");
  const entry = acquireThread();
  let released = false;
  return {
    caller: rootCaller(entry),
    release: () => {
      if (released) return;
      released = true;
      releaseThread(entry.info.threadId);
    },
  };
}
