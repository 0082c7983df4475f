/**
 * What Caller threads say to each other. Everything here crosses threads by structured clone:
 * plain data and MessagePorts (transferred), never functions.
 *
 * Two kinds of channel:
 * - the control channel between a caller thread and the root thread (the worker's parentPort):
 *   requests for other threads (by name, from the pool, by id) and the ports that connect them;
 * - one call channel per (calling thread, target thread) pair, a MessageChannel the root made:
 *   calls, cancels and output one way, outcomes and output the other.
 */
import type { MessagePort } from "node:worker_threads";
import type { ErrorData } from "./errors.js";

/** A function named so that the target thread finds it (functions.ts): an export of a module, or source text. */
export type FunctionRef = { module: string; export?: string } | { source: string };

/** How a target thread should run a call. */
export type CallMode = "call" | "soon" | "later" | "queue";

/** Settings of a thread, as asked for (`Caller.get`) or as it runs. */
export interface ThreadOptions {
  name?: string;
  backend?: string;
  loop?: string;
}

/** What a thread is: its id, and the settings it runs with. */
export interface ThreadInfo {
  threadId: number;
  name?: string;
  backend: string;
  loop?: string;
}

/** One thing a call printed or displayed, replayed where the call was made. */
export type OutputEvent =
  | { kind: "stream"; name: "stdout" | "stderr"; text: string }
  | { kind: "display"; data: Record<string, unknown>; options: Record<string, unknown> }
  | { kind: "clear"; wait: boolean }
  /** What the embedding program sends along with a call's output, in order with it (the kernel: comm messages). */
  | { kind: "custom"; name: string; data: unknown };

/** A module a new thread imports before it serves calls, and what its `setup` export is given. */
export interface ThreadSetup {
  /** A file: URL. */
  module: string;
  /** The export to call (default `setup`). */
  export?: string;
  data?: unknown;
}

/** workerData of a caller thread. */
export interface WorkerBoot {
  info: ThreadInfo & { backend: string };
  rootThreadId: number;
  setup?: ThreadSetup;
}

// ---- control channel ----

export type ControlRequest =
  | { type: "get"; req: number; options: ThreadOptions }
  | { type: "acquire"; req: number }
  | { type: "connect"; req: number; threadId: number }
  /** Answered once the thread has ended. */
  | { type: "stop"; req: number; threadId: number };

export type ToRoot =
  | ControlRequest
  | { type: "release"; threadId: number }
  /** The thread is serving calls. */
  | { type: "ready" }
  /** The thread could not start its event loop or its setup; it ends. */
  | { type: "failed"; message: string };

export type FromRoot =
  /** The thread asked for (`get`, `acquire`), or a port to it (`connect`), or why not. */
  | { type: "reply"; req: number; thread?: ThreadInfo; port?: MessagePort; error?: ErrorData }
  /** Serve calls that come on `port`, from thread `peer`. */
  | { type: "serve"; port: MessagePort; peer: ThreadInfo };

// ---- call channel ----

export type ToTarget =
  | { type: "call"; id: number; fn: FunctionRef; args: unknown[]; mode: CallMode; delay?: number }
  | { type: "cancel"; id: number; reason: ErrorData }
  | { type: "queue-close"; key: string };

export type FromTarget =
  | { type: "settled"; id: number; ok: true; value: unknown }
  | { type: "settled"; id: number; ok: false; error: ErrorData }
  /** Output of calls (by id), in the order emitted; may come after the call settled (timers). */
  | { type: "output"; events: { id: number; event: OutputEvent }[] };
