/**
 * `Deno` as cell code sees it: notebooks written for Deno's kernel use `Deno.jupyter` to display
 * and to broadcast messages (comms among them: anywidget's Deno package opens its widgets so). It
 * is a name of the cells' own (transform/rewrite.ts CELL_LOCALS) and an export of the kernel's
 * module, never a global: packages test `typeof Deno` to pick Deno's file APIs, and must keep
 * seeing Node. Its other APIs throw an error that names what to use in Node instead.
 *
 * `Deno.jupyter` follows Deno's `cli/js/40_jupyter.js` and `Deno.jupyter` in
 * `lib.deno.unstable.d.ts` (facts, not code): `display(obj, {raw, update, display_id})`, the
 * `md`, `html`, `svg` tagged templates, `image(path | bytes)`, `format(obj)`, `broadcast(msgType,
 * content, {metadata, buffers})` and `$display`. Values are shown by the kernel's own display path
 * (display.ts), so they look as they do everywhere else here. `broadcast` publishes with the
 * calling cell's parent; its comm messages go through the kernel's comms (src/comm), so a comm it
 * opens is a real comm: the frontend's messages reach it (`openComms()` finds it).
 */
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { inspect, types } from "node:util";
import { buffersOf, jsonObject } from "../comm/buffers.js";
import { Comm, comms } from "../comm/index.js";
import type { JsonObject } from "../comm/protocol.js";
import { asDisplayPromise, complainTo, createDisplayApi, imageKind, JUPYTER_DISPLAY, showValue } from "./display.js";
import { currentOutput, type MimeBundle } from "./output.js";

/** Deno.jupyter.display's options (Deno's names). */
export interface DenoDisplayOptions {
  /** The value is a ready MIME bundle. */
  raw?: boolean;
  /** Replace the output named display_id instead of adding one. */
  update?: boolean;
  display_id?: string;
}

/** What Deno's tagged templates and `image()` return: shown as their bundle. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

/** A Deno API that this kernel does not have: the message names the Node equivalent. */
export class DenoApiUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DenoApiUnavailable";
  }
}

const api = createDisplayApi();

/** `obj` as Deno's isMediaBundle sees it: a non-array object. */
const isMediaBundle = (obj: unknown): boolean => obj !== null && typeof obj === "object" && !Array.isArray(obj);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${inspect(v, { maxStringLength: 40 })}`;
  return typeof v;
}

/** A promise that rejects with what `fn` throws, as Deno's async functions do. */
function settled<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

function displayable(bundle: MimeBundle): Displayable {
  const mimes = Object.keys(bundle).join(", ");
  return {
    [JUPYTER_DISPLAY]: () => ({ ...bundle }),
    // its text/plain (the kernel gives every bundle one), as display.html() & co name theirs
    [inspect.custom]: () => `<${mimes}>`,
  } as Displayable;
}

/** Deno's tagged templates: the strings with the values between them (`undefined` as nothing). */
function template(mime: string) {
  return (strings: TemplateStringsArray | string, ...values: unknown[]): Displayable => {
    if (typeof strings === "string") return displayable({ [mime]: strings });
    if (!Array.isArray(strings)) {
      throw new TypeError(
        `Deno.jupyter's ${mime} template is a tagged template (md\`# Title\`), or takes a string; got ${describe(strings)}`,
      );
    }
    // `+` as Deno's reduce does (a value's default conversion, not String())
    const payload = strings.reduce(
      (acc: string, s: string, i: number) => acc + s + (values[i] !== undefined ? (values[i] as string) : ""),
      "",
    );
    return displayable({ [mime]: payload });
  };
}

function image(obj: string | Uint8Array): Displayable {
  let bytes = obj;
  if (typeof obj === "string") {
    try {
      bytes = readFileSync(obj);
    } catch (err) {
      throw new TypeError(`Deno.jupyter.image: cannot read the image file ${JSON.stringify(obj)}: ${(err as Error).message}`);
    }
  }
  const kind = types.isUint8Array(bytes) ? imageKind(bytes) : undefined;
  if (kind === undefined) {
    throw new TypeError(
      `Deno.jupyter.image shows JPEG or PNG images (a path, or the file's bytes as a Uint8Array); ${typeof obj === "string" ? `${JSON.stringify(obj)} is neither` : `got ${describe(obj)}`}`,
    );
  }
  const b = bytes as Uint8Array;
  return displayable({ [kind]: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") });
}

function display(obj: unknown, options?: DenoDisplayOptions): Promise<void> {
  return asDisplayPromise(
    settled(() => {
      const opts: DenoDisplayOptions = options !== null && typeof options === "object" ? options : {};
      return api.display(obj, { raw: opts.raw === true && isMediaBundle(obj), update: opts.update === true, displayId: opts.display_id });
    }),
  );
}

function format(obj: unknown): Promise<MimeBundle> {
  return settled(async () => (await showValue(obj, complainTo(currentOutput()))).data);
}

// ---- broadcast ------------------------------------------------------------------------------

/** The iopub messages cells may publish; the rest (status, execute_input, ...) are the kernel's own. */
const BROADCAST_TYPES = ["display_data", "update_display_data", "stream", "clear_output", "comm_open", "comm_msg", "comm_close"] as const;
type BroadcastType = (typeof BROADCAST_TYPES)[number];

function field(content: JsonObject, name: string, call: string, kind: "string" | "object", optional = false): unknown {
  const v = content[name];
  if (v === undefined && optional) return undefined;
  const ok = kind === "string" ? typeof v === "string" && v !== "" : isMediaBundle(v);
  if (!ok)
    throw new TypeError(`${call}: content.${name} must be ${kind === "string" ? "a non-empty string" : "an object"}, got ${describe(v)}`);
  return v;
}

/** Options of broadcast (Deno's). */
export interface BroadcastExtra {
  metadata?: Record<string, unknown>;
  buffers?: Uint8Array[];
}

/** Typed as Deno types it; what a cell passes is checked anyway (it may be anything at run time). */
function broadcast(msgType: string, content: Record<string, unknown>, extra?: BroadcastExtra): Promise<void> {
  // a cell ending in broadcast(...) shows what it published, not a Promise
  return asDisplayPromise(settled(() => publish(msgType, content, extra)));
}

function publish(msgType: unknown, content: unknown, extra: { metadata?: unknown; buffers?: unknown } | undefined): void {
  if (typeof msgType !== "string" || !(BROADCAST_TYPES as readonly string[]).includes(msgType)) {
    throw new TypeError(
      `Deno.jupyter.broadcast: ${typeof msgType === "string" ? JSON.stringify(msgType) : describe(msgType)} is not a message cells can publish; ` +
        `the kernel publishes ${BROADCAST_TYPES.join(", ")} (its status and execution messages are its own)`,
    );
  }
  const type = msgType as BroadcastType;
  const call = `Deno.jupyter.broadcast("${type}", content)`;
  if (!isMediaBundle(content)) throw new TypeError(`${call}: content must be an object, got ${describe(content)}`);
  const body = jsonObject(content, `${call}: content`);
  if (extra !== undefined && extra !== null && typeof extra !== "object")
    throw new TypeError(`${call}: the options must be an object ({ metadata, buffers }), got ${describe(extra)}`);
  const metadata = jsonObject(extra?.metadata, `${call}: metadata`);
  const buffers = buffersOf(extra?.buffers as never);
  const out = currentOutput();
  if (!out) throw new Error(`${call} was called outside of any cell`);
  switch (type) {
    case "display_data":
    case "update_display_data": {
      const data = field(body, "data", call, "object") as MimeBundle;
      const meta = (field(body, "metadata", call, "object", true) ?? {}) as Record<string, unknown>;
      const transient = (field(body, "transient", call, "object", true) ?? {}) as JsonObject;
      const id = transient.display_id;
      if (id !== undefined && (typeof id !== "string" || id === ""))
        throw new TypeError(`${call}: content.transient.display_id must be a non-empty string, got ${describe(id)}`);
      if (type === "update_display_data" && id === undefined)
        throw new TypeError(`${call}: an update needs the display_id it replaces, in content.transient.display_id`);
      out.display(data, { metadata: meta, displayId: id as string | undefined, update: type === "update_display_data" });
      return;
    }
    case "stream": {
      const name = body.name;
      if (name !== "stdout" && name !== "stderr")
        throw new TypeError(`${call}: content.name must be "stdout" or "stderr", got ${describe(name)}`);
      if (typeof body.text !== "string") throw new TypeError(`${call}: content.text must be a string, got ${describe(body.text)}`);
      out.stream(name, body.text);
      return;
    }
    case "clear_output":
      out.clearOutput(body.wait === true);
      return;
    case "comm_open": {
      const commId = field(body, "comm_id", call, "string") as string;
      const target = field(body, "target_name", call, "string") as string;
      const data = field(body, "data", call, "object", true) as JsonObject | undefined;
      // a comm of the kernel's: known to comm_info, and the frontend's messages reach it
      new Comm(target, { commId, data, metadata, buffers });
      return;
    }
    case "comm_msg": {
      const commId = field(body, "comm_id", call, "string") as string;
      const data = field(body, "data", call, "object", true) as JsonObject | undefined;
      const comm = comms.get(commId);
      if (!comm || comm.closed)
        throw new Error(
          `${call}: no comm with id ${JSON.stringify(commId)} is open in this kernel (open it with broadcast("comm_open", ...) first)`,
        );
      comm.send(data ?? {}, { metadata, buffers });
      return;
    }
    case "comm_close": {
      const commId = field(body, "comm_id", call, "string") as string;
      const data = field(body, "data", call, "object", true) as JsonObject | undefined;
      // closing what is closed already (by the frontend, say) does nothing, as Comm.close()
      comms.get(commId)?.close(data ?? {}, { metadata, buffers });
      return;
    }
  }
}

/** `Deno.jupyter`, for cells and for `import { Deno } from "ts-async-kernel"`. */
export const jupyter = Object.freeze({
  display,
  format,
  md: template("text/markdown"),
  html: template("text/html"),
  svg: template("image/svg+xml"),
  image,
  broadcast,
  $display: JUPYTER_DISPLAY,
});

// ---- the rest of Deno: what to use in Node ---------------------------------------------------

const FS = `(import fs from "node:fs")`;
const NODE_EQUIVALENTS: Record<string, string> = {
  readTextFile: `await fs.promises.readFile(path, "utf8") ${FS}`,
  readTextFileSync: `fs.readFileSync(path, "utf8") ${FS}`,
  writeTextFile: `await fs.promises.writeFile(path, text) ${FS}`,
  writeTextFileSync: `fs.writeFileSync(path, text) ${FS}`,
  readFile: `await fs.promises.readFile(path) ${FS}; a Buffer is a Uint8Array`,
  readFileSync: `fs.readFileSync(path) ${FS}; a Buffer is a Uint8Array`,
  writeFile: `await fs.promises.writeFile(path, bytes) ${FS}`,
  writeFileSync: `fs.writeFileSync(path, bytes) ${FS}`,
  readDir: `await fs.promises.readdir(path, { withFileTypes: true }) ${FS}`,
  readDirSync: `fs.readdirSync(path, { withFileTypes: true }) ${FS}`,
  stat: `await fs.promises.stat(path) ${FS}`,
  statSync: `fs.statSync(path) ${FS}`,
  lstat: `await fs.promises.lstat(path) ${FS}`,
  lstatSync: `fs.lstatSync(path) ${FS}`,
  mkdir: `await fs.promises.mkdir(path, { recursive: true }) ${FS}`,
  mkdirSync: `fs.mkdirSync(path, { recursive: true }) ${FS}`,
  remove: `await fs.promises.rm(path, { recursive: true }) ${FS}`,
  removeSync: `fs.rmSync(path, { recursive: true }) ${FS}`,
  rename: `await fs.promises.rename(from, to) ${FS}`,
  renameSync: `fs.renameSync(from, to) ${FS}`,
  copyFile: `await fs.promises.copyFile(from, to) ${FS}`,
  copyFileSync: `fs.copyFileSync(from, to) ${FS}`,
  open: `await fs.promises.open(path, flags) ${FS}`,
  openSync: `fs.openSync(path, flags) ${FS}`,
  create: `await fs.promises.open(path, "w") ${FS}`,
  realPath: `await fs.promises.realpath(path) ${FS}`,
  realPathSync: `fs.realpathSync(path) ${FS}`,
  makeTempDir: `await fs.promises.mkdtemp(path.join(os.tmpdir(), "prefix-")) (node:fs, node:path, node:os)`,
  makeTempFile: `a file in await fs.promises.mkdtemp(path.join(os.tmpdir(), "prefix-")) (node:fs, node:path, node:os)`,
  symlink: `await fs.promises.symlink(target, path) ${FS}`,
  link: `await fs.promises.link(existing, path) ${FS}`,
  readLink: `await fs.promises.readlink(path) ${FS}`,
  truncate: `await fs.promises.truncate(path, length) ${FS}`,
  chmod: `await fs.promises.chmod(path, mode) ${FS}`,
  chown: `await fs.promises.chown(path, uid, gid) ${FS}`,
  utime: `await fs.promises.utimes(path, atime, mtime) ${FS}`,
  watchFs: `fs.watch(path, { recursive: true }) ${FS}`,
  env: `process.env (Deno.env.get(name) is process.env[name])`,
  args: `process.argv.slice(2)`,
  cwd: `process.cwd()`,
  chdir: `process.chdir(dir)`,
  exit: `process.exit(code) (in a cell it fails the cell and keeps the kernel running)`,
  pid: `process.pid`,
  ppid: `process.ppid`,
  execPath: `process.execPath`,
  kill: `process.kill(pid, signal)`,
  addSignalListener: `process.on(signal, handler)`,
  removeSignalListener: `process.off(signal, handler)`,
  memoryUsage: `process.memoryUsage()`,
  uid: `process.getuid()`,
  gid: `process.getgid()`,
  umask: `process.umask()`,
  version: `process.versions (node, v8, ...)`,
  build: `process.platform and process.arch`,
  noColor: `process.env.NO_COLOR`,
  hostname: `os.hostname() (import os from "node:os")`,
  osRelease: `os.release() (import os from "node:os")`,
  osUptime: `os.uptime() (import os from "node:os")`,
  loadavg: `os.loadavg() (import os from "node:os")`,
  systemMemoryInfo: `os.totalmem() and os.freemem() (import os from "node:os")`,
  networkInterfaces: `os.networkInterfaces() (import os from "node:os")`,
  consoleSize: `process.stdout.columns and rows`,
  stdin: `process.stdin`,
  stdout: `process.stdout`,
  stderr: `process.stderr`,
  isatty: `tty.isatty(fd) (import tty from "node:tty")`,
  inspect: `util.inspect(value) (import util from "node:util")`,
  Command: `child_process.spawn or execFile (import child_process from "node:child_process")`,
  run: `child_process.spawn(cmd, args) (import child_process from "node:child_process")`,
  serve: `http.createServer(handler).listen(port) (import http from "node:http")`,
  listen: `net.createServer().listen(port) (import net from "node:net")`,
  listenTls: `tls.createServer(options).listen(port) (import tls from "node:tls")`,
  connect: `net.connect(port, host) (import net from "node:net")`,
  connectTls: `tls.connect(port, host) (import tls from "node:tls")`,
  resolveDns: `await dns.promises.resolve(name, type) (import dns from "node:dns")`,
  upgradeWebSocket: `a WebSocket server package such as ws`,
  test: `test() from "node:test"`,
  errors: `Node's error codes (err.code === "ENOENT")`,
  permissions: `nothing: Node gives code every permission (see node --permission)`,
  openKv: `nothing in Node: Deno KV has no Node equivalent here`,
  mainModule: `import.meta.url`,
};

function unavailable(name: string): DenoApiUnavailable {
  const instead = NODE_EQUIVALENTS[name];
  return new DenoApiUnavailable(
    `Deno.${name} is Deno's API, and this kernel runs cells on Node.js (ts-async-kernel); only Deno.jupyter is here. ` +
      (instead ? `In Node: ${instead}.` : `Use Node's API instead.`),
  );
}

const denoTarget = Object.defineProperty({ jupyter }, Symbol.toStringTag, { value: "Deno" });

/**
 * The one `Deno` of this thread: `Deno.jupyter`, and for any other Deno API an error naming the
 * Node equivalent (at the property read, so `Deno.readTextFile(p)` fails where it is written).
 * What Object.prototype has, and properties a cell sets, read as usual; `then` is absent, so that
 * awaiting it or returning it from an async function does not ask for a Deno API.
 */
export const Deno: { readonly jupyter: typeof jupyter } = new Proxy(denoTarget, {
  get(target, key, receiver) {
    if (typeof key === "symbol" || key in target) return Reflect.get(target, key, receiver);
    if (key === "then") return undefined;
    throw unavailable(key);
  },
});

/** `Deno` for the cells' own names (shell.ts): the same object as the kernel module's. */
export function denoForCells(): object {
  return Deno;
}
