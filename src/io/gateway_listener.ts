/**
 * The gateway side of a kernel started by `ts-async-kernel launch` (Jupyter Enterprise Gateway,
 * gateway_provisioners): the comm port, where the gateway sends `{"signum": n}` and
 * `{"shutdown": 1}` (gateway_provisioners `remote_provisioner.py` `_send_listener_request`: one
 * JSON object per connection, then the connection closes), and the one-time report of the
 * connection info to the response address (`server_listener.py` `return_connection_info`).
 *
 * It lives in the I/O worker, so it answers while a cell keeps the main thread busy (a poll that
 * went unanswered would make the gateway think the kernel died). The comm port is not
 * authenticated (the gateway's protocol has no key for it), so it does only what the gateway
 * asks of a kernel: say it is alive, interrupt, shut down. It never forwards an arbitrary signal
 * to the process: SIGUSR1, say, would open Node's inspector, that is, run code.
 */
import { type Server, type Socket, connect, createServer } from "node:net";

/** What the comm port may ask of the kernel. */
export interface CommPortActions {
  interrupt(): void;
  /** A graceful shutdown (as a shutdown_request without restart). */
  shutdown(): void;
  /** SIGKILL: end the process now. */
  kill(): void;
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    debug(fields: object, message: string): void;
  };
}

/** A request is a small JSON object; more than this from one connection is not one. */
const MAX_REQUEST_BYTES = 4096;
/** A connection that sends nothing (or never ends) is dropped after this. */
const IDLE_MS = 5000;

const SIGHUP = 1;
const SIGINT = 2;
const SIGQUIT = 3;
const SIGKILL = 9;
const SIGTERM = 15;

export class CommPort {
  private readonly server: Server;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.server = server;
  }

  /** Listen on `host:port` (port 0: any); rejects with the reason when it cannot. */
  static listen(host: string, port: number, actions: CommPortActions): Promise<CommPort> {
    const server = createServer((socket) => serve(socket, actions));
    // a connection that fails mid-way is that connection's problem, never the kernel's
    server.on("error", (err) => actions.log.warn({ err }, "comm port error"));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off("error", reject);
        const address = server.address();
        resolve(new CommPort(server, typeof address === "object" && address ? address.port : port));
      });
    });
  }

  close(): void {
    this.server.close();
  }
}

function serve(socket: Socket, actions: CommPortActions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on("error", (err) => actions.log.debug({ err }, "comm port connection failed"));
  socket.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      actions.log.warn({ bytes: size, from: socket.remoteAddress }, "comm port: a request larger than any the gateway sends; dropped");
      socket.destroy();
      return;
    }
    chunks.push(chunk);
  });
  socket.on("end", () => {
    socket.end();
    if (size === 0) return; // a probe (or the gateway's liveness check by connecting)
    handle(Buffer.concat(chunks).toString("utf8"), socket.remoteAddress, actions);
  });
}

/** Carry out one request; anything that is not one of the gateway's is logged and dropped. */
export function handle(text: string, from: string | undefined, actions: CommPortActions): void {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    actions.log.warn({ from, bytes: text.length }, "comm port: not JSON; dropped");
    return;
  }
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    actions.log.warn({ from }, "comm port: not a JSON object; dropped");
    return;
  }
  const { signum, shutdown, ...rest } = request as Record<string, unknown>;
  if (Object.keys(rest).length > 0) actions.log.warn({ from, keys: Object.keys(rest) }, "comm port: unknown fields ignored");
  if (signum !== undefined && signum !== null) signal(signum, from, actions);
  // the gateway's listeners read it as Python's bool(): {"shutdown": 0} asks for nothing
  if (shutdown) {
    actions.log.info({ from }, "comm port: shutdown requested");
    actions.shutdown();
  }
}

function signal(signum: unknown, from: string | undefined, actions: CommPortActions): void {
  const n = typeof signum === "string" && /^\d+$/.test(signum) ? Number(signum) : signum;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    actions.log.warn({ from, signum }, "comm port: signum is not an integer; dropped");
    return;
  }
  switch (n) {
    case 0: // the gateway's poll: the accepted connection was the answer
      return;
    case SIGINT:
      actions.log.info({ from }, "comm port: interrupt");
      actions.interrupt();
      return;
    case SIGHUP:
    case SIGQUIT:
    case SIGTERM:
      actions.log.info({ from, signum: n }, "comm port: terminate (shutting down)");
      actions.shutdown();
      return;
    case SIGKILL:
      actions.log.warn({ from }, "comm port: kill (ending the process now)");
      actions.kill();
      return;
    default:
      actions.log.warn({ from, signum: n }, "comm port: a signal the kernel does not take from the gateway; ignored");
  }
}

/** Send the payload to the gateway's response address; resolves once it is written and closed. */
export function sendToResponseAddress(host: string, port: number, payload: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no connection within ${timeoutMs / 1000} s`)));
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.setTimeout(0);
      // the gateway reads until the connection ends
      socket.end(payload, () => resolve());
    });
  });
}
