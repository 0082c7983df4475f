/**
 * A minimal Jupyter client over ZeroMQ (shell, control, stdin DEALERs; iopub SUB), used by our
 * own `console` and `run` commands so the kernel works without a Python Jupyter install, and
 * public as `ts-async-kernel/client`.
 */
import * as zmq from "zeromq";
import { Session, type Header, type Message } from "../messaging/index.js";
import { endpoint, type ConnectionInfo } from "../io/connection_file.js";
import { SocketWriter } from "../io/socket_writer.js";

export interface ExecuteResult {
  reply: Message;
  outputs: Message[];
}

export interface ExecuteHandlers {
  /** Each iopub message of this request, as it arrives. */
  onIopub?: (msg: Message) => void;
  /**
   * Answer an input_request (asked for with allow_stdin); a rejection sends no answer (the user
   * gave up, e.g. with Ctrl-C: the interrupt ends the request).
   */
  onInput?: (prompt: string, password: boolean) => Promise<string>;
}

/** Request fields beyond the content: message metadata (cell tags go there) and the subshell (JEP 91). */
export interface RequestOptions {
  metadata?: Record<string, unknown>;
  subshellId?: string;
}

type Waiter = { reply?: Message; idle: boolean; outputs: Message[]; handlers: ExecuteHandlers; done: (r: ExecuteResult) => void };

/**
 * A socket that talks to the kernel of `connection`: a Curve client when the kernel is a Curve
 * server (jupyter_client's way: the kernel's key pair is the client's too, its public key the
 * server's). Before connecting.
 */
export function curveClient<S extends zmq.Socket>(socket: S, connection: ConnectionInfo): S {
  if (connection.curve) {
    socket.curveServerKey = connection.curve.publicKey;
    socket.curvePublicKey = connection.curve.publicKey;
    socket.curveSecretKey = connection.curve.secretKey;
  }
  return socket;
}

export class KernelClient {
  private readonly session: Session;
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly stdin = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly waiters = new Map<string, Waiter>();
  private readonly writers = {
    shell: new SocketWriter(this.shell, () => {}),
    control: new SocketWriter(this.control, () => {}),
    stdin: new SocketWriter(this.stdin, () => {}),
  };
  private closed = false;
  /** iopub messages whose request is already answered (e.g. output of a timer after its cell ended). */
  onLateIopub?: (msg: Message) => void;
  /** Every iopub message, before anything else sees it (e.g. comm messages, to keep widget state). */
  onAnyIopub?: (msg: Message) => void;

  constructor(private readonly connection: ConnectionInfo) {
    this.session = new Session({ key: connection.key, signatureScheme: connection.signature_scheme, username: "client" });
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) curveClient(socket, connection);
    const identity = Buffer.from(this.session.id);
    this.shell.routingId = identity.toString();
    this.stdin.routingId = identity.toString();
    this.iopub.subscribe();
  }

  connect(): void {
    const c = this.connection;
    this.shell.connect(endpoint(c, c.shell_port));
    this.control.connect(endpoint(c, c.control_port));
    this.stdin.connect(endpoint(c, c.stdin_port));
    this.iopub.connect(endpoint(c, c.iopub_port));
    void this.loop(this.shell, (m) => this.onReply(m));
    void this.loop(this.control, (m) => this.onReply(m));
    void this.loop(this.iopub, (m) => this.onIopub(m));
    void this.loop(this.stdin, (m) => void this.onStdin(m));
  }

  /** Send a request and wait for its reply and its idle status. */
  request(
    msgType: string,
    content: Record<string, unknown>,
    channel: "shell" | "control" = "shell",
    handlers: ExecuteHandlers = {},
    options: RequestOptions = {},
  ): Promise<ExecuteResult> {
    const header = this.session.header(msgType as Header["msg_type"], options.subshellId);
    const frames = this.session.serialize({ header, content, metadata: options.metadata ?? {} });
    return new Promise((done) => {
      this.waiters.set(header.msg_id, { idle: false, outputs: [], handlers, done });
      this.writers[channel].send(frames);
    });
  }

  /** Poll kernel_info until the kernel answers with iopub traffic too (like jupyter_client's wait_for_ready). */
  async waitForReady(timeoutMs = 30_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const attempt = this.request("kernel_info_request", {});
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([attempt, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 1000)))]);
      // (a pending timer would keep a finished console or run alive for up to a second)
      clearTimeout(timer);
      if (r) return r.reply;
      if (Date.now() > deadline) throw new Error("kernel did not answer kernel_info_request in time");
    }
  }

  execute(
    code: string,
    handlers: ExecuteHandlers = {},
    options: { allowStdin?: boolean; silent?: boolean; stopOnError?: boolean; tags?: string[]; subshellId?: string } = {},
  ): Promise<ExecuteResult> {
    const silent = options.silent ?? false;
    return this.request(
      "execute_request",
      {
        code,
        silent,
        store_history: !silent,
        user_expressions: {},
        allow_stdin: options.allowStdin ?? !!handlers.onInput,
        stop_on_error: options.stopOnError ?? true,
      },
      "shell",
      handlers,
      { metadata: options.tags ? { tags: options.tags } : {}, subshellId: options.subshellId },
    );
  }

  close(): void {
    this.closed = true;
    for (const s of [this.shell, this.control, this.stdin, this.iopub]) s.close();
  }

  private async loop(sock: zmq.Dealer | zmq.Subscriber, on: (m: Message) => void): Promise<void> {
    try {
      for await (const frames of sock) {
        let msg: Message;
        try {
          msg = this.session.deserialize(frames);
        } catch {
          continue;
        }
        on(msg);
      }
    } catch (err) {
      if (!this.closed) throw err;
    }
  }

  private parentOf(m: Message): Waiter | undefined {
    const id = (m.parent_header as { msg_id?: string }).msg_id;
    return id ? this.waiters.get(id) : undefined;
  }

  private settle(w: Waiter, id: string): void {
    if (w.reply && w.idle) {
      this.waiters.delete(id);
      w.done({ reply: w.reply, outputs: w.outputs });
    }
  }

  private onReply(m: Message): void {
    const w = this.parentOf(m);
    if (!w) return;
    w.reply = m;
    this.settle(w, (m.parent_header as Header).msg_id);
  }

  private onIopub(m: Message): void {
    this.onAnyIopub?.(m);
    const w = this.parentOf(m);
    if (!w) {
      if (m.header.msg_type !== "status") this.onLateIopub?.(m);
      return;
    }
    if (m.header.msg_type === "status") {
      if ((m.content as { execution_state?: string }).execution_state === "idle") {
        w.idle = true;
        this.settle(w, (m.parent_header as Header).msg_id);
      }
      return;
    }
    w.outputs.push(m);
    w.handlers.onIopub?.(m);
  }

  private async onStdin(m: Message): Promise<void> {
    if (m.header.msg_type !== "input_request") return;
    const w = this.parentOf(m);
    const c = m.content as { prompt?: string; password?: boolean };
    let value = "";
    if (w?.handlers.onInput) {
      try {
        value = await w.handlers.onInput(c.prompt ?? "", c.password === true);
      } catch {
        return;
      }
    }
    const header = this.session.header("input_reply" as Header["msg_type"]);
    this.writers.stdin.send(this.session.serialize({ header, parent_header: m.header, content: { value } }));
  }
}
