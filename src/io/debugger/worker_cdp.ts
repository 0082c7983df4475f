/**
 * A CDP session to a worker thread the main thread started (a `// thread` cell's, a Caller
 * thread), carried by the main thread's session (cdp.ts) through Node's `NodeWorker` domain:
 * `NodeWorker.enable` attaches a session per worker (`attachedToWorker`, with its `sessionId`),
 * `sendMessageToWorker` carries a request as a JSON string, `receivedMessageFromWorker` brings
 * back responses and events. Node serves these while the main thread runs a cell, waits or is
 * paused at a breakpoint, so a worker is debugged whatever the main thread does.
 */
import type { Cdp } from "./cdp.js";

export class WorkerCdp implements Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners = new Map<string, Array<(params: Record<string, unknown>) => void>>();
  private ended = false;

  constructor(
    private readonly main: Cdp,
    readonly sessionId: string,
  ) {}

  post<T = Record<string, unknown>>(method: string, params?: object): Promise<T> {
    if (this.ended) return Promise.reject(new Error(`${method}: the thread's session has ended`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const message = JSON.stringify({ id, method, params: params ?? {} });
      this.main.post("NodeWorker.sendMessageToWorker", { sessionId: this.sessionId, message }).catch((err: Error) => {
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  on(event: string, listener: (params: Record<string, unknown>) => void): void {
    const all = this.listeners.get(event) ?? [];
    all.push(listener);
    this.listeners.set(event, all);
  }

  /** A `receivedMessageFromWorker` message of this session: a response or an event. */
  receive(message: string): void {
    let m: { id?: number; result?: unknown; error?: { message?: string }; method?: string; params?: Record<string, unknown> };
    try {
      m = JSON.parse(message) as typeof m;
    } catch {
      return;
    }
    if (typeof m.id === "number") {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message ?? "CDP error"));
      else p?.resolve(m.result ?? {});
    } else if (typeof m.method === "string") {
      for (const listener of this.listeners.get(m.method) ?? []) listener(m.params ?? {});
    }
  }

  /** The worker ended (or the session was let go): what is under way fails. */
  end(): void {
    this.ended = true;
    for (const p of this.pending.values()) p.reject(new Error("the thread's session has ended"));
    this.pending.clear();
  }

  disconnect(): void {
    if (this.ended) return;
    this.end();
    this.main.post("NodeWorker.detach", { sessionId: this.sessionId }).catch(() => {});
  }
}
