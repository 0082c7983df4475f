/**
 * Functions a call names. In its own thread a call may be given any function; functions cannot
 * cross threads, so a call into another thread names one that the target thread finds itself:
 * an export of a module (`{module: "./work.ts", export: "fib"}`, imported there) or source text
 * (`{source: "(a, b) => a + b"}`, evaluated there, each call afresh, so that a name in it is read
 * from the target's globals at the time of the call).
 */
import process from "node:process";
import { isBuiltin, createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { threadEnvironment } from "./environment.js";
import type { FunctionRef } from "./protocol.js";

/** A function of this thread, or the name of one that the target thread can find. */
export type Callable<A extends unknown[] = unknown[], R = unknown> = ((...args: A) => R) | FunctionRef;

type AnyFunction = (...args: unknown[]) => unknown;

/** `fn` as a reference that can cross threads; a TypeError says what is wrong with it. */
export function functionRef(fn: unknown): FunctionRef {
  if (typeof fn === "function") {
    throw new TypeError(
      'A function cannot be sent to another thread: name it as {module: "./file.ts", export: "name"} ' +
        'or give its text as {source: "(a, b) => a + b"} (source text cannot use variables from outside it)',
    );
  }
  if (typeof fn === "object" && fn !== null) {
    const r = fn as Record<string, unknown>;
    if (typeof r.source === "string" && r.module === undefined) return { source: r.source };
    if (typeof r.module === "string" && r.source === undefined && (r.export === undefined || typeof r.export === "string")) {
      return r.export === undefined ? { module: r.module } : { module: r.module, export: r.export };
    }
  }
  throw new TypeError(`Expected a function, {module, export} or {source}, not ${describe(fn)}`);
}

/** Names the function, for queues (one per function) and messages. */
export function refKey(ref: FunctionRef): string {
  return "source" in ref ? `source:${ref.source}` : `module:${ref.module}#${ref.export ?? "default"}`;
}

/** Names the function for people: `./work.ts#fib`, or the start of its source. */
export function refLabel(ref: FunctionRef): string {
  if ("module" in ref) return `${ref.module}#${ref.export ?? "default"}`;
  const text = ref.source.replace(/\s+/g, " ").trim();
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Find the function a reference names, in this thread. */
export async function resolveRef(ref: FunctionRef): Promise<AnyFunction> {
  if ("source" in ref) {
    const env = threadEnvironment();
    // biome-ignore lint/security/noGlobalEval: the caller sent this function's source to be run here
    // biome-ignore lint/complexity/noCommaOperator: `(0, eval)` is the indirect eval of the global scope
    const value: unknown = await (env.evaluate ? env.evaluate(ref.source) : (0, eval)(`(${ref.source}\n)`));
    if (typeof value !== "function") throw new TypeError(`The source text is not a function: it evaluated to ${describe(value)}`);
    return value as AnyFunction;
  }
  const name = ref.export ?? "default";
  const namespace = (await importModule(ref.module)) as Record<string, unknown>;
  let value = namespace[name];
  // A CommonJS module imported as ESM may keep its exports on `default` only.
  if (value === undefined && name !== "default") value = (namespace.default as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) throw new Error(`The module "${ref.module}" has no export "${name}"`);
  if (typeof value !== "function")
    throw new TypeError(`The export "${name}" of "${ref.module}" is not a function: it is ${describe(value)}`);
  return value as AnyFunction;
}

/** Modules imported by URL: Node would give the same namespace again, only slower. */
const imported = new Map<string, unknown>();

async function importModule(specifier: string): Promise<unknown> {
  const env = threadEnvironment();
  const direct = specifier.startsWith("file:") || specifier.startsWith("data:") || isBuiltin(specifier);
  // The environment's importer may load an edited file afresh: ask it every time.
  if (!direct && env.importModule) return env.importModule(specifier);
  const url = direct
    ? specifier
    : specifier.startsWith("./") || specifier.startsWith("../") || isAbsolute(specifier)
      ? pathToFileURL(resolve(process.cwd(), specifier)).href // plain Node: from the working directory
      : pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve(specifier)).href;
  if (imported.has(url)) return imported.get(url);
  const namespace: unknown = await import(url);
  imported.set(url, namespace);
  return namespace;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "null prototype"})`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
