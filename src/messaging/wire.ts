/**
 * The Jupyter wire format: how one message is laid out as ZeroMQ frames.
 *
 * ```text
 * [ident_0 … ident_n]   0+ routing identities (on IOPub: exactly one, the topic)
 * "<IDS|MSG>"           delimiter
 * signature             lowercase hex HMAC, "" when the key is empty
 * header                \
 * parent_header          | the four JSON frames, signed as they are on the wire
 * metadata               |
 * content               /
 * [buffer_0 …]          0+ raw binary buffers, NOT signed
 * ```
 *
 * This module only splits and joins frames. It does not parse JSON and does not
 * check signatures; see `signer.ts` and `session.ts` for that.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 *
 * @module
 */

/** The frame separating routing identities from the message: `<IDS|MSG>`. */
export const DELIMITER: Buffer = Buffer.from("<IDS|MSG>", "latin1");

/**
 * Why a frame list was rejected. Every rejection of inbound data by the
 * messaging layer carries one of these codes, so callers can log and drop the
 * message without inspecting error text.
 *
 * - `NO_DELIMITER`: no `<IDS|MSG>` frame.
 * - `TOO_FEW_FRAMES`: fewer than signature + 4 JSON frames after the delimiter.
 * - `UNSIGNED`: a key is configured but the signature frame is empty.
 * - `BAD_SIGNATURE`: the HMAC does not match the four frames as received.
 * - `REPLAYED`: this signature was already accepted once.
 * - `BAD_JSON`: a JSON frame is not UTF-8, not JSON, or not a JSON object.
 * - `BAD_HEADER`: the header is not an object or lacks a string `msg_id` / `msg_type`.
 * - `BAD_SCHEME`: the signature scheme is not `hmac-<hash known to node:crypto>`.
 */
export type WireErrorCode =
  | "NO_DELIMITER"
  | "TOO_FEW_FRAMES"
  | "UNSIGNED"
  | "BAD_SIGNATURE"
  | "REPLAYED"
  | "BAD_JSON"
  | "BAD_HEADER"
  | "BAD_SCHEME";

/**
 * A message (or a signature scheme) that the messaging layer refuses.
 *
 * #### Notes
 * The reference kernel (ipykernel) logs such messages and drops them: no
 * reply, no busy/idle status. Branch on {@link WireError.code}, not on the text.
 */
export class WireError extends Error {
  readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WireError";
    this.code = code;
  }
}

/** The frames of one message, split but not parsed. No bytes are copied. */
export interface RawFrames {
  /** Routing identities before the delimiter (ROUTER peers, or the IOPub topic). */
  identities: Buffer[];
  /** The hex signature as received (empty when unsigned). */
  signature: Buffer;
  header: Buffer;
  parentHeader: Buffer;
  metadata: Buffer;
  content: Buffer;
  /** Extra binary frames after the four JSON frames. */
  buffers: Buffer[];
}

/** Number of frames after the delimiter that every message has: signature + 4 JSON frames. */
const FIXED_FRAMES = 5;
const DELIMITER_LENGTH = DELIMITER.length;
const DELIMITER_FIRST_BYTE = DELIMITER[0];
const EMPTY = Buffer.alloc(0);

/**
 * Split a multipart message into its parts.
 *
 * @param frames - the frames as received from a ROUTER/DEALER/SUB socket.
 * @returns views on the same buffers; nothing is copied.
 * @throws {@link WireError} `NO_DELIMITER` or `TOO_FEW_FRAMES`.
 *
 * #### Notes
 * The first `<IDS|MSG>` frame ends the routing prefix, as in jupyter_client's
 * `feed_identities`. Any number of identities is kept, so a message that went
 * through several ROUTER hops can be answered along the same path.
 */
export function splitFrames(frames: readonly Buffer[]): RawFrames {
  const n = frames.length;
  let delimiter = -1;
  for (let i = 0; i < n; i++) {
    const frame = frames[i]!;
    // Cheap length and first-byte checks before the native compare; identities
    // are usually 5-byte ROUTER ids or 16-byte uuids, never 9 bytes starting with "<".
    if (frame.length === DELIMITER_LENGTH && frame[0] === DELIMITER_FIRST_BYTE && frame.equals(DELIMITER)) {
      delimiter = i;
      break;
    }
  }
  if (delimiter < 0) {
    throw new WireError("NO_DELIMITER", `No ${DELIMITER.toString()} delimiter among ${n} frames`);
  }
  const after = n - delimiter - 1;
  if (after < FIXED_FRAMES) {
    throw new WireError(
      "TOO_FEW_FRAMES",
      `Expected at least ${FIXED_FRAMES} frames after the delimiter (signature and 4 JSON frames), got ${after}`,
    );
  }
  const s = delimiter + 1;
  return {
    identities: frames.slice(0, delimiter),
    signature: frames[s]!,
    header: frames[s + 1]!,
    parentHeader: frames[s + 2]!,
    metadata: frames[s + 3]!,
    content: frames[s + 4]!,
    buffers: frames.slice(s + FIXED_FRAMES),
  };
}

/**
 * Lay out a message as multipart frames, ready for `socket.send`.
 *
 * @param identities - routing prefix (ROUTER peer ids, or `[topic]` on IOPub).
 * @param signature - lowercase hex signature, `""` when unsigned.
 * @param parts - the four serialized JSON frames: header, parent_header, metadata, content.
 * @param buffers - raw binary frames appended after the JSON frames (not signed).
 *
 * #### Notes
 * Typed arrays and DataViews are wrapped as Buffers over the same memory, not copied.
 */
export function joinFrames(
  identities: readonly Buffer[],
  signature: string,
  parts: readonly [Buffer, Buffer, Buffer, Buffer],
  buffers?: readonly (Buffer | ArrayBufferView)[],
): Buffer[] {
  const frames: Buffer[] = identities.slice();
  frames.push(DELIMITER, signature.length === 0 ? EMPTY : Buffer.from(signature, "latin1"), parts[0], parts[1], parts[2], parts[3]);
  if (buffers !== undefined) {
    for (const b of buffers) frames.push(toBuffer(b));
  }
  return frames;
}

/** View any ArrayBufferView as a Buffer over the same bytes (no copy). */
function toBuffer(view: Buffer | ArrayBufferView): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
