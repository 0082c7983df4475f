/**
 * Input history of this kernel session, answering history_request (tail, range, search).
 * Kept in memory for now; the session number is 1 and `session: 0` (or negative) means "this one".
 */
export interface HistoryEntry {
  line: number;
  input: string;
  output?: string;
}

export type HistoryItem = [number, number, string] | [number, number, [string, string | null]];

const SESSION = 1;

function globToRegExp(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s");
}

export class History {
  private readonly entries: HistoryEntry[] = [];

  add(line: number, input: string): HistoryEntry {
    const entry = { line, input };
    this.entries.push(entry);
    return entry;
  }

  request(content: Record<string, unknown>): HistoryItem[] {
    const output = content.output === true;
    const type = content.hist_access_type;
    const num = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : d);
    let selected: HistoryEntry[];
    if (type === "tail") {
      const n = num(content.n, 10);
      selected = n > 0 ? this.entries.slice(-n) : [];
    } else if (type === "range") {
      const session = num(content.session, 0);
      if (session > 0 && session !== SESSION) return [];
      const start = num(content.start, 0);
      const stop = content.stop === null || content.stop === undefined ? Infinity : num(content.stop, Infinity);
      selected = this.entries.filter((e) => e.line >= start && e.line < stop);
    } else if (type === "search") {
      const rx = globToRegExp(typeof content.pattern === "string" ? content.pattern : "*");
      selected = this.entries.filter((e) => rx.test(e.input));
      if (content.unique === true) {
        const seen = new Set<string>();
        selected = selected.reverse().filter((e) => !seen.has(e.input) && seen.add(e.input)).reverse();
      }
      const n = num(content.n, 0);
      if (n > 0) selected = selected.slice(-n);
    } else {
      return [];
    }
    return selected.map((e) => (output ? [SESSION, e.line, [e.input, e.output ?? null]] : [SESSION, e.line, e.input]));
  }
}
