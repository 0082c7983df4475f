/**
 * The main thread's view of every comm of the kernel process. Comm messages from the frontend
 * all arrive at the main thread; a comm belongs to the thread whose code opened it (or whose
 * target accepted it), and its messages go there: to the main thread's own CommManager, or to
 * an owner elsewhere (a `// thread` cell's worker), which gets them as plain data.
 *
 * The router learns about other owners' comms from their outgoing messages, which all pass
 * through the main thread (`noteOutbound`), and about their targets from `setTargets`. Targets
 * of the main thread win over another owner's with the same name.
 */
import type { CommManager, ReceiveResult } from "./manager.js";
import type { CommInbound, CommInfo, CommOutbound } from "./protocol.js";

/** Somewhere else comms live. `O` is the kernel's output destination for the message's handlers. */
export interface CommOwner<O> {
  /** Hand a frontend message to the owner; settles once its handlers have. */
  deliver(msg: CommInbound, output: O): Promise<void>;
}

export type RouteResult = ReceiveResult | { status: "forwarded" };

export class CommRouter<O> {
  /** Comms of other owners: id → owner and target. */
  private readonly remote = new Map<string, { owner: CommOwner<O>; target: string }>();
  private readonly remoteTargets = new Map<CommOwner<O>, readonly string[]>();

  constructor(private readonly local: CommManager) {}

  /** Route one frontend comm message. Local handlers run now, in the caller's output context. */
  receive(msg: CommInbound, output: O): Promise<RouteResult> {
    const c = msg.content;
    const id = typeof c.comm_id === "string" ? c.comm_id : undefined;
    if (id !== undefined) {
      if (msg.header.msg_type === "comm_open" && typeof c.target_name === "string" && !this.local.hasTarget(c.target_name)) {
        const owner = this.targetOwner(c.target_name);
        if (owner) {
          this.remote.set(id, { owner, target: c.target_name });
          return owner.deliver(msg, output).then(() => ({ status: "forwarded" as const }));
        }
      } else {
        const route = this.remote.get(id);
        if (route && !this.local.get(id)) {
          if (msg.header.msg_type === "comm_close") this.remote.delete(id);
          return route.owner.deliver(msg, output).then(() => ({ status: "forwarded" as const }));
        }
      }
    }
    return this.local.receive(msg);
  }

  /** A message another owner sent passes through the main thread: learn its comms from it. */
  noteOutbound(owner: CommOwner<O>, msg: CommOutbound): void {
    const id = msg.content.comm_id;
    if (msg.msgType === "comm_open") this.remote.set(id, { owner, target: msg.content.target_name ?? "" });
    else if (msg.msgType === "comm_close" && this.remote.get(id)?.owner === owner) this.remote.delete(id);
  }

  setTargets(owner: CommOwner<O>, names: readonly string[]): void {
    if (names.length) this.remoteTargets.set(owner, [...names]);
    else this.remoteTargets.delete(owner);
  }

  /** The owner is gone (its thread ended): forget it; the ids of its comms, for the frontend to close. */
  ownerGone(owner: CommOwner<O>): string[] {
    this.remoteTargets.delete(owner);
    const ids: string[] = [];
    for (const [id, route] of this.remote) {
      if (route.owner !== owner) continue;
      this.remote.delete(id);
      ids.push(id);
    }
    return ids;
  }

  /** Whether the owner has open comms or targets (then its thread must be kept). */
  holds(owner: CommOwner<O>): boolean {
    if (this.remoteTargets.has(owner)) return true;
    for (const route of this.remote.values()) if (route.owner === owner) return true;
    return false;
  }

  /** Other owners that have comms of `target` open. */
  ownersOf(target: string): CommOwner<O>[] {
    const owners = new Set<CommOwner<O>>();
    for (const route of this.remote.values()) if (route.target === target) owners.add(route.owner);
    return [...owners];
  }

  /** Every open comm of the process (comm_info_reply), optionally of one target. */
  info(targetName?: string): CommInfo {
    const out = this.local.info(targetName);
    for (const [id, route] of this.remote) {
      if (targetName === undefined || route.target === targetName) out[id] = { target_name: route.target };
    }
    return out;
  }

  /** The most recent other owner serving `target`. */
  private targetOwner(target: string): CommOwner<O> | undefined {
    let found: CommOwner<O> | undefined;
    for (const [owner, names] of this.remoteTargets) if (names.includes(target)) found = owner;
    return found;
  }
}
