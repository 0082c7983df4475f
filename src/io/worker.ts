/**
 * The I/O worker thread: owns every ZeroMQ socket of the kernel (sockets.ts), so heartbeat and
 * control are answered even while the main thread is stuck in a cell.
 *
 * - Inbound: parsed, verified and checked where it arrives (inbound.ts); routed as routes.ts
 *   says (router.ts): answered here (control.ts), asked of the language service
 *   (language_route.ts), or handed to the main thread with its content typed (bridge.ts).
 * - Outbound: the main thread's messages arrive in batches of plain objects; this thread
 *   serializes, signs and sends them in the order given (requests.ts), each request's routing
 *   kept from its arrival to its idle.
 * - stdin: cells' input requests go out here, and each input_reply is matched to its request here
 *   (stdin_route.ts), so a cell blocked in prompt() gets its answer though the main thread takes
 *   no messages.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { run } from "../event_loop/run.js";
import { type Header, Session } from "../messaging/index.js";
import { killChildren } from "../kernel/children.js";
import { createLogger } from "../kernel/log.js";
import { executeHanded } from "../kernel/interrupts.js";
import { raiseDeadline, setRunningTimeout } from "../shell/attention.js";
import { AbortWindows } from "./abort_windows.js";
import { announce } from "./announce.js";
import type { Outbound, ToMain, ToWorker, WorkerOptions } from "./bridge.js";
import { Control } from "./control.js";
import { FailureHold, holdFromEnv } from "./failure_hold.js";
import { DebugAdapter } from "./debugger/adapter.js";
import { connectToMainThread } from "./debugger/cdp.js";
import { CellFiles } from "./debugger/cell_files.js";
import { Inbound } from "./inbound.js";
import { LanguageRoute } from "./language_route.js";
import { OutputWatch } from "./output_watch.js";
import { Requests } from "./requests.js";
import { Router } from "./router.js";
import { KernelSockets } from "./sockets.js";
import { StdinRoute } from "./stdin_route.js";
import { Subshells } from "./subshells.js";

const opts = workerData as WorkerOptions;
const port = parentPort!;
const log = createLogger(opts.logLevel, "ts-async-kernel:io");
const attention = new Int32Array(opts.attention);
const post = (msg: ToMain): void => port.postMessage(msg);

const session = new Session({ key: opts.connection.key, signatureScheme: opts.connection.signature_scheme, username: "kernel" });
const sockets = new KernelSockets(log);
const inbound = new Inbound(session, log);
const requests: Requests = new Requests({
  session,
  log,
  write: (channel, frames) => sockets.write(channel, frames),
  released: (msgId) => router.released(msgId),
});
const send = (item: Outbound): void => void requests.send(item);
const outputWatch = new OutputWatch(attention, () => requests.inFlight);
const subshells = new Subshells();
/** stop_on_error: which execute requests arriving after a failing reply were made before it. */
const abortWindows = new AbortWindows(0);

/** Input requests of cells (the main thread asks) and the input_replies that answer them. */
const stdinRoute = new StdinRoute({
  sendRequest(parent, content) {
    const identities = requests.identities(parent.msg_id);
    if (!identities || sockets.closed) return undefined;
    const header = requests.send({ channel: "stdin", msgType: "input_request", content, parent });
    return header && { header, identities };
  },
  dropped(reason, msg) {
    log.info({ reason, parent: (msg.parent_header as { msg_id?: unknown }).msg_id }, "stdin message dropped");
  },
});

/**
 * The debug adapter (debugger/adapter.ts): debug requests on control, debug events on iopub. It
 * connects to the main thread's inspector only when a frontend attaches.
 */
const debugAdapter = new DebugAdapter({
  files: new CellFiles((opts.kernelInfo["language_info"] as { file_extension?: string } | undefined)?.file_extension ?? ".ts"),
  event: (event) => send({ channel: "iopub", msgType: "debug_event", content: event, parent: null }),
  connect: connectToMainThread,
  // this file is dist/io/worker.bundle.js (or dist/io/worker.js)
  kernelRoot: resolve(dirname(fileURLToPath(import.meta.url)), "../.."),
  attention,
  log,
});

/** The last resort: close the sockets, end the cells' processes, end this process. */
function exitNow(): void {
  void sockets.close().finally(() => {
    debugAdapter.close();
    killChildren();
    process.kill(process.pid, "SIGKILL");
  });
}

const control = new Control({
  send,
  post,
  kernelInfo: opts.kernelInfo,
  attention,
  subshells,
  stdin: stdinRoute,
  abortWindows,
  closing: () => sockets.closed,
  debugger: debugAdapter,
  exitNow,
  log,
});

/**
 * Completion and inspection go to the language-service worker once it is warm, so they are
 * answered from types, and even while the main thread is stuck in a cell. What it cannot answer
 * (a value typed `any`, a slow or failed service) goes on to the main thread's runtime
 * introspection, and so does what comes while it warms up and the main thread is free.
 */
const language = new LanguageRoute(
  {
    answered: (msg, reply) => router.answered(msg, reply),
    unanswered: (msg) => router.forward(msg, "shell", { busyPublished: true }),
  },
  opts.languageService,
);

const router: Router = new Router({
  requests,
  send,
  post,
  answerHere: (msg, channel) => control.handle(msg, channel),
  language,
  subshells,
  abortWindows,
  handed: () => outputWatch.watch(),
  executeHanded: () => executeHanded(attention),
  dropped: (fields, message) => inbound.dropped(fields, message),
});

/**
 * The reply of a failure that stops its shell's queue has gone out (at `sentAt`, taken before the
 * send): open the shell's window, and tell the main thread (always: it aborts every request of
 * that shell until it hears this, and from then on those received before `sentAt`).
 */
function openAbortWindow(reply: Outbound, sentAt: number): void {
  if (!reply.parent) return;
  abortWindows.open(reply.parent, sentAt);
  post({
    type: "abort_window",
    subshell: typeof reply.parent.subshell_id === "string" ? reply.parent.subshell_id : null,
    openedAt: sentAt,
  });
}

/** One message of the main thread's, sent now; a failing reply that stops its queue opens its shell's abort window. */
function sendNow(item: Outbound): void {
  const sentAt = item.stopsQueue ? performance.now() : 0;
  try {
    requests.send(item);
  } catch (err) {
    // one bad message must not end this thread (and the process), nor hold up the rest
    log.error({ err, msgType: item.msgType }, "cannot send an outbound message; dropped");
  }
  if (item.stopsQueue) openAbortWindow(item, sentAt);
}
/** Failing replies wait a moment, so that a burst sent blind after them is aborted (failure_hold.ts). */
const failureHold = new FailureHold(holdFromEnv(), sendNow);

/** Timers of main-thread cells' deadlines, by token (see the `deadline` message). */
const deadlines = new Map<number, { clear(): void }>();

function fromMain(m: ToWorker): void {
  switch (m.type) {
    case "send":
      outputWatch.batchCame();
      for (const item of m.items) failureHold.pass(item);
      break;
    case "input":
      stdinRoute.request(m.id, m.parent, m.prompt, m.password);
      break;
    case "input_forget":
      stdinRoute.forget(m.ids);
      break;
    case "stdin":
      stdinRoute.attach(m.port, m.wake);
      break;
    case "deadline":
      deadlines.get(m.token)?.clear();
      deadlines.delete(m.token);
      if (m.ms !== null) {
        const token = m.token;
        // the time a debugger keeps the main thread stopped is not the cell's
        const deadline = setRunningTimeout(attention, m.ms, () => {
          deadlines.delete(token);
          raiseDeadline(attention, token);
        });
        deadlines.set(token, deadline);
      }
      break;
    case "language":
      if (m.port) language.attach(m.port);
      else language.detach();
      break;
    case "to_language":
      router.toLanguage(m.msgId);
      break;
    case "close":
      language.detach();
      failureHold.releaseAll();
      debugAdapter.close();
      // Close every socket, then let this thread end by itself: the process must not exit while
      // zeromq still tears down sockets in this thread (that aborts the process).
      void sockets.close().then(() => {
        post({ type: "closed" });
        port.close();
        resolveClosed();
      });
      break;
  }
}

async function receiveLoop(socket: AsyncIterable<Buffer[]>, channel: "shell" | "control"): Promise<void> {
  for await (const frames of socket) {
    const msg = inbound.receive(frames, channel);
    if (msg && !sockets.closed) router.route(msg, channel);
  }
}

async function stdinLoop(): Promise<void> {
  for await (const frames of sockets.stdin) {
    const msg = inbound.receive(frames, "stdin");
    if (msg && !sockets.closed) stdinRoute.received(msg);
  }
}

/** JEP 65: every new subscriber is told it is subscribed (an `iopub_welcome` on its topic). */
function welcome(topic: Buffer, subscription: string): void {
  const header = session.header("iopub_welcome" as Header["msg_type"]);
  sockets.write("iopub", session.serialize({ header, content: { subscription } }, topic.length ? [topic] : []));
}

let resolveClosed!: () => void;
const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

async function main(): Promise<void> {
  const bound = await sockets.bind(opts.connection);
  if ("error" in bound) {
    post({ type: "fatal", message: bound.error });
    return;
  }
  port.on("message", fromMain);
  control.watchParent();
  sockets.loop("shell", () => receiveLoop(sockets.shell, "shell"));
  sockets.loop("control", () => receiveLoop(sockets.control, "control"));
  sockets.loop("stdin", stdinLoop);
  sockets.loop("iopub", () => sockets.subscriptions(welcome));
  sockets.loop("hb", () => sockets.heartbeat());
  if (opts.announce) {
    // the sockets are served before anyone learns of them
    const announced = await announce(opts.announce, {
      connection: opts.connection,
      ports: bound.ports,
      actions: {
        interrupt: () => control.interrupt(),
        shutdown: () => control.shutdown(false),
        kill: exitNow,
        log,
      },
    });
    if ("error" in announced) {
      await sockets.close();
      post({ type: "fatal", message: announced.error });
      port.close();
      return;
    }
    if (announced.commPort) void closed.then(() => announced.commPort?.close());
  }
  post({ type: "ready", ports: bound.ports });
  await closed;
}

// This thread runs on its own event-loop layer too (the node backend owns it, no host loop).
run(main, [], { backend: "node" }).catch((err: unknown) => {
  log.fatal({ err }, "I/O worker failed");
  post({ type: "fatal", message: String((err as Error)?.message ?? err) });
});
