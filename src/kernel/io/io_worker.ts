/**
 * The I/O worker thread: owns every ZeroMQ socket of the kernel.
 *
 * - shell, control, stdin: ROUTER (handover on, like ipykernel); iopub: XPUB with verbose
 *   subscriptions so every new subscriber gets an `iopub_welcome` (JEP 65); heartbeat: ROUTER echo.
 * - Inbound frames are verified (HMAC over the frames as received, replay cache) and parsed here;
 *   anything malformed or badly signed is logged and dropped, and never reaches the main thread.
 * - Control requests the kernel must answer even while the main thread is stuck (kernel_info,
 *   interrupt, shutdown, create/delete/list subshell) are answered here, and so is a shell
 *   request for a subshell that does not exist; everything else goes to the main thread.
 * - Outbound messages from the main thread arrive as plain objects; this thread serializes,
 *   signs and sends them, in the order given.
 * - stdin: cells' input requests go out here, and each input_reply is matched to its request
 *   here (stdin_route.ts), so a cell blocked in prompt() gets its answer though the main thread
 *   takes no messages.
 *
 * Every socket is closed before the worker ends: a worker that ends with open zeromq sockets
 * aborts the whole process.
 */
import { rmSync } from "node:fs";
import { createConnection } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import * as zmq from "zeromq";
import { Session, WireError, joinFrames, type Header, type Message } from "../../messaging/index.js";
import { run } from "../../event_loop/run.js";
import { createLogger } from "../log.js";
import { endpoint } from "../connection_file.js";
import type { InboundRequest, Outbound, ToMain, ToWorker, WorkerOptions } from "../bridge.js";
import type { QueryReply } from "../../language/protocol.js";
import { LanguageRoute } from "./language_route.js";
import { interruptHandled, requestInterrupt, sendSelfSigint } from "../interrupts.js";
import { askForOutput, evaluationNow, raiseDeadline } from "../../shell/attention.js";
import { StdinRoute } from "./stdin_route.js";
import { Subshells, type ErrorReply } from "./subshells.js";
import { AbortWindows, windowFromEnv } from "./abort_windows.js";
import { SocketWriter } from "./socket_writer.js";
import { killChildren } from "../children.js";

const opts = workerData as WorkerOptions;
const port = parentPort!;
const log = createLogger(opts.logLevel, "ts-async-kernel:io");
const conn = opts.connection;
const attention = new Int32Array(opts.attention);
/** Timers of main-thread cells' deadlines, by token (see the `deadline` message). */
const deadlines = new Map<number, NodeJS.Timeout>();
const session = new Session({
  key: conn.key,
  signatureScheme: conn.signature_scheme,
  username: "kernel",
});

// Unlimited send buffers: a ROUTER (like a PUB) silently drops what it cannot queue for a peer
// whose pipe is full, so with the default high-water mark of 1000 a client that pipelines
// thousands of requests lost replies. A slow reader now makes messages queue here instead.
const shell = new zmq.Router({ handover: true, linger: 1000, sendHighWaterMark: 0 });
const control = new zmq.Router({ handover: true, linger: 1000, sendHighWaterMark: 0 });
const stdin = new zmq.Router({ handover: true, linger: 1000, sendHighWaterMark: 0 });
const iopub = new zmq.XPublisher({ sendHighWaterMark: 0, linger: 1000 });
iopub.verbosity = "allSubs";
// A ROUTER that sends every message back to its sender, as ipykernel's heartbeat does (a QUEUE
// device on one ROUTER). A REP socket has a receive/send state machine that garbage from a
// DEALER peer (no envelope) left stuck: the heartbeat stopped, and frontends then restart the kernel.
const hb = new zmq.Router({ linger: 0 });
const sockets = [shell, control, stdin, iopub, hb];

const sendError = (channel: string) => (err: unknown) => log.warn({ err, channel }, "send failed");
const writers = {
  shell: new SocketWriter(shell, sendError("shell")),
  control: new SocketWriter(control, sendError("control")),
  stdin: new SocketWriter(stdin, sendError("stdin")),
  iopub: new SocketWriter(iopub, sendError("iopub")),
};

/**
 * Requests forwarded to the main thread and not yet finished (no idle sent), by msg_id: their
 * routing identities, and their header frame as received, echoed as `parent_header` (no
 * re-serialization of the same header for each of a request's messages).
 */
interface Open {
  identities: Buffer[];
  header: Buffer;
}
const open = new Map<string, Open>();
/** Bound on requests remembered, should the main thread never finish some. */
const MAX_OPEN = 10_000;

function remember(msg: Message): void {
  if (open.size >= MAX_OPEN) open.delete(open.keys().next().value!);
  open.set(msg.header.msg_id, { identities: msg.identities, header: msg.rawHeader ?? Buffer.from(JSON.stringify(msg.header)) });
}
let closing = false;
let resolveClosed!: () => void;
const closed = new Promise<void>((r) => (resolveClosed = r));

const EMPTY = Buffer.from("{}");
const topicPrefix = `kernel.${session.id}.`;

function post(msg: ToMain): void {
  port.postMessage(msg);
}

/** Serialize, sign and send one outbound message; the header it got, or undefined if dropped. */
function send(item: Outbound): Header | undefined {
  const header = session.header(item.msgType as Header["msg_type"], item.parent?.subshell_id ?? null);
  const request = item.parent ? open.get(item.parent.msg_id) : undefined;
  const parts: [Buffer, Buffer, Buffer, Buffer] = [
    Buffer.from(JSON.stringify(header)),
    request ? request.header : item.parent ? json(item.parent, item) : EMPTY,
    item.metadata ? json(item.metadata, item) : EMPTY,
    json(item.content ?? {}, item),
  ];
  const signature = session.signer.sign(parts);
  let ids: Buffer[];
  if (item.channel === "iopub") {
    ids = [Buffer.from(topicPrefix + item.msgType)];
  } else if (request) {
    ids = request.identities;
  } else {
    log.warn({ msgType: item.msgType }, "no routing identity for reply; dropped");
    return undefined;
  }
  if (item.release && item.parent) {
    open.delete(item.parent.msg_id);
    executing.delete(item.parent.msg_id);
    handBacks.delete(item.parent.msg_id);
    inFlight = Math.max(0, inFlight - 1);
  }
  const buffers = item.buffers?.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  writers[item.channel].send(joinFrames(ids, signature, parts, buffers));
  return header;
}

/**
 * JSON of a part of an outbound message. What cells hand over is checked where they hand it
 * (display.ts), but a throw here would end this thread, and with it the process (its zeromq
 * sockets open): a value JSON cannot hold (a cycle, a BigInt) is sent with those parts replaced
 * by a note, and logged.
 */
function json(value: unknown, item: Outbound): Buffer {
  try {
    return Buffer.from(JSON.stringify(value));
  } catch (err) {
    log.warn({ err, msgType: item.msgType }, "outbound message part is not JSON; sent with its unserializable values replaced");
    const seen = new WeakSet<object>();
    try {
      return Buffer.from(
        JSON.stringify(value, (_key, v: unknown) => {
          if (typeof v === "bigint") return `${v}n`;
          if (typeof v === "object" && v !== null) {
            if (seen.has(v)) return "[Circular]";
            seen.add(v);
          }
          return v;
        }),
      );
    } catch {
      return Buffer.from(JSON.stringify({ error: "this part of the message could not be serialized as JSON" }));
    }
  }
}

function publish(msgType: string, content: unknown, parent: Header | null): void {
  send({ channel: "iopub", msgType, content, parent });
}

function toRequest(msg: Message): InboundRequest {
  return {
    header: msg.header,
    parent_header: msg.parent_header as Record<string, unknown>,
    metadata: msg.metadata,
    content: msg.content as Record<string, unknown>,
    buffers: msg.buffers,
  };
}

/**
 * Warnings about dropped messages, at most DROP_LOG_PER_SECOND a second: whoever can reach the
 * ports could otherwise fill the kernel's log (and the disk under it) with junk. What was not
 * logged is counted in the next warning.
 */
const DROP_LOG_PER_SECOND = 20;
const dropLog = {
  second: 0,
  logged: 0,
  unlogged: 0,
  allow(): boolean {
    const now = Math.floor(performance.now() / 1000);
    if (now !== this.second) {
      this.report();
      this.second = now;
      this.logged = 0;
    }
    if (this.logged < DROP_LOG_PER_SECOND) {
      this.logged++;
      return true;
    }
    // the count is reported with the next second's first drop, or a second from now at the latest
    if (this.unlogged++ === 0) setTimeout(() => this.report(), 1000).unref();
    return false;
  },
  report(): void {
    if (this.unlogged > 0) log.warn({ count: this.unlogged }, "more invalid messages dropped without a log line");
    this.unlogged = 0;
  },
};

/** Parse and verify; on failure log and return undefined (the message is dropped). */
function receive(frames: Buffer[], channel: string): Message | undefined {
  try {
    return session.deserialize(frames);
  } catch (err) {
    if (err instanceof WireError) {
      if (dropLog.allow()) log.warn({ channel, code: err.code, reason: err.message }, "dropped invalid message");
    } else {
      log.error({ channel, err }, "dropped message: unexpected error while parsing");
    }
    return undefined;
  }
}

/** Requests forwarded to the main thread whose idle has not been sent yet. */
let inFlight = 0;
/**
 * Execute requests among them: while one runs, the main thread may be stuck in a cell, so a
 * completion waits for the language service rather than for it (see `route`).
 */
const executing = new Set<string>();
/** Completions and inspections the main thread may hand back (`to_language`), by msg_id. */
const handBacks = new Map<string, Message>();

/**
 * While requests are in flight, output the main thread holds back for longer than this is asked
 * for: a cell stuck in a loop right after printing (or after its execute_input) would keep it
 * until the loop ends, since the main thread hands output over at the end of an event-loop turn.
 */
const OUTPUT_WAIT_MS = 20;
let lastBatchAt = 0;
let outputWatch: NodeJS.Timeout | undefined;
function watchOutput(): void {
  if (inFlight > 0 && outputWatch === undefined) {
    outputWatch = setInterval(() => {
      if (inFlight === 0) {
        clearInterval(outputWatch);
        outputWatch = undefined;
      } else if (performance.now() - lastBatchAt >= OUTPUT_WAIT_MS) {
        askForOutput(attention);
      }
    }, OUTPUT_WAIT_MS);
  }
}

/**
 * Hand a request to the main thread. When it has nothing in flight, publish busy from here at
 * once: ordering is safe (nothing else can publish for it before), it shows busy even if the
 * cell then blocks the main thread, and it saves the main thread a message per request.
 */
function forward(msg: Message, channel: "shell" | "control", busyPublished = false, handBack = false, aborted = false): void {
  // busyPublished: a request taken back from the language service; it is remembered, counted
  // in flight and announced busy already.
  const busySent = busyPublished || inFlight === 0;
  if (!busyPublished) {
    remember(msg);
    inFlight++;
    if (msg.header.msg_type === "execute_request") executing.add(msg.header.msg_id);
    watchOutput();
  }
  if (handBack) handBacks.set(msg.header.msg_id, msg);
  post({
    type: "request",
    channel,
    msg: toRequest(msg),
    receivedAt: performance.now(),
    busySent,
    ...(handBack ? { handBack } : {}),
    ...(aborted ? { aborted } : {}),
  });
  // After the post, so the main thread starts meanwhile; still first on iopub, since this thread
  // sends the main thread's messages only after this function returns.
  if (busySent && !busyPublished) publish("status", { execution_state: "busy" }, msg.header);
}

/**
 * Completion and inspection go to the language-service worker once it is warm, so they are
 * answered from types, and even while the main thread is stuck in a cell. What it cannot answer
 * (a value typed `any`, a slow or failed service) goes on to the main thread's runtime
 * introspection, and so does what comes while it warms up and the main thread is free.
 */
const language = new LanguageRoute(
  {
    answered(msg: Message, reply: NonNullable<QueryReply["content"]>) {
      const type = msg.header.msg_type === "complete_request" ? "complete_reply" : "inspect_reply";
      send({ channel: "shell", msgType: type, content: { status: "ok", ...reply }, parent: msg.header });
      send({ channel: "iopub", msgType: "status", content: { execution_state: "idle" }, parent: msg.header, release: true });
    },
    unanswered(msg: Message) {
      forward(msg, "shell", true);
    },
  },
  opts.languageService,
);

const subshells = new Subshells();

/** Input requests of cells (the main thread asks) and the input_replies that answer them. */
const stdinRoute = new StdinRoute({
  sendRequest(parent, content) {
    const request = open.get(parent.msg_id);
    if (!request || closing) return undefined;
    const header = send({ channel: "stdin", msgType: "input_request", content, parent });
    return header && { header, identities: request.identities };
  },
  dropped(reason, msg) {
    log.info({ reason, parent: (msg.parent_header as { msg_id?: unknown }).msg_id }, "stdin message dropped");
  },
});

/** Busy, the reply, idle: for a request this thread answers itself. */
function answer(msg: Message, channel: "shell" | "control", content: unknown, iopubError?: ErrorReply): void {
  remember(msg);
  publish("status", { execution_state: "busy" }, msg.header);
  if (iopubError) publish("error", { ename: iopubError.ename, evalue: iopubError.evalue, traceback: iopubError.traceback }, msg.header);
  send({ channel, msgType: msg.header.msg_type.replace(/_request$/, "_reply"), content, parent: msg.header });
  publish("status", { execution_state: "idle" }, msg.header);
  open.delete(msg.header.msg_id);
}

function route(msg: Message): void {
  const type = msg.header.msg_type;
  const refusal = subshells.refusal(msg.header);
  if (refusal) {
    if (type.endsWith("_request")) {
      // An execute_reply carries an execution_count even when it fails (typed clients read it).
      const execute = type === "execute_request";
      answer(msg, "shell", execute ? { ...refusal, execution_count: 0 } : refusal, execute ? refusal : undefined);
    } else {
      log.warn({ msgType: type, subshell_id: msg.header.subshell_id }, "message for an unknown subshell; dropped");
    }
    return;
  }
  if (type === "complete_request" || type === "inspect_request") {
    if (language.wants(executing.size > 0)) {
      remember(msg);
      inFlight++;
      publish("status", { execution_state: "busy" }, msg.header);
      language.ask(msg);
      return;
    }
    // The service warms up: the runtime answers now, or hands back what only the types know.
    forward(msg, "shell", false, language.available);
    return;
  }
  forward(msg, "shell", false, false, type === "execute_request" && abortWindows.arrived(msg.header));
}

/**
 * stop_on_error: execute requests that the client made before a failing reply of their shell went
 * out, and that come after it, are marked aborted for the main thread (abort_windows.ts).
 */
const abortWindows = new AbortWindows(windowFromEnv());

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

async function shellLoop(): Promise<void> {
  for await (const frames of shell) {
    const msg = receive(frames, "shell");
    if (!msg || closing) continue;
    route(msg);
  }
}

let shutdownRequested = false;
/** How long the main thread has to act on an interrupt before it is sent a SIGINT. */
const SELF_SIGINT_AFTER_MS = 30;

/**
 * A launcher that names itself in `JPY_PARENT_PID` (jupyter_client does; so does ours) expects
 * the kernel to end with it, as ipykernel's parent poller does: a kernel whose launcher died
 * (reparented) shuts down instead of living on as an orphan. Watched here, where a cell stuck
 * on the main thread cannot stop the watch.
 */
const PARENT_POLL_MS = 1000;
function watchParent(): void {
  const parent = Number(process.env["JPY_PARENT_PID"]);
  if (!Number.isInteger(parent) || parent <= 1 || process.ppid !== parent) return;
  setInterval(() => {
    if (process.ppid === parent || shutdownRequested) return;
    log.warn({ parent }, "the process that launched the kernel has ended; shutting down");
    beginShutdown(false);
  }, PARENT_POLL_MS).unref();
}

function handleShutdown(msg: Message): void {
  const restart = (msg.content as { restart?: unknown }).restart === true;
  const reply = { status: "ok", restart };
  send({ channel: "control", msgType: "shutdown_reply", content: reply, parent: msg.header });
  // ipykernel re-broadcasts the reply on iopub so every client learns the kernel is going away.
  publish("shutdown_reply", reply, msg.header);
  beginShutdown(restart);
}

/** Shut the kernel down; however stuck the main thread is, the process ends within seconds. */
function beginShutdown(restart: boolean): void {
  if (shutdownRequested) return;
  shutdownRequested = true;
  // A cell blocked in prompt() would hold the main thread: its wait ends with this error.
  stdinRoute.failAll("the kernel is shutting down");
  post({ type: "shutdown", restart });
  // If the main thread is stuck in user code it cannot exit: stop its cell as an interrupt does,
  // and as a last resort end the process, so a shutdown is never ignored.
  setTimeout(() => {
    requestInterrupt(attention);
    sendSelfSigint(attention);
  }, 1500).unref();
  setTimeout(() => {
    log.error("main thread did not shut down; exiting");
    void closeSockets().finally(() => {
      killChildren();
      process.kill(process.pid, "SIGKILL");
    });
  }, 4000).unref();
}

async function controlLoop(): Promise<void> {
  for await (const frames of control) {
    const msg = receive(frames, "control");
    if (!msg || closing) continue;
    const type = msg.header.msg_type as string;
    if (type === "create_subshell_request" || type === "delete_subshell_request" || type === "list_subshell_request") {
      subshellRequest(msg);
      continue;
    }
    if (type !== "kernel_info_request" && type !== "interrupt_request" && type !== "shutdown_request") {
      forward(msg, "control");
      continue;
    }
    // Answered here, even while the main thread is stuck.
    remember(msg);
    switch (type) {
      case "kernel_info_request":
        publish("status", { execution_state: "busy" }, msg.header);
        send({ channel: "control", msgType: "kernel_info_reply", content: opts.kernelInfo, parent: msg.header });
        publish("status", { execution_state: "idle" }, msg.header);
        break;
      case "interrupt_request": {
        publish("status", { execution_state: "busy" }, msg.header);
        // The main thread may be stuck in a cell: the raised flag stops the cell's own code
        // wherever it runs (and a blocked prompt()), and the notice has the main thread cancel
        // every running cell. Only if it has not acted soon after is the process sent a SIGINT,
        // which stops a package's loop in a cell's synchronous part (vm breakOnSigint) but ends
        // that evaluation wherever it is, with no `finally` run.
        // The signal helps only the evaluation running now (a signal outside one stops nothing),
        // and must not reach a later cell's: it is sent only while that evaluation still runs.
        const evaluation = evaluationNow(attention);
        const request = requestInterrupt(attention);
        stdinRoute.interrupted();
        post({ type: "interrupt" });
        setTimeout(() => {
          const stillRunning = evaluation % 2 === 1 && evaluationNow(attention) === evaluation;
          if (!interruptHandled(attention, request) && !closing && stillRunning) sendSelfSigint(attention);
        }, SELF_SIGINT_AFTER_MS);
        send({ channel: "control", msgType: "interrupt_reply", content: { status: "ok" }, parent: msg.header });
        publish("status", { execution_state: "idle" }, msg.header);
        break;
      }
      case "shutdown_request":
        publish("status", { execution_state: "busy" }, msg.header);
        handleShutdown(msg);
        publish("status", { execution_state: "idle" }, msg.header);
        break;
    }
    open.delete(msg.header.msg_id);
  }
}

/** Answered here, so they are answered at once even while a cell keeps the main thread busy. */
function subshellRequest(msg: Message): void {
  const type = msg.header.msg_type as string;
  if (type === "list_subshell_request") {
    answer(msg, "control", { status: "ok", subshell_id: subshells.list() });
    return;
  }
  const done = type === "create_subshell_request" ? subshells.create() : subshells.delete(msg.content as Record<string, unknown>);
  if ("error" in done) {
    answer(msg, "control", done.error);
    return;
  }
  // Before the reply: the main thread learns of a new subshell before any request for it.
  post({ type: "subshell", event: type === "create_subshell_request" ? "created" : "deleted", id: done.id });
  if (type === "delete_subshell_request") abortWindows.forget(done.id);
  answer(msg, "control", type === "create_subshell_request" ? { status: "ok", subshell_id: done.id } : { status: "ok" });
}

async function stdinLoop(): Promise<void> {
  for await (const frames of stdin) {
    const msg = receive(frames, "stdin");
    if (!msg || closing) continue;
    stdinRoute.received(msg);
  }
}

async function iopubLoop(): Promise<void> {
  for await (const [frame] of iopub) {
    // Subscription events: 0x01 + topic subscribes, 0x00 + topic unsubscribes (ignored).
    if (frame?.[0] !== 1) continue;
    const topic = frame.subarray(1);
    const subscription = topic.toString("utf8");
    if (!Buffer.from(subscription, "utf8").equals(topic)) continue; // not UTF-8: ignored (JEP 65)
    const header = session.header("iopub_welcome" as Header["msg_type"]);
    const parts: [Buffer, Buffer, Buffer, Buffer] = [
      Buffer.from(JSON.stringify(header)),
      EMPTY,
      EMPTY,
      Buffer.from(JSON.stringify({ subscription })),
    ];
    writers.iopub.send(joinFrames(topic.length ? [Buffer.from(topic)] : [], session.signer.sign(parts), parts));
  }
}

async function heartbeatLoop(): Promise<void> {
  // frames[0] is the sender's routing identity: sending the frames as received echoes them to it.
  for await (const frames of hb) {
    try {
      await hb.send(frames);
    } catch (err) {
      log.debug({ err }, "heartbeat echo failed");
    }
  }
}

async function closeSockets(): Promise<void> {
  if (closing) return;
  closing = true;
  await Promise.all(Object.values(writers).map((w) => w.drain()));
  for (const s of sockets) if (!s.closed) s.close();
  // ZeroMQ removes an ipc socket file only when its context ends, which a process that exits
  // never waits for: remove ours, so no stale file is left behind.
  for (const path of ipcPaths.splice(0)) rmSync(path, { force: true });
  resolveClosed();
}

/** The ipc socket files this kernel bound. */
const ipcPaths: string[] = [];

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

/**
 * Run a socket's receive loop, and run it again if it fails: a receive loop ends only on a socket
 * error, and a channel that stopped listening would leave the kernel alive but deaf.
 */
function loop(name: string, body: () => Promise<void>, failures = 0): void {
  body().catch((err: unknown) => {
    if (closing) return;
    log.error({ err, socket: name, failures: failures + 1 }, "socket loop failed; listening again");
    setTimeout(
      () => {
        if (!closing) loop(name, body, failures + 1);
      },
      Math.min(1000, 10 * 2 ** Math.min(failures, 7)),
    ).unref();
  });
}

async function main(): Promise<void> {
  const bound: Record<string, number> = {};
  const plan: [string, zmq.Socket, number][] = [
    ["shell_port", shell, conn.shell_port],
    ["control_port", control, conn.control_port],
    ["stdin_port", stdin, conn.stdin_port],
    ["iopub_port", iopub, conn.iopub_port],
    ["hb_port", hb, conn.hb_port],
  ];
  for (const [name, sock, p] of plan) {
    const address = endpoint(conn, p);
    try {
      // ZeroMQ takes over an ipc path by unlinking it, even one a live kernel listens on.
      if (conn.transport === "ipc" && (await ipcPathInUse(ipcPath(address)))) throw new Error("Address already in use");
      await sock.bind(address);
      if (conn.transport === "ipc") ipcPaths.push(ipcPath(address));
    } catch (err) {
      await closeSockets();
      const message = (err as Error).message;
      const hint = /in use/i.test(message)
        ? " (another kernel, or another process, is using it: a second kernel cannot share a connection file)"
        : "";
      post({ type: "fatal", message: `cannot bind ${name} to ${address}: ${message}${hint}` });
      return;
    }
    const last = sock.lastEndpoint ?? address;
    const m = /:(\d+)$/.exec(last);
    bound[name] = m ? Number(m[1]) : p;
  }
  port.on("message", (m: ToWorker) => {
    if (m.type === "send") {
      lastBatchAt = performance.now();
      for (const item of m.items) {
        const sentAt = item.stopsQueue ? performance.now() : 0;
        try {
          send(item);
        } catch (err) {
          // one bad message must not end this thread (and the process), nor hold up the rest
          log.error({ err, msgType: item.msgType }, "cannot send an outbound message; dropped");
        }
        if (item.stopsQueue) openAbortWindow(item, sentAt);
      }
    } else if (m.type === "input") {
      stdinRoute.request(m.id, m.parent, m.prompt, m.password);
    } else if (m.type === "input_forget") {
      stdinRoute.forget(m.ids);
    } else if (m.type === "stdin") {
      stdinRoute.attach(m.port, m.wake);
    } else if (m.type === "deadline") {
      clearTimeout(deadlines.get(m.token));
      deadlines.delete(m.token);
      if (m.ms !== null) {
        deadlines.set(
          m.token,
          setTimeout(() => {
            deadlines.delete(m.token);
            raiseDeadline(attention, m.token);
          }, m.ms),
        );
      }
    } else if (m.type === "language") {
      if (m.port) language.attach(m.port);
      else language.detach();
    } else if (m.type === "to_language") {
      const msg = handBacks.get(m.msgId);
      handBacks.delete(m.msgId);
      // Still open and announced busy: the service's answer (or, failing it, the runtime's) ends it.
      if (msg && open.has(m.msgId)) language.ask(msg);
    } else if (m.type === "close") {
      language.detach();
      // Close every socket, then let this thread end by itself: the process must not exit
      // while zeromq still tears down sockets in this thread (that aborts the process).
      void closeSockets().then(() => {
        post({ type: "closed" });
        port.close();
      });
    }
  });
  watchParent();
  loop("shell", shellLoop);
  loop("control", controlLoop);
  loop("stdin", stdinLoop);
  loop("iopub", iopubLoop);
  loop("hb", heartbeatLoop);
  post({ type: "ready", ports: bound });
  await closed;
}

// This thread runs on its own event-loop layer too (the node backend owns it, no host loop).
run(main, [], { backend: "node" }).catch((err: unknown) => {
  log.fatal({ err }, "I/O worker failed");
  post({ type: "fatal", message: String((err as Error)?.message ?? err) });
});
