/**
 * What a kernel launcher of Jupyter Enterprise Gateway and gateway_provisioners sends back to the
 * gateway (gateway_provisioners `kernel-launchers/shared/scripts/server_listener.py` `_encrypt`,
 * read back by `response_manager.py` `_decode_payload`, payload version 1): the connection info's
 * JSON, AES-128-ECB with PKCS#7 padding under a fresh 16-byte key; that key RSA-encrypted
 * (PKCS#1 v1.5) with the public key the gateway passed as `--public-key` (base64 DER, the PEM
 * body); both base64 in `{"version": 1, "key": ..., "conn_info": ...}`, itself base64.
 * Also the checks of the launch arguments (response address, port range, public key).
 */
import { type KeyObject, constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";

/** `LAUNCHER_VERSION` of the gateway's launchers: the payload layout the gateway expects. */
export const LAUNCHER_VERSION = 1;

export class LaunchArgumentError extends Error {
  override name = "LaunchArgumentError";
}

/** The gateway's RSA public key from `--public-key`: base64 of the DER (SubjectPublicKeyInfo, or PKCS#1). */
export function parsePublicKey(text: string): KeyObject {
  const der = Buffer.from(text.replace(/\s+/g, ""), "base64");
  if (der.length === 0) throw new LaunchArgumentError("--public-key is empty: the gateway passes its RSA public key (base64)");
  for (const type of ["spki", "pkcs1"] as const) {
    try {
      const key = createPublicKey({ key: der, format: "der", type });
      if (key.asymmetricKeyType === "rsa") return key;
    } catch {
      // try the next layout
    }
  }
  throw new LaunchArgumentError("--public-key is not an RSA public key (base64 of its DER, as the gateway passes it)");
}

/** `--response-address ip:port`, split as the gateway's launchers split it (one colon). */
export function parseResponseAddress(text: string): { host: string; port: number } {
  const parts = text.split(":");
  const port = Number(parts[1]);
  if (parts.length !== 2 || parts[0] === "" || !/^\d+$/.test(parts[1] ?? "") || port < 1 || port > 65535) {
    throw new LaunchArgumentError(`--response-address must be <ip>:<port>, got ${JSON.stringify(text)}`);
  }
  return { host: parts[0]!, port };
}

/** `--port-range L..U` (0..0 or absent: any port), as the gateway validates it. */
export function parsePortRange(text: string | undefined): { lower: number; upper: number } {
  if (text === undefined || text === "") return { lower: 0, upper: 0 };
  const m = /^(\d+)\.\.(\d+)$/.exec(text);
  if (!m) throw new LaunchArgumentError(`--port-range must be <lower>..<upper>, got ${JSON.stringify(text)}`);
  const lower = Number(m[1]);
  const upper = Number(m[2]);
  if (lower === 0 && upper === 0) return { lower, upper };
  if (lower < 1024 || upper > 65535 || lower > upper) {
    throw new LaunchArgumentError(`--port-range ${text}: the ports must lie within 1024..65535, lower first`);
  }
  // five kernel ports and the comm port
  if (upper - lower + 1 < 6) throw new LaunchArgumentError(`--port-range ${text} is too small: the kernel needs six ports`);
  return { lower, upper };
}

/** Python's `json.dumps` layout (", " and ": "), as the gateway's launchers write it. */
function pythonJson(fields: Record<string, unknown>): string {
  return `{${Object.entries(fields)
    .map(
      ([k, v]) =>
        `${JSON.stringify(k)}: ${typeof v === "object" && v !== null ? pythonJson(v as Record<string, unknown>) : JSON.stringify(v)}`,
    )
    .join(", ")}}`;
}

/** The payload for the response address (base64 text), for connection info `info`. */
export function encryptConnectionInfo(info: Record<string, unknown>, publicKey: KeyObject): string {
  const aesKey = randomBytes(16);
  // Node's default padding for a block cipher is PKCS#7, which is PyCryptodome's pad(data, 16).
  const cipher = createCipheriv("aes-128-ecb", aesKey, null);
  const body = Buffer.concat([cipher.update(Buffer.from(pythonJson(info), "utf8")), cipher.final()]);
  const key = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, aesKey);
  const payload = pythonJson({ version: LAUNCHER_VERSION, key: key.toString("base64"), conn_info: body.toString("base64") });
  return Buffer.from(payload, "utf8").toString("base64");
}
