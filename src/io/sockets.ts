/**
 * The kernel's ZeroMQ sockets, their binding and their closing.
 *
 * shell, control, stdin: ROUTER (handover on, like ipykernel); iopub: XPUB with verbose
 * subscriptions, so that every new subscriber gets an `iopub_welcome` (JEP 65); heartbeat: a
 * ROUTER that echoes. Every socket is closed before the worker ends: a worker that ends with open
 * zeromq sockets aborts the whole process.
 */
import { rmSync } from "node:fs";
import { createConnection } from "node:net";
import * as zmq from "zeromq";
import { type ConnectionInfo, endpoint, type PortName } from "./connection_file.js";
import type { Channel } from "./bridge.js";
import { SocketWriter } from "./socket_writer.js";

export interface SocketsLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export class KernelSockets {
  // Unlimited send buffers: a ROUTER (like a PUB) silently drops what it cannot queue for a peer
  // whose pipe is full, so with the default high-water mark of 1000 a client that pipelines
  // thousands of requests lost replies. A slow reader now makes messages queue here instead.
  readonly shell = new zmq.Router({ handover: true, linger: 1000, sendHighWaterMark: 0 });
  readonly control = new zmq.Router({ handover: true, linger: 1000, sendHighWaterMark: 0 });
  readonly stdin = new zmq.Router({ handover: true, linger: 1000, sendHighWaterMark: 0 });
  readonly iopub = new zmq.XPublisher({ sendHighWaterMark: 0, linger: 1000 });
  // A ROUTER that sends every message back to its sender, as ipykernel's heartbeat does (a QUEUE
  // device on one ROUTER). A REP socket has a receive/send state machine that garbage from a
  // DEALER peer (no envelope) left stuck: the heartbeat stopped, and frontends then restart the kernel.
  readonly hb = new zmq.Router({ linger: 0 });
  private readonly writers: Record<Channel, SocketWriter>;
  /** The ipc socket files this kernel bound. */
  private readonly ipcPaths: string[] = [];
  private closing = false;

  constructor(private readonly log: SocketsLog) {
    this.iopub.verbosity = "allSubs";
    const failed = (channel: string) => (err: unknown) => log.warn({ err, channel }, "send failed");
    this.writers = {
      shell: new SocketWriter(this.shell, failed("shell")),
      control: new SocketWriter(this.control, failed("control")),
      stdin: new SocketWriter(this.stdin, failed("stdin")),
      iopub: new SocketWriter(this.iopub, failed("iopub")),
    };
  }

  get closed(): boolean {
    return this.closing;
  }

  /** Queue one message's frames on a channel (sends are serialized per socket). */
  write(channel: Channel, frames: Buffer[]): void {
    this.writers[channel].send(frames);
  }

  /**
   * Bind every socket to the connection file's ports (as Curve servers when it has Curve keys); the
   * ports bound, or why not (then all are closed).
   */
  async bind(conn: ConnectionInfo): Promise<{ ports: Record<PortName, number> } | { error: string }> {
    if (conn.curve) {
      if (!zmq.capability.curve) return { error: "the connection file asks for CurveZMQ, which this build of zeromq lacks" };
      // before binding: a socket's security mechanism is fixed when it binds
      for (const socket of [this.shell, this.control, this.stdin, this.iopub, this.hb]) {
        socket.curveServer = true;
        socket.curveSecretKey = conn.curve.secretKey;
        socket.curvePublicKey = conn.curve.publicKey;
      }
    }
    const ports = {} as Record<PortName, number>;
    const plan: [PortName, zmq.Socket, number][] = [
      ["shell_port", this.shell, conn.shell_port],
      ["control_port", this.control, conn.control_port],
      ["stdin_port", this.stdin, conn.stdin_port],
      ["iopub_port", this.iopub, conn.iopub_port],
      ["hb_port", this.hb, conn.hb_port],
    ];
    for (const [name, socket, port] of plan) {
      const address = endpoint(conn, port);
      try {
        // ZeroMQ takes over an ipc path by unlinking it, even one a live kernel listens on.
        if (conn.transport === "ipc" && (await ipcPathInUse(ipcPath(address)))) throw new Error("Address already in use");
        await socket.bind(address);
        if (conn.transport === "ipc") this.ipcPaths.push(ipcPath(address));
      } catch (err) {
        await this.close();
        const message = (err as Error).message;
        const hint = /in use/i.test(message)
          ? " (another kernel, or another process, is using it: a second kernel cannot share a connection file)"
          : "";
        return { error: `cannot bind ${name} to ${address}: ${message}${hint}` };
      }
      const m = /:(\d+)$/.exec(socket.lastEndpoint ?? address);
      ports[name] = m ? Number(m[1]) : port;
    }
    return { ports };
  }

  /** Send what is queued, then close every socket (idempotent). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all(Object.values(this.writers).map((w) => w.drain()));
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) if (!s.closed) s.close();
    // ZeroMQ removes an ipc socket file only when its context ends, which a process that exits
    // never waits for: remove ours, so no stale file is left behind.
    for (const path of this.ipcPaths.splice(0)) rmSync(path, { force: true });
  }

  /**
   * Run a socket's receive loop, and run it again if it fails: a receive loop ends only on a
   * socket error, and a channel that stopped listening would leave the kernel alive but deaf.
   */
  loop(name: string, body: () => Promise<void>, failures = 0): void {
    body().catch((err: unknown) => {
      if (this.closing) return;
      this.log.error({ err, socket: name, failures: failures + 1 }, "socket loop failed; listening again");
      setTimeout(
        () => {
          if (!this.closing) this.loop(name, body, failures + 1);
        },
        Math.min(1000, 10 * 2 ** Math.min(failures, 7)),
      ).unref();
    });
  }

  /** The heartbeat: frames[0] is the sender's routing identity, so the frames as received go back to it. */
  async heartbeat(): Promise<void> {
    for await (const frames of this.hb) {
      try {
        await this.hb.send(frames);
      } catch (err) {
        this.log.debug({ err }, "heartbeat echo failed");
      }
    }
  }

  /** Subscriptions to iopub: each new one (a UTF-8 topic, JEP 65) is handed to `welcome`. */
  async subscriptions(welcome: (topic: Buffer, subscription: string) => void): Promise<void> {
    for await (const [frame] of this.iopub) {
      // 0x01 + topic subscribes, 0x00 + topic unsubscribes (ignored)
      if (frame?.[0] !== 1) continue;
      const topic = frame.subarray(1);
      const subscription = topic.toString("utf8");
      if (!Buffer.from(subscription, "utf8").equals(topic)) continue; // not UTF-8: ignored (JEP 65)
      welcome(Buffer.from(topic), subscription);
    }
  }
}

function ipcPath(address: string): string {
  return address.slice("ipc://".length);
}

/** Whether something accepts connections on a Unix socket path (a stale file does not). */
function ipcPathInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}
