/**
 * The comms of Caller threads, on the main thread. Comms opened by code in a Caller thread (a
 * `// thread` cell, a called function) live there, in that thread's CommManager; their messages
 * come back with the output of the call that sent them (caller_env.ts relays them as custom
 * events naming the owning thread), are published with that call's parent, and teach the main
 * thread's router which thread owns which comm (and serves which targets). Frontend messages for
 * them are calls of `receiveComm` in the owning thread, whose handlers' output goes with the
 * message as parent and which settle once the handlers have.
 *
 * A thread that ends takes its comms with it (the frontend is told they closed).
 */
import { Caller, untilFinished, type Callable, type Pending } from "../../caller/index.js";
import type { CommInbound, CommOutbound, CommOwner } from "../../comm/index.js";
import { lowerInterrupt, raiseInterrupt } from "../../shell/attention.js";
import { routeOutput, type CellOutput } from "../../shell/output.js";
import type { ManagerState } from "../../widgets/index.js";
import type { ThreadCommHost } from "../comms.js";
import { attentionOf } from "./thread_attention.js";

const THREAD_SHELL = new URL("./thread_shell.js", import.meta.url).href;
const RECEIVE = { module: THREAD_SHELL, export: "receiveComm" } as Callable<[CommInbound], void>;
const STATES = { module: THREAD_SHELL, export: "widgetStates" } as Callable<[], ManagerState>;

let host: ThreadCommHost | undefined;
const owners = new Map<number, ThreadCommOwner>();

/** The kernel's comms (comms.ts), once they exist: threads' comms are routed through them. */
export function useThreadComms(kernelComms: ThreadCommHost): void {
  host = kernelComms;
}

class ThreadCommOwner implements CommOwner<CellOutput> {
  /** Frontend messages being handled in the thread. */
  readonly deliveries = new Set<Pending<void>>();

  constructor(readonly caller: Caller) {}

  deliver(msg: CommInbound, output: CellOutput): Promise<void> {
    // known before an interrupt may need it, when the thread could be stuck in a handler
    void attentionOf(this.caller).catch(() => {});
    const call = routeOutput(output, () => this.caller.call(RECEIVE, msg));
    this.deliveries.add(call);
    const done = () => void this.deliveries.delete(call);
    return call.then(done, done);
  }

  /** The state of the thread's widgets; undefined if it does not answer in time (busy). */
  widgetStates(timeoutMs: number): Promise<ManagerState | undefined> {
    return this.caller
      .call(STATES)
      .timeout(timeoutMs / 1000)
      .then(
        (states) => states,
        () => undefined,
      );
  }
}

function ownerOf(threadId: number): ThreadCommOwner | undefined {
  const owner = owners.get(threadId);
  if (owner) return owner;
  const caller = Caller.ofThread(threadId);
  // the main thread's own comms are the router's local ones
  if (!caller || caller.isCurrent) return undefined;
  const created = new ThreadCommOwner(caller);
  owners.set(threadId, created);
  void caller.ended.then(() => {
    owners.delete(threadId);
    host?.ownerGone(created);
  });
  return created;
}

/** A comm message of thread `threadId`, with the output of the call that sent it (none: forgotten). */
export function commOutbound(threadId: number, msg: CommOutbound, out: CellOutput | undefined): void {
  const owner = ownerOf(threadId);
  if (owner) host?.noteOutbound(owner, msg);
  // Never dropped: the frontend's widgets must stay in step with the thread's.
  (out?.comm ? out : host?.orphans)?.comm?.(msg);
}

/** The comm targets thread `threadId` serves now. */
export function commTargets(threadId: number, names: readonly string[]): void {
  const owner = ownerOf(threadId);
  if (owner) host?.setTargets(owner, names);
}

/** The thread holds comms (widgets): a pool thread that does is kept out of the pool, alive. */
export function holdsComms(caller: Caller): boolean {
  const owner = owners.get(caller.threadId);
  return owner !== undefined && host?.holds(owner) === true;
}

/**
 * Interrupt: comm handlers running in threads stop at their guards (each such thread's flag is
 * raised, and lowered once its handlers have given the thread back). How many there were.
 */
export function interruptThreadComms(): number {
  let n = 0;
  for (const owner of owners.values()) {
    const running = [...owner.deliveries];
    if (running.length === 0) continue;
    n += running.length;
    void attentionOf(owner.caller).then(
      (flag) => {
        raiseInterrupt(flag);
        void Promise.all(running.map((call) => untilFinished(call))).then(() => lowerInterrupt(flag));
      },
      () => {},
    );
  }
  return n;
}
