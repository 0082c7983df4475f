/**
 * `Function.prototype.toString` of a cell's function gives what the cell's code is, not what the
 * kernel made of it: the JavaScript the cell compiles to, without the interrupt guards, the
 * cancellable awaits or the renamed identifiers the transform put in (transform/rewrite.ts). Code
 * that reads a function's source (serializers, `new Function(f.toString())`, test frameworks,
 * `f.toString()` in a cell) sees what the user wrote, minus types, as in any other runtime.
 *
 * The realm's `Function.prototype.toString` is replaced once by one that asks V8 for the text
 * and, only when it holds the transform's marker (`__tsak_`), looks up which cell it came from
 * (cells.ts `functionText`); when no cell is found (a notebook of thousands of cells), the
 * instrumentation is taken out of the text itself. It looks native to whoever inspects it.
 */
import { demangle } from "./notebook_names.js";
import { AWAIT, GUARD, GUARD_ELSE, GUARD_EXPR, ITERATE } from "./transform/rewrite.js";

const MARKER = "__tsak_";
const INSTALLED = Symbol.for("ts-async-kernel.function-source");

/** The guard texts rewrite.ts inserts (longest first: one contains another). */
const GUARDS = [GUARD_ELSE, GUARD_EXPR, `;${GUARD}`, GUARD];

/**
 * Replace `Function.prototype.toString` in this realm (once; a later call changes where cell
 * functions are looked up).
 * @param find - a cell function's script text → the JavaScript it was, or undefined
 */
export function installFunctionSource(find: (text: string) => string | undefined): void {
  const proto = Function.prototype as unknown as Record<symbol, unknown>;
  const installed = proto[INSTALLED] as State | undefined;
  if (installed) {
    installed.find = find;
    return;
  }
  const native = Function.prototype.toString;
  const state: State = { find, native };
  const nativeText = native.call(native);
  // a method (no prototype, not a constructor), named toString, as the native one is
  const patched = {
    toString(this: unknown): string {
      if (this === patched) return nativeText;
      const text = native.call(this as () => void);
      if (!text.includes(MARKER)) return text;
      try {
        return state.find(text) ?? stripInstrumentation(text);
      } catch {
        return stripInstrumentation(text);
      }
    },
  }.toString;
  Object.defineProperty(Function.prototype, "toString", { value: patched, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(Function.prototype, INSTALLED, { value: state, enumerable: false });
}

interface State {
  find: (text: string) => string | undefined;
  native: () => string;
}

/** A function's text in its script, as V8 has it (instrumentation included). */
export function scriptText(fn: unknown): string {
  const state = (Function.prototype as unknown as Record<symbol, State | undefined>)[INSTALLED];
  return (state?.native ?? Function.prototype.toString).call(fn as () => void);
}

/** The instrumentation taken out of a function's text without knowing its cell (see above). */
export function stripInstrumentation(text: string): string {
  let out = text;
  for (const guard of GUARDS) out = out.split(guard).join("");
  out = unwrapCalls(out, `${AWAIT}(`);
  out = unwrapCalls(out, `${ITERATE}(`);
  return demangle(out);
}

/** `name(x)` → `x`, for every call of `name` (its argument's parentheses matched, strings skipped). */
function unwrapCalls(text: string, open: string): string {
  let out = "";
  let from = 0;
  for (let at = text.indexOf(open); at !== -1; at = text.indexOf(open, from)) {
    const close = matchingParen(text, at + open.length - 1);
    if (close < 0) break;
    out += text.slice(from, at) + text.slice(at + open.length, close);
    from = close + 1;
  }
  return out + text.slice(from);
}

/** The offset of the `)` that closes the `(` at `open`, or -1. */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}
