/** Reading and checking a Jupyter connection file (jupyter_client docs/kernels.rst "Connection files"). */
import { readFileSync, statSync } from "node:fs";
import process from "node:process";
import { type CurveKeys, curveKeys } from "./curve.js";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
  /** CurveZMQ (curve.ts): every bound socket is a Curve server with these keys. */
  curve?: CurveKeys;
}

const PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;
/** The five ports a connection file names. */
export type PortName = (typeof PORTS)[number];

export class ConnectionFileError extends Error {
  override name = "ConnectionFileError";
}

/** Parse and validate; every problem is reported with the file name and the field. */
export function readConnectionFile(path: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConnectionFileError(`cannot read connection file ${path}: ${(e as Error).message}`);
  }
  return parseConnectionInfo(raw, path);
}

export function parseConnectionInfo(raw: unknown, source = "connection info"): ConnectionInfo {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConnectionFileError(`${source}: expected a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  const transport = o.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") {
    throw new ConnectionFileError(`${source}: transport must be "tcp" or "ipc", got ${JSON.stringify(transport)}`);
  }
  const ip = o.ip ?? "127.0.0.1";
  if (typeof ip !== "string" || ip === "") throw new ConnectionFileError(`${source}: ip must be a non-empty string`);
  const key = o.key ?? "";
  if (typeof key !== "string") throw new ConnectionFileError(`${source}: key must be a string`);
  const scheme = o.signature_scheme ?? "hmac-sha256";
  if (typeof scheme !== "string") throw new ConnectionFileError(`${source}: signature_scheme must be a string`);
  const info: Record<string, unknown> = { transport, ip, key, signature_scheme: scheme };
  for (const p of PORTS) {
    const v = o[p] ?? 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) {
      throw new ConnectionFileError(`${source}: ${p} must be an integer port, got ${JSON.stringify(v)}`);
    }
    info[p] = v;
  }
  if (typeof o.kernel_name === "string") info.kernel_name = o.kernel_name;
  try {
    const curve = curveKeys(o);
    if (curve) info.curve = curve;
  } catch (err) {
    throw new ConnectionFileError(`${source}: ${(err as Error).message}`);
  }
  return info as unknown as ConnectionInfo;
}

/** The connection file's JSON for `info` (Curve keys as jupyter_client writes them). */
export function connectionFileText(info: ConnectionInfo): string {
  const { curve, ...fields } = info;
  return JSON.stringify(curve ? { ...fields, curve_publickey: curve.publicKey, curve_secretkey: curve.secretKey } : fields);
}

/** ZeroMQ endpoint for one channel. Port 0 on tcp asks the OS for a free port (`tcp://ip:*`). */
export function endpoint(info: ConnectionInfo, port: number): string {
  if (info.transport === "ipc") return `ipc://${info.ip}-${port}`;
  const host = info.ip.includes(":") ? `[${info.ip}]` : info.ip;
  return `tcp://${host}:${port === 0 ? "*" : port}`;
}

/**
 * Who besides its owner may read a connection file, as a sentence; undefined when nobody may.
 * Its key lets whoever reads it sign messages, that is, run code in the kernel: jupyter_client
 * writes connection files readable by their owner only (mode 0600). Windows has no such mode bits.
 */
export function connectionFileExposure(path: string): string | undefined {
  if (process.platform === "win32") return undefined;
  const mode = statSync(path).mode & 0o777;
  const readers = [mode & 0o040 ? "its group" : "", mode & 0o004 ? "every user of this machine" : ""].filter(Boolean);
  if (readers.length === 0) return undefined;
  return (
    `connection file ${path} is readable by ${readers.join(" and ")} (mode ${mode.toString(8).padStart(4, "0")}): ` +
    `whoever reads its key can run code in this kernel. Make it private (chmod 600), as jupyter_client does.`
  );
}
