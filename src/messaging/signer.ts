/**
 * Message signatures: HMAC over the four JSON frames.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 *
 * @module
 */

import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import type { KeyObject } from "node:crypto";

import { WireError } from "./wire.js";

const SCHEME_PREFIX = "hmac-";

/**
 * Signs and verifies messages with the connection file's `key` and
 * `signature_scheme`.
 *
 * #### Notes
 * - The scheme is `hmac-<hash>`; `<hash>` may be any digest `node:crypto`
 *   supports (`sha256` is the default in Jupyter; `sha512`, `sha1`, `md5`, … work).
 * - The key is the UTF-8 bytes of the `key` string, exactly as jupyter_client
 *   uses it (`key.encode()`); it is *not* hex-decoded.
 * - An empty key means no authentication: {@link Signer.sign} returns `""` and
 *   {@link Signer.verify} accepts any signature frame, as jupyter_client does.
 */
export class Signer {
  /**
   * @param signatureScheme - `signature_scheme` from the connection file, e.g. `"hmac-sha256"`.
   * @param key - `key` from the connection file; `""` disables signing.
   * @throws {@link WireError} `BAD_SCHEME` if the scheme is not `hmac-<supported hash>`.
   */
  constructor(signatureScheme: string, key: string) {
    this._hash = Private.parseScheme(signatureScheme);
    this.enabled = key.length > 0;
    // A KeyObject spares createHmac re-importing the raw key on every call:
    // 1-7% faster per signature than a Buffer key here (test/messaging/session.bench.ts).
    this._key = this.enabled ? createSecretKey(Buffer.from(key, "utf8")) : null;
    this._hexLength = this.enabled ? createHmac(this._hash, this._key!).digest().length * 2 : 0;
  }

  /** Whether a key is set, i.e. messages are signed and must be verified. */
  readonly enabled: boolean;

  /** The hash name, e.g. `"sha256"`. */
  get hash(): string {
    return this._hash;
  }

  /**
   * Compute the signature of a message.
   *
   * @param parts - exactly the four frames header, parent_header, metadata,
   *   content, as bytes on the wire. Binary buffers are never signed.
   * @returns the lowercase hex HMAC, or `""` when signing is disabled.
   */
  sign(parts: readonly Buffer[]): string {
    if (this._key === null) return "";
    const hmac = createHmac(this._hash, this._key);
    for (let i = 0; i < parts.length; i++) hmac.update(parts[i]!);
    return hmac.digest("hex");
  }

  /**
   * Check a received signature against the frames as received.
   *
   * @param signature - the signature frame (lowercase hex bytes).
   * @param parts - the four JSON frames exactly as received; never re-serialize them.
   * @returns whether the signature is valid. Always `true` when signing is disabled.
   *
   * #### Notes
   * The comparison is constant-time (`crypto.timingSafeEqual`) on the hex text,
   * so an uppercase or otherwise re-encoded signature does not verify (which
   * also keeps the replay cache from being bypassed by re-encoding). A length
   * mismatch returns `false` without comparing; the length of a valid
   * signature is public anyway.
   */
  verify(signature: Buffer, parts: readonly Buffer[]): boolean {
    if (this._key === null) return true;
    if (signature.length !== this._hexLength) return false;
    const expected = Buffer.from(this.sign(parts), "latin1");
    return timingSafeEqual(signature, expected);
  }

  private readonly _hash: string;
  private readonly _key: KeyObject | null;
  /** Length in bytes of a hex signature for this hash. */
  private readonly _hexLength: number;
}

namespace Private {
  /** Validate `hmac-<hash>` and return `<hash>`, or throw `BAD_SCHEME`. */
  export function parseScheme(scheme: string): string {
    if (typeof scheme !== "string" || !scheme.startsWith(SCHEME_PREFIX)) {
      throw new WireError(
        "BAD_SCHEME",
        `Unsupported signature_scheme ${JSON.stringify(scheme)}: expected "hmac-<hash>", e.g. "hmac-sha256"`,
      );
    }
    const hash = scheme.slice(SCHEME_PREFIX.length);
    try {
      // createHmac is the authority on what node:crypto supports (aliases and
      // case included); an empty key is fine for the probe.
      createHmac(hash, "").digest();
    } catch (cause) {
      throw new WireError(
        "BAD_SCHEME",
        `Unsupported signature_scheme ${JSON.stringify(scheme)}: hash ${JSON.stringify(hash)} is not supported by node:crypto`,
        { cause },
      );
    }
    return hash;
  }
}
