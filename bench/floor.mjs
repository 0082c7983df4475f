#!/usr/bin/env node
// The floor: a do-nothing Jupyter kernel on zeromq.js, used by bench/bench.py as the
// lower bound of what a Node kernel can cost. It does the irreducible protocol work
// and nothing else: bind the five sockets of the connection file, split the frames,
// verify the HMAC over the four frames as received (constant-time), JSON-parse them,
// and for every shell/control request publish status busy, send the reply, publish
// status idle. Heartbeat echoes. It never runs code and has no stream output.
//
//   node bench/floor.mjs -f <connection_file>
//
// zeromq is taken from the repository root's node_modules (the kernel's own copy),
// not from bench/node_modules.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../package.json", import.meta.url));
const zmq = require("zeromq");

const args = process.argv.slice(2);
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
      return [
        "execute_reply",
        { status: "ok", execution_count: executionCount, payload: [], user_expressions: {} },
      ];
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

const iopub = new zmq.Publisher({ linger: 0, sendHighWaterMark: 0 });
const shell = new zmq.Router({ linger: 0, sendHighWaterMark: 0 });
const control = new zmq.Router({ linger: 0, sendHighWaterMark: 0 });
const stdin = new zmq.Router({ linger: 0 });
const hb = new zmq.Reply({ linger: 0 });

// One chain so busy / reply / idle keep their order across shell and control
// (zeromq.js allows one pending send per socket).
let chain = Promise.resolve();

async function publishStatus(state, parent) {
  await iopub.send(serialize([Buffer.from("kernel.floor.status")], "status", parent, { execution_state: state }));
}

async function handle(sock, frames) {
  const msg = parse(frames);
  if (msg === null) {
    process.stderr.write("floor: dropped a malformed or badly signed message\n");
    return;
  }
  const parent = msg.header;
  await publishStatus("busy", parent);
  const r = replyFor(msg);
  if (r) await sock.send(serialize(msg.ids, r[0], parent, r[1]));
  await publishStatus("idle", parent);
  if (parent.msg_type === "shutdown_request") setTimeout(() => process.exit(0), 10);
}

async function serve(sock) {
  for await (const frames of sock) {
    chain = chain.then(() => handle(sock, frames)).catch((e) => process.stderr.write(`floor: ${e}\n`));
  }
}

async function heartbeat() {
  for await (const frames of hb) await hb.send(frames);
}

await Promise.all([
  iopub.bind(url(conn.iopub_port)),
  shell.bind(url(conn.shell_port)),
  control.bind(url(conn.control_port)),
  stdin.bind(url(conn.stdin_port)),
  hb.bind(url(conn.hb_port)),
]);
serve(shell);
serve(control);
heartbeat();
process.on("SIGINT", () => {}); // interrupt_mode signal: nothing to interrupt
