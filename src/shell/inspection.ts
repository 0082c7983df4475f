/**
 * How `util.inspect` (so `console.log`, `console.dir`, a cell's result, `display()`) shows values
 * in this thread's realm: as Node shows them in a program, not with what the kernel keeps on them.
 *
 * - The kernel's AsyncLocalStorage (cell_scope.ts, and the Caller's) makes Node 20 keep its store
 *   on every async resource (`[Symbol(kResourceStore)]`: a cell's scope, down to its request's
 *   header) and ids on every promise (`[Symbol(async_id_symbol)]`, `[Symbol(trigger_async_id_symbol)]`),
 *   as enumerable symbol properties, which util.inspect lists. util.inspect reads a value's
 *   `Symbol.toStringTag` before it lists its keys (`formatRaw` in Node's
 *   lib/internal/util/inspect.js), with or without custom inspection (`console.dir` turns that
 *   off): on Promise.prototype, the timers' prototypes and AsyncResource.prototype that tag is a
 *   getter that makes those properties non-enumerable on the object being shown, and gives the
 *   tag the prototype had (`"Promise"`, none). Nothing happens when promises are made or awaited:
 *   only showing one, or `Object.prototype.toString` of one, pays. (`showHidden`, and `%o`,
 *   which asks for it, still list them.)
 * - An Error shows the frames its traceback would: the cells' frames as `In[n]:line:column`,
 *   none of the kernel's or Node's internals (errors.ts `userStack`), once the thread's Shell has
 *   said how (`showCellFrames`): a custom inspect method on Error.prototype formats it with that
 *   stack. Other inspectors that call such methods (chai's loupe) do not go on when one returns
 *   its receiver: they get util.inspect's text. (`console.dir`, which skips custom methods, shows
 *   the stack as it is.)
 */
import { AsyncResource } from "node:async_hooks";
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import { inspect, types, type InspectOptionsStylized } from "node:util";
import { formatError, userStack, type ErrorContent } from "./errors.js";

// Taken at load: cells share this realm and may replace these globals.
const { defineProperty, getOwnPropertyDescriptor, getOwnPropertySymbols, getPrototypeOf } = Object;

/** Node's per-promise ids (set while async hooks are on), and every AsyncLocalStorage's store. */
const ON_PROMISES = new Set(["async_id_symbol", "trigger_async_id_symbol", "kResourceStore"]);
/**
 * Timers and AsyncResources show their ids in any Node program: only the stores are the kernel's
 * (`ts-async-kernel.timer-scope` is the symbol cell_runtime.ts puts on a cell's timers).
 */
const ON_RESOURCES = new Set(["kResourceStore", "ts-async-kernel.timer-scope"]);

function hide(target: object, names: ReadonlySet<string>): void {
  for (const key of getOwnPropertySymbols(target)) {
    if (!names.has(key.description ?? "")) continue;
    const desc = getOwnPropertyDescriptor(target, key);
    // a frozen object keeps them: nothing to do about it
    if (desc?.enumerable && desc.configurable) defineProperty(target, key, { enumerable: false });
  }
}

/** `proto[Symbol.toStringTag]` as a getter that hides `names` on the object it is read from. */
function hideOnTag(proto: object, names: ReadonlySet<string>, isOne: (v: object) => boolean): void {
  const old = getOwnPropertyDescriptor(proto, Symbol.toStringTag);
  const tag = old?.value as unknown;
  defineProperty(proto, Symbol.toStringTag, {
    get(this: unknown) {
      // a Proxy is none of these: its traps stay untouched
      if (typeof this === "object" && this !== null && isOne(this)) hide(this, names);
      return tag;
    },
    enumerable: false,
    configurable: true,
  });
}

type Custom = (this: unknown, depth: number, options: InspectOptionsStylized, inspectFn?: unknown) => unknown;

/** `this` for util.inspect (which then formats it as usual); util.inspect's text for anyone else. */
function onward(self: unknown, inspectFn: unknown): unknown {
  return inspectFn === inspect ? self : inspect(self);
}

let cellFrames: { rename: (frame: string) => string | undefined; internalPaths: readonly string[] } | undefined;

/** Errors shown in this thread name cell frames through `rename` and hide frames under `internalPaths`. */
export function showCellFrames(rename: (frame: string) => string | undefined, internalPaths: readonly string[]): void {
  cellFrames = { rename, internalPaths };
}

/** An error's stack text as users see it (unchanged before the thread's Shell exists). */
export function cellStack(stack: string): string {
  return cellFrames === undefined ? stack : userStack(stack, cellFrames.internalPaths, cellFrames.rename);
}

/** A thrown value as a traceback, with cell frames as `In[n]` (for the Output widget). */
export function cellError(err: unknown): ErrorContent {
  return formatError(err, cellFrames?.internalPaths ?? [], cellFrames?.rename);
}

/** Errors being formatted with their user stack (the nested util.inspect call must not come back here). */
const showing = new WeakSet<object>();

/**
 * util.inspect formats an error from its `stack`: it is formatted with the user stack in place,
 * and the stack put back at once. Errors whose stack is an accessor, or cannot be redefined, are
 * shown as they are.
 */
const showError: Custom = function (depth, options, inspectFn) {
  if (inspectFn !== inspect || cellFrames === undefined || !types.isNativeError(this) || showing.has(this)) return onward(this, inspectFn);
  const desc = getOwnPropertyDescriptor(this, "stack");
  if (desc === undefined || typeof desc.value !== "string" || !desc.configurable) return this;
  const shown = cellStack(desc.value);
  if (shown === desc.value) return this;
  showing.add(this);
  try {
    defineProperty(this, "stack", { ...desc, value: shown });
    return inspect(this, { ...options, depth });
  } finally {
    defineProperty(this, "stack", desc);
    showing.delete(this);
  }
};

let installed = false;

/** Install the above in this thread's realm (once). */
export function installInspection(): void {
  if (installed) return;
  installed = true;
  hideOnTag(Promise.prototype, ON_PROMISES, (v) => types.isPromise(v));
  const resource = (v: object) => !types.isProxy(v);
  hideOnTag(AsyncResource.prototype, ON_RESOURCES, resource);
  const timeout = setTimeout(() => {}, 0);
  clearTimeout(timeout);
  const immediate = setImmediate(() => {});
  clearImmediate(immediate);
  hideOnTag(getPrototypeOf(timeout) as object, ON_RESOURCES, resource);
  hideOnTag(getPrototypeOf(immediate) as object, ON_RESOURCES, resource);
  defineProperty(Error.prototype, inspect.custom, { value: showError, writable: true, configurable: true, enumerable: false });
}
