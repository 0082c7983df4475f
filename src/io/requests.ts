/**
 * The requests the I/O worker has open, and the sending of every outbound message.
 *
 * A request is open from its arrival until its idle (the message marked `release`): for that long
 * the worker keeps its routing identities (replies and input requests go back along them) and its
 * header frame as received, sent as the `parent_header` of each of its messages rather than
 * serialized again. It also counts what the main thread has in flight (the busy rule of
 * forward.ts) and which of those are execute requests (the language route's rule).
 */
import type { Header, Message, Session } from "../messaging/index.js";
import type { Channel, Outbound } from "./bridge.js";

interface Open {
  identities: Buffer[];
  header: Buffer;
  /** Handed to another thread: counted in flight until its idle. */
  counted: boolean;
}

/** Bound on requests remembered, should the main thread never finish some. */
export const MAX_OPEN = 10_000;

export interface RequestsOptions {
  session: Session;
  /** Hands the frames of one message to its socket's writer. */
  write(channel: Channel, frames: Buffer[]): void;
  log: { warn(fields: object, message: string): void };
  /** A request's idle went out. */
  released?(msgId: string): void;
}

export class Requests {
  private readonly open = new Map<string, Open>();
  /** Requests handed to the main thread whose idle has not gone out yet. */
  inFlight = 0;
  /** Execute requests among them: while one runs, the main thread may be stuck in a cell. */
  readonly executing = new Set<string>();
  private readonly topicPrefix: string;

  constructor(private readonly options: RequestsOptions) {
    this.topicPrefix = `kernel.${options.session.id}.`;
  }

  /** A request arrived: keep its routing until its idle. */
  remember(msg: Message, counted = false): void {
    if (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!);
    const header = msg.rawHeader ?? Buffer.from(JSON.stringify(msg.header));
    this.open.set(msg.header.msg_id, { identities: msg.identities, header, counted });
  }

  /** A request handed to another thread (the main thread, the language service): in flight until its idle. */
  handed(msg: Message): void {
    this.remember(msg, true);
    this.inFlight++;
    if (msg.header.msg_type === "execute_request") this.executing.add(msg.header.msg_id);
  }

  isOpen(msgId: string): boolean {
    return this.open.has(msgId);
  }

  identities(msgId: string): Buffer[] | undefined {
    return this.open.get(msgId)?.identities;
  }

  /**
   * Serialize, sign and send one message (an iopub message goes to every subscriber, a reply back
   * to its request's client); the header it got, or undefined when it has nowhere to go.
   */
  send(item: Outbound): Header | undefined {
    const { session, log } = this.options;
    const request = item.parent ? this.open.get(item.parent.msg_id) : undefined;
    let identities: Buffer[];
    if (item.channel === "iopub") {
      identities = [Buffer.from(this.topicPrefix + item.msgType)];
    } else if (request) {
      identities = request.identities;
    } else {
      log.warn({ msgType: item.msgType }, "no routing identity for reply; dropped");
      return undefined;
    }
    const header = session.header(item.msgType as Header["msg_type"], item.parent?.subshell_id ?? null);
    const message = {
      header,
      parent_header: request ? request.header : (item.parent ?? undefined),
      metadata: item.metadata,
      content: item.content ?? {},
      buffers: item.buffers,
    };
    let frames: Buffer[];
    try {
      frames = session.serialize(message, identities);
    } catch (err) {
      // What cells hand over is checked where they hand it (display.ts), but a throw here would
      // end this thread, and with it the process: a value JSON cannot hold (a cycle, a BigInt)
      // is sent with those values replaced, and logged.
      log.warn({ err, msgType: item.msgType }, "outbound message part is not JSON; sent with its unserializable values replaced");
      frames = session.serialize(
        {
          ...message,
          metadata: jsonSafe(message.metadata),
          content: jsonSafe(message.content),
          parent_header: jsonSafe(message.parent_header) as Header,
        },
        identities,
      );
    }
    if (item.release && item.parent) this.release(item.parent.msg_id);
    this.options.write(item.channel, frames);
    return header;
  }

  /** The request's last message went out: forget it. */
  private release(msgId: string): void {
    const request = this.open.get(msgId);
    this.open.delete(msgId);
    this.executing.delete(msgId);
    if (request?.counted) this.inFlight = Math.max(0, this.inFlight - 1);
    this.options.released?.(msgId);
  }
}

/** `value` with what JSON cannot hold replaced: BigInts as `"1n"`, cycles as `"[Circular]"`. */
function jsonSafe<T>(value: T): T | { error: string } {
  if (value === undefined) return value;
  const seen = new WeakSet<object>();
  try {
    return JSON.parse(
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return `${v}n`;
        if (typeof v === "object" && v !== null) {
          if (seen.has(v)) return "[Circular]";
          seen.add(v);
        }
        return v;
      }),
    ) as T;
  } catch {
    return { error: "this part of the message could not be serialized as JSON" };
  }
}
