/**
 * The calling side of a call channel: calls go out with an id, their outcomes and output come
 * back by id. Output is shown in the async context of the call site (so in the kernel, in the
 * cell that made the call), also when it comes after the call settled (the function's timers),
 * for the last LATE_OUTPUTS calls. The channel keeps its thread (and process) alive only while
 * calls are in flight.
 */
import type { MessagePort } from "node:worker_threads";
import { deliverOutput } from "./environment.js";
import { errorData, rebuildError, ThreadEnded } from "./errors.js";
import { deferred, setFinished, type Deferred, type Pending } from "./pending.js";
import type { CallMode, FromTarget, FunctionRef, ToTarget } from "./protocol.js";
import { captureContext, trackCall, type Context } from "./scope.js";

// Taken now: a cell may declare a global of the same name (cells share their thread's realm).
const clone = structuredClone;

/** Finished calls whose late output (timers, promises) is still routed to their call site. */
const LATE_OUTPUTS = 64;

interface Call {
  deferred: Deferred<unknown>;
  context: Context;
  /** The target has settled the call (or ended). */
  finished: () => void;
}

export class Connection {
  private port?: MessagePort;
  /** Messages waiting for the port (it comes from the root thread, asynchronously). */
  private waiting: ToTarget[] = [];
  private endedWith?: unknown;
  private readonly calls = new Map<number, Call>();
  private readonly late = new Map<number, Context>();
  private nextId = 1;

  /**
   * @param where - names the target in errors (`thread "work"`).
   * @param endReason - why the target ended, once its channel has closed (the root thread waits
   *   for the thread's exit to say how it ended).
   */
  /** Resolves once the channel has ended (its thread ended, or could not be reached). */
  readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    readonly where: string,
    private readonly endReason: () => Promise<unknown>,
  ) {
    this.ended = new Promise((r) => (this.markEnded = r));
  }

  attach(port: MessagePort): void {
    if (this.endedWith !== undefined) {
      port.close();
      return;
    }
    this.port = port;
    port.on("message", (m: FromTarget) => this.onMessage(m));
    port.once("close", () => void this.endReason().then((reason) => this.end(reason)));
    for (const m of this.waiting.splice(0)) this.post(m);
    this.updateRef();
  }

  /** The target is gone (or could not be reached): every call rejects with `reason`, now and later. */
  end(reason: unknown): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = reason;
    this.markEnded();
    this.waiting = [];
    for (const [id, call] of this.calls) {
      this.calls.delete(id);
      call.deferred.reject(reason);
      call.finished();
    }
    this.port?.close();
  }

  get closed(): boolean {
    return this.endedWith !== undefined;
  }

  call(fn: FunctionRef, args: unknown[], mode: CallMode, delay?: number): Pending<unknown> {
    const id = this.nextId++;
    // Cancelled: rejected here at once; the target is told, and settles it there in its turn.
    const d = deferred<unknown>((reason) => {
      d.reject(reason);
      this.send({ type: "cancel", id, reason: errorData(reason) });
    });
    if (this.endedWith !== undefined) {
      d.reject(this.endedWith);
      return d.pending;
    }
    const context = captureContext();
    let finished!: () => void;
    setFinished(d.pending, new Promise<void>((r) => (finished = r)));
    this.calls.set(id, { deferred: d, context, finished });
    trackCall(d.pending, context);
    const m: ToTarget = { type: "call", id, fn, args, mode };
    if (delay !== undefined) m.delay = delay;
    try {
      this.send(m);
    } catch (err) {
      // An argument that cannot be cloned (a function, a class instance with private state...).
      this.calls.delete(id);
      d.reject(err);
      finished();
      return d.pending;
    }
    this.updateRef();
    return d.pending;
  }

  closeQueue(key: string): void {
    if (this.endedWith === undefined) this.send({ type: "queue-close", key });
  }

  private send(m: ToTarget): void {
    if (this.endedWith !== undefined) return;
    if (this.port) this.post(m);
    else {
      // Check now that it clones, as posting would: the error belongs to the call site.
      if (m.type === "call") clone(m.args);
      this.waiting.push(m);
    }
  }

  private post(m: ToTarget): void {
    this.port!.postMessage(m);
  }

  private onMessage(m: FromTarget): void {
    if (m.type === "output") {
      for (const { id, event } of m.events) {
        const context = this.calls.get(id)?.context ?? this.late.get(id);
        if (context) context(() => deliverOutput(event, true));
        else deliverOutput(event, false);
      }
      return;
    }
    const call = this.calls.get(m.id);
    if (!call) return;
    this.calls.delete(m.id);
    this.late.set(m.id, call.context);
    if (this.late.size > LATE_OUTPUTS) this.late.delete(this.late.keys().next().value!);
    // Settled in the call site's context: a rejection nobody handles is reported there.
    if (m.ok) call.context(() => call.deferred.resolve(m.value));
    else call.context(() => call.deferred.reject(rebuildError(m.error, this.where)));
    call.finished();
    this.updateRef();
  }

  private updateRef(): void {
    if (this.calls.size > 0) this.port?.ref();
    else this.port?.unref();
  }
}

/** The error calls get when their thread has ended and nothing more is known. */
export function threadEnded(where: string): ThreadEnded {
  return new ThreadEnded(`The ${where} ended before the call finished`);
}
