/**
 * The I/O worker's side of stdin: sends the main thread's input requests on the stdin ROUTER and
 * routes each input_reply back to the request it answers, on the stdin port, waking a blocked
 * prompt() (stdin_wake.ts) since the main thread then takes no messages.
 *
 * An input_request goes to the identities of the cell's execute_request: Jupyter clients give
 * their shell and stdin sockets the same identity (jupyter_client and Jupyter Server use the
 * session id), which is how ipykernel reaches them too. Which request a reply answers:
 * - its parent_header names our input_request (JupyterLab does): that one, if still pending,
 *   else the reply is stale and dropped;
 * - no parent (jupyter_client's `input()` sends none): the oldest pending request of the client
 *   (the same identity) that sent it.
 * Requests the main thread has given up on (interrupt, cell ended) are forgotten first, so a late
 * reply is dropped instead of answering a newer request.
 */
import type { MessagePort } from "node:worker_threads";
import type { Header, Message } from "../messaging/index.js";
import type { StdinAnswer } from "./bridge.js";
import { countSigint, wakeUp } from "../kernel/stdin_wake.js";

export interface StdinRouteHandlers {
  /**
   * Send an input_request with `parent` as parent header on the stdin socket, to the client of
   * `parent`; its header and the identities it went to, or undefined when that request is over.
   */
  sendRequest(parent: Header, content: { prompt: string; password: boolean }): { header: Header; identities: Buffer[] } | undefined;
  /** A reply that answers nothing (stale, or from an unknown client); for the log. */
  dropped(reason: string, msg: Message): void;
}

interface Pending {
  id: number;
  msgId: string;
  identities: Buffer[];
}

export class StdinRoute {
  private port?: MessagePort;
  private words?: Int32Array;
  /** In the order sent. */
  private pending: Pending[] = [];

  constructor(private readonly handlers: StdinRouteHandlers) {}

  /** An interrupt: a prompt() blocking the main thread ends (as the SIGINT watcher ends it). */
  interrupted(): void {
    if (this.words) countSigint(this.words);
  }

  attach(port: MessagePort, wake: SharedArrayBuffer): void {
    this.port = port;
    this.words = new Int32Array(wake);
  }

  /** An input request of the main thread (`id`: its number for the answer). */
  request(id: number, parent: Header, prompt: string, password: boolean): void {
    const sent = this.handlers.sendRequest(parent, { prompt, password });
    if (!sent) {
      this.answer({ id, error: "its cell's request is over, so there is no frontend to ask" });
      return;
    }
    this.pending.push({ id, msgId: sent.header.msg_id, identities: sent.identities });
  }

  forget(ids: readonly number[]): void {
    const gone = new Set(ids);
    this.pending = this.pending.filter((p) => !gone.has(p.id));
  }

  /** A message on the stdin socket. */
  received(msg: Message): void {
    if (msg.header.msg_type !== "input_reply") {
      this.handlers.dropped(`unexpected ${msg.header.msg_type} on stdin`, msg);
      return;
    }
    const parentId = (msg.parent_header as { msg_id?: unknown }).msg_id;
    const i =
      typeof parentId === "string" && parentId !== ""
        ? this.pending.findIndex((p) => p.msgId === parentId)
        : this.pending.findIndex((p) => sameIdentities(p.identities, msg.identities));
    if (i < 0) {
      this.handlers.dropped("input_reply answers no pending input request", msg);
      return;
    }
    const [p] = this.pending.splice(i, 1);
    const value = (msg.content as { value?: unknown }).value;
    this.answer(typeof value === "string" ? { id: p!.id, value } : { id: p!.id, error: "the frontend's input_reply has no text value" });
  }

  /** Every pending request fails with `reason` (the kernel shuts down): no prompt() blocks it. */
  failAll(reason: string): void {
    for (const p of this.pending.splice(0)) this.answer({ id: p.id, error: reason });
  }

  private answer(a: StdinAnswer): void {
    if (!this.port || !this.words) return;
    this.port.postMessage(a);
    wakeUp(this.words);
  }
}

function sameIdentities(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}
