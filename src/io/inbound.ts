/**
 * What arrives on the sockets: parsed and verified (HMAC over the frames as received, replay
 * cache: messaging/session.ts), then checked against its type (messaging/validate.ts). Anything
 * malformed or badly signed is logged and dropped here and never reaches the main thread.
 */
import { type Message, type Session, WireError } from "../messaging/index.js";

/**
 * Warnings about dropped messages, at most this many a second: whoever can reach the ports could
 * otherwise fill the kernel's log (and the disk under it) with junk. What was not logged is
 * counted in the next warning.
 */
export const DROP_LOG_PER_SECOND = 20;

export interface InboundLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export class Inbound {
  private second = 0;
  private logged = 0;
  private unlogged = 0;

  constructor(
    private readonly session: Session,
    private readonly log: InboundLog,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Parse and verify one message; undefined when it was dropped (and logged). */
  receive(frames: Buffer[], channel: string): Message | undefined {
    try {
      return this.session.deserialize(frames);
    } catch (err) {
      if (err instanceof WireError) this.dropped({ channel, code: err.code, reason: err.message }, "dropped invalid message");
      else this.log.error({ channel, err }, "dropped message: unexpected error while parsing");
      return undefined;
    }
  }

  /** Log a dropped message, within the rate limit. */
  dropped(fields: object, message: string): void {
    if (this.allow()) this.log.warn(fields, message);
  }

  private allow(): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.second) {
      this.report();
      this.second = second;
      this.logged = 0;
    }
    if (this.logged < DROP_LOG_PER_SECOND) {
      this.logged++;
      return true;
    }
    // the count is reported with the next second's first drop, or a second from now at the latest
    if (this.unlogged++ === 0) setTimeout(() => this.report(), 1000).unref();
    return false;
  }

  private report(): void {
    if (this.unlogged > 0) this.log.warn({ count: this.unlogged }, "more invalid messages dropped without a log line");
    this.unlogged = 0;
  }
}
