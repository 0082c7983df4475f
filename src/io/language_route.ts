/**
 * The I/O worker's side of the language-service channel: sends completion and inspection
 * requests there and hands each one back as answered or not. A request the service leaves
 * unanswered (nothing typed there), takes too long on, or loses to a dead worker is handed
 * back, so the main thread's runtime introspection still answers it: never silence.
 *
 * Until the service has warmed up (it loads the compiler, the lib files and @types/node: 1.3 s
 * on an idle machine, 3 s on a loaded one) a request would wait for it, past a frontend's
 * patience (JupyterLab's completer gives up after 1 s, so the first Tab after a start or restart
 * came back empty): the I/O worker has the main thread's runtime introspection answer at once
 * instead (`wants`), as long as that thread is free; what the runtime has nothing for (a name only
 * the types know) it hands back, and it is asked here then.
 */
import type { MessagePort } from "node:worker_threads";
import type { Message } from "../messaging/index.js";
import type { QueryReply, QueryRequest, ToIoFromLanguage } from "../language/protocol.js";

/** Past this, the request goes to the runtime instead (the service may be checking a huge cell). */
const TIMEOUT_MS = 3000;
/**
 * A request that comes while the service warms up waits for the warm-up (2.5-5 s on a loaded
 * machine), then TIMEOUT_MS; at most this long in all (a service that never gets warm).
 */
const WARMUP_TIMEOUT_MS = 15_000;

export interface RouteHandlers {
  answered(msg: Message, content: NonNullable<QueryReply["content"]>): void;
  unanswered(msg: Message): void;
}

export class LanguageRoute {
  private port: MessagePort | undefined;
  private readonly pending = new Map<string, { msg: Message; timer: NodeJS.Timeout }>();
  /** Requests that came before the service did: sent to it when it attaches. */
  private waiting: QueryRequest[] = [];
  /** The service said its warm-up is over: it answers in milliseconds from now on. */
  private warm = false;

  /** `expected`: the main thread will start a service, so requests wait for it (up to the timeout). */
  constructor(
    private readonly handlers: RouteHandlers,
    private expected: boolean,
  ) {}

  get available(): boolean {
    return this.port !== undefined || this.expected;
  }

  /**
   * Whether a request goes to the service now (`ask`) rather than straight to the main thread.
   * While the service warms up, only if a cell runs there: it may run for long, and the service
   * answers within seconds.
   */
  wants(cellRunning: boolean): boolean {
    return this.available && (this.warm || cellRunning);
  }

  attach(port: MessagePort): void {
    // Only a service that was there before is replaced: requests waiting for the first one go to it.
    if (this.port) this.detach();
    this.expected = true;
    this.port = port;
    for (const req of this.waiting) if (this.pending.has(req.id)) port.postMessage(req);
    this.waiting = [];
    port.on("message", (m: ToIoFromLanguage) => {
      if ("warm" in m) this.becomeWarm();
      else this.settle(m.id, m.content);
    });
    port.on("close", () => {
      if (this.port === port) this.detach();
    });
  }

  /** Stop routing; whatever is pending goes to the runtime. */
  detach(): void {
    const port = this.port;
    this.port = undefined;
    this.expected = false;
    this.warm = false;
    this.waiting = [];
    port?.close();
    for (const id of [...this.pending.keys()]) this.settle(id, null);
  }

  ask(msg: Message): void {
    const c = msg.content as Record<string, unknown>;
    const id = msg.header.msg_id;
    if (!this.available || typeof c.code !== "string" || this.pending.has(id)) {
      this.handlers.unanswered(msg);
      return;
    }
    const cursor = typeof c.cursor_pos === "number" ? c.cursor_pos : [...c.code].length;
    const req: QueryRequest =
      msg.header.msg_type === "complete_request"
        ? { type: "complete", id, code: c.code, cursor }
        : { type: "inspect", id, code: c.code, cursor, detail: typeof c.detail_level === "number" ? c.detail_level : 0 };
    const timer = setTimeout(() => this.settle(id, null), this.warm ? TIMEOUT_MS : WARMUP_TIMEOUT_MS);
    this.pending.set(id, { msg, timer });
    if (this.port) this.port.postMessage(req);
    else this.waiting.push(req);
  }

  /** From now on a request gets TIMEOUT_MS, the ones waiting for the warm-up too. */
  private becomeWarm(): void {
    this.warm = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.timer = setTimeout(() => this.settle(id, null), TIMEOUT_MS);
    }
  }

  private settle(id: string, content: QueryReply["content"]): void {
    const p = this.pending.get(id);
    if (!p) return; // timed out before, answered by the runtime already
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (content) this.handlers.answered(p.msg, content);
    else this.handlers.unanswered(p.msg);
  }
}
