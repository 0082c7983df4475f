/**
 * A cell's scope: where its output goes and what cancelling it must undo, for the cell's own run
 * and for everything it schedules (timers, promise callbacks, events), which inherit the scope
 * through AsyncLocalStorage.
 *
 * Cancelling (interrupt, timeout, abort) is an event, not a state: the scope's pending awaits
 * (those of cell code, see rewrite.ts `instrument`) are rejected with the reason and its timers
 * and intervals are cleared; code that catches the error and goes on awaiting is not poisoned
 * (as a cancelled asyncio task that catches CancelledError goes on).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";
import type { CellOutput } from "./cell_output.js";
import { installInspection } from "./inspection.js";

type Timer = NodeJS.Timeout | NodeJS.Immediate;
type Clear = (timer: Timer) => void;

const storage = new AsyncLocalStorage<CellScope>();
// The store lands on every promise and timer: util.inspect must not show it (inspection.ts).
installInspection();
/** Scopes with pending awaits or live timers: what an interrupt of an idle kernel stops. */
const live = new Set<CellScope>();

export class CellScope {
  /** Rejecters of the cell code's pending awaits. */
  private readonly waiters = new Set<(err: unknown) => void>();
  /** Live timers and intervals, with the function that clears each. */
  private readonly timers = new Map<Timer, Clear>();

  /**
   * The cell's `timeout`: the token another thread names when the deadline passes (attention.ts
   * `raiseDeadline`), and the seconds for the error.
   */
  deadline?: { token: number; seconds: number };
  /** The value the cell's script handed over as its result (a REPL script's `__tsak_r`). */
  result?: { value: unknown };

  constructor(readonly output: CellOutput) {}

  /**
   * A name, not the cell's output and request: async resources inspection.ts does not reach (a
   * socket's handle, a FileHandle) still list the store when shown.
   */
  [inspect.custom](): string {
    return "CellScope";
  }

  /** Run `fn` in this scope: its output and everything it schedules belong to this cell. */
  run<T>(fn: () => T): T {
    return storage.run(this, fn);
  }

  /** Reject every pending await of this scope with `reason` and clear its timers. */
  cancel(reason: unknown): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const [timer, clear] of this.timers) clear(timer);
    this.timers.clear();
    live.delete(this);
    for (const reject of waiters) reject(reason);
  }

  /**
   * An await of cell code: settles as `value` does, or rejects when the scope is cancelled. An
   * async function racing the two, because V8's async stack traces follow `await` and
   * `Promise.race` (a `.then` would cut the cell's frames off its tracebacks).
   */
  async wait(value: unknown): Promise<unknown> {
    let reject!: (err: unknown) => void;
    const cancelled = new Promise<never>((_, r) => (reject = r));
    this.waiters.add(reject);
    live.add(this);
    try {
      return await Promise.race([value, cancelled]);
    } finally {
      this.forget(reject);
    }
  }

  addTimer(timer: Timer, clear: Clear): void {
    this.timers.set(timer, clear);
    live.add(this);
  }

  removeTimer(timer: Timer): void {
    if (this.timers.delete(timer) && this.idle) live.delete(this);
  }

  private forget(reject: (err: unknown) => void): void {
    if (this.waiters.delete(reject) && this.idle) live.delete(this);
  }

  private get idle(): boolean {
    return this.waiters.size === 0 && this.timers.size === 0;
  }
}

/** The scope of the cell whose code (or whose scheduled work) is running, if any. */
export function currentScope(): CellScope | undefined {
  return storage.getStore();
}

/** Every scope with pending awaits or live timers (a copy). */
export function liveScopes(): CellScope[] {
  return [...live];
}
