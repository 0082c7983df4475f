/**
 * One request's envelope, whichever thread answers it: status busy, the reply (`x_request` →
 * `x_reply`), an error reply, its output on iopub, status idle. Idle is the request's last
 * message: the I/O worker then forgets its routing (requests.ts). Every message that frames a
 * request is made here; the threads differ only in where they hand it (the worker sends at once,
 * the main thread batches through its outbox).
 */
import type { Header, IMessageContentMap, IOPubMessageType, RequestType } from "../messaging/index.js";
import type { Outbound, StopsQueue } from "./bridge.js";

/** Where a thread hands its outbound messages. */
export type Sink = (item: Outbound) => void;

/** The reply type of a request type (`execute_request` → `execute_reply`). */
export function replyType(requestType: string): string {
  return requestType.replace(/_request$/, "_reply");
}

/** The content of an error reply (the spec's `status: "error"` fields). */
export interface ErrorReplyContent {
  status: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

export function errorReply(ename: string, evalue: string, traceback: string[] = []): ErrorReplyContent {
  return { status: "error", ename, evalue, traceback };
}

export { oneLineTraceback } from "../messaging/traceback.js";

/** The type of the reply to request type `T`. */
type ReplyType<T extends string> = T extends `${infer Base}_request` ? `${Base}_reply` : never;
/** What a reply to `T` may hold: its content, or an error reply (every reply may be one). */
type ReplyContent<T extends RequestType | undefined> = T extends RequestType
  ? ReplyType<T> extends keyof IMessageContentMap
    ? IMessageContentMap[ReplyType<T>] | (ErrorReplyContent & Record<string, unknown>)
    : unknown
  : unknown;

/**
 * @typeParam T - the request's type, when the code that makes the envelope knows it: its reply's
 *   content is then checked against the spec's type (messaging/messages.ts).
 */
export class Envelope<T extends RequestType | undefined = undefined> {
  private busySent: boolean;

  /**
   * @param busySent - status busy went out already (the I/O worker publishes it for a request
   *   that arrives while nothing else is in flight: see bridge.ts `busySent`).
   */
  constructor(
    private readonly sink: Sink,
    readonly parent: Header,
    readonly channel: "shell" | "control",
    busySent = false,
  ) {
    this.busySent = busySent;
  }

  /** Status busy, once. */
  busy(): void {
    if (this.busySent) return;
    this.busySent = true;
    this.publish("status", { execution_state: "busy" });
  }

  /**
   * The reply on the request's channel; `stopsQueue` marks a failure that stops its shell's
   * queue. Its content is typed by `T`, the request's type, where the envelope knows it.
   */
  reply(content: ReplyContent<T>, metadata?: Record<string, unknown>, stopsQueue?: StopsQueue): void {
    const item: Outbound = { channel: this.channel, msgType: replyType(this.parent.msg_type), content, parent: this.parent };
    if (metadata) item.metadata = metadata;
    if (stopsQueue) item.stopsQueue = stopsQueue;
    this.sink(item);
  }

  /** An error reply; `extra` adds fields its type requires (an execute_reply's `execution_count`). */
  error(ename: string, evalue: string, traceback: string[] = [], extra?: Record<string, unknown>): void {
    this.reply({ ...errorReply(ename, evalue, traceback), ...extra } as ReplyContent<T>);
  }

  /** A message on iopub with this request as parent, its content typed by its type. */
  publish<T extends IOPubMessageType | "shutdown_reply">(
    msgType: T,
    content: IMessageContentMap[T],
    metadata?: Record<string, unknown>,
  ): void {
    const item: Outbound = { channel: "iopub", msgType, content, parent: this.parent };
    if (metadata) item.metadata = metadata;
    this.sink(item);
  }

  /** Status idle: the last message of the request. */
  idle(): void {
    this.sink({ channel: "iopub", msgType: "status", content: { execution_state: "idle" }, parent: this.parent, release: true });
  }

  /** Busy, the reply, idle: a request answered in one go. */
  answer(content: ReplyContent<T>): void {
    this.busy();
    this.reply(content);
    this.idle();
  }
}
