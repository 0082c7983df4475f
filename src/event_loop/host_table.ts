import { getEnvironmentData, setEnvironmentData } from "node:worker_threads";

/*
 * A process-wide table of which thread runs which host, readable synchronously from any thread.
 *
 * Host objects live in one isolate and cannot be handed to another thread, so other threads see
 * a description instead: `{ threadId, loop, hostClass }`.
 *
 * Sharing: the table is a SharedArrayBuffer stored with `setEnvironmentData`. Environment data is
 * copied into a worker when the worker is *constructed*, and a cloned SharedArrayBuffer shares
 * its memory, so every worker started after this module was loaded in its parent (and all of
 * their descendants) reads and writes the same slots. A thread that loads this module without an
 * inherited table creates its own, visible only to itself and its later workers.
 * **Load the event-loop module in the main thread before starting workers** (the kernel does) to
 * get one table for the whole process.
 *
 * Layout: SLOTS fixed slots. Each has an Int32 header [owner, seq, loopLength, classLength] and a
 * byte area for the UTF-8 loop name and class name (truncated at a character boundary when too
 * long). `owner` is threadId + 1 (0 = free) and is claimed with compareExchange, so only the
 * owning thread ever writes its slot. `seq` is a seqlock: odd while the owner writes; readers
 * retry when it is odd or changed under them. Every access uses Atomics, so reads never tear.
 *
 * Limitations: a worker terminated while running a host never releases its slot (threadIds are
 * never reused, so the stale entry only costs a slot). When all slots are taken, `claim` returns
 * false and that host is described to its own thread only.
 */

const KEY = "ts-async-kernel:event_loop:host-table:v1";
const SLOTS = 128;
const LOOP_BYTES = 32;
const CLASS_BYTES = 96;
const HEADER_INTS = 4;
const OWNER = 0;
const SEQ = 1;
const LOOP_LENGTH = 2;
const CLASS_LENGTH = 3;
const HEADER_BYTES = SLOTS * HEADER_INTS * Int32Array.BYTES_PER_ELEMENT;
const SLOT_BYTES = LOOP_BYTES + CLASS_BYTES;
const READ_ATTEMPTS = 1000;

export interface HostDescription {
  readonly threadId: number;
  readonly loop: string;
  readonly hostClass: string;
}

function sharedBuffer(): SharedArrayBuffer {
  const inherited = getEnvironmentData(KEY);
  if (inherited instanceof SharedArrayBuffer) return inherited;
  const created = new SharedArrayBuffer(HEADER_BYTES + SLOTS * SLOT_BYTES);
  setEnvironmentData(KEY, created);
  return created;
}

const buffer = sharedBuffer();
const header = new Int32Array(buffer, 0, SLOTS * HEADER_INTS);
const bytes = new Uint8Array(buffer, HEADER_BYTES);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeInto(text: string, offset: number, capacity: number): number {
  // encodeInto never writes a partial character, so truncation stays valid UTF-8.
  const scratch = new Uint8Array(capacity);
  const { written } = encoder.encodeInto(text, scratch);
  for (let i = 0; i < written; i++) Atomics.store(bytes, offset + i, scratch[i]!);
  return written;
}

function decode(offset: number, length: number): string {
  const scratch = new Uint8Array(length);
  for (let i = 0; i < length; i++) scratch[i] = Atomics.load(bytes, offset + i);
  return decoder.decode(scratch);
}

/** Publish this thread's host; returns the slot index, or -1 when the table is full. */
export function claim(threadId: number, loop: string, hostClass: string): number {
  for (let slot = 0; slot < SLOTS; slot++) {
    const base = slot * HEADER_INTS;
    if (Atomics.compareExchange(header, base + OWNER, 0, threadId + 1) !== 0) continue;
    const area = slot * SLOT_BYTES;
    Atomics.add(header, base + SEQ, 1);
    Atomics.store(header, base + LOOP_LENGTH, encodeInto(loop, area, LOOP_BYTES));
    Atomics.store(header, base + CLASS_LENGTH, encodeInto(hostClass, area + LOOP_BYTES, CLASS_BYTES));
    Atomics.add(header, base + SEQ, 1);
    return slot;
  }
  return -1;
}

/** Withdraw the entry published by `claim` (only the owning thread may call this). */
export function release(slot: number): void {
  const base = slot * HEADER_INTS;
  Atomics.add(header, base + SEQ, 1);
  Atomics.store(header, base + LOOP_LENGTH, 0);
  Atomics.store(header, base + CLASS_LENGTH, 0);
  Atomics.add(header, base + SEQ, 1);
  // Freed last: until here nobody else may write the slot.
  Atomics.store(header, base + OWNER, 0);
}

function readSlot(slot: number, threadId: number): HostDescription | undefined {
  const base = slot * HEADER_INTS;
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const before = Atomics.load(header, base + SEQ);
    if (before % 2 === 1) continue;
    if (Atomics.load(header, base + OWNER) !== threadId + 1) return undefined;
    const loopLength = Atomics.load(header, base + LOOP_LENGTH);
    const classLength = Atomics.load(header, base + CLASS_LENGTH);
    const area = slot * SLOT_BYTES;
    const loop = decode(area, loopLength);
    const hostClass = decode(area + LOOP_BYTES, classLength);
    if (Atomics.load(header, base + SEQ) !== before) continue;
    // An empty loop name means the slot is claimed but not (or no longer) published.
    return loopLength === 0 ? undefined : { threadId, loop, hostClass };
  }
  // The owner stopped mid-write (a terminated worker): treat the entry as unknown.
  return undefined;
}

/** The published host of `threadId`, if any thread sharing this table runs one. */
export function lookup(threadId: number): HostDescription | undefined {
  for (let slot = 0; slot < SLOTS; slot++) {
    const found = readSlot(slot, threadId);
    if (found !== undefined) return found;
  }
  return undefined;
}
