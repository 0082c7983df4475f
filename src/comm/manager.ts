/**
 * The comms of one thread and the targets frontends can open comms to. Each thread that runs
 * cells has one (index.ts); the main thread's router (router.ts) hands it the frontend's comm
 * messages for it, and it publishes its comms' messages through the sink the kernel connects.
 *
 * Handling follows the messaging spec: a comm_open for a target nobody registered is answered
 * with a comm_close; a handler that fails on comm_open closes the comm it was given (as
 * ipykernel's comm package does); messages for a comm that does not exist are reported, never
 * thrown. Handlers may be async: `receive` settles when they have.
 */
import { buffersOf, jsonObject } from "./buffers.js";
import { adoptComm, commHandlers, markClosed, type Comm, type CommHost, type CommSendOptions } from "./comm.js";
import type { CommInbound, CommInfo, CommMessage, CommMsgType, CommOutbound, JsonObject } from "./protocol.js";

/** Called when the frontend opens a comm to a registered target. */
export type CommTargetHandler = (comm: Comm, msg: CommMessage) => void | Promise<void>;

/** Where a thread's comm messages go, and where its handlers' errors are told. */
export interface CommSink {
  /** Publish with the parent of the code that runs now (a cell, or a frontend message's handler). */
  send(msg: CommOutbound): void;
  /** A handler failed: tell the user (stderr of the message being handled). */
  reportError(err: unknown, context: string): void;
}

/** How a frontend message was taken. */
export type ReceiveResult =
  | { status: "handled" }
  /** comm_open for a target nobody registered: answered with comm_close. */
  | { status: "unknown target"; target: string }
  /** comm_msg or comm_close for a comm that is not open. */
  | { status: "unknown comm"; commId: string }
  | { status: "invalid"; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export class CommManager implements CommHost {
  private readonly comms = new Map<string, Comm>();
  private readonly targets = new Map<string, CommTargetHandler>();
  private readonly targetListeners = new Set<(names: string[]) => void>();
  private sink?: CommSink;

  connect(sink: CommSink): void {
    this.sink = sink;
  }

  /** Frontends may open comms to `name` from now on; a second registration replaces the first. */
  registerTarget(name: string, handler: CommTargetHandler): void {
    if (typeof name !== "string" || name === "") throw new TypeError("a comm target needs a name (a non-empty string)");
    if (typeof handler !== "function") throw new TypeError("a comm target handler must be a function");
    const known = this.targets.has(name);
    this.targets.set(name, handler);
    if (!known) this.targetsChanged();
  }

  unregisterTarget(name: string): boolean {
    const had = this.targets.delete(name);
    if (had) this.targetsChanged();
    return had;
  }

  hasTarget(name: string): boolean {
    return this.targets.has(name);
  }

  targetNames(): string[] {
    return [...this.targets.keys()];
  }

  /** Listen to target registrations (a thread tells the main thread which targets it serves). */
  onTargetsChanged(listener: (names: string[]) => void): () => void {
    this.targetListeners.add(listener);
    return () => void this.targetListeners.delete(listener);
  }

  get(commId: string): Comm | undefined {
    return this.comms.get(commId);
  }

  /** The open comms, optionally of one target only. */
  list(targetName?: string): Comm[] {
    const all = [...this.comms.values()];
    return targetName === undefined ? all : all.filter((c) => c.targetName === targetName);
  }

  info(targetName?: string): CommInfo {
    const out: CommInfo = {};
    for (const c of this.list(targetName)) out[c.commId] = { target_name: c.targetName };
    return out;
  }

  // -- CommHost ---------------------------------------------------------------------------------

  add(comm: Comm): void {
    if (this.comms.has(comm.commId)) throw new Error(`a comm with id ${comm.commId} is open already`);
    this.comms.set(comm.commId, comm);
  }

  forget(comm: Comm): void {
    if (this.comms.get(comm.commId) === comm) this.comms.delete(comm.commId);
  }

  publish(comm: Comm, msgType: CommMsgType, data: JsonObject | undefined, options: CommSendOptions): void {
    const content: CommOutbound["content"] = { comm_id: comm.commId, data: jsonObject(data, "comm data") };
    if (msgType === "comm_open") content.target_name = comm.targetName;
    this.send({ msgType, content, metadata: jsonObject(options.metadata, "comm metadata"), buffers: buffersOf(options.buffers) });
  }

  // -- from the frontend ------------------------------------------------------------------------

  /** Take one comm_open / comm_msg / comm_close from the frontend; settles once its handlers have. */
  async receive(msg: CommInbound): Promise<ReceiveResult> {
    const type = msg.header.msg_type;
    const c = msg.content;
    if (typeof c.comm_id !== "string" || c.comm_id === "") return { status: "invalid", reason: `${type} without a comm_id` };
    const commId = c.comm_id;
    const message: CommMessage = {
      header: msg.header,
      content: { comm_id: commId, data: isObject(c.data) ? c.data : {} },
      metadata: msg.metadata ?? {},
      buffers: msg.buffers ?? [],
    };
    switch (type) {
      case "comm_open": {
        if (typeof c.target_name !== "string") return { status: "invalid", reason: "comm_open without a target_name" };
        const target = c.target_name;
        message.content.target_name = target;
        const handler = this.targets.get(target);
        if (!handler) {
          // The spec: close at once what cannot be opened, so both sides agree.
          this.send({ msgType: "comm_close", content: { comm_id: commId, data: {} }, metadata: {}, buffers: [] });
          return { status: "unknown target", target };
        }
        if (this.comms.has(commId)) return { status: "invalid", reason: `comm_open for comm ${commId}, which is open already` };
        const comm = adoptComm(this, commId, target);
        this.comms.set(commId, comm);
        try {
          await handler(comm, message);
        } catch (err) {
          this.reportError(err, `comm_open for target "${target}"`);
          comm.close();
        }
        return { status: "handled" };
      }
      case "comm_msg": {
        const comm = this.comms.get(commId);
        if (!comm) return { status: "unknown comm", commId };
        await this.dispatch([...commHandlers(comm).msg], message, `comm_msg for comm ${commId} (target "${comm.targetName}")`);
        return { status: "handled" };
      }
      case "comm_close": {
        const comm = this.comms.get(commId);
        if (!comm) return { status: "unknown comm", commId };
        this.comms.delete(commId);
        markClosed(comm);
        await this.dispatch([...commHandlers(comm).close], message, `comm_close for comm ${commId} (target "${comm.targetName}")`);
        return { status: "handled" };
      }
      default:
        return { status: "invalid", reason: `${type} is not a comm message` };
    }
  }

  /** Every handler runs even if an earlier one fails; each failure is reported. */
  private async dispatch(list: ((msg: CommMessage) => void | Promise<void>)[], message: CommMessage, context: string): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const h of list) {
      try {
        const r = h(message);
        if (r && typeof (r as Promise<void>).then === "function")
          pending.push((r as Promise<void>).catch((err: unknown) => this.reportError(err, context)));
      } catch (err) {
        this.reportError(err, context);
      }
    }
    if (pending.length) await Promise.all(pending);
  }

  private send(msg: CommOutbound): void {
    if (!this.sink) throw new Error("comms need a running kernel");
    this.sink.send(msg);
  }

  /** Tell the user a handler failed (stderr of the message or cell running now). */
  reportError(err: unknown, context: string): void {
    if (this.sink) this.sink.reportError(err, context);
    else console.error(`${context}:`, err);
  }

  private targetsChanged(): void {
    const names = this.targetNames();
    for (const l of this.targetListeners) l(names);
  }
}
