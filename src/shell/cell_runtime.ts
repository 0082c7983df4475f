/**
 * What cell scripts call (shell.ts `declareRuntime` makes these properties of the realm's global
 * object: `__tsak_g`, `__tsak_x`, ...): the attention flag their guards read, the check that
 * throws once it is set (a getter, which guards read: rewrite.ts GUARD says why), the cancellable
 * await and async iteration, the hand-over of a REPL script's result and of the modules it
 * imports. Also the cells' own names (`require`, `module`, the timer functions, which record each
 * timer in the cell's scope so that cancelling the cell clears them).
 *
 * The attention flag lives in shared memory: another thread (the I/O worker on
 * `interrupt_request`, the SIGINT watcher on a signal) sets it while this thread is stuck in a
 * cell's loop, where no message of ours could be read. Whoever handles the interrupt on this
 * thread clears it (`clearAttention`).
 */
import { promisify } from "node:util";
import {
  clearImmediate as nodeClearImmediate,
  clearInterval as nodeClearInterval,
  clearTimeout as nodeClearTimeout,
  setImmediate as nodeSetImmediate,
  setInterval as nodeSetInterval,
  setTimeout as nodeSetTimeout,
} from "node:timers";
import { AttentionFlag, AttentionWord } from "../shared_memory/layout.js";
import { currentScope, type CellScope } from "./cell_scope.js";
import { CellTimeout, KernelInterrupt } from "./errors.js";

// Taken now: a cell may declare a global of the same name (cells share this realm).
const { compareExchange, load, store } = Atomics;

export class CellRuntime {
  /** Shared with the threads that may ask for attention (see above). */
  readonly flag: Int32Array;
  /** The cells' own `require`, `module`, `__filename`, `__dirname` and timer functions (rewrite.ts CELL_LOCALS). */
  readonly locals: Readonly<Record<string, unknown>>;
  /** Hands over the output this thread holds (a guard calls it when asked: AttentionFlag.FLUSH). */
  flushOutput?: () => void;
  /** A guard is about to throw KernelInterrupt in the code of `scope` (the running code's, if any). */
  interrupting?: (scope: CellScope | undefined) => void;
  /** The modules the REPL script about to run imports, read by its first line (`__tsak_m(k)`). */
  modules: readonly unknown[] = [];

  constructor(flag: Int32Array, locals: Record<string, unknown>) {
    this.flag = flag;
    this.locals = locals;
  }

  /**
   * A guard found the flag set: stop the running code (an interrupt: any cell's; a deadline: the
   * code of the cell whose deadline passed). Keeps throwing until the flag is lowered.
   */
  readonly check = (): void => {
    const attention = load(this.flag, AttentionWord.FLAG);
    if (attention === AttentionFlag.INTERRUPT) {
      this.interrupting?.(currentScope());
      throw new KernelInterrupt();
    }
    if (attention === AttentionFlag.FLUSH) {
      // whoever flushes lowers the flag; without a flusher, lower it here
      if (this.flushOutput) this.flushOutput();
      else compareExchange(this.flag, AttentionWord.FLAG, AttentionFlag.FLUSH, AttentionFlag.NONE);
      return;
    }
    if (attention === AttentionFlag.DEADLINE) {
      const deadline = currentScope()?.deadline;
      if (deadline !== undefined && deadline.token === load(this.flag, AttentionWord.DEADLINE_TOKEN)) {
        throw new CellTimeout(deadline.seconds);
      }
    }
  };

  /** `await value` in cell code: also rejects when the awaiting cell is cancelled. */
  readonly await = (value: unknown): unknown => {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return value;
    const scope = currentScope();
    return scope === undefined ? value : scope.wait(value);
  };

  /** `for await (x of iterable)` in cell code: each step also rejects when the cell is cancelled. */
  readonly iterate = (iterable: unknown): unknown => {
    const scope = currentScope();
    if (scope === undefined || iterable === null || iterable === undefined) return iterable;
    return { [Symbol.asyncIterator]: () => cancellableIterator(asyncIteratorOf(iterable), scope) };
  };

  /** `__tsak_r(value)`: a REPL script's last expression; the running cell's result. */
  readonly result = (value: unknown): void => {
    const scope = currentScope();
    if (scope !== undefined) scope.result = { value };
  };

  /** `__tsak_m(k)`: the k-th module the running REPL script imports. */
  readonly module = (k: number): unknown => this.modules[k];

  clearAttention(): void {
    store(this.flag, AttentionWord.FLAG, AttentionFlag.NONE);
  }

  get attention(): number {
    return load(this.flag, AttentionWord.FLAG);
  }
}

function asyncIteratorOf(iterable: unknown): AsyncIterator<unknown> {
  const obj = iterable as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown>; [Symbol.iterator]?: () => Iterator<unknown> };
  const asyncMethod = obj[Symbol.asyncIterator];
  if (typeof asyncMethod === "function") return asyncMethod.call(obj);
  const syncMethod = obj[Symbol.iterator];
  if (typeof syncMethod !== "function") throw new TypeError(`${String(iterable)} is not async iterable`);
  // as for-await does with a sync iterator: each value is awaited
  const it = syncMethod.call(obj);
  return {
    next: async (...args: [] | [unknown]) => {
      const r = it.next(...args);
      return { done: r.done, value: await r.value } as IteratorResult<unknown>;
    },
    return: it.return ? async (value?: unknown) => it.return!(value) : undefined,
  };
}

function cancellableIterator(it: AsyncIterator<unknown>, scope: CellScope): AsyncIterator<unknown> {
  const wrapped: AsyncIterator<unknown> = {
    next: (...args: [] | [unknown]) => scope.wait(it.next(...args)) as Promise<IteratorResult<unknown>>,
  };
  // `break` and errors call return(): the underlying iterator must be closed too
  if (typeof it.return === "function") wrapped.return = (value?: unknown) => it.return!(value);
  if (typeof it.throw === "function") wrapped.throw = (err?: unknown) => it.throw!(err);
  return wrapped;
}

// ---- timers -----------------------------------------------------------------------------------

type Timer = NodeJS.Timeout | NodeJS.Immediate;
const OWNER = Symbol("ts-async-kernel.timer-scope");
type Owned = Timer & { [OWNER]?: CellScope };

/**
 * `set` wrapped so that a timer made by a cell's code belongs to the cell's scope. An interval
 * whose callback is interrupted (a guard threw) is cleared: it would only run into the next one.
 */
function tracked<A extends unknown[]>(
  set: (callback: (...args: A) => void, ...rest: unknown[]) => Timer,
  clear: (t: Timer) => void,
  repeats: boolean,
) {
  return (callback: unknown, ...rest: unknown[]): Timer => {
    const scope = currentScope();
    if (scope === undefined || typeof callback !== "function") return set(callback as (...args: A) => void, ...rest);
    const timer: Owned = set(
      function (this: unknown, ...args: A) {
        if (!repeats) scope.removeTimer(timer);
        try {
          return (callback as (...a: A) => unknown).apply(this, args);
        } catch (err) {
          if (repeats && err instanceof KernelInterrupt) {
            scope.removeTimer(timer);
            clear(timer);
          }
          throw err;
        }
      },
      ...rest,
    );
    timer[OWNER] = scope;
    scope.addTimer(timer, clear);
    return timer;
  };
}

function untracking(clear: (t: Timer) => void) {
  return (timer: unknown): void => {
    if (timer !== null && typeof timer === "object") (timer as Owned)[OWNER]?.removeTimer(timer as Timer);
    clear(timer as Timer);
  };
}

/**
 * The timer functions of cell code (names local to each cell: rewrite.ts CELL_LOCALS). Node's own
 * `setTimeout` carries its promisified form (`util.promisify(setTimeout)`); the tracked one keeps it.
 */
export function trackedTimers(): Record<string, unknown> {
  const timers: Record<string, unknown> = {
    setTimeout: tracked(nodeSetTimeout as never, nodeClearTimeout as never, false),
    setInterval: tracked(nodeSetInterval as never, nodeClearInterval as never, true),
    setImmediate: tracked(nodeSetImmediate as never, nodeClearImmediate as never, false),
    clearTimeout: untracking(nodeClearTimeout as never),
    clearInterval: untracking(nodeClearInterval as never),
    clearImmediate: untracking(nodeClearImmediate as never),
  };
  for (const [name, original] of [
    ["setTimeout", nodeSetTimeout],
    ["setImmediate", nodeSetImmediate],
  ] as const) {
    const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
    if (custom !== undefined) Object.defineProperty(timers[name] as object, promisify.custom, { value: custom });
  }
  return timers;
}
