/**
 * Widget state on the wire (Jupyter widgets message protocol 2): widget references as
 * `"IPY_MODEL_<model id>"`, binary values taken out of the state and sent as buffers, each named
 * by its path in the state (`buffer_paths`; a binary item of a list leaves `null` in its place,
 * one of an object leaves no key).
 *
 * @see https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/messages.md
 */
import { types } from "node:util";

export type Path = (string | number)[];

export interface WireState {
  state: Record<string, unknown>;
  buffer_paths: Path[];
  buffers: Uint8Array[];
}

export const MODEL_PREFIX = "IPY_MODEL_";

/** Something with a model id: a widget. */
export interface Referable {
  readonly modelId: string;
}

const isBinary = (v: unknown): v is ArrayBuffer | ArrayBufferView => types.isAnyArrayBuffer(v) || ArrayBuffer.isView(v);

function bytes(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  return new Uint8Array((v as ArrayBuffer).slice(0));
}

/**
 * The wire form of a state: references to `isWidget` values become `IPY_MODEL_<id>`, binary
 * values leave the state for `buffers`; everything else must be JSON (checked: a TypeError names
 * the attribute). The state given is not changed.
 */
export function toWire(state: Record<string, unknown>, isWidget: (v: unknown) => v is Referable): WireState {
  const buffer_paths: Path[] = [];
  const buffers: Uint8Array[] = [];
  const take = (value: ArrayBuffer | ArrayBufferView, path: Path): void => {
    buffer_paths.push(path);
    buffers.push(bytes(value));
  };
  const walk = (value: unknown, path: Path, seen: Set<unknown>): unknown => {
    if (value === null || typeof value !== "object") {
      if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
        throw new TypeError(`widget attribute ${path.join(".")} cannot be sent: a ${typeof value} is not JSON`);
      }
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new TypeError(`widget attribute ${path.join(".")} cannot be sent: ${value} is not a JSON number`);
      }
      return value;
    }
    if (isWidget(value)) return MODEL_PREFIX + value.modelId;
    if (seen.has(value)) throw new TypeError(`widget attribute ${path.join(".")} cannot be sent: it contains itself`);
    seen.add(value);
    try {
      if (Array.isArray(value)) {
        return value.map((v, i) => {
          if (!isBinary(v)) return walk(v, [...path, i], seen) ?? null;
          take(v, [...path, i]);
          return null;
        });
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return JSON.parse(JSON.stringify(value)) as unknown;
      return entries(value as Record<string, unknown>, path, seen);
    } finally {
      seen.delete(value);
    }
  };
  const entries = (obj: Record<string, unknown>, path: Path, seen: Set<unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (isBinary(v)) take(v, [...path, k]);
      else out[k] = walk(v, [...path, k], seen);
    }
    return out;
  };
  const out = entries(state, [], new Set());
  return { state: out, buffer_paths, buffers };
}

/** Put the buffers back where their paths say (as Uint8Arrays), in place. Bad paths are skipped. */
export function putBuffers(state: Record<string, unknown>, paths: unknown, buffers: readonly Uint8Array[]): void {
  if (!Array.isArray(paths)) return;
  paths.forEach((path, i) => {
    const buffer = buffers[i];
    if (!Array.isArray(path) || path.length === 0 || buffer === undefined) return;
    let obj: unknown = state;
    for (const key of path.slice(0, -1)) {
      if (obj === null || typeof obj !== "object") return;
      obj = (obj as Record<string | number, unknown>)[key as string | number];
    }
    if (obj !== null && typeof obj === "object")
      (obj as Record<string | number, unknown>)[path[path.length - 1] as string | number] = buffer;
  });
}

/** Widget references back to widgets (those `resolve` knows), anywhere in `value`. */
export function fromWireRefs(value: unknown, resolve: (id: string) => unknown): unknown {
  if (typeof value === "string") {
    if (!value.startsWith(MODEL_PREFIX)) return value;
    return resolve(value.slice(MODEL_PREFIX.length)) ?? value;
  }
  if (Array.isArray(value)) return value.map((v) => fromWireRefs(v, resolve));
  if (value !== null && typeof value === "object" && !isBinary(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWireRefs(v, resolve)]));
  }
  return value;
}

/** Whether two wire values are the same (JSON text, and the same bytes for their buffers). */
export function sameWire(a: WireState, b: WireState): boolean {
  if (JSON.stringify(a.state) !== JSON.stringify(b.state) || JSON.stringify(a.buffer_paths) !== JSON.stringify(b.buffer_paths))
    return false;
  return a.buffers.length === b.buffers.length && a.buffers.every((x, i) => Buffer.from(x).equals(b.buffers[i]!));
}
