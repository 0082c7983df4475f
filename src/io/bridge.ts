/**
 * The protocol between the main thread (the shell) and the I/O worker (all sockets).
 *
 * Why a worker owns the sockets: the main thread runs user code and may be stuck in a busy loop;
 * heartbeat and control (kernel_info, interrupt, shutdown) must still be answered. The worker
 * verifies and parses inbound frames, so nothing malformed or unsigned ever reaches the main
 * thread; the main thread hands back plain objects that the worker serializes, signs and sends.
 *
 * Identities never cross: the worker remembers each request's routing identities by msg_id.
 */
import type { MessagePort } from "node:worker_threads";
import type { Header, RequestContent } from "../messaging/index.js";
import type { MainType } from "./routes.js";

export type Channel = "shell" | "control" | "stdin" | "iopub";

/**
 * A request parsed, verified and checked by the worker (messaging/validate.ts), for the main
 * thread: `msgType` (its header's) says which, and types its content.
 */
export type InboundRequest<T extends MainType = MainType> = {
  [K in T]: {
    msgType: K;
    header: Header;
    parent_header: Record<string, unknown>;
    metadata: Record<string, unknown>;
    content: RequestContent<K>;
    buffers: Uint8Array[];
  };
}[T];

/** One message for the worker to serialize, sign and send. */
export interface Outbound {
  channel: Channel;
  msgType: string;
  /** The request this message answers or belongs to (its header), or null for none (iopub_welcome, starting). */
  parent: Header | null;
  content: unknown;
  metadata?: Record<string, unknown>;
  buffers?: Uint8Array[];
  /** On the request's last message (its idle status): the worker forgets the request. */
  release?: boolean;
  /**
   * On the execute_reply of a cell whose failure stops its shell's queue (stop_on_error): once it
   * has sent it, the worker opens the shell's abort window (io/abort_windows.ts) and says so
   * (`abort_window`). A cell's own failure is held a moment first (failure_hold.ts); an interrupt
   * is not: the user chose its moment, long after the cells sent with the failing one.
   */
  stopsQueue?: StopsQueue;
}

/** Why a failing reply stops its shell's queue: the cell's own error, or an interrupt. */
export type StopsQueue = "failure" | "interrupt";

/** Worker → main. */
export type ToMain =
  /**
   * `busySent`: the worker already published status busy for it (the main thread was idle).
   * `receivedAt`: performance.now() on arrival; the threads of a process share its time origin.
   * `aborted`: an execute_request its shell's abort window covers: made before a failing reply of
   * that shell went out (stop_on_error, io/abort_windows.ts).
   */
  | {
      type: "request";
      channel: "shell" | "control";
      msg: InboundRequest;
      receivedAt: number;
      busySent: boolean;
      /**
       * A completion or inspection while the language service warms up: the runtime answers it at
       * once if it can; if it has nothing (a name only the types know), the main thread hands it
       * back (`to_language`) instead of answering empty, and the service answers it once warm.
       */
      handBack?: boolean;
      /** Aborted by stop_on_error's window (io/abort_windows.ts). */
      aborted?: boolean;
      /**
       * An execute_request's number, counted as it is handed over (kernel/interrupts.ts
       * `executeHanded`): an interrupt asked for after that covers it, even before the main thread sees it.
       */
      execute?: number;
    }
  /**
   * The failing reply of a shell (`subshell`: its id, null for the main shell) went out at
   * `openedAt` (performance.now()) and its abort window is open: requests received before then
   * are aborted, later ones come marked `aborted` when they are.
   */
  | { type: "abort_window"; subshell: string | null; openedAt: number }
  | { type: "shutdown"; restart: boolean }
  /** An `interrupt_request` came in; the worker has already raised the attention flag (interrupts.ts). */
  | { type: "interrupt" }
  /**
   * The worker owns the subshell ids (it answers create/delete/list even while the main thread
   * is stuck); the main thread keeps each subshell's queue. Posted before any request for the new
   * subshell can arrive (the client learns its id from the reply), on the same port, so in order.
   */
  | { type: "subshell"; event: "created" | "deleted"; id: string }
  | { type: "ready"; ports: Record<string, number> }
  | { type: "closed" }
  | { type: "fatal"; message: string };

/** Main → worker. */
export type ToWorker =
  | { type: "send"; items: Outbound[] }
  /** The language-service worker's channel: completion and inspection go there from now on. */
  | { type: "language"; port: MessagePort | null }
  /** The runtime had nothing for this request (sent with `handBack`): ask the language service. */
  | { type: "to_language"; msgId: string }
  /**
   * A main-thread cell with a `timeout` tag started (ms) or ended (null): the worker keeps the
   * time, since the main thread may be stuck in the cell, and raises the cell's deadline
   * (src/shell/attention.ts) when it passes.
   */
  | { type: "deadline"; token: number; ms: number | null }
  /**
   * stdin (stdin.ts, io/stdin_route.ts), once at start: the port the worker posts answers to
   * input requests on (`StdinAnswer`), and the words it wakes a blocked prompt() with
   * (stdin_wake.ts), since the main thread takes no messages while it waits.
   */
  | { type: "stdin"; port: MessagePort; wake: SharedArrayBuffer }
  /** Send an input_request with `parent` (the cell's execute_request) to that request's client. */
  | { type: "input"; id: number; parent: Header; prompt: string; password: boolean }
  /** These input requests are over (interrupted, cancelled, their cell ended): drop late answers. */
  | { type: "input_forget"; ids: number[] }
  | { type: "close" };

/** Worker → main, on the stdin port: the answer to input request `id`, or why there is none. */
export type StdinAnswer = { id: number; value: string } | { id: number; error: string };

/** Options the main thread passes to the worker at start (workerData). */
export interface WorkerOptions {
  connection: import("./connection_file.js").ConnectionInfo;
  logLevel: string;
  kernelInfo: Record<string, unknown>;
  /** A language-service worker will attach: completion and inspection wait for it (bounded). */
  languageService: boolean;
  /** The main shell's attention memory (src/shell/attention.ts, src/kernel/interrupts.ts). */
  attention: SharedArrayBuffer;
  /** Whom to tell the bound ports (a gateway, a JEP 66 registration service): announce.ts. */
  announce?: import("./announce.js").Announce;
}
