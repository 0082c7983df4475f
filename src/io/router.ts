/**
 * Where each request that arrives on shell or control goes, as the routing table says
 * (routes.ts): answered in this thread (control.ts), asked of the language service
 * (language_route.ts), or handed to the main thread. Before that, its content is checked against
 * its type (messaging/validate.ts) and its subshell looked up: a request that is not well formed,
 * or for a subshell that does not exist, is answered here with an error reply, never dropped
 * (messages without replies, comm messages, are logged and ignored, between busy and idle).
 */
import { contentProblem, type Message } from "../messaging/index.js";
import type { QueryReply } from "../language/protocol.js";
import type { InboundRequest, ToMain } from "./bridge.js";
import { Envelope, type ErrorReplyContent, errorReply, oneLineTraceback, type Sink } from "./envelope.js";
import { answeredBy } from "./routes.js";
import type { Requests } from "./requests.js";

export interface RouterOptions {
  requests: Requests;
  /** Sends one message (requests.ts). */
  send: Sink;
  post(msg: ToMain): void;
  /** The requests this thread answers (control.ts). */
  answerHere(msg: Message, channel: "shell" | "control"): void;
  language: { wants(cellRunning: boolean): boolean; readonly available: boolean; ask(msg: Message): void };
  subshells: { refusal(header: Message["header"]): ErrorReplyContent | undefined };
  /** stop_on_error: whether an execute request arriving now was made before its shell's failure went out. */
  abortWindows: { arrived(header: Message["header"]): boolean };
  /** Something was handed to the main thread (its held output is watched for). */
  handed(): void;
  /** An execute request is handed to the main thread: its number (kernel/interrupts.ts `executeHanded`). */
  executeHanded(): number;
  /** Logs a dropped message (rate-limited: inbound.ts). */
  dropped(fields: object, message: string): void;
}

export class Router {
  /** Completions and inspections the main thread may hand back (`to_language`), by msg_id. */
  private readonly handBacks = new Map<string, Message>();

  constructor(private readonly options: RouterOptions) {}

  route(msg: Message, channel: "shell" | "control"): void {
    const type = msg.header.msg_type as string;
    const answerer = answeredBy(type, channel);
    if (answerer === undefined) {
      // as ipykernel: busy and idle, nothing else (the spec asks both sides to tolerate unknown types)
      this.options.dropped({ channel, msgType: type }, "unknown message type; ignored");
      this.busyIdle(msg, channel);
      return;
    }
    const problem = contentProblem(type, msg.content);
    if (problem !== undefined) {
      this.refuse(msg, channel, errorReply("InvalidRequest", `${type}: ${problem}`), true);
      return;
    }
    const refusal = channel === "shell" ? this.options.subshells.refusal(msg.header) : undefined;
    if (refusal) {
      this.refuse(msg, channel, refusal, false);
      return;
    }
    switch (answerer) {
      case "io":
        // kept until its idle: the reply goes back along its routing
        this.options.requests.remember(msg);
        this.options.answerHere(msg, channel);
        return;
      case "language":
        if (this.options.language.wants(this.options.requests.executing.size > 0)) {
          this.options.requests.handed(msg);
          new Envelope(this.options.send, msg.header, channel).busy();
          this.options.language.ask(msg);
          return;
        }
        // The service warms up: the runtime answers now, or hands back what only the types know.
        this.forward(msg, channel, { handBack: this.options.language.available });
        return;
      default:
        this.forward(msg, channel, { aborted: type === "execute_request" && this.options.abortWindows.arrived(msg.header) });
    }
  }

  /**
   * An error reply between busy and idle; an execute_reply also carries an execution_count (typed
   * clients read it) and the error goes on iopub for the user to see. Messages without a reply
   * are logged and dropped.
   */
  private refuse(msg: Message, channel: "shell" | "control", error: ErrorReplyContent, oneLine: boolean): void {
    const type = msg.header.msg_type as string;
    if (!type.endsWith("_request")) {
      this.options.dropped({ channel, msgType: type, reason: error.evalue }, "message refused; ignored");
      this.busyIdle(msg, channel);
      return;
    }
    this.options.requests.remember(msg);
    const envelope = new Envelope(this.options.send, msg.header, channel);
    envelope.busy();
    if (type === "execute_request") {
      const shown = {
        ename: error.ename,
        evalue: error.evalue,
        traceback: oneLine ? oneLineTraceback(error.ename, error.evalue) : error.traceback,
      };
      envelope.publish("error", shown);
      envelope.reply({ ...error, traceback: shown.traceback, execution_count: 0 });
    } else {
      envelope.reply(error);
    }
    envelope.idle();
  }

  /** A message handled by ignoring it still shows the kernel busy, then idle, as every message does. */
  private busyIdle(msg: Message, channel: "shell" | "control"): void {
    this.options.requests.remember(msg);
    const envelope = new Envelope(this.options.send, msg.header, channel);
    envelope.busy();
    envelope.idle();
  }

  /**
   * Hand a request to the main thread. When it has nothing in flight, publish busy from here at
   * once: ordering is safe (nothing else can publish for it before), it shows busy even if the
   * cell then blocks the main thread, and it saves the main thread a message per request.
   * `busyPublished`: a request taken back from the language service (in flight, busy sent).
   */
  forward(msg: Message, channel: "shell" | "control", how: { busyPublished?: boolean; handBack?: boolean; aborted?: boolean } = {}): void {
    const { requests } = this.options;
    const busySent = how.busyPublished === true || requests.inFlight === 0;
    if (!how.busyPublished) {
      requests.handed(msg);
      this.options.handed();
    }
    if (how.handBack) this.handBacks.set(msg.header.msg_id, msg);
    // numbered as it is handed over, so that an interrupt from now on covers it
    const execute = msg.header.msg_type === "execute_request" ? this.options.executeHanded() : undefined;
    this.options.post({
      type: "request",
      channel,
      // checked against its type by `route` (validate.ts)
      msg: {
        msgType: msg.header.msg_type,
        header: msg.header,
        parent_header: msg.parent_header as Record<string, unknown>,
        metadata: msg.metadata,
        content: msg.content,
        buffers: msg.buffers,
      } as InboundRequest,
      receivedAt: performance.now(),
      busySent,
      ...(how.handBack ? { handBack: true } : {}),
      ...(how.aborted ? { aborted: true } : {}),
      ...(execute !== undefined ? { execute } : {}),
    });
    // After the post, so the main thread starts meanwhile; still first on iopub, since this thread
    // sends the main thread's messages only after this function returns.
    if (busySent && !how.busyPublished) new Envelope(this.options.send, msg.header, channel).busy();
  }

  /** The language service answered a completion or inspection (busy went out when it was asked). */
  answered(msg: Message, reply: NonNullable<QueryReply["content"]>): void {
    const envelope = new Envelope(this.options.send, msg.header, "shell", true);
    envelope.reply({ status: "ok", ...reply });
    envelope.idle();
  }

  /** The runtime had nothing for a request handed to the main thread while the service warmed up. */
  toLanguage(msgId: string): void {
    const msg = this.handBacks.get(msgId);
    this.handBacks.delete(msgId);
    // Still open and announced busy: the service's answer (or, failing it, the runtime's) ends it.
    if (msg && this.options.requests.isOpen(msgId)) this.options.language.ask(msg);
  }

  /** A request's idle went out. */
  released(msgId: string): void {
    this.handBacks.delete(msgId);
  }
}
