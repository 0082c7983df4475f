/**
 * This thread, as the Caller sees it: its identity, its executor, and (in a caller thread) its
 * control channel to the root thread.
 *
 * The root thread is the one that was not started by the Caller (the kernel's main thread; a
 * test's thread): it owns the registry of caller threads (registry.ts) and brokers the channels
 * between them. A caller thread asks it, over its parentPort, for other threads and for a port
 * to each; the calls themselves then go straight from thread to thread.
 */
import { parentPort, threadId } from "node:worker_threads";
import { rebuildError } from "./errors.js";
import { Executor } from "./executor.js";
import type { ControlRequest, FromRoot, ThreadInfo, ToRoot, WorkerBoot } from "./protocol.js";
import { serve } from "./server.js";

/** The name the root thread answers to. */
export const ROOT_NAME = "main";

interface Self {
  info: ThreadInfo;
  rootThreadId: number;
  isRoot: boolean;
}

let self: Self | undefined;

/** Runs every call this thread serves or makes to itself. */
export const executor = new Executor();

export function thisThread(): Self {
  self ??= { info: { threadId, name: ROOT_NAME, backend: "node" }, rootThreadId: threadId, isRoot: true };
  return self;
}

type Request = ControlRequest extends infer R ? (R extends { req: number } ? Omit<R, "req"> : never) : never;
type Reply = Extract<FromRoot, { type: "reply" }>;

const asked = new Map<number, { resolve: (r: Reply) => void; reject: (err: unknown) => void }>();
let nextReq = 1;

/** Ask the root thread (from a caller thread) for a thread or a port; rejects with its error. */
export function askRoot(request: Request): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = nextReq++;
    asked.set(req, { resolve, reject });
    parentPort!.postMessage({ ...request, req } as ToRoot);
  });
}

export function tellRoot(m: ToRoot): void {
  parentPort!.postMessage(m);
}

/** Make this thread a caller thread (worker.ts, before anything else runs in it). */
export function bootWorker(boot: WorkerBoot): void {
  self = { info: boot.info, rootThreadId: boot.rootThreadId, isRoot: false };
}

/** Start taking requests from the root thread: replies, and call channels to serve. */
export function listenToRoot(): void {
  parentPort!.on("message", (m: FromRoot) => {
    if (m.type === "serve") {
      serve(executor, m.port, m.peer);
      return;
    }
    const waiting = asked.get(m.req);
    if (!waiting) return;
    asked.delete(m.req);
    if (m.error) waiting.reject(rebuildError(m.error));
    else waiting.resolve(m);
  });
}
