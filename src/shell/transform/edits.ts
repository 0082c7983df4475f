/**
 * A minimal splice list (magic-string without the source maps): edits are recorded against the
 * original string's offsets and applied in one pass. Edits must not overlap; zero-length
 * insertions at the same offset keep their insertion order and come before a replacement that
 * starts there.
 */

interface Edit {
  start: number;
  end: number;
  text: string;
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

  insert(pos: number, text: string): void {
    this.list.push({ start: pos, end: pos, text, seq: this.list.length });
  }

  replace(start: number, end: number, text: string): void {
    this.list.push({ start, end, text, seq: this.list.length });
  }

  /** Replace a range but keep its line breaks (appended after `text`), so later lines stay put. */
  replaceKeepLines(source: string, start: number, end: number, text: string): void {
    this.replace(start, end, text + lineBreaksOf(source.slice(start, end)));
  }

  apply(source: string): string {
    const list = this.list;
    if (list.length === 0) return source;
    list.sort(
      (a, b) =>
        a.start - b.start ||
        // zero-length insertions before a replacement starting at the same offset
        (a.end === a.start ? 0 : 1) - (b.end === b.start ? 0 : 1) ||
        a.seq - b.seq,
    );
    let out = "";
    let cursor = 0;
    for (const e of list) {
      if (e.start < cursor) throw new Error(`internal transform error: overlapping edits at ${e.start}`);
      out += source.slice(cursor, e.start) + e.text;
      cursor = e.end;
    }
    return out + source.slice(cursor);
  }
}
