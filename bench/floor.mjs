#!/usr/bin/env node
// The floor: a do-nothing Jupyter kernel on zeromq.js, used by bench/bench.py as the
// lower bound of what a Node kernel can cost. It does the irreducible protocol work
// and nothing else: bind the five sockets of the connection file, split the frames,
// verify the HMAC over the four frames as received (constant-time), JSON-parse them,
// and for every shell/control request publish status busy, send the reply, publish
// status idle. Heartbeat echoes. It never runs code and has no stream output.
//
//   node bench/floor.mjs -f <connection_file> [--owed] [--io-thread]
//
// Two options turn it into reference rows that cost what the protocol and the design
// owe, still without running code (docs/performance.md, "the floor's variants"):
//   --owed       an execute also publishes execute_input and execute_result (`2`), the
//                two iopub messages a frontend is owed for `1+1`: five messages, not three
//   --io-thread  a worker thread owns the sockets and hands each request to the main
//                thread, which answers it back: the two thread hops of design §3
//
// zeromq is taken from the repository root's node_modules (the kernel's own copy),
// not from bench/node_modules.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const require = createRequire(new URL("../package.json", import.meta.url));

const args = isMainThread ? process.argv.slice(2) : workerData.args;
const owed = args.includes("--owed");
const ioThread = args.includes("--io-thread");
const fi = args.findIndex((a) => a === "-f" || a === "--connection-file");
if (fi < 0 || !args[fi + 1]) {
  process.stderr.write("usage: node bench/floor.mjs -f <connection_file>\n");
  process.exit(2);
}
const conn = JSON.parse(readFileSync(args[fi + 1], "utf8"));
const key = Buffer.from(conn.key ?? "", "utf8");
const scheme = (conn.signature_scheme ?? "hmac-sha256").replace(/^hmac-/, "");
const url = (port) => `${conn.transport ?? "tcp"}://${conn.ip}:${port}`;

const DELIM = Buffer.from("<IDS|MSG>");
const session = randomUUID();
let executionCount = 0;

function sign(frames) {
  if (key.length === 0) return "";
  const h = createHmac(scheme, key);
  for (const f of frames) h.update(f);
  return h.digest("hex");
}

function verify(sig, frames) {
  if (key.length === 0) return true;
  const expected = Buffer.from(sign(frames), "utf8");
  const got = Buffer.from(sig);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function header(msgType) {
  return {
    msg_id: randomUUID(),
    session,
    username: "floor",
    date: new Date().toISOString(),
    msg_type: msgType,
    version: "5.3",
  };
}

function serialize(ids, msgType, parent, content) {
  const frames = [
    Buffer.from(JSON.stringify(header(msgType))),
    Buffer.from(JSON.stringify(parent)),
    Buffer.from("{}"),
    Buffer.from(JSON.stringify(content)),
  ];
  return [...ids, DELIM, Buffer.from(sign(frames)), ...frames];
}

/** Returns {ids, header, parent, metadata, content} or null when malformed or badly signed. */
function parse(frames) {
  const d = frames.findIndex((f) => f.length === DELIM.length && f.equals(DELIM));
  if (d < 0 || frames.length < d + 6) return null;
  const body = frames.slice(d + 2, d + 6);
  if (!verify(frames[d + 1], body)) return null;
  try {
    return {
      ids: frames.slice(0, d),
      header: JSON.parse(body[0].toString()),
      parent: JSON.parse(body[1].toString()),
      metadata: JSON.parse(body[2].toString()),
      content: JSON.parse(body[3].toString()),
    };
  } catch {
    return null;
  }
}

const KERNEL_INFO = {
  status: "ok",
  protocol_version: "5.3",
  implementation: "bench-floor",
  implementation_version: "0.0.0",
  language_info: {
    name: "javascript",
    version: process.versions.node,
    mimetype: "text/javascript",
    file_extension: ".js",
  },
  banner: "do-nothing floor kernel for bench/",
  help_links: [],
  debugger: false,
};

function replyFor(msg) {
  const t = msg.header.msg_type;
  switch (t) {
    case "kernel_info_request":
      return ["kernel_info_reply", KERNEL_INFO];
    case "execute_request":
      if (!msg.content.silent) executionCount += 1;
      return ["execute_reply", { status: "ok", execution_count: executionCount, payload: [], user_expressions: {} }];
    case "shutdown_request":
      return ["shutdown_reply", { status: "ok", restart: !!msg.content.restart }];
    case "interrupt_request":
      return ["interrupt_reply", { status: "ok" }];
    case "is_complete_request":
      return ["is_complete_reply", { status: "complete" }];
    case "comm_info_request":
      return ["comm_info_reply", { status: "ok", comms: {} }];
    default:
      if (t.endsWith("_request")) return [t.replace(/_request$/, "_reply"), { status: "ok" }];
      return null;
  }
}

// With --io-thread the main thread opens no socket (and loads no zeromq).
const ownsSockets = !(ioThread && isMainThread);
const zmq = ownsSockets ? require("zeromq") : null;
const iopub = ownsSockets && new zmq.Publisher({ linger: 0, sendHighWaterMark: 0 });
const shell = ownsSockets && new zmq.Router({ linger: 0, sendHighWaterMark: 0 });
const control = ownsSockets && new zmq.Router({ linger: 0, sendHighWaterMark: 0 });
const stdin = ownsSockets && new zmq.Router({ linger: 0 });
const hb = ownsSockets && new zmq.Reply({ linger: 0 });

// One chain so busy / reply / idle keep their order across shell and control
// (zeromq.js allows one pending send per socket).
let chain = Promise.resolve();

async function publishStatus(state, parent) {
  await iopub.send(serialize([Buffer.from("kernel.floor.status")], "status", parent, { execution_state: state }));
}

async function publish(msgType, parent, content) {
  await iopub.send(serialize([Buffer.from(`kernel.floor.${msgType}`)], msgType, parent, content));
}

// With --io-thread the main thread answers: one postMessage there and one back per request.
const pending = new Map();
let nextAsk = 0;
function answer(msg) {
  if (!ioThread) return Promise.resolve(replyFor(msg));
  const id = nextAsk++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    parentPort.postMessage({ id, header: msg.header, content: msg.content });
  });
}
if (!isMainThread) {
  parentPort.on("message", ({ id, reply }) => {
    const resolve = pending.get(id);
    pending.delete(id);
    resolve(reply);
  });
}

// The main thread is asked on arrival (so hops overlap when requests are pipelined); the
// messages go out in order on one chain.
let inputCount = 0;
async function handle(sock, msg, asked) {
  const parent = msg.header;
  await publishStatus("busy", parent);
  const isExecute = owed && parent.msg_type === "execute_request";
  if (isExecute) await publish("execute_input", parent, { code: msg.content.code, execution_count: inputCount });
  const r = await asked;
  if (isExecute) {
    const n = r[1].execution_count;
    await publish("execute_result", parent, { execution_count: n, data: { "text/plain": "2" }, metadata: {} });
  }
  if (r) await sock.send(serialize(msg.ids, r[0], parent, r[1]));
  await publishStatus("idle", parent);
  if (parent.msg_type === "shutdown_request") {
    if (isMainThread) setTimeout(() => process.exit(0), 10);
    else for (const s of [iopub, shell, control, stdin, hb]) s.close(); // then the worker ends
  }
}

async function serve(sock) {
  for await (const frames of sock) {
    const msg = parse(frames);
    if (msg === null) {
      process.stderr.write("floor: dropped a malformed or badly signed message\n");
      continue;
    }
    if (msg.header.msg_type === "execute_request" && !msg.content.silent) inputCount += 1;
    const asked = answer(msg);
    chain = chain.then(() => handle(sock, msg, asked)).catch((e) => process.stderr.write(`floor: ${e}\n`));
  }
}

async function heartbeat() {
  for await (const frames of hb) await hb.send(frames);
}

async function serveAll() {
  try {
    await Promise.all([serve(shell), serve(control), heartbeat()]);
  } catch {
    // sockets closed at shutdown
  }
}

if (ioThread && isMainThread) {
  // The main thread only answers; the worker below owns every socket.
  const worker = new Worker(new URL(import.meta.url), { workerData: { args } });
  worker.on("message", ({ id, header, content }) => {
    const reply = replyFor({ header, content });
    worker.postMessage({ id, reply });
  });
  worker.on("exit", () => process.exit(0));
  worker.on("error", (e) => {
    process.stderr.write(`floor: worker: ${e}\n`);
    process.exit(1);
  });
  process.on("SIGINT", () => {});
} else {
  await Promise.all([
    iopub.bind(url(conn.iopub_port)),
    shell.bind(url(conn.shell_port)),
    control.bind(url(conn.control_port)),
    stdin.bind(url(conn.stdin_port)),
    hb.bind(url(conn.hb_port)),
  ]);
  serveAll();
  process.on("SIGINT", () => {}); // interrupt_mode signal: nothing to interrupt
}
