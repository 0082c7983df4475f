/**
 * Property-based tests (fast-check) of the wire parser, the signer, the replay cache and the
 * session: for any input — random frames, any JSON, any bytes, any tampering — the messaging layer
 * either returns a well-formed message or throws a WireError, and with a key set it never returns
 * a message whose four JSON frames and signature were not produced together by the key's holder.
 *
 * Runs are seeded (a failure prints its seed and the shrunk counterexample; rerun with
 * `seed` and `path` in fc.assert's options to replay it).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { DELIMITER, joinFrames, ReplayCache, Session, Signer, splitFrames, WireError } from "../../src/messaging/index.js";
import type { Message, WireErrorCode } from "../../src/messaging/index.js";

const RUNS = { numRuns: 400, seed: 20260611 };
const KEY = "a0f2-property-key";

/** Any frame: short random bytes, sometimes the delimiter itself or an empty frame. */
const frame = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant(DELIMITER) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
);
/** A routing identity: any bytes but the delimiter. */
const identity = fc
  .uint8Array({ minLength: 1, maxLength: 17 })
  .map((a) => Buffer.from(a))
  .filter((b) => !b.equals(DELIMITER));
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
const msgType = fc.oneof(
  fc.constantFrom("execute_request", "kernel_info_request", "comm_msg", "no_such_request"),
  fc.string({ maxLength: 20 }),
);

/** Deserialize, and say what happened: the message, or the WireError's code. Any other throw fails the test. */
function outcome(session: Session, frames: Buffer[]): Message | WireErrorCode {
  try {
    return session.deserialize(frames);
  } catch (err) {
    if (err instanceof WireError) return err.code;
    throw err;
  }
}

function wellFormed(msg: Message): void {
  const h = msg.header;
  for (const field of ["msg_id", "msg_type", "session", "username", "date", "version"] as const) expect(typeof h[field]).toBe("string");
  expect(h.subshell_id === undefined || h.subshell_id === null || typeof h.subshell_id === "string").toBe(true);
  for (const part of [msg.parent_header, msg.metadata, msg.content]) {
    expect(typeof part === "object" && part !== null && !Array.isArray(part)).toBe(true);
  }
}

/** The four JSON frames, hand-signed with the key: what a buggy but authorised client could send. */
function signedFrames(parts: [Buffer, Buffer, Buffer, Buffer], key = KEY, scheme = "hmac-sha256"): Buffer[] {
  return joinFrames([Buffer.from("peer")], new Signer(scheme, key).sign(parts), parts);
}

describe("messaging properties", () => {
  it("splitFrames: any frame list is split exactly at its first delimiter, or refused with NO_DELIMITER / TOO_FEW_FRAMES", () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 14 }), (frames) => {
        let raw;
        try {
          raw = splitFrames(frames);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
          const code = (err as WireError).code;
          const at = frames.findIndex((f) => f.equals(DELIMITER));
          expect(code).toBe(at < 0 ? "NO_DELIMITER" : "TOO_FEW_FRAMES");
          if (code === "TOO_FEW_FRAMES") expect(frames.length - at - 1).toBeLessThan(5);
          return;
        }
        expect(raw.identities.some((f) => f.equals(DELIMITER))).toBe(false);
        const rebuilt = [
          ...raw.identities,
          DELIMITER,
          raw.signature,
          raw.header,
          raw.parentHeader,
          raw.metadata,
          raw.content,
          ...raw.buffers,
        ];
        expect(rebuilt).toEqual(frames);
      }),
      RUNS,
    );
  });

  it("joinFrames then splitFrames gives back identities, signature, the four frames and the buffers", () => {
    const parts = fc.tuple(frame, frame, frame, frame);
    fc.assert(
      fc.property(
        fc.array(identity, { maxLength: 4 }),
        fc.stringMatching(/^[0-9a-f]{0,64}$/),
        parts,
        fc.array(frame, { maxLength: 3 }),
        (ids, sig, four, buffers) => {
          const raw = splitFrames(joinFrames(ids, sig, four, buffers));
          expect(raw.identities).toEqual(ids);
          expect(raw.signature.toString("latin1")).toBe(sig);
          expect([raw.header, raw.parentHeader, raw.metadata, raw.content]).toEqual(four);
          expect(raw.buffers).toEqual(buffers);
        },
      ),
      RUNS,
    );
  });

  it("deserialize: random frames give a WireError and nothing else; with a key they are never accepted", () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fc.boolean(), (frames, keyed) => {
        const result = outcome(new Session({ key: keyed ? KEY : "" }), frames);
        if (keyed) expect(typeof result).toBe("string");
        else if (typeof result !== "string") wellFormed(result);
      }),
      RUNS,
    );
  });

  it("deserialize: any bytes in validly signed JSON frames give a well-formed message or BAD_JSON / BAD_HEADER", () => {
    const json = fc.oneof(
      jsonObject.map((o) => Buffer.from(JSON.stringify(o))),
      fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? "")),
      fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 24 }).map((s) => Buffer.from(s, "utf8")),
    );
    const stringMostly = fc.oneof(
      { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    );
    const header = fc.oneof(
      json,
      // mostly the right types, so that the other fields' types get checked too
      fc
        .record(
          { msg_id: stringMostly, msg_type: stringMostly, subshell_id: fc.jsonValue(), session: fc.jsonValue(), date: fc.jsonValue() },
          { requiredKeys: [] },
        )
        .map((h) => Buffer.from(JSON.stringify(h))),
    );
    fc.assert(
      fc.property(header, json, json, json, (h, p, m, c) => {
        const result = outcome(new Session({ key: KEY }), signedFrames([h, p, m, c]));
        if (typeof result === "string") expect(["BAD_JSON", "BAD_HEADER"]).toContain(result);
        else wellFormed(result);
      }),
      RUNS,
    );
  });

  it("serialize then deserialize keeps any JSON content and metadata; the same frames again are REPLAYED", () => {
    fc.assert(
      fc.property(msgType, jsonObject, jsonObject, fc.array(identity, { maxLength: 3 }), (type, content, metadata, ids) => {
        const sender = new Session({ key: KEY });
        const receiver = new Session({ key: KEY });
        const frames = sender.serialize({ header: sender.header(type as never), content, metadata }, ids);
        const msg = outcome(receiver, frames);
        if (typeof msg === "string") throw new Error(`rejected its own message: ${msg}`);
        // JSON drops what it cannot hold (-0 becomes 0): compare with the JSON image.
        expect(msg.content).toEqual(JSON.parse(JSON.stringify(content)));
        expect(msg.metadata).toEqual(JSON.parse(JSON.stringify(metadata)));
        expect(msg.header.msg_type).toBe(type);
        expect(msg.identities).toEqual(ids);
        expect(outcome(receiver, frames)).toBe("REPLAYED");
      }),
      RUNS,
    );
  });

  it("any change to a signed frame or to the signature is refused, never accepted", () => {
    const sender = new Session({ key: KEY });
    fc.assert(
      fc.property(jsonObject, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (content, whichFrame, at, xor) => {
        const frames = sender.serialize({ header: sender.header("execute_request"), content });
        // frames: [DELIMITER, signature, header, parent, metadata, content]
        const i = 1 + (whichFrame % 5);
        const target = Buffer.from(frames[i]!);
        if (target.length === 0) return;
        target[at % target.length]! ^= xor;
        frames[i] = target;
        const result = outcome(new Session({ key: KEY }), frames);
        expect(result).toBe("BAD_SIGNATURE");
      }),
      RUNS,
    );
  });

  it("a message signed with another key, or another hash, or not at all, is refused", () => {
    const receiver = new Session({ key: KEY });
    fc.assert(
      fc.property(
        jsonObject,
        fc.string({ minLength: 1, maxLength: 40 }).filter((k) => k !== KEY),
        fc.constantFrom("hmac-sha512", "hmac-sha1", "hmac-md5", "hmac-sha384", "hmac-sha224"),
        (content, otherKey, otherScheme) => {
          const header = Buffer.from(JSON.stringify(new Session({ key: "" }).header("execute_request")));
          const parts: [Buffer, Buffer, Buffer, Buffer] = [
            header,
            Buffer.from("{}"),
            Buffer.from("{}"),
            Buffer.from(JSON.stringify(content)),
          ];
          expect(outcome(receiver, signedFrames(parts, otherKey))).toBe("BAD_SIGNATURE");
          expect(outcome(receiver, signedFrames(parts, KEY, otherScheme))).toBe("BAD_SIGNATURE");
          expect(outcome(receiver, joinFrames([], "", parts))).toBe("UNSIGNED");
          // the genuine one still passes after all those (nothing recorded for refused messages)
          expect(typeof outcome(receiver, signedFrames(parts))).toBe("object");
        },
      ),
      RUNS,
    );
  });

  it("Signer: verify accepts its own signature over any frames and refuses any other signature", () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 4, maxLength: 4 }), fc.stringMatching(/^[0-9a-fA-F]{0,130}$/), (parts, forged) => {
        const signer = new Signer("hmac-sha256", KEY);
        const sig = signer.sign(parts);
        expect(signer.verify(Buffer.from(sig, "latin1"), parts)).toBe(true);
        expect(signer.verify(Buffer.from(sig.toUpperCase(), "latin1"), parts)).toBe(sig === sig.toUpperCase());
        if (forged !== sig) expect(signer.verify(Buffer.from(forged, "latin1"), parts)).toBe(false);
      }),
      RUNS,
    );
  });

  it("ReplayCache: a signature is refused again exactly while it is among the last `capacity` remembered", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"), { maxLength: 60 }),
        (capacity, sequence) => {
          const cache = new ReplayCache(capacity);
          const model: string[] = []; // FIFO of remembered signatures, oldest first
          for (const sig of sequence) {
            const expected = model.includes(sig);
            expect(cache.seen(sig)).toBe(expected);
            if (!expected && capacity > 0) {
              if (model.length === capacity) model.shift();
              model.push(sig);
            }
            expect(cache.size).toBe(model.length);
          }
        },
      ),
      RUNS,
    );
  });
});
