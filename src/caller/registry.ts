/**
 * The root thread's registry of caller threads: it spawns them (by name, anonymous, or for the
 * pool of `toThread`), brokers the call channels between any two threads, stops them, and knows
 * how each ended. Only the root thread has one (thread.ts says which thread that is).
 *
 * Caller threads are worker threads whose `Worker` is unref'd: they never keep the process
 * alive by themselves; a call in flight does (its channel is ref'd, connection.ts).
 */
import { clearTimeout, setTimeout } from "node:timers";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { backendNames } from "../event_loop/backend.js";
import { Connection } from "./connection.js";
import { errorData, ThreadEnded, type ThreadExit } from "./errors.js";
import type { FromRoot, ThreadInfo, ThreadOptions, ThreadSetup, ToRoot, WorkerBoot } from "./protocol.js";
import { serve, threadLabel } from "./server.js";
import { executor, ROOT_NAME, thisThread } from "./thread.js";

/** Idle pool threads kept for `toThread`; more are stopped when their call settles. */
export const MAX_IDLE_POOL_THREADS = 4;
/** An idle pool thread is stopped after this long unused. */
export const POOL_IDLE_MS = 60_000;
const DEFAULT_BACKEND = "node";

interface Entry {
  info: ThreadInfo;
  worker: Worker;
  /** The root's own channel to it, made on its first call. */
  connection?: Connection;
  pooled: boolean;
  leased: boolean;
  stopping: boolean;
  failure?: string;
  exit?: ThreadExit;
  exited: Promise<ThreadExit>;
  /** Resolves once the thread serves calls; rejects with ThreadEnded if it ends before. */
  started: Promise<void>;
  markStarted(): void;
  idleTimer?: NodeJS.Timeout;
}

const entries = new Map<number, Entry>();
const names = new Map<string, Entry>();
const idle: Entry[] = [];
let setup: ThreadSetup | undefined;
let closed = false;

/** A module every new caller thread imports (and whose `setup(data)` it calls) before serving. */
export function configureThreads(options: { setup?: ThreadSetup }): void {
  setup = options.setup;
}

/**
 * The thread named `options.name` (made if it does not exist; the root thread is "main"), or a
 * new anonymous one. `undefined` means the root thread itself.
 * @throws Error for an unknown backend, or settings that differ from those the named thread runs with.
 */
export function getThread(options: ThreadOptions): Entry | undefined {
  if (options.name === ROOT_NAME) {
    if (options.backend !== undefined || options.loop !== undefined) {
      throw new Error(`"${ROOT_NAME}" is the main thread: give its name alone`);
    }
    return undefined;
  }
  if (options.backend !== undefined && !backendNames().includes(options.backend)) {
    throw new Error(`unknown backend "${options.backend}": expected one of ${backendNames().join(", ")}`);
  }
  if (options.name !== undefined) {
    const existing = names.get(options.name);
    if (existing) {
      const differs =
        (options.backend !== undefined && options.backend !== existing.info.backend) ||
        (options.loop !== undefined && options.loop !== existing.info.loop);
      if (differs) {
        const runs = `backend=${existing.info.backend}${existing.info.loop ? ` loop=${existing.info.loop}` : ""}`;
        throw new Error(`thread "${options.name}" already runs with ${runs}: give its name alone (or the same settings)`);
      }
      return existing;
    }
  }
  const info: ThreadInfo = { threadId: -1, backend: options.backend ?? DEFAULT_BACKEND };
  if (options.name !== undefined) info.name = options.name;
  if (options.loop !== undefined) info.loop = options.loop;
  return spawn(info, false);
}

/** An idle pool thread, or a new one; give it back with `releaseThread`. */
export function acquireThread(): Entry {
  let entry: Entry | undefined;
  while ((entry = idle.pop()) && entry.exit) {
    // ended while idle
  }
  entry ??= spawn({ threadId: -1, backend: DEFAULT_BACKEND }, true);
  clearTimeout(entry.idleTimer);
  entry.leased = true;
  return entry;
}

export function releaseThread(threadId: number): void {
  const entry = entries.get(threadId);
  if (!entry?.pooled || !entry.leased) return;
  entry.leased = false;
  if (closed || entry.stopping) return;
  if (idle.length < MAX_IDLE_POOL_THREADS) {
    idle.push(entry);
    entry.idleTimer = setTimeout(() => {
      const i = idle.indexOf(entry);
      if (i < 0) return;
      idle.splice(i, 1);
      stopThread(threadId);
    }, POOL_IDLE_MS);
    entry.idleTimer.unref();
  } else {
    stopThread(threadId);
  }
}

export function entryOf(threadId: number): Entry | undefined {
  return entries.get(threadId);
}

/** The root's channel to a caller thread. */
export function connectionTo(entry: Entry): Connection {
  if (!entry.connection) {
    const connection = new Connection(threadLabel(entry.info), () => endedError(entry));
    entry.connection = connection;
    connection.attach(channel(entry, thisThread().info));
  }
  return entry.connection;
}

/** A port from thread `from` to thread `to` (0 for the root): the other end is served there. */
function channel(to: Entry | undefined, from: ThreadInfo): MessagePort {
  const { port1, port2 } = new MessageChannel();
  if (to) to.worker.postMessage({ type: "serve", port: port2, peer: from } satisfies FromRoot, [port2]);
  else serve(executor, port2, from);
  return port1;
}

/** End a caller thread (terminate: also a thread stuck in a synchronous loop). */
export function stopThread(threadId: number): Promise<ThreadExit> | undefined {
  const entry = entries.get(threadId);
  if (!entry) return undefined;
  entry.stopping = true;
  void entry.worker.terminate();
  return entry.exited;
}

/** Stop every caller thread (shutdown); later requests for threads are refused. */
export async function stopAllThreads(): Promise<void> {
  closed = true;
  await Promise.allSettled([...entries.keys()].map((id) => stopThread(id)));
}

function spawn(info: ThreadInfo, pooled: boolean): Entry {
  if (closed) throw new Error("Caller threads are shut down: no new thread can start");
  const boot: WorkerBoot = { info: { ...info }, rootThreadId: thisThread().info.threadId };
  if (setup) boot.setup = setup;
  const worker = new Worker(new URL("./worker.js", import.meta.url), {
    workerData: { caller: boot },
    name: info.name !== undefined ? `caller ${info.name}` : "caller",
  });
  info.threadId = worker.threadId;
  let exited!: (exit: ThreadExit) => void;
  let started!: () => void;
  const entry: Entry = {
    info,
    worker,
    pooled,
    leased: false,
    stopping: false,
    exited: new Promise((r) => (exited = r)),
    started: new Promise((r) => (started = r)),
    markStarted: () => started(),
  };
  // A thread that ends before it serves: whoever waits for it learns how it ended.
  entry.started = Promise.race([entry.started, entry.exited.then(() => endedError(entry).then((err) => Promise.reject(err)))]);
  entry.started.catch(() => {});
  entries.set(info.threadId, entry);
  if (info.name !== undefined) names.set(info.name, entry);
  worker.on("message", (m: ToRoot) => onControl(entry, m));
  worker.on("error", (err) => {
    entry.failure ??= `it failed: ${err.message}`;
  });
  worker.on("exit", (code) => {
    entry.exit = { code };
    if (entry.failure !== undefined) entry.exit.failure = entry.failure;
    if (entry.stopping) entry.exit.stopped = true;
    entries.delete(info.threadId);
    if (info.name !== undefined && names.get(info.name) === entry) names.delete(info.name);
    const i = idle.indexOf(entry);
    if (i >= 0) idle.splice(i, 1);
    exited(entry.exit);
    void endedError(entry).then((err) => entry.connection?.end(err));
  });
  // After the listeners: a "message" listener refs the worker's port again (Node), which kept a
  // program that used a Caller thread running until that thread ended.
  worker.unref();
  return entry;
}

function endedError(entry: Entry): Promise<ThreadEnded> {
  return entry.exited.then((exit) => {
    const label = threadLabel(entry.info);
    const how =
      exit.failure !== undefined ? `could not start: ${exit.failure}` : exit.stopped ? "was stopped" : `ended (exit code ${exit.code})`;
    return new ThreadEnded(`The ${label} ${how}`, exit);
  });
}

/** Requests of caller threads. */
function onControl(entry: Entry, m: ToRoot): void {
  const reply = (r: Omit<Extract<FromRoot, { type: "reply" }>, "type">, transfer: MessagePort[] = []) =>
    entry.worker.postMessage({ type: "reply", ...r } satisfies FromRoot, transfer);
  const answer = (req: number, f: () => Omit<Extract<FromRoot, { type: "reply" }>, "type" | "req">) => {
    try {
      const r = f();
      reply({ req, ...r }, r.port ? [r.port] : []);
    } catch (err) {
      reply({ req, error: errorData(err) });
    }
  };
  switch (m.type) {
    case "ready":
      entry.markStarted();
      break;
    case "failed":
      entry.failure = m.message;
      break;
    case "get":
      answer(m.req, () => ({ thread: getThread(m.options)?.info ?? thisThread().info }));
      break;
    case "acquire":
      answer(m.req, () => ({ thread: acquireThread().info }));
      break;
    case "connect": {
      const root = thisThread().info;
      if (m.threadId === root.threadId) {
        answer(m.req, () => ({ thread: root, port: channel(undefined, entry.info) }));
        break;
      }
      const target = entries.get(m.threadId);
      if (!target) {
        reply({ req: m.req, error: errorData(new ThreadEnded(`The thread ${m.threadId} has ended`)) });
        break;
      }
      // Once it serves: then the asking thread knows that its calls will be taken.
      target.started.then(
        () => answer(m.req, () => ({ thread: target.info, port: channel(target, entry.info) })),
        (err: unknown) => reply({ req: m.req, error: errorData(err) }),
      );
      break;
    }
    case "release":
      releaseThread(m.threadId);
      break;
    case "stop": {
      if (m.threadId === thisThread().info.threadId) {
        reply({ req: m.req, error: errorData(new Error("The main thread cannot be stopped")) });
        break;
      }
      const exited = stopThread(m.threadId) ?? Promise.resolve();
      void exited.then(() => {
        // The asking thread may be the one that ended.
        if (entries.has(entry.info.threadId)) reply({ req: m.req });
      });
      break;
    }
  }
}

export type { Entry as ThreadEntry };
