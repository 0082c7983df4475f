/**
 * The cells that run, handed from the main thread to the language-service thread through shared
 * memory instead of a message per cell.
 *
 * Why: a postMessage wakes the receiving thread; with a kernel's three busy threads and its
 * client on two cores, waking the language thread for every cell cost about 0.2 ms of each
 * execute's round trip. The language thread needs the cells only when it answers something
 * (completion, inspection, a type check), so it reads this log then, and now and then while idle.
 *
 * One writer (the main thread), one reader (the language thread). A byte ring of records
 * `[seq u32][length u32][UTF-8 bytes]`; two shared counters (bytes written, bytes read, both
 * modulo 2^32) say what is there. A cell that does not fit is posted instead, with its sequence
 * number, and the reader puts every cell back in sequence order.
 */

/** Counter words ahead of the ring: [0] bytes written, [1] bytes read. */
const WRITTEN = 0;
const READ = 1;
const HEADER_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;
const RECORD_HEAD = 8;
/** Room for many cells between two reads; a bigger cell goes by message. */
export const CELL_LOG_BYTES = 1 << 20;

export function newCellLog(capacity = CELL_LOG_BYTES): SharedArrayBuffer {
  if ((capacity & (capacity - 1)) !== 0) throw new RangeError("the cell log's capacity must be a power of two");
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

class Ring {
  protected readonly counters: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.counters = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
    this.capacity = this.bytes.length;
  }

  protected copyIn(at: number, data: Uint8Array): void {
    const start = at & (this.capacity - 1);
    const first = Math.min(data.length, this.capacity - start);
    this.bytes.set(data.subarray(0, first), start);
    if (first < data.length) this.bytes.set(data.subarray(first), 0);
  }

  protected copyOut(at: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const start = at & (this.capacity - 1);
    const first = Math.min(length, this.capacity - start);
    out.set(this.bytes.subarray(start, start + first), 0);
    if (first < length) out.set(this.bytes.subarray(0, length - first), first);
    return out;
  }
}

export class CellLogWriter extends Ring {
  private readonly encoder = new TextEncoder();
  private nextSeq = 0;

  /**
   * Log a cell: `undefined` when it is in the log, else the sequence number it must be posted
   * with (the log is full, or the cell is bigger than it).
   */
  append(code: string): number | undefined {
    const seq = this.nextSeq++;
    const text = this.encoder.encode(code);
    const need = RECORD_HEAD + text.length;
    const written = Atomics.load(this.counters, WRITTEN) >>> 0;
    const read = Atomics.load(this.counters, READ) >>> 0;
    if (need > this.capacity - ((written - read) >>> 0)) return seq;
    const head = new Uint8Array(RECORD_HEAD);
    const view = new DataView(head.buffer);
    view.setUint32(0, seq, true);
    view.setUint32(4, text.length, true);
    this.copyIn(written, head);
    this.copyIn(written + RECORD_HEAD, text);
    // published after the bytes: the reader never sees a record before it is whole
    Atomics.store(this.counters, WRITTEN, (written + need) | 0);
    return undefined;
  }
}

export class CellLogReader extends Ring {
  private readonly decoder = new TextDecoder();
  private readonly early = new Map<number, string>();
  private nextSeq = 0;

  /** The cells logged or posted since the last call, in the order they ran. */
  take(posted: { seq: number; code: string }[] = []): string[] {
    const written = Atomics.load(this.counters, WRITTEN) >>> 0;
    let read = Atomics.load(this.counters, READ) >>> 0;
    while (read !== written) {
      const view = new DataView(this.copyOut(read, RECORD_HEAD).buffer);
      const seq = view.getUint32(0, true);
      const length = view.getUint32(4, true);
      this.early.set(seq, this.decoder.decode(this.copyOut(read + RECORD_HEAD, length)));
      read = (read + RECORD_HEAD + length) >>> 0;
    }
    Atomics.store(this.counters, READ, read | 0);
    for (const p of posted) this.early.set(p.seq, p.code);
    const cells: string[] = [];
    for (let code = this.early.get(this.nextSeq); code !== undefined; code = this.early.get(this.nextSeq)) {
      this.early.delete(this.nextSeq++);
      cells.push(code);
    }
    return cells;
  }
}
