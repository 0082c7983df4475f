/**
 * A minimal splice list: edits are recorded against the original string's offsets and applied in
 * one pass. Edits must not overlap; zero-length insertions at the same offset come before a
 * replacement that starts there, ordered by their `order` (default 0), then by insertion order.
 * `offsetMap` maps the result back to the original (built only when asked for).
 */
import { AnchorList, identityMap, type OffsetMap } from "./positions.js";

interface Edit {
  start: number;
  end: number;
  text: string;
  order: number;
  seq: number;
}

const LINE_BREAK = /\r\n?|[\n\u2028\u2029]/g;

/** The line terminators of `text`, in order: what a replacement must keep to preserve lines. */
export function lineBreaksOf(text: string): string {
  const m = text.match(LINE_BREAK);
  return m === null ? "" : m.join("");
}

export class Edits {
  private readonly list: Edit[] = [];

  get size(): number {
    return this.list.length;
  }

  /**
   * @param order - among insertions at the same offset, lower orders come first: a pass that
   *   wraps nodes inside another pass's wrappers opens after them (positive) and closes before
   *   them (negative).
   */
  insert(pos: number, text: string, order = 0): void {
    this.list.push({ start: pos, end: pos, text, order, seq: this.list.length });
  }

  replace(start: number, end: number, text: string): void {
    this.list.push({ start, end, text, order: 0, seq: this.list.length });
  }

  /** Is `pos` strictly inside a replaced range (text there is gone)? */
  replaced(pos: number): boolean {
    return this.list.some((e) => e.end > e.start && e.start < pos && pos < e.end);
  }

  /** Replace a range but keep its line breaks (appended after `text`), so later lines stay put. */
  replaceKeepLines(source: string, start: number, end: number, text: string): void {
    this.replace(start, end, text + lineBreaksOf(source.slice(start, end)));
  }

  private sorted(): Edit[] {
    return this.list.sort(
      (a, b) =>
        a.start - b.start ||
        // zero-length insertions before a replacement starting at the same offset
        (a.end === a.start ? 0 : 1) - (b.end === b.start ? 0 : 1) ||
        a.order - b.order ||
        a.seq - b.seq,
    );
  }

  apply(source: string): string {
    if (this.list.length === 0) return source;
    const list = this.sorted();
    let out = "";
    let cursor = 0;
    for (const e of list) {
      if (e.start < cursor) throw new Error(`internal transform error: overlapping edits at ${e.start}`);
      out += source.slice(cursor, e.start) + e.text;
      cursor = e.end;
    }
    return out + source.slice(cursor);
  }

  /**
   * Offsets of `apply`'s result → offsets of the original: kept text maps to itself, inserted or
   * replacing text to the start of the edit.
   */
  offsetMap(): OffsetMap {
    if (this.list.length === 0) return identityMap;
    const anchors = new AnchorList();
    let out = 0;
    let cursor = 0;
    for (const e of this.sorted()) {
      anchors.add(out, cursor, e.start - cursor);
      out += e.start - cursor;
      anchors.add(out, e.start, 0);
      out += e.text.length;
      cursor = e.end;
    }
    anchors.add(out, cursor, 0x3fffffff); // the rest is kept
    return anchors.map();
  }
}
