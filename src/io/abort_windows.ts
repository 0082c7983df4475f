/**
 * stop_on_error's abort windows, kept by the I/O worker, where every request arrives first.
 *
 * A frontend's Run All sends every cell at once. When one fails with stop_on_error, the
 * execute_requests its client made before it could have seen that failure must be aborted, not
 * run; but the cell may fail within a millisecond, before the later cells have even arrived (and
 * a relay such as jupyter_server may deliver them later still). The main thread decides the
 * failure and aborts every request of that shell until the worker has sent the failing reply and
 * opened the shell's window here (execute_scheduler.ts); from then on, an execute_request of
 * that shell is aborted when
 * - the failing request's client made it before the reply went out: by its `header.date` (the
 *   latest moment the date's precision allows), before the moment the reply was sent, told on
 *   that client's clock (below); or
 * - it arrives within `windowMs` of the reply, or was made within `windowMs` after it (0 in the
 *   kernel, which holds the failing reply instead: failure_hold.ts).
 * A request made after the reply went out runs: a client that sends its next cell as soon as it
 * has the error's reply is never refused. The reply is held for a moment before it goes out
 * (failure_hold.ts), so that a burst sent blind after the failing cell is made before it.
 *
 * The client's clock: per session, the smallest `received - date` of late is the offset (this
 * clock less the client's, plus the shortest transit). The reply's moment on the client's clock
 * is taken as ours less the offset, except that an offset from 0 to SAME_CLOCK_MS counts as
 * transit alone: the client shares this machine's clock, as jupyter_client and a local JupyterLab
 * do, and the moment is exact. For a client whose clock is off, the moment is early by the
 * shortest transit (refusing less), or, if its clock is behind ours, late by SAME_CLOCK_MS at most.
 */
import type { Header } from "../messaging/index.js";

/** How long after the reply a request's date is still read (its delivery may have been that slow). */
export const DATES_MS = 1000;
/**
 * A request counts as made before the reply only when its date is this much earlier: dates are
 * wall-clock, this side's moments monotonic (`timeOrigin + performance.now()`), and the two drift
 * apart by a millisecond or so over a process's life; a client that answers the error at once
 * must never be refused for it (a request made within this margin before the reply runs).
 */
export const DATE_SLACK_MS = 2;
/** The offset up to which a client is taken to share this clock (the rest is transit). */
export const SAME_CLOCK_MS = 1;
/** A session's offset is measured afresh this often (the last period's still counts), so that clocks that drift apart are followed. */
const OFFSET_PERIOD_MS = 10_000;
/** Sessions whose offset is kept (the oldest is forgotten first). */
const MAX_SESSIONS = 256;

/**
 * A header's `date` on the client's clock: ms since the epoch as written (with the sub-millisecond
 * digits it has: jupyter_client writes microseconds, browsers milliseconds) and the resolution of
 * what was written (the true moment is before `at + resolution`); undefined for anything else.
 */
export function clientTime(date: unknown): { at: number; resolution: number } | undefined {
  if (typeof date !== "string") return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/i.exec(date);
  if (!m) return undefined;
  const whole = Date.parse(m[1]! + m[3]!);
  if (Number.isNaN(whole)) return undefined;
  const digits = m[2] ?? "";
  return { at: whole + (digits ? Number(`0.${digits}`) * 1000 : 0), resolution: 1000 / 10 ** digits.length };
}

/** Times are performance.now() (ms); clients' dates are turned into it with `timeOrigin`. */
interface Window {
  /** Until when arriving requests of the shell are aborted. */
  until: number;
  /** The failing request's session, and on its client's clock the moment before which its requests were made before the reply went out (plus `windowMs`). */
  session: unknown;
  madeBefore: number;
  /** After this, dates no longer count and the window is gone. */
  datesUntil: number;
}

/** The shell a request belongs to: its subshell id, or null for the main shell. */
function shellOf(header: Header): string | null {
  const id = (header as { subshell_id?: unknown }).subshell_id;
  return typeof id === "string" ? id : null;
}

export class AbortWindows {
  private readonly windows = new Map<string | null, Window>();
  /**
   * Per session: the smallest `received - date` (ms) of the current period (since `since`) and
   * of the one before.
   */
  private readonly offsets = new Map<unknown, { current: number; previous: number; since: number }>();

  /** `timeOrigin`: this clock's 0 in ms since the epoch (clients' dates are on that scale). */
  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly timeOrigin: number = performance.timeOrigin,
    private readonly slackMs: number = DATE_SLACK_MS,
  ) {}

  /**
   * An execute_request has arrived (now): whether it is aborted. Every one passes here, also
   * while no window is open, so that its client's offset is known when one opens.
   */
  arrived(header: Header): boolean {
    const now = this.now();
    const date = clientTime(header.date);
    const made = date && { at: date.at - this.timeOrigin, resolution: date.resolution };
    if (made) this.measure(header.session, now - made.at, now);
    if (this.windows.size === 0) return false;
    const key = shellOf(header);
    const w = this.windows.get(key);
    if (!w) return false;
    if (now < w.until) return true;
    if (now >= w.datesUntil) {
      this.windows.delete(key);
      return false;
    }
    return made !== undefined && header.session === w.session && made.at + made.resolution <= w.madeBefore;
  }

  /**
   * The reply of `failed`, sent at `sentAt` (taken right before the send: nobody saw the reply
   * before then), stops its shell's queue: open that shell's window (a later failure's replaces it).
   */
  open(failed: Header, sentAt: number = this.now()): void {
    const offset = this.offset(failed.session);
    this.windows.set(shellOf(failed), {
      until: sentAt + this.windowMs,
      session: failed.session,
      madeBefore:
        offset === undefined ? -Infinity : sentAt - offset + Math.min(Math.max(offset, 0), SAME_CLOCK_MS) - this.slackMs + this.windowMs,
      datesUntil: sentAt + Math.max(DATES_MS, this.windowMs),
    });
  }

  /** The shell's window (if any) is over: its subshell is gone. */
  forget(subshellId: string): void {
    this.windows.delete(subshellId);
  }

  private measure(session: unknown, offset: number, now: number): void {
    let m = this.offsets.get(session);
    if (!m) {
      if (this.offsets.size >= MAX_SESSIONS) this.offsets.delete(this.offsets.keys().next().value);
      m = { current: offset, previous: offset, since: now };
      this.offsets.set(session, m);
    } else if (now - m.since >= OFFSET_PERIOD_MS) {
      m.previous = m.current;
      m.current = offset;
      m.since = now;
    } else if (offset < m.current) {
      m.current = offset;
    }
  }

  /** The session's offset: the smallest `received - date` of this period and the last. */
  private offset(session: unknown): number | undefined {
    const m = this.offsets.get(session);
    return m && Math.min(m.current, m.previous);
  }
}
