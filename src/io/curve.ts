/**
 * CurveZMQ keys from a connection file (jupyter_client 8.9+ `docs/security.rst`, ipykernel 7.3+):
 * `curve_publickey` and `curve_secretkey`, Z85 (40 characters for 32 bytes). With them every socket
 * the kernel binds is a Curve server; a client must know the public key to be heard at all. Keys
 * that are malformed, or not a pair, are refused with the reason: never a silent fallback to
 * plaintext, and never a kernel no client can reach.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";

const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const Z85_VALUE = new Map([...Z85].map((c, i) => [c, i]));

export interface CurveKeys {
  /** Z85, as in the connection file (what zeromq takes). */
  publicKey: string;
  secretKey: string;
}

/** The 32 bytes a Z85 key stands for, or why it does not stand for any. */
export function z85Decode(text: string): Buffer | string {
  if (text.length !== 40) return `must be 40 Z85 characters (32 bytes), got ${text.length} characters`;
  const out = Buffer.alloc(32);
  for (let block = 0; block < 8; block++) {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const c = text[block * 5 + i]!;
      const digit = Z85_VALUE.get(c);
      if (digit === undefined) return `has ${JSON.stringify(c)}, which is not a Z85 character`;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return "is not valid Z85 (a block is out of range)";
    out.writeUInt32BE(value, block * 4);
  }
  return out;
}

/** PKCS#8 DER of an X25519 private key, before its 32 bytes (RFC 8410). */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** The X25519 public key of a secret key: both as raw bytes. */
function publicOf(secret: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secret]), format: "der", type: "pkcs8" });
  const jwk = createPublicKey(key).export({ format: "jwk" }) as { x: string };
  return Buffer.from(jwk.x, "base64url");
}

/**
 * The Curve keys of a parsed connection file: undefined when it has none; throws (a message that
 * names the field) when only one is there, when one is malformed, or when they are not a pair.
 */
export function curveKeys(fields: { curve_publickey?: unknown; curve_secretkey?: unknown }): CurveKeys | undefined {
  const { curve_publickey: pub, curve_secretkey: sec } = fields;
  if (pub === undefined && sec === undefined) return undefined;
  if (pub === undefined || sec === undefined) {
    throw new Error(
      `${pub === undefined ? "curve_secretkey" : "curve_publickey"} is given without ${pub === undefined ? "curve_publickey" : "curve_secretkey"}: both or neither`,
    );
  }
  if (typeof pub !== "string") throw new Error("curve_publickey must be a string (Z85)");
  if (typeof sec !== "string") throw new Error("curve_secretkey must be a string (Z85)");
  const publicBytes = z85Decode(pub);
  if (typeof publicBytes === "string") throw new Error(`curve_publickey ${publicBytes}`);
  const secretBytes = z85Decode(sec);
  if (typeof secretBytes === "string") throw new Error(`curve_secretkey ${secretBytes}`);
  let derived: Buffer;
  try {
    derived = publicOf(secretBytes);
  } catch (err) {
    throw new Error(`curve_secretkey is not an X25519 secret key: ${(err as Error).message}`);
  }
  if (!derived.equals(publicBytes)) throw new Error("curve_publickey is not the public key of curve_secretkey: they must be one key pair");
  return { publicKey: pub, secretKey: sec };
}
