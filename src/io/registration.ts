/**
 * The kernel startup handshake (JEP 66; jupyter_client `docs/kernels.rst` "Registration file
 * format", `docs/messaging.rst` "Kernel startup handshake", protocol 5.6): given a registration
 * file instead of a connection file, the kernel binds its own ports, connects a DEALER to the
 * registration address and sends one signed frame of content
 * `{kernel_id, control_port, shell_port, stdin_port, iopub_port, hb_port}` (ports as strings, as
 * the documentation types them): `[b"<IDS|MSG>", hmac(content), content]`, which is not a full
 * Jupyter message. The registration service answers with a signed single-frame ACK; then the
 * DEALER is closed. No ACK within the time limit: the kernel is unreachable, so it stops.
 */
import { readFileSync } from "node:fs";
import * as zmq from "zeromq";
import { DELIMITER, Signer } from "../messaging/index.js";
import { ConnectionFileError, type ConnectionInfo, type PortName, parseConnectionInfo } from "./connection_file.js";

export interface Registration {
  kernelId: string;
  /** tcp://registration_ip:registration_port */
  address: string;
}

/** How long the kernel waits for the ACK unless TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS says otherwise. */
export const REGISTRATION_TIMEOUT_MS = 30_000;

export function registrationTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env["TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS"]);
  return Number.isFinite(ms) && ms > 0 ? ms : REGISTRATION_TIMEOUT_MS;
}

/** Whether a parsed kernel file is a registration file (it names a registration port). */
export function isRegistrationFile(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "registration_port" in raw;
}

/**
 * The connection the kernel binds for a registration file (its ports chosen when binding, on the
 * registration IP), and where to register; every problem named with the file and the field.
 */
export function parseRegistrationFile(
  raw: Record<string, unknown>,
  source: string,
): { connection: ConnectionInfo; registration: Registration } {
  const fail = (what: string) => new ConnectionFileError(`${source}: ${what}`);
  const { kernel_id: kernelId, registration_ip: ip, registration_port: port } = raw;
  if (typeof kernelId !== "string" || kernelId === "")
    throw fail("kernel_id must be a non-empty string (the registration service's name for this kernel)");
  if (typeof ip !== "string" || ip === "") throw fail("registration_ip must be a non-empty string");
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw fail(`registration_port must be an integer port, got ${JSON.stringify(port)}`);
  }
  if ((raw.transport ?? "tcp") !== "tcp")
    throw fail(`transport ${JSON.stringify(raw.transport)}: the handshake is supported over tcp only`);
  for (const p of ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"]) {
    if (p in raw) throw fail(`has both registration_port and ${p}: a registration file or a connection file, not both`);
  }
  // the kernel's own ports: any free port, on the interface the registration service is reached by
  const connection = parseConnectionInfo({ ...raw, ip }, source);
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return { connection, registration: { kernelId, address: `tcp://${host}:${port}` } };
}

export function readRegistrationFile(path: string): ReturnType<typeof parseRegistrationFile> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined; // not ours to report: readConnectionFile says what is wrong with it
  }
  return isRegistrationFile(raw) ? parseRegistrationFile(raw, path) : undefined;
}

/**
 * Register the bound ports; resolves once a correctly signed ACK came, or with why not (no ACK
 * within `timeoutMs`, the registration address refused). Messages with a bad signature are
 * logged and not taken for the ACK.
 */
export async function register(
  registration: Registration,
  ports: Record<PortName, number>,
  connection: ConnectionInfo,
  timeoutMs: number,
  log: { warn(fields: object, message: string): void },
): Promise<{ ok: true } | { error: string }> {
  const signer = new Signer(connection.signature_scheme, connection.key);
  const content = Buffer.from(
    JSON.stringify({
      kernel_id: registration.kernelId,
      control_port: String(ports.control_port),
      shell_port: String(ports.shell_port),
      stdin_port: String(ports.stdin_port),
      iopub_port: String(ports.iopub_port),
      hb_port: String(ports.hb_port),
    }),
  );
  const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: timeoutMs });
  try {
    dealer.connect(registration.address);
    await dealer.send([DELIMITER, Buffer.from(signer.sign([content])), content]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      dealer.receiveTimeout = Math.max(1, deadline - Date.now());
      let frames: Buffer[];
      try {
        frames = await dealer.receive();
      } catch (err) {
        if ((err as { code?: string }).code === "EAGAIN") {
          return {
            error: `no acknowledgement from the registration service at ${registration.address} within ${timeoutMs / 1000} s (kernel_id ${registration.kernelId}): nobody can reach this kernel, so it stops`,
          };
        }
        throw err;
      }
      const at = frames.findIndex((f) => f.equals(DELIMITER));
      const signature = frames[at + 1];
      const ack = frames[at + 2];
      if (at >= 0 && signature && ack && frames.length === at + 3 && signer.verify(signature, [ack])) return { ok: true };
      log.warn({ frames: frames.length }, "registration: a reply that is not a signed acknowledgement; still waiting");
    }
  } catch (err) {
    return { error: `cannot register with ${registration.address}: ${(err as Error).message}` };
  } finally {
    dealer.close();
  }
}
