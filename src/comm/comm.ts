/**
 * A comm: one end of a channel between kernel-side code and a frontend counterpart (Jupyter
 * messaging "Custom Messages"). `new Comm(target)` opens one from the kernel (a comm_open goes to
 * the frontend); comms the frontend opens reach the handler registered for their target name.
 * Either side may send messages (`send` / `onMsg`) and close it (`close` / `onClose`).
 *
 * Messages a comm sends are published with the parent of the code that sends them: the cell that
 * runs, or the frontend's comm message whose handler runs (see manager.ts).
 */
import { randomUUID } from "node:crypto";
import type { BufferLike, CommMessage, CommMsgType, JsonObject } from "./protocol.js";

export interface CommSendOptions {
  /** Binary buffers, sent as raw frames after the JSON frames. */
  buffers?: BufferLike[];
  /** The message's metadata. */
  metadata?: JsonObject;
}

export interface CommOpenOptions extends CommSendOptions {
  /** The comm_open's `data`. */
  data?: JsonObject;
  /** The comm's id; by default a new random one. */
  commId?: string;
}

export type CommMsgHandler = (msg: CommMessage) => void | Promise<void>;
/** `msg` is the frontend's comm_close, or undefined when the kernel side closed the comm. */
export type CommCloseHandler = (msg: CommMessage | undefined) => void | Promise<void>;

/** What a comm needs from the registry that owns it (manager.ts). */
export interface CommHost {
  /** Publish a message of this comm (the host checks and copies what it carries). */
  publish(comm: Comm, msgType: CommMsgType, data: JsonObject | undefined, options: CommSendOptions): void;
  /** A comm opened by the kernel: known from now on (before its comm_open is published). */
  add(comm: Comm): void;
  /** A closed comm. */
  forget(comm: Comm): void;
}

interface Handlers {
  msg: Set<CommMsgHandler>;
  close: Set<CommCloseHandler>;
}

/** The handlers of each comm, for the manager only (not part of the Comm's public surface). */
const handlers = new WeakMap<Comm, Handlers>();
let defaultHost: (() => CommHost) | undefined;
/** Set by adoptComm around a construction: the comm the frontend opened, no comm_open to send. */
let adopting: { host: CommHost; commId: string } | undefined;

/** The registry `new Comm(...)` joins when none is given: this thread's (index.ts). */
export function setDefaultCommHost(host: () => CommHost): void {
  defaultHost = host;
}

/** The kernel-side Comm for a comm the frontend opened (no comm_open goes back). */
export function adoptComm(host: CommHost, commId: string, targetName: string): Comm {
  adopting = { host, commId };
  try {
    return new Comm(targetName);
  } finally {
    adopting = undefined;
  }
}

export function commHandlers(comm: Comm): Handlers {
  return handlers.get(comm)!;
}

/** A comm's end of the channel is gone: no more messages either way (the manager calls it). */
export function markClosed(comm: Comm): void {
  comm["isClosed"] = true;
}

export class Comm {
  /** The comm's id (the widget model id, for widgets). */
  readonly commId: string;
  /** The target name the comm was opened with. */
  readonly targetName: string;
  private readonly host: CommHost;
  private isClosed = false;

  /**
   * Opens a comm to the frontend: publishes comm_open with `targetName` and `options.data`. The
   * frontend answers with comm_close if it has no handler for that target.
   */
  constructor(targetName: string, options: CommOpenOptions = {}) {
    if (typeof targetName !== "string" || targetName === "") throw new TypeError("a comm needs a target name (a non-empty string)");
    const adopted = adopting;
    adopting = undefined;
    const host = adopted?.host ?? defaultHost?.();
    if (!host) throw new Error("comms need a running kernel");
    this.host = host;
    this.targetName = targetName;
    handlers.set(this, { msg: new Set(), close: new Set() });
    if (adopted) {
      this.commId = adopted.commId;
      return;
    }
    if (options.commId !== undefined && (typeof options.commId !== "string" || options.commId === "")) {
      throw new TypeError("commId must be a non-empty string");
    }
    this.commId = options.commId ?? randomUUID().replaceAll("-", "");
    host.add(this);
    try {
      host.publish(this, "comm_open", options.data, options);
    } catch (err) {
      host.forget(this);
      this.isClosed = true;
      throw err;
    }
  }

  /** Whether the comm is closed (by either side). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Send a comm_msg to the frontend. */
  send(data: JsonObject = {}, options: CommSendOptions = {}): void {
    if (this.isClosed) throw new Error(`comm ${this.commId} (target "${this.targetName}") is closed`);
    this.host.publish(this, "comm_msg", data, options);
  }

  /** Close the comm: a comm_close goes to the frontend, and this side's onClose handlers run. Closing twice does nothing. */
  close(data: JsonObject = {}, options: CommSendOptions = {}): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.host.forget(this);
    this.host.publish(this, "comm_close", data, options);
    for (const h of [...handlers.get(this)!.close]) void h(undefined);
  }

  /** Call `handler` with every comm_msg from the frontend; returns a function that stops it. */
  onMsg(handler: CommMsgHandler): () => void {
    const set = handlers.get(this)!.msg;
    set.add(checked(handler));
    return () => void set.delete(handler);
  }

  /** Call `handler` when the comm closes (frontend: with its comm_close; kernel side: with undefined). */
  onClose(handler: CommCloseHandler): () => void {
    const set = handlers.get(this)!.close;
    set.add(checked(handler));
    return () => void set.delete(handler);
  }

  toString(): string {
    return `Comm(${this.targetName}, ${this.commId}${this.isClosed ? ", closed" : ""})`;
  }
}

function checked<F>(handler: F): F {
  if (typeof handler !== "function") throw new TypeError("a comm handler must be a function");
  return handler;
}
