/**
 * What a comm message carries, made safe to hold until it is sent: the JSON parts are copied
 * (a message waits in the outbox until the end of the event-loop turn, and the caller may change
 * its objects meanwhile), binary buffers are copied into Uint8Arrays of their own.
 */
import { types } from "node:util";
import type { BufferLike, JsonObject } from "./protocol.js";

/** Objects built fresh as JSON by kernel code (widget state): sent as they are, not copied again. */
const fresh = new WeakSet<object>();

/** Mark `value` as freshly built JSON that nobody else holds (the widgets' messages). */
export function freshJson<T extends object>(value: T): T {
  fresh.add(value);
  return value;
}

/** A copy of `value` as JSON carries it; a clear TypeError for what JSON cannot carry. */
export function jsonObject(value: unknown, what: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (fresh.has(value as object)) return value as JsonObject;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${what} must be a plain object, not ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`${what} cannot be sent as JSON: ${(err as Error).message}`);
  }
  return JSON.parse(text) as JsonObject;
}

/** Cross-realm checks: cells' ArrayBuffers come from their own vm context. */
export function isBufferLike(value: unknown): value is BufferLike {
  return types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value);
}

/** A Uint8Array copy of the bytes of `b` (typed arrays and DataViews: only the bytes they view). */
export function bytesOf(b: BufferLike): Uint8Array {
  if (types.isAnyArrayBuffer(b)) return new Uint8Array((b as ArrayBuffer).slice(0));
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  throw new TypeError(`a comm buffer must be a Uint8Array, ArrayBuffer or DataView, not ${describe(b)}`);
}

export function buffersOf(list: readonly BufferLike[] | undefined): Uint8Array[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new TypeError("buffers must be an array of Uint8Array, ArrayBuffer or DataView");
  return list.map(bytesOf);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return typeof v;
}
