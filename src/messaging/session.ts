/**
 * A messaging session: turns multipart frames into checked messages and back.
 *
 * This is the hot path of every request, so it copies nothing it does not
 * have to: received frames are verified and parsed in place, and outgoing
 * JSON is serialized once and signed as those exact bytes.
 *
 * @module
 */

import { randomUUID } from "node:crypto";

// crypto.randomUUID is a v4 UUID (RFC 4122/9562); the uuid package calls it on Node anyway and
// costs ~20 ms to import on the kernel's start-up path.
const uuid4 = (): string => randomUUID();

import { PROTOCOL_VERSION } from "./messages.js";
import type { EmptyParentHeader, IHeader, MessageType } from "./messages.js";
import { ReplayCache } from "./replay.js";
import { Signer } from "./signer.js";
import { joinFrames, splitFrames, WireError } from "./wire.js";
import type { WireErrorCode } from "./wire.js";

/** A header of any message type. */
export type Header = IHeader<MessageType>;

/**
 * A received message, checked and parsed.
 *
 * @typeParam C - the content type; narrow with the `isXxxMsg` guards of `messages.ts`.
 *
 * #### Notes
 * `header.msg_type` is whatever the peer sent: the spec asks both sides to
 * tolerate unknown message types, so it is not checked against
 * {@link MessageType}. `parent_header`, `metadata` and `content` are checked
 * to be JSON objects, nothing more.
 */
export interface Message<C = Record<string, unknown>> {
  /** Routing identities, to send the reply back along the same path. */
  identities: Buffer[];
  header: Header;
  parent_header: Header | EmptyParentHeader;
  metadata: Record<string, unknown>;
  content: C;
  /** Raw binary frames after the JSON frames (not signed). */
  buffers: Buffer[];
  /**
   * The header frame exactly as received (verified). A kernel can echo it as the
   * `parent_header` frame of every reply and output instead of serializing the header again.
   */
  rawHeader?: Buffer;
}

/** The parts of a message to send; {@link Session.serialize} fills in `{}` for what is missing. */
export interface OutgoingMessage {
  header: Header;
  /**
   * The request's header, or its frame as received ({@link Message.rawHeader}): a kernel sends
   * that frame as is, rather than serializing the same header again for each of a request's messages.
   */
  parent_header?: Header | EmptyParentHeader | Buffer;
  metadata?: Record<string, unknown>;
  content: unknown;
  buffers?: readonly (Buffer | ArrayBufferView)[];
}

/** Options of a {@link Session}, usually taken from the connection file. */
export interface SessionOptions {
  /** The connection file's `key`; `""` disables signing (and verification). */
  key: string;
  /** The connection file's `signature_scheme`; default `"hmac-sha256"`. */
  signatureScheme?: string;
  /** `username` written into headers; default `"kernel"`. */
  username?: string;
  /** The session id written into headers; default a fresh uuid v4. */
  session?: string;
  /** How many accepted signatures to remember against replays; default 2**16, 0 disables. */
  replayCapacity?: number;
}

const DEFAULT_SCHEME = "hmac-sha256";
const DEFAULT_USERNAME = "kernel";
/** Shared `{}` frame for absent parent_header / metadata / content. Never mutated. */
const EMPTY_OBJECT = Buffer.from("{}", "latin1");
const NO_IDENTITIES: readonly Buffer[] = [];

/**
 * Signs, verifies, parses and builds Jupyter messages for one kernel session.
 *
 * ```typescript
 * const session = new Session({ key: info.key, signatureScheme: info.signature_scheme });
 * for await (const frames of shell) {
 *   let request: Message;
 *   try {
 *     request = session.deserialize(frames);
 *   } catch (err) {
 *     if (err instanceof WireError) { log.warn({ code: err.code }, "dropped message"); continue; }
 *     throw err;
 *   }
 *   await shell.send(session.message("kernel_info_reply", content, request.header, {}, [], request.identities));
 * }
 * ```
 *
 * #### Notes
 * The session knows nothing of sockets, channels or execution: it maps
 * frames to messages and messages to frames. Every inbound problem is a
 * {@link WireError} with a `code`; ipykernel logs and drops such messages
 * without a reply.
 */
export class Session {
  /**
   * @throws {@link WireError} `BAD_SCHEME` for an unsupported signature scheme.
   * @throws TypeError if `key` is not a string; RangeError for a bad `replayCapacity`.
   */
  constructor(options: SessionOptions) {
    if (typeof options.key !== "string") {
      throw new TypeError(`Session key must be a string (the connection file's "key"), got ${typeof options.key}`);
    }
    this.signer = new Signer(options.signatureScheme ?? DEFAULT_SCHEME, options.key);
    this.id = options.session ?? uuid4();
    this.username = options.username ?? DEFAULT_USERNAME;
    this._replay = new ReplayCache(options.replayCapacity);
  }

  /** The session id written into the `session` field of every header. */
  readonly id: string;

  /** The `username` written into every header. */
  readonly username: string;

  /** Signs outgoing and verifies incoming messages. */
  readonly signer: Signer;

  /**
   * Check and parse a received multipart message.
   *
   * @param frames - the frames as received, routing identities included.
   * @returns the parsed message; its buffers and identities are the received
   *   Buffers, not copies.
   * @throws {@link WireError} and nothing else, with code:
   *   - `NO_DELIMITER`, `TOO_FEW_FRAMES`: malformed frame list;
   *   - `UNSIGNED`: a key is set and the signature frame is empty;
   *   - `BAD_SIGNATURE`: the HMAC over the four frames *as received* does not match;
   *   - `REPLAYED`: the same valid signature was accepted before;
   *   - `BAD_JSON`: a JSON frame is not UTF-8 or not JSON, or parent_header /
   *     metadata / content is not a JSON object;
   *   - `BAD_HEADER`: the header is not an object, `msg_id` or `msg_type` is
   *     not a string, or `subshell_id` is neither a string nor null.
   *
   * #### Notes
   * The signature is checked over the received bytes, never over a
   * re-serialization: peers lay out JSON differently (orjson vs `json.dumps`
   * spacing), so re-serializing would reject valid messages.
   *
   * A signature is recorded for replay detection only *after* it verified.
   * jupyter_client records it before verifying; doing so here would let a
   * sender without the key fill the cache (evicting genuine entries early) or
   * pre-empt a genuine message by sending garbage that carries its
   * signature, so the genuine one is then refused as a replay.
   *
   * Missing or ill-typed `session`, `username`, `date` and `version` become
   * `""`; extra header fields are kept.
   */
  deserialize(frames: readonly Buffer[]): Message {
    const raw = splitFrames(frames);
    if (this.signer.enabled) {
      const signature = raw.signature;
      if (signature.length === 0) {
        throw new WireError("UNSIGNED", "Unsigned message: a key is set but the signature frame is empty");
      }
      if (!this.signer.verify(signature, [raw.header, raw.parentHeader, raw.metadata, raw.content])) {
        throw new WireError("BAD_SIGNATURE", "Invalid signature");
      }
      // Verified signatures are lowercase hex, so latin1 decoding is exact and cheapest.
      if (this._replay.seen(signature.toString("latin1"))) {
        throw new WireError("REPLAYED", "Duplicate signature: message replayed");
      }
    }
    const header = Private.parseHeader(Private.parseJson(raw.header, "header"));
    const parentHeader = Private.parseObject(raw.parentHeader, "parent_header");
    const metadata = Private.parseObject(raw.metadata, "metadata");
    const content = Private.parseObject(raw.content, "content");
    return {
      identities: raw.identities,
      header,
      parent_header: parentHeader as Header | EmptyParentHeader,
      metadata,
      content,
      buffers: raw.buffers,
      // Echoed as the parent_header of every reply: without the BOM a peer may have put there
      // (tolerated here, RFC 8259 §8.1), which jupyter_client's parser refuses.
      rawHeader: hasBom(raw.header) ? raw.header.subarray(3) : raw.header,
    };
  }

  /**
   * Serialize, sign and lay out a message.
   *
   * @param msg - the message; a missing `parent_header`, `metadata` or
   *   `content` is sent as `{}`.
   * @param identities - routing prefix: the request's identities for a reply,
   *   `[topic]` on IOPub, or none.
   * @returns the multipart frames, ready for `socket.send`.
   * @throws TypeError from `JSON.stringify` for values JSON cannot hold
   *   (BigInt, cycles). That is a bug in the caller, not a wire error.
   */
  serialize(msg: OutgoingMessage, identities: readonly Buffer[] = NO_IDENTITIES): Buffer[] {
    const parts: [Buffer, Buffer, Buffer, Buffer] = [
      Buffer.from(JSON.stringify(msg.header), "utf8"),
      msg.parent_header === undefined
        ? EMPTY_OBJECT
        : Buffer.isBuffer(msg.parent_header)
          ? msg.parent_header
          : Buffer.from(JSON.stringify(msg.parent_header), "utf8"),
      msg.metadata === undefined ? EMPTY_OBJECT : Buffer.from(JSON.stringify(msg.metadata), "utf8"),
      msg.content === undefined ? EMPTY_OBJECT : Buffer.from(JSON.stringify(msg.content), "utf8"),
    ];
    return joinFrames(identities, this.signer.sign(parts), parts, msg.buffers);
  }

  /**
   * Create a header for a new message from this session.
   *
   * @param msgType - the message type.
   * @param subshellId - written as `subshell_id` when given (not null/undefined).
   * @returns a header with a uuid v4 `msg_id`, this session's id and username,
   *   the current time as ISO 8601 UTC ending in `Z`, and `version` {@link PROTOCOL_VERSION}.
   */
  header<T extends MessageType>(msgType: T, subshellId?: string | null): IHeader<T> {
    const header: IHeader<T> = {
      msg_id: uuid4(),
      session: this.id,
      username: this.username,
      date: Private.isoNow(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    };
    if (subshellId !== undefined && subshellId !== null) header.subshell_id = subshellId;
    return header;
  }

  /**
   * Build a new message and serialize it: the usual way to reply or broadcast.
   *
   * @param msgType - type of the new message.
   * @param content - its content.
   * @param parent - header of the message being answered; `{}` (default) for none.
   * @param metadata - default `{}`.
   * @param buffers - raw binary frames, not signed.
   * @param identities - routing prefix (see {@link Session.serialize}).
   * @returns the multipart frames, ready for `socket.send`.
   *
   * #### Notes
   * The new header has no `subshell_id`; replies and IOPub messages are tied
   * to a subshell through `parent_header`. Use {@link Session.header} and
   * {@link Session.serialize} to set one.
   */
  message(
    msgType: MessageType,
    content: unknown,
    parent?: Header | EmptyParentHeader,
    metadata?: Record<string, unknown>,
    buffers?: readonly (Buffer | ArrayBufferView)[],
    identities?: readonly Buffer[],
  ): Buffer[] {
    return this.serialize({ header: this.header(msgType), parent_header: parent, metadata, content, buffers }, identities);
  }

  private readonly _replay: ReplayCache;
}

/**
 * Whether a frame starts with the UTF-8 byte order mark. (Outside `Private`: sucrase, which
 * loads this file in the shell's tests, cannot parse `>=` inside a namespace.)
 */
function hasBom(frame: Buffer): boolean {
  return frame.length >= 3 && frame[0] === 0xef && frame[1] === 0xbb && frame[2] === 0xbf;
}

namespace Private {
  /** Which frame a parse error is about, for messages. */
  type FrameName = "header" | "parent_header" | "metadata" | "content";

  /**
   * Strict UTF-8: `Buffer#toString` would silently turn invalid bytes into
   * U+FFFD. A fatal TextDecoder rejects them in the same single pass, and
   * measured no slower than `toString` (faster than `isUtf8` + `toString`).
   * A leading BOM is dropped, as Python's `json.loads` on bytes does.
   */
  const utf8 = new TextDecoder("utf-8", { fatal: true });

  /** Decode a frame as strict UTF-8 JSON, or throw `BAD_JSON`. */
  export function parseJson(frame: Buffer, name: FrameName): unknown {
    let text: string;
    try {
      text = utf8.decode(frame);
    } catch (cause) {
      throw new WireError("BAD_JSON", `The ${name} frame is not valid UTF-8`, { cause });
    }
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new WireError("BAD_JSON", `The ${name} frame is not valid JSON`, { cause });
    }
  }

  /** Parse a frame that must hold a JSON object, or throw `BAD_JSON`. */
  export function parseObject(frame: Buffer, name: FrameName): Record<string, unknown> {
    const value = parseJson(frame, name);
    if (!isObject(value)) {
      throw new WireError("BAD_JSON", `The ${name} frame must be a JSON object, got ${describe(value)}`);
    }
    return value;
  }

  /** Check a parsed header, filling defaults in place, or throw `BAD_HEADER`. */
  export function parseHeader(value: unknown): Header {
    if (!isObject(value)) {
      fail("BAD_HEADER", `The header must be a JSON object, got ${describe(value)}`);
    }
    if (typeof value.msg_id !== "string") {
      fail("BAD_HEADER", `header.msg_id must be a string, got ${describe(value.msg_id)}`);
    }
    if (typeof value.msg_type !== "string") {
      fail("BAD_HEADER", `header.msg_type must be a string, got ${describe(value.msg_type)}`);
    }
    const subshell = value.subshell_id;
    if (subshell !== undefined && subshell !== null && typeof subshell !== "string") {
      // A routing field: guessing (e.g. the main subshell) would run code in the wrong place.
      fail("BAD_HEADER", `header.subshell_id must be a string or null, got ${describe(subshell)}`);
    }
    if (typeof value.session !== "string") value.session = "";
    if (typeof value.username !== "string") value.username = "";
    if (typeof value.date !== "string") value.date = "";
    if (typeof value.version !== "string") value.version = "";
    return value as unknown as Header;
  }

  let isoSecond = Number.NaN;
  let isoPrefix = "";

  /**
   * `new Date().toISOString()`, e.g. `2026-11-02T09:15:03.042Z`, in about a
   * tenth of the time: the part up to the seconds is formatted once per
   * second and reused (toISOString cost ~1 us here, a third of an HMAC).
   */
  export function isoNow(): string {
    const now = Date.now();
    const ms = now % 1000;
    const second = now - ms;
    if (second !== isoSecond) {
      isoSecond = second;
      isoPrefix = new Date(second).toISOString().slice(0, -4); // drop "000Z"
    }
    return `${isoPrefix + (ms < 10 ? "00" : ms < 100 ? "0" : "") + ms}Z`;
  }

  function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  }

  function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    return typeof value === "undefined" ? "nothing" : `a ${typeof value}`;
  }

  function fail(code: WireErrorCode, message: string): never {
    throw new WireError(code, message);
  }
}
