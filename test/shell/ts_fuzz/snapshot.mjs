/**
 * What a run of a case leaves behind, as plain data that two realms can compare: values are
 * described structurally (never by identity or by source text), getters are not invoked, cycles
 * and depth are cut. Used by both runners (worker.mjs), so both describe alike.
 */
import { types, inspect } from "node:util";
import process from "node:process";
import { setImmediate, setTimeout } from "node:timers";

// The realm's own, as they were: a case's global `const Set = ...` or `var Object` would
// otherwise be what this module's free names mean.
const { Object, Reflect, Set, Array, String, Number, Function, Error, ArrayBuffer, DataView, Promise, Date } = globalThis;

const MAX_DEPTH = 3;
const MAX_KEYS = 40;
const FUNCTION_OWN = new Set(["length", "name", "prototype", "arguments", "caller"]);

/** A JSON-able description of `value`. */
export function describe(value, depth = 0, seen = new Set()) {
  switch (typeof value) {
    case "undefined":
      return { t: "undefined" };
    case "number":
      return { t: "number", v: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      return { t: "bigint", v: String(value) };
    case "string":
      return { t: "string", v: value.length > 2000 ? value.slice(0, 2000) + "…" : value };
    case "boolean":
      return { t: "boolean", v: value };
    case "symbol":
      return { t: "symbol", v: String(value.description) };
  }
  if (value === null) return { t: "null" };
  if (types.isProxy(value)) return { t: "proxy" };
  if (seen.has(value)) return { t: "cycle" };
  if (depth > MAX_DEPTH) return { t: typeof value === "function" ? "function" : "object", cut: true };
  seen.add(value);
  try {
    return typeof value === "function" ? describeFunction(value, depth, seen) : describeObject(value, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function functionKind(fn) {
  let source = "";
  try {
    source = Function.prototype.toString.call(fn);
  } catch {}
  if (/^class\b/.test(source)) return "class";
  const ctor = Object.getPrototypeOf(fn)?.constructor?.name;
  if (ctor === "AsyncFunction" || ctor === "GeneratorFunction" || ctor === "AsyncGeneratorFunction") return ctor;
  if (/\[native code\]\s*\}$/.test(source)) return "native";
  return Object.hasOwn(fn, "prototype") ? "function" : "arrow-or-method";
}

function describeFunction(fn, depth, seen) {
  const out = { t: "function", kind: functionKind(fn), name: safe(() => fn.name), length: safe(() => fn.length) };
  const statics = ownProperties(fn, depth, seen, (k) => !FUNCTION_OWN.has(k));
  if (statics.length > 0) out.statics = statics;
  const proto = Object.getOwnPropertyDescriptor(fn, "prototype");
  if (proto && "value" in proto && proto.value !== null && typeof proto.value === "object" && out.kind !== "native") {
    const members = ownProperties(proto.value, depth, seen, (k) => k !== "constructor");
    if (members.length > 0) out.prototype = members;
    const parent = Object.getPrototypeOf(fn);
    if (typeof parent === "function" && parent !== Function.prototype) out.extends = safe(() => parent.name);
  }
  return out;
}

function describeObject(obj, depth, seen) {
  const out = { t: "object", tag: Object.prototype.toString.call(obj), ctor: constructorName(obj) };
  if (types.isPromise(obj)) {
    // its state, as util.inspect shows it (a settled value is described below too)
    out.promise = inspect(obj, { depth: 0, customInspect: false }).replace(/\s+/g, " ");
    return out;
  }
  if (types.isNativeError(obj) || obj instanceof Error) {
    out.error = { name: safe(() => String(obj.name)), message: safe(() => String(obj.message)) };
  }
  // (not the time: `new Date()` is another moment in each run)
  if (types.isDate(obj)) out.date = Number.isNaN(obj.getTime()) ? "Invalid Date" : "a date";
  if (types.isRegExp(obj)) out.regexp = String(obj);
  if (types.isMap(obj)) out.map = [...obj].slice(0, MAX_KEYS).map(([k, v]) => [describe(k, depth + 1, seen), describe(v, depth + 1, seen)]);
  if (types.isSet(obj)) out.set = [...obj].slice(0, MAX_KEYS).map((v) => describe(v, depth + 1, seen));
  if (types.isBoxedPrimitive(obj)) out.boxed = describe(obj.valueOf(), depth + 1, seen);
  if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) out.typed = Array.from(obj.slice(0, MAX_KEYS), String);
  if (types.isWeakMap(obj) || types.isWeakSet(obj) || types.isGeneratorObject(obj)) return out;
  const props = ownProperties(obj, depth, seen, () => true);
  if (props.length > 0) out.props = props;
  const proto = Object.getPrototypeOf(obj);
  if (proto === null) out.nullProto = true;
  return out;
}

function constructorName(obj) {
  try {
    const proto = Object.getPrototypeOf(obj);
    if (proto === null) return null;
    const d = Object.getOwnPropertyDescriptor(proto, "constructor");
    return d && typeof d.value === "function" ? d.value.name : "?";
  } catch {
    return "?";
  }
}

/** [key, description] of own properties in their order; accessors are named, not called. */
function ownProperties(obj, depth, seen, keep) {
  let keys;
  try {
    keys = Reflect.ownKeys(obj);
  } catch {
    return [["<ownKeys threw>", { t: "error" }]];
  }
  const out = [];
  for (const key of keys) {
    if (typeof key === "string" && !keep(key)) continue;
    if (Array.isArray(obj) && key === "length") continue;
    if (out.length >= MAX_KEYS) {
      out.push(["…", { t: "more", n: keys.length }]);
      break;
    }
    const name = typeof key === "symbol" ? `@@${key.description}` : key;
    let d;
    try {
      d = Object.getOwnPropertyDescriptor(obj, key);
    } catch {
      out.push([name, { t: "error" }]);
      continue;
    }
    if (!d) continue;
    if ("value" in d) {
      const v = describe(d.value, depth + 1, seen);
      if (!d.enumerable && typeof key === "string" && !Array.isArray(obj)) v.hidden = true;
      out.push([name, v]);
    } else out.push([name, { t: "accessor", get: d.get !== undefined, set: d.set !== undefined }]);
  }
  return out;
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return "<threw>";
  }
}

/** What a case threw: its name and message (an Error), or its description. */
export function describeThrown(err) {
  if (err !== null && typeof err === "object" && (types.isNativeError(err) || err instanceof Error)) {
    return { name: safe(() => String(err.name)), message: safe(() => String(err.message)) };
  }
  return { value: describe(err) };
}

/**
 * Wait until what the case scheduled has run: a few turns of the event loop, then while it keeps
 * more timers than `baseline` were live, up to `limitMs`.
 */
export async function settle(baseline, limitMs = 1500) {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 0));
  }
  const start = Date.now();
  while (timers() > baseline && Date.now() - start < limitMs) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setImmediate(r));
}

/** Live timers and immediates of this thread. */
export function timers() {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
}

/** Output as one list of [stream, text], consecutive writes to a stream merged. */
export class OutputLog {
  constructor() {
    this.entries = [];
  }
  write(stream, text) {
    const last = this.entries[this.entries.length - 1];
    if (last && last[0] === stream) last[1] += text;
    else this.entries.push([stream, text]);
  }
}
