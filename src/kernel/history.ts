/**
 * Input history, kept across kernel restarts, answering history_request (tail, range, search).
 *
 * API (what kernel.ts uses):
 *   new History({ file: historyFile(), log })  no I/O here; `new History()` = memory only
 *   add(line, input)                            an input cell, `line` = its execution count
 *   setOutput(line, text)                       text/plain of that cell's execute_result
 *   request(content)                            history_reply `history` for a history_request
 *   flush(): Promise<void>                      write what is pending now (tests; optional)
 *   close()                                     synchronous final write; also run on process "exit"
 *
 * Storage: one JSON Lines file per user, by default `<Jupyter data dir>/ts-async-kernel/history.jsonl`
 * (Node 20 has no built-in SQLite and we add no dependency). TS_ASYNC_KERNEL_HISTORY=off keeps
 * history in memory only; any other value is the file's path. Records, one per line:
 *   {"kind":"session","session":3,"sid":"…","start":"<ISO time>"}
 *   {"kind":"input","session":3,"sid":"…","line":1,"input":"…","output":"…"?}
 *   {"kind":"output","session":3,"sid":"…","line":1,"output":"…"}   (output known after the input was written)
 * `sid` is unique per kernel start: two kernels that start together may both claim the same
 * session number; on load the first in the file keeps it and the other is renumbered after the
 * highest (the running kernels themselves keep calling their own session by the number they chose).
 *
 * Sessions follow IPython's history: each kernel start is a new session (1 + the highest in the
 * file); in a range request `session` > 0 is that session, 0 this one, -1 the previous one
 * (IPython HistoryManager.get_range: `if session <= 0: session += self.session_number`).
 *
 * Cost: nothing happens at start-up. The file is read once, on the first request or the first
 * write; writes are batched (FLUSH_DELAY_MS after an add) and appended asynchronously, each batch
 * with a single write() on an O_APPEND descriptor, so concurrent kernels' lines do not mix; lines
 * that do not parse (a crash mid-write, garbage) are skipped. Only the last `maxBytes` of the
 * file are read.
 *
 * Bound: when the file holds more than `maxEntries` inputs (default 10,000) or more than
 * `maxBytes` (default 5 MiB), it is rewritten (temp file + rename) keeping the most recent inputs
 * that fit in 80% of both limits, so compaction does not recur on every start. Outputs are stored
 * up to MAX_OUTPUT_CHARS characters (longer ones are cut, marked with TRUNCATED). A cell whose
 * record would exceed maxBytes / 8 (640 KiB by default) stays in this session's memory but is not
 * written: were it written, reading the file's last maxBytes could find no whole record in it.
 *
 * Failure: if the file cannot be read or written, history goes on in memory with one warning.
 */
import type { HistoryRequestContent } from "../messaging/index.js";
import { Buffer } from "node:buffer";
import process from "node:process";
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { userDataDir } from "../kernelspec/paths.js";
import type { Log } from "./log.js";
import { clearTimeout, setTimeout } from "node:timers";

export type HistoryItem = [number, number, string] | [number, number, [string, string | null]];

export interface HistoryOptions {
  /** The JSON Lines file; absent = this session only, in memory. */
  file?: string;
  /** Gets the one warning when the file cannot be used, and a debug note on skipped lines. */
  log?: Pick<Log, "warn" | "debug">;
  /** Compaction thresholds (see the header). */
  maxEntries?: number;
  maxBytes?: number;
}

export const HISTORY_ENV = "TS_ASYNC_KERNEL_HISTORY";
export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const MAX_OUTPUT_CHARS = 10_000;
export const TRUNCATED = "\n… [output truncated in history]";
const FLUSH_DELAY_MS = 50;
const KEEP_FRACTION = 0.8;
/** A record larger than this share of maxBytes is not written, so the tail read always holds whole records. */
const MAX_RECORD_FRACTION = 1 / 8;
const OFF = new Set(["off", "0", "false", "no", "none", "memory"]);

/** The history file from TS_ASYNC_KERNEL_HISTORY, else the default; undefined = persistence off. */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[HISTORY_ENV]?.trim();
  if (!value) return join(userDataDir(), "ts-async-kernel", "history.jsonl");
  if (OFF.has(value.toLowerCase())) return undefined;
  return resolve(value);
}

interface Entry {
  session: number;
  line: number;
  input: string;
  output: string | null;
  /** Its input record has been handed to a write (current session only). */
  written?: boolean;
  /** Too large for the file: kept in memory only. */
  unsaved?: boolean;
}

type Pending = { kind: "input" | "output"; entry: Entry };

interface LoadedSession {
  claimed: number;
  sid: string;
  start: string | undefined;
  entries: Map<number, Entry>;
}

export class History {
  private readonly file: string | undefined;
  private readonly log: HistoryOptions["log"];
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxRecordBytes: number;
  private readonly sid = `${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly start = new Date().toISOString();

  /** Whether the file is still in use (false: memory only, after a failure or when off). */
  private persist: boolean;
  private loaded: boolean;
  private session = 1;
  /** Earlier sessions from the file, ordered by (session, line). */
  private older: Entry[] = [];
  private olderStarts = new Map<number, { sid: string; start: string | undefined }>();
  private readonly current: Entry[] = [];
  private readonly byLine = new Map<number, Entry>();

  private pending: Pending[] = [];
  private sessionWritten = false;
  /** The file did not end with a newline (a crash mid-line): start our first write on a new line. */
  private needsNewline = false;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private warned = false;
  private dirReady = false;
  private closed = false;
  private exitHooked = false;
  private readonly onExit = (): void => this.close();

  constructor(options: HistoryOptions = {}) {
    this.file = options.file;
    this.log = options.log;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.maxBytes = Math.max(1024, options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.maxRecordBytes = Math.floor(this.maxBytes * MAX_RECORD_FRACTION);
    this.persist = this.file !== undefined;
    this.loaded = !this.persist;
  }

  add(line: number, input: string): void {
    const entry: Entry = { session: this.session, line, input, output: null };
    this.current.push(entry);
    this.byLine.set(line, entry);
    this.enqueue({ kind: "input", entry });
  }

  /** The text/plain of cell `line`'s result; null clears it. Unknown lines are ignored. */
  setOutput(line: number, text: string | null): void {
    const entry = this.byLine.get(line);
    if (!entry) return;
    entry.output = text === null || text.length <= MAX_OUTPUT_CHARS ? text : text.slice(0, MAX_OUTPUT_CHARS) + TRUNCATED;
    if (entry.written) this.enqueue({ kind: "output", entry });
  }

  request(request: HistoryRequestContent | Record<string, unknown>): HistoryItem[] {
    // the fields of every access type, read as they came (validate.ts checked their types)
    const content: Record<string, unknown> = { ...request };
    this.loadSync();
    const withOutput = content.output === true;
    const type = content.hist_access_type;
    let selected: Entry[];
    if (type === "tail") {
      const n = int(content.n, 10);
      selected = n > 0 ? this.all().slice(-n) : [];
    } else if (type === "range") {
      selected = this.range(int(content.session, 0), int(content.start, 0), content.stop === null ? 0 : int(content.stop, 0));
    } else if (type === "search") {
      const rx = globToRegExp(typeof content.pattern === "string" ? content.pattern : "*");
      selected = rx ? this.all().filter((e) => rx.test(e.input)) : [];
      if (content.unique === true) {
        // The latest of identical inputs stays, at its own place.
        const seen = new Set<string>();
        selected = selected
          .reverse()
          .filter((e) => !seen.has(e.input) && seen.add(e.input))
          .reverse();
      }
      const n = int(content.n, 0);
      if (n > 0) selected = selected.slice(-n);
    } else {
      return [];
    }
    return selected.map((e): HistoryItem => (withOutput ? [e.session, e.line, [e.input, e.output]] : [e.session, e.line, e.input]));
  }

  /** Write what is pending now; resolves once it is on disk (or has failed, with a warning). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = this.queue.then(() => this.writeBatch());
    return this.queue;
  }

  /** Synchronous final write of what is pending; history stays readable in memory afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.exitHooked) process.off("exit", this.onExit);
    if (!this.persist || this.pending.length === 0) return;
    this.loadSync();
    const text = this.takePending();
    if (!text) return;
    try {
      appendSync(this.file!, text);
    } catch (err) {
      this.fail("cannot write", err);
    }
  }

  // --- queries ---------------------------------------------------------------------------------

  private all(): Entry[] {
    return this.older.length === 0 ? this.current : this.older.concat(this.current);
  }

  /** IPython's get_range: stop exclusive; stop <= 0 (or null) counts from the session's end. */
  private range(session: number, start: number, stop: number): Entry[] {
    const target = session <= 0 ? this.session + session : session;
    const entries = target === this.session ? this.current : this.older.filter((e) => e.session === target);
    if (entries.length === 0) return [];
    const end = stop > 0 ? stop : entries[entries.length - 1]!.line + 1 + stop;
    return entries.filter((e) => e.line >= start && e.line < end);
  }

  // --- writing ---------------------------------------------------------------------------------

  private enqueue(item: Pending): void {
    if (!this.persist || this.closed) return;
    this.pending.push(item);
    if (!this.exitHooked) {
      this.exitHooked = true;
      process.on("exit", this.onExit);
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  private async writeBatch(): Promise<void> {
    try {
      await this.loadAsync();
      const text = this.takePending();
      if (!text || !this.persist) return;
      if (!this.dirReady) await mkdir(dirname(this.file!), { recursive: true });
      this.dirReady = true;
      const handle = await open(this.file!, "a", 0o600);
      try {
        const buf = Buffer.from(text);
        // One write() per batch keeps our lines whole next to another kernel's appends.
        let done = (await handle.write(buf, 0, buf.length)).bytesWritten;
        while (done < buf.length) done += (await handle.write(buf, done, buf.length - done)).bytesWritten;
      } finally {
        await handle.close();
      }
    } catch (err) {
      this.fail("cannot write", err);
    }
  }

  /** The JSON Lines text for what is pending (with our session record first), marked written. */
  private takePending(): string {
    if (!this.persist || this.pending.length === 0) return "";
    const lines: string[] = [];
    if (!this.sessionWritten) {
      this.sessionWritten = true;
      lines.push(JSON.stringify({ kind: "session", session: this.session, sid: this.sid, start: this.start }));
    }
    const fits = (line: string) => line.length <= this.maxRecordBytes / 3 || Buffer.byteLength(line) <= this.maxRecordBytes;
    for (const { kind, entry } of this.pending) {
      if (kind === "input") {
        entry.written = true;
        let line = inputRecord(entry, this.sid);
        if (!fits(line) && entry.output !== null) line = inputRecord({ ...entry, output: null }, this.sid);
        if (fits(line)) lines.push(line);
        else entry.unsaved = true;
      } else if (!entry.unsaved) {
        const line = JSON.stringify({ kind: "output", session: entry.session, sid: this.sid, line: entry.line, output: entry.output });
        if (fits(line)) lines.push(line);
      }
    }
    this.pending = [];
    const text = `${lines.join("\n")}\n`;
    if (this.needsNewline) {
      this.needsNewline = false;
      return `\n${text}`;
    }
    return text;
  }

  private fail(what: string, err: unknown): void {
    this.persist = false;
    this.pending = [];
    if (this.warned) return;
    this.warned = true;
    this.log?.warn({ err, file: this.file }, `history: ${what} ${this.file}; keeping history in memory only`);
  }

  // --- loading ---------------------------------------------------------------------------------

  private loadSync(): void {
    if (this.loaded) return;
    let tail: Tail;
    try {
      tail = readTailSync(this.file!, this.maxBytes);
    } catch (err) {
      if (!isMissing(err)) this.fail("cannot read", err);
      tail = EMPTY;
    }
    this.absorb(tail);
  }

  private async loadAsync(): Promise<void> {
    if (this.loaded) return;
    let tail: Tail;
    try {
      tail = await readTail(this.file!, this.maxBytes);
    } catch (err) {
      if (!isMissing(err)) this.fail("cannot read", err);
      tail = EMPTY;
    }
    // A request may have loaded it synchronously meanwhile.
    if (!this.loaded) this.absorb(tail);
  }

  /** Parse the file's records, number this session, and compact the file when over its bounds. */
  private absorb(tail: Tail): void {
    this.loaded = true;
    const sessions = new Map<string, LoadedSession>();
    let skipped = 0;
    for (const raw of tail.text.split("\n")) {
      if (raw.trim() === "") continue;
      const r = parseRecord(raw);
      if (!r) {
        skipped++;
        continue;
      }
      let s = sessions.get(r.sid);
      if (r.kind === "output") {
        // An output without its input (lost to a bad line) has nothing to attach to.
        const e = s?.entries.get(r.line);
        if (e) e.output = r.output;
        continue;
      }
      if (!s) sessions.set(r.sid, (s = { claimed: r.session, sid: r.sid, start: undefined, entries: new Map() }));
      if (r.kind === "session") s.start = r.start;
      else s.entries.set(r.line, { session: 0, line: r.line, input: r.input, output: r.output ?? s.entries.get(r.line)?.output ?? null });
    }
    if (skipped > 0) this.log?.debug({ file: this.file, skipped }, "history: skipped lines that are not history records");

    // First claim of a number keeps it; a second kernel with the same number goes after the highest.
    const byNumber = new Map<number, LoadedSession>();
    const clashes: LoadedSession[] = [];
    for (const s of sessions.values()) {
      if (byNumber.has(s.claimed)) clashes.push(s);
      else byNumber.set(s.claimed, s);
    }
    let highest = 0;
    for (const n of byNumber.keys()) highest = Math.max(highest, n);
    for (const s of clashes) byNumber.set(++highest, s);
    this.session = highest + 1;
    for (const e of this.current) e.session = this.session;

    const numbers = [...byNumber.keys()].sort((a, b) => a - b);
    const older: Entry[] = [];
    this.olderStarts = new Map();
    for (const n of numbers) {
      const s = byNumber.get(n)!;
      this.olderStarts.set(n, { sid: s.sid, start: s.start });
      for (const e of [...s.entries.values()].sort((a, b) => a.line - b.line)) older.push({ ...e, session: n });
    }
    this.older = older;
    this.needsNewline = !tail.endsWithNewline;
    if (this.persist && (tail.clipped || tail.size > this.maxBytes || older.length > this.maxEntries)) this.compact();
  }

  /** Rewrite the file with the most recent entries that fit in KEEP_FRACTION of both bounds. */
  private compact(): void {
    const keepEntries = Math.floor(this.maxEntries * KEEP_FRACTION);
    const keepBytes = Math.floor(this.maxBytes * KEEP_FRACTION);
    const sessionRecord = (n: number): string => {
      const s = this.olderStarts.get(n)!;
      return JSON.stringify({ kind: "session", session: n, sid: s.sid, start: s.start });
    };
    const record = (e: Entry): string => inputRecord(e, this.olderStarts.get(e.session)!.sid);
    // Walk back from the newest; each session kept costs one session record too.
    let bytes = 0;
    let i = this.older.length;
    let later = 0;
    while (i > 0 && this.older.length - i < keepEntries) {
      const e = this.older[i - 1]!;
      let size = Buffer.byteLength(record(e)) + 1;
      if (e.session !== later) size += Buffer.byteLength(sessionRecord(e.session)) + 1;
      if (bytes + size > keepBytes) break;
      bytes += size;
      later = e.session;
      i--;
    }
    this.older = this.older.slice(i);
    const lines: string[] = [];
    this.older.forEach((e, k) => {
      if (k === 0 || this.older[k - 1]!.session !== e.session) lines.push(sessionRecord(e.session));
      lines.push(record(e));
    });
    // Keep the highest session number even if none of its entries fit, so numbers never go back.
    const highest = this.session - 1;
    if (highest > 0 && this.older.at(-1)?.session !== highest && this.olderStarts.has(highest)) lines.push(sessionRecord(highest));
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeAllSync(tmp, lines.length ? `${lines.join("\n")}\n` : "", "w");
      renameSync(tmp, this.file!);
      this.needsNewline = false;
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // Nothing more to do: the temp file was never made, or cannot be removed either.
      }
      // Appending may still work; the file is only larger than its bound.
      if (!this.warned) {
        this.warned = true;
        this.log?.warn({ err, file: this.file }, `history: cannot compact ${this.file}`);
      }
    }
  }
}

// --- records ---------------------------------------------------------------------------------

type Parsed =
  | { kind: "session"; session: number; sid: string; start: string | undefined }
  | { kind: "input"; session: number; sid: string; line: number; input: string; output: string | null | undefined }
  | { kind: "output"; session: number; sid: string; line: number; output: string | null };

function inputRecord(e: Entry, sid: string): string {
  const r: Record<string, unknown> = { kind: "input", session: e.session, sid, line: e.line, input: e.input };
  if (e.output !== null) r.output = e.output;
  return JSON.stringify(r);
}

/** One line as a record, or undefined for anything else (partial write, garbage, other shapes). */
function parseRecord(raw: string): Parsed | undefined {
  let r: unknown;
  try {
    r = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof r !== "object" || r === null) return undefined;
  const o = r as Record<string, unknown>;
  const session = o.session;
  if (typeof o.sid !== "string" || !Number.isSafeInteger(session) || (session as number) < 1) return undefined;
  const base = { session: session as number, sid: o.sid };
  if (o.kind === "session") return { kind: "session", ...base, start: typeof o.start === "string" ? o.start : undefined };
  if (!Number.isSafeInteger(o.line)) return undefined;
  const line = o.line as number;
  const output = o.output;
  if (output !== undefined && output !== null && typeof output !== "string") return undefined;
  if (o.kind === "input" && typeof o.input === "string") return { kind: "input", ...base, line, input: o.input, output };
  if (o.kind === "output" && output !== undefined) return { kind: "output", ...base, line, output };
  return undefined;
}

// --- file access -----------------------------------------------------------------------------

interface Tail {
  text: string;
  size: number;
  /** The file was longer than what was read. */
  clipped: boolean;
  endsWithNewline: boolean;
}

const EMPTY: Tail = { text: "", size: 0, clipped: false, endsWithNewline: true };

/** The decoded last `max` bytes, starting after the first newline when the head was cut off. */
function decodeTail(buf: Buffer, size: number, clipped: boolean): Tail {
  const from = clipped ? buf.indexOf(0x0a) + 1 : 0;
  const endsWithNewline = buf.length === 0 || buf[buf.length - 1] === 0x0a;
  return { text: from > 0 || !clipped ? buf.subarray(from).toString("utf8") : "", size, clipped, endsWithNewline };
}

function readTailSync(file: string, max: number): Tail {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return decodeTail(buf.subarray(0, got), size, start > 0);
  } finally {
    closeSync(fd);
  }
}

async function readTail(file: string, max: number): Promise<Tail> {
  const handle = await open(file, "r");
  try {
    const size = (await handle.stat()).size;
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return decodeTail(buf.subarray(0, got), size, start > 0);
  } finally {
    await handle.close();
  }
}

function writeAllSync(file: string, text: string, flags: "a" | "w"): void {
  const fd = openSync(file, flags, 0o600);
  try {
    const buf = Buffer.from(text);
    let done = writeSync(fd, buf, 0, buf.length);
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
  } finally {
    closeSync(fd);
  }
}

function appendSync(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeAllSync(file, text, "a");
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

function int(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : fallback;
}

// --- glob ------------------------------------------------------------------------------------

const SYNTAX = /[\\^$.*+?()[\]{}|/]/;

/**
 * A glob as SQLite's GLOB reads it (what IPython's history search uses): `*` any run, `?` one
 * character, `[abc]`, `[a-z]`, `[^…]` or `[!…]` negated, `]` first in a class is literal, case
 * sensitive, no escape character. Undefined when the pattern has an invalid class (e.g. `[z-a]`).
 */
export function globToRegExp(pattern: string): RegExp | undefined {
  const chars = [...pattern];
  let re = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const cls = readClass(chars, i);
      if (cls) {
        re += cls.source;
        i = cls.end;
      } else re += "\\[";
    } else re += SYNTAX.test(c) ? `\\${c}` : c;
  }
  try {
    return new RegExp(`^${re}$`, "su");
  } catch {
    return undefined;
  }
}

/** The class starting at chars[open] (a `[`) as a RegExp class, or undefined if it never closes. */
function readClass(chars: string[], open: number): { source: string; end: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (chars[i] === "^" || chars[i] === "!") {
    negate = true;
    i++;
  }
  const body: string[] = [];
  if (chars[i] === "]") body.push(chars[i++]!);
  while (i < chars.length && chars[i] !== "]") body.push(chars[i++]!);
  if (i >= chars.length) return undefined;
  let source = negate ? "[^" : "[";
  body.forEach((c, k) => {
    const isRange = c === "-" && k > 0 && k < body.length - 1;
    source += isRange ? "-" : /[\\\][^-]/.test(c) ? `\\${c}` : c;
  });
  return { source: `${source}]`, end: i };
}
