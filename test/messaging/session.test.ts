import { createHmac } from "node:crypto";

import { afterEach, describe, expect, it, vi } from "vitest";

import { PROTOCOL_VERSION } from "../../src/messaging/messages.js";
import { Session } from "../../src/messaging/session.js";
import type { Header, Message } from "../../src/messaging/session.js";
import { DELIMITER, WireError } from "../../src/messaging/wire.js";
import type { WireErrorCode } from "../../src/messaging/wire.js";

const KEY = "a0436f6c-1916498b8eb9e81ab9368e84";
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SCHEMES = ["sha256", "sha512", "sha1", "md5", "sha384", "sha224", "sha3-256", "sha3-512"];

const b = (s: string): Buffer => Buffer.from(s, "utf8");

/** Frames for hand-written JSON text, signed with createHmac over exactly those bytes. */
function handSigned(
  parts: readonly (string | Buffer)[],
  options: { key?: string; hash?: string; identities?: Buffer[]; buffers?: Buffer[] } = {},
): Buffer[] {
  const key = options.key ?? KEY;
  const bufs = parts.map((p) => (typeof p === "string" ? b(p) : p));
  const sig =
    key === ""
      ? ""
      : createHmac(options.hash ?? "sha256", key)
          .update(Buffer.concat(bufs))
          .digest("hex");
  return [...(options.identities ?? []), DELIMITER, b(sig), ...bufs, ...(options.buffers ?? [])];
}

const HEADER_JSON = JSON.stringify({
  msg_id: "f0d1c2b3-0000-4000-8000-000000000001",
  session: "client-session",
  username: "alice",
  date: "2026-11-02T09:15:03.042Z",
  msg_type: "execute_request",
  version: "5.3",
});

/** Run `fn`, expect a WireError (and nothing else), and return its code. */
function wireErrorCode(fn: () => unknown): WireErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return (err as WireError).code;
  }
  throw new Error("expected a WireError, nothing was thrown");
}

describe("messaging/session", () => {
  describe("new Session()", () => {
    it("defaults to hmac-sha256, username kernel and a uuid v4 session id", () => {
      const session = new Session({ key: KEY });
      expect(session.signer.hash).toBe("sha256");
      expect(session.signer.enabled).toBe(true);
      expect(session.username).toBe("kernel");
      expect(session.id).toMatch(UUID_V4);
      expect(new Session({ key: KEY }).id).not.toBe(session.id);
    });

    it("takes the session id, username and scheme from the options", () => {
      const session = new Session({ key: KEY, session: "s-1", username: "bob", signatureScheme: "hmac-sha512" });
      expect(session.id).toBe("s-1");
      expect(session.username).toBe("bob");
      expect(session.signer.hash).toBe("sha512");
    });

    it("rejects an unknown signature scheme with BAD_SCHEME", () => {
      expect(wireErrorCode(() => new Session({ key: KEY, signatureScheme: "hmac-whirlpool-9000" }))).toBe("BAD_SCHEME");
      expect(wireErrorCode(() => new Session({ key: KEY, signatureScheme: "sha256" }))).toBe("BAD_SCHEME");
    });

    it("rejects a key that is not a string with a TypeError", () => {
      expect(() => new Session({ key: undefined as unknown as string })).toThrow(TypeError);
    });

    it("rejects a negative replay capacity with a RangeError", () => {
      expect(() => new Session({ key: KEY, replayCapacity: -1 })).toThrow(RangeError);
    });
  });

  describe("Session.header()", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("fills every header field", () => {
      const session = new Session({ key: KEY, username: "kernel" });
      const before = Date.now();
      const header = session.header("status");
      const after = Date.now();
      expect(header.msg_id).toMatch(UUID_V4);
      expect(header.session).toBe(session.id);
      expect(header.username).toBe("kernel");
      expect(header.msg_type).toBe("status");
      expect(header.version).toBe(PROTOCOL_VERSION);
      expect(header.version).toBe("5.5");
      expect("subshell_id" in header).toBe(false);
      expect(header.date.endsWith("Z")).toBe(true);
      const parsed = Date.parse(header.date);
      expect(parsed).toBeGreaterThanOrEqual(before);
      expect(parsed).toBeLessThanOrEqual(after);
    });

    it("writes the date exactly as Date#toISOString does, across seconds", () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const session = new Session({ key: KEY });
      const times = [
        Date.UTC(2026, 10, 2, 9, 15, 3, 42),
        Date.UTC(2026, 10, 2, 9, 15, 3, 7),
        Date.UTC(2026, 10, 2, 9, 15, 3, 999),
        Date.UTC(2026, 10, 2, 9, 15, 4, 0),
        Date.UTC(2026, 11, 31, 23, 59, 59, 123),
        Date.UTC(2027, 0, 1, 0, 0, 0, 5),
        Date.UTC(2026, 10, 2, 9, 15, 3, 100),
      ];
      for (const t of times) {
        vi.setSystemTime(t);
        expect(session.header("status").date).toBe(new Date(t).toISOString());
      }
    });

    it("gives every message its own msg_id", () => {
      const session = new Session({ key: KEY });
      const ids = new Set(Array.from({ length: 1000 }, () => session.header("stream").msg_id));
      expect(ids.size).toBe(1000);
    });

    it("copies a given subshell id and omits a null one", () => {
      const session = new Session({ key: KEY });
      expect(session.header("execute_request", "sub-1").subshell_id).toBe("sub-1");
      expect("subshell_id" in session.header("execute_request", null)).toBe(false);
    });
  });

  describe("Session.serialize() and Session.deserialize()", () => {
    for (const hash of SCHEMES) {
      it(`round-trip a message signed with hmac-${hash}`, () => {
        const sender = new Session({ key: KEY, signatureScheme: `hmac-${hash}`, username: "client" });
        const receiver = new Session({ key: KEY, signatureScheme: `hmac-${hash}` });
        const header = sender.header("execute_request");
        const parent = sender.header("kernel_info_request");
        const content = { code: "console.log('héllo ☃ 𝒳')", silent: false, nested: { a: [1, 2, null] } };
        const frames = sender.serialize({ header, parent_header: parent, metadata: { tag: "x" }, content }, [b("router-id")]);
        const msg = receiver.deserialize(frames);
        expect(msg.header).toEqual(header);
        expect(msg.parent_header).toEqual(parent);
        expect(msg.metadata).toEqual({ tag: "x" });
        expect(msg.content).toEqual(content);
        expect(msg.identities.map(String)).toEqual(["router-id"]);
        expect(msg.buffers).toEqual([]);
      });
    }

    it("sign the four JSON frames with the session's scheme", () => {
      const session = new Session({ key: KEY, signatureScheme: "hmac-sha512" });
      const frames = session.message("status", { execution_state: "idle" });
      const [, sig, ...json] = frames;
      expect(sig!.toString()).toBe(createHmac("sha512", KEY).update(Buffer.concat(json)).digest("hex"));
    });

    it("send {} for a missing parent_header, metadata and content", () => {
      const session = new Session({ key: KEY });
      const frames = session.serialize({ header: session.header("interrupt_reply"), content: undefined });
      expect(frames.slice(3).map(String)).toEqual(["{}", "{}", "{}"]);
    });

    it("write JSON as JSON.stringify does, UTF-8 encoded", () => {
      const session = new Session({ key: "" });
      const content = { text: "é ☃ 𝒳", n: 1.5 };
      const frames = session.message("stream", content);
      expect(frames[5]!.equals(Buffer.from(JSON.stringify(content), "utf8"))).toBe(true);
    });
  });

  describe("Session.deserialize()", () => {
    it("verifies the signature over the frames as received, not a re-serialization", () => {
      // Spacing, key order and escapes a JSON.stringify round trip would change.
      const header =
        '{ "msg_type" : "execute_request",\n  "msg_id": "abc",  "session":"s", "username": "u",' +
        ' "date": "2026-11-02T09:15:03.042+00:00", "version": "5.3" }';
      const parent = "{ }";
      const metadata = '{"b": 2, "a": 1}';
      const content = '{"code": "\\u0031 + 1", "silent": false}';
      const frames = handSigned([header, parent, metadata, content]);
      const session = new Session({ key: KEY });
      const msg = session.deserialize(frames);
      expect(msg.header.msg_id).toBe("abc");
      expect(msg.header.msg_type).toBe("execute_request");
      expect(msg.parent_header).toEqual({});
      expect(msg.metadata).toEqual({ a: 1, b: 2 });
      expect(msg.content).toEqual({ code: "1 + 1", silent: false });
      // The test is only meaningful if re-serializing would have changed the bytes.
      expect(JSON.stringify(JSON.parse(header))).not.toBe(header);
      expect(JSON.stringify(JSON.parse(content))).not.toBe(content);
    });

    it("accepts what a Python peer sends with json.dumps spacing", () => {
      const header =
        '{"msg_id": "1", "msg_type": "kernel_info_request", "username": "u", "session": "s", ' +
        '"date": "2026-11-02T09:15:03.042000Z", "version": "5.4"}';
      const msg = new Session({ key: KEY }).deserialize(handSigned([header, "{}", "{}", "{}"]));
      expect(msg.header.msg_type).toBe("kernel_info_request");
    });

    for (const [index, name] of ["header", "parent_header", "metadata", "content"].entries()) {
      it(`rejects a tampered ${name} with BAD_SIGNATURE`, () => {
        const session = new Session({ key: KEY });
        const frames = new Session({ key: KEY }).message("execute_request", { code: "1" }, session.header("kernel_info_request"), { m: 1 });
        const i = 2 + index;
        const tampered = frames.slice();
        tampered[i] = Buffer.from(frames[i]!.toString().replace(/}$/, ', "evil": 1}'));
        expect(wireErrorCode(() => session.deserialize(tampered))).toBe("BAD_SIGNATURE");
        // The untouched frames still pass.
        expect(session.deserialize(frames).header.msg_type).toBe("execute_request");
      });
    }

    it("rejects a signature made with another key with BAD_SIGNATURE", () => {
      const frames = new Session({ key: "another-key" }).message("kernel_info_request", {});
      expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(frames))).toBe("BAD_SIGNATURE");
    });

    it("rejects a signature of the wrong length with BAD_SIGNATURE", () => {
      const frames = new Session({ key: KEY }).message("kernel_info_request", {});
      frames[1] = Buffer.from("abc");
      expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(frames))).toBe("BAD_SIGNATURE");
    });

    it("rejects an unsigned message with UNSIGNED when a key is set", () => {
      const frames = new Session({ key: "" }).message("kernel_info_request", {});
      expect(frames[1]!.length).toBe(0);
      expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(frames))).toBe("UNSIGNED");
    });

    it("with an empty key, signs with an empty frame and accepts unsigned messages", () => {
      const session = new Session({ key: "" });
      const frames = session.message("kernel_info_request", {});
      expect(frames[1]!.length).toBe(0);
      expect(session.deserialize(frames).header.msg_type).toBe("kernel_info_request");
    });

    it("with an empty key, ignores whatever signature a peer sends", () => {
      const frames = new Session({ key: KEY }).message("kernel_info_request", {});
      expect(new Session({ key: "" }).deserialize(frames).header.msg_type).toBe("kernel_info_request");
    });

    it("with an empty key, accepts the same frames twice (no signatures to track)", () => {
      const session = new Session({ key: "" });
      const frames = session.message("kernel_info_request", {});
      session.deserialize(frames);
      expect(session.deserialize(frames).header.msg_type).toBe("kernel_info_request");
    });

    it("rejects the same frames received twice with REPLAYED", () => {
      const client = new Session({ key: KEY });
      const kernel = new Session({ key: KEY });
      const frames = client.message("execute_request", { code: "rm -rf" });
      expect(kernel.deserialize(frames).content).toEqual({ code: "rm -rf" });
      expect(wireErrorCode(() => kernel.deserialize(frames))).toBe("REPLAYED");
      expect(wireErrorCode(() => kernel.deserialize(frames.slice()))).toBe("REPLAYED");
    });

    it("rejects a replay with other routing identities or extra buffers with REPLAYED", () => {
      const client = new Session({ key: KEY });
      const kernel = new Session({ key: KEY });
      const frames = client.message("execute_request", { code: "1" }, {}, {}, [], [b("a")]);
      kernel.deserialize(frames);
      expect(wireErrorCode(() => kernel.deserialize([b("other"), ...frames.slice(1)]))).toBe("REPLAYED");
      expect(wireErrorCode(() => kernel.deserialize([...frames, b("extra")]))).toBe("REPLAYED");
    });

    it("records a signature only after it verified, so a forgery cannot block the genuine message", () => {
      const client = new Session({ key: KEY });
      const kernel = new Session({ key: KEY });
      const genuine = client.message("execute_request", { code: "1" });
      // Someone without the key copies the genuine signature onto other content and sends it first.
      const forged = genuine.slice();
      forged[5] = b('{"code": "evil()"}');
      expect(wireErrorCode(() => kernel.deserialize(forged))).toBe("BAD_SIGNATURE");
      expect(kernel.deserialize(genuine).content).toEqual({ code: "1" });
    });

    it("keeps replay memory bounded at replayCapacity, forgetting the oldest", () => {
      const client = new Session({ key: KEY });
      const kernel = new Session({ key: KEY, replayCapacity: 3 });
      const sent = Array.from({ length: 5 }, (_, i) => client.message("execute_request", { code: String(i) }));
      for (const frames of sent) kernel.deserialize(frames);
      // The three most recent are remembered ...
      for (const frames of sent.slice(2)) expect(wireErrorCode(() => kernel.deserialize(frames))).toBe("REPLAYED");
      // ... the two oldest were evicted.
      expect(kernel.deserialize(sent[0]!).content).toEqual({ code: "0" });
      expect(kernel.deserialize(sent[1]!).content).toEqual({ code: "1" });
    });

    it("keeps several routing identities, in order", () => {
      const ids = [b("proxy"), Buffer.from([0, 0x80, 0, 0x41, 0xa7]), b("client")];
      const client = new Session({ key: KEY });
      const kernel = new Session({ key: KEY });
      const msg = kernel.deserialize(client.message("execute_request", { code: "1" }, {}, {}, [], ids));
      expect(msg.identities).toEqual(ids);
      // And a reply goes back along the same path.
      const reply = kernel.message("execute_reply", { status: "ok" }, msg.header, {}, [], msg.identities);
      expect(reply.slice(0, 4)).toEqual([...ids, DELIMITER]);
    });

    it("keeps binary buffers and does not sign them", () => {
      const client = new Session({ key: KEY });
      const kernel = new Session({ key: KEY });
      const floats = new Float64Array([1.5, -2]);
      const bytes = new Uint8Array([0, 255, 128]);
      const view = new DataView(new ArrayBuffer(2));
      view.setUint16(0, 0xbeef);
      const raw = Buffer.from([9, 9]);
      const frames = client.message("comm_msg", { comm_id: "c", data: {} }, {}, {}, [floats, bytes, view, raw]);
      expect(frames).toHaveLength(10);
      // The signature covers the four JSON frames only.
      expect(frames[1]!.toString()).toBe(
        createHmac("sha256", KEY)
          .update(Buffer.concat(frames.slice(2, 6)))
          .digest("hex"),
      );
      // So changing a buffer in flight does not break verification.
      const altered = frames.slice();
      altered[9] = Buffer.from([1]);
      const msg = kernel.deserialize(altered);
      expect(msg.buffers).toHaveLength(4);
      expect(new Float64Array(new Uint8Array(msg.buffers[0]!).buffer)).toEqual(floats);
      expect([...msg.buffers[1]!]).toEqual([0, 255, 128]);
      expect(msg.buffers[2]!.readUInt16BE(0)).toBe(0xbeef);
      expect([...msg.buffers[3]!]).toEqual([1]);
    });

    it("rejects frames without a delimiter with NO_DELIMITER", () => {
      const frames = new Session({ key: KEY }).message("kernel_info_request", {});
      const session = new Session({ key: KEY });
      expect(wireErrorCode(() => session.deserialize(frames.filter((f) => f !== DELIMITER)))).toBe("NO_DELIMITER");
    });

    it("rejects frames missing a JSON frame with TOO_FEW_FRAMES", () => {
      const frames = new Session({ key: KEY }).message("kernel_info_request", {});
      expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(frames.slice(0, 5)))).toBe("TOO_FEW_FRAMES");
    });

    for (const [index, name] of ["header", "parent_header", "metadata", "content"].entries()) {
      it(`rejects invalid UTF-8 in the ${name} frame with BAD_JSON`, () => {
        const parts: (string | Buffer)[] = [HEADER_JSON, "{}", "{}", "{}"];
        // A valid JSON shape around bytes that are not UTF-8 (a lone continuation byte and an overlong form).
        parts[index] =
          index === 0
            ? Buffer.concat([b('{"msg_id": "1", "msg_type": "x", "k": "'), Buffer.from([0x80, 0xc0, 0xaf]), b('"}')])
            : Buffer.concat([b('{"k": "'), Buffer.from([0xff, 0xfe]), b('"}')]);
        expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(handSigned(parts)))).toBe("BAD_JSON");
      });

      it(`rejects invalid JSON in the ${name} frame with BAD_JSON`, () => {
        const parts: string[] = [HEADER_JSON, "{}", "{}", "{}"];
        parts[index] = "{not json";
        expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(handSigned(parts)))).toBe("BAD_JSON");
      });
    }

    for (const [index, name] of ["parent_header", "metadata", "content"].entries()) {
      for (const value of ["[]", "null", "3", '"text"', "true"]) {
        it(`rejects ${value} as ${name} with BAD_JSON`, () => {
          const parts = [HEADER_JSON, "{}", "{}", "{}"];
          parts[index + 1] = value;
          expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(handSigned(parts)))).toBe("BAD_JSON");
        });
      }
    }

    const badHeaders: [string, string][] = [
      ["an array", '["msg_id", "msg_type"]'],
      ["null", "null"],
      ["a string", '"header"'],
      ["a header whose msg_type is a number", '{"msg_id": "1", "msg_type": 7}'],
      ["a header without msg_type", '{"msg_id": "1"}'],
      ["a header without msg_id", '{"msg_type": "execute_request"}'],
      ["a header whose msg_id is null", '{"msg_id": null, "msg_type": "execute_request"}'],
      ["a header whose subshell_id is a number", '{"msg_id": "1", "msg_type": "execute_request", "subshell_id": 2}'],
    ];
    for (const [what, header] of badHeaders) {
      it(`rejects ${what} with BAD_HEADER`, () => {
        const frames = handSigned([header, "{}", "{}", "{}"]);
        expect(wireErrorCode(() => new Session({ key: KEY }).deserialize(frames))).toBe("BAD_HEADER");
      });
    }

    it("fills missing optional header fields with empty strings and keeps extra fields", () => {
      const frames = handSigned(['{"msg_id": "1", "msg_type": "execute_request", "extra": [1]}', "{}", "{}", "{}"]);
      const msg = new Session({ key: KEY }).deserialize(frames);
      expect(msg.header).toEqual({
        msg_id: "1",
        msg_type: "execute_request",
        session: "",
        username: "",
        date: "",
        version: "",
        extra: [1],
      });
    });

    it("replaces ill-typed informational header fields with empty strings", () => {
      const frames = handSigned([
        '{"msg_id": "1", "msg_type": "status", "session": 5, "username": null, "date": {}, "version": 5.3}',
        "{}",
        "{}",
        "{}",
      ]);
      const header = new Session({ key: KEY }).deserialize(frames).header;
      expect([header.session, header.username, header.date, header.version]).toEqual(["", "", "", ""]);
    });

    it("keeps a string or null subshell_id", () => {
      const session = new Session({ key: KEY });
      const withId = handSigned(['{"msg_id": "1", "msg_type": "execute_request", "subshell_id": "sub"}', "{}", "{}", "{}"]);
      const withNull = handSigned(['{"msg_id": "2", "msg_type": "execute_request", "subshell_id": null}', "{}", "{}", "{}"]);
      expect(session.deserialize(withId).header.subshell_id).toBe("sub");
      expect(session.deserialize(withNull).header.subshell_id).toBeNull();
    });

    it("tolerates a byte order mark before the header, and keeps it out of the header it echoes", () => {
      const header = '{"msg_id": "1", "msg_type": "kernel_info_request"}';
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      const frames = handSigned([Buffer.concat([bom, b(header)]), "{}", "{}", "{}"]);
      const msg = new Session({ key: KEY }).deserialize(frames);
      expect(msg.header.msg_id).toBe("1");
      // jupyter_client refuses JSON that starts with a BOM: replies must not carry it as parent_header
      expect(msg.rawHeader!.toString("utf8")).toBe(header);
    });

    it("accepts an unknown msg_type (the spec asks both sides to tolerate them)", () => {
      const frames = handSigned(['{"msg_id": "1", "msg_type": "usage_request"}', "{}", "{}", "{}"]);
      expect(new Session({ key: KEY }).deserialize(frames).header.msg_type).toBe("usage_request");
    });

    it("throws nothing but WireError on randomly corrupted frames", () => {
      // Deterministic xorshift PRNG so a failure is reproducible.
      let state = 0x2545f491;
      const rand = (n: number): number => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return (state >>> 0) % n;
      };
      const sender = new Session({ key: "" });
      const receiver = new Session({ key: "" });
      const original = sender.message(
        "execute_request",
        { code: "x", user_expressions: { a: "1" } },
        sender.header("kernel_info_request"),
        { m: [1, 2] },
        [Buffer.from([1, 2])],
        [b("id")],
      );
      let accepted = 0;
      let rejected = 0;
      for (let i = 0; i < 3000; i++) {
        const frames = original.map((f) => Buffer.from(f));
        const mutations = 1 + rand(3);
        for (let m = 0; m < mutations; m++) {
          const op = rand(4);
          const fi = rand(frames.length);
          const f = frames[fi]!;
          if (op === 0 && f.length > 0) f[rand(f.length)] = rand(256);
          else if (op === 1) frames[fi] = f.subarray(0, rand(f.length + 1));
          else if (op === 2) frames.splice(fi, 1);
          else frames.splice(fi, 0, Buffer.from([rand(256), rand(256)]));
        }
        try {
          const msg: Message = receiver.deserialize(frames);
          expect(typeof msg.header.msg_id).toBe("string");
          expect(typeof msg.header.msg_type).toBe("string");
          accepted++;
        } catch (err) {
          if (!(err instanceof WireError)) throw err;
          rejected++;
        }
      }
      expect(accepted + rejected).toBe(3000);
      expect(rejected).toBeGreaterThan(0);
    });
  });

  describe("Session.message()", () => {
    it("builds a reply to a parent with metadata, buffers and identities", () => {
      const client = new Session({ key: KEY, username: "client" });
      const kernel = new Session({ key: KEY });
      const request = kernel.deserialize(client.message("execute_request", { code: "1" }, {}, {}, [], [b("peer")]));
      const frames = kernel.message(
        "execute_reply",
        { status: "ok", execution_count: 1, user_expressions: {} },
        request.header,
        { started: "now" },
        [Buffer.from([7])],
        request.identities,
      );
      const reply = client.deserialize(frames);
      expect(reply.identities.map(String)).toEqual(["peer"]);
      expect(reply.header.msg_type).toBe("execute_reply");
      expect(reply.header.session).toBe(kernel.id);
      expect(reply.header.username).toBe("kernel");
      expect("subshell_id" in reply.header).toBe(false);
      expect(reply.parent_header).toEqual(request.header);
      expect((reply.parent_header as Header).msg_id).toBe(request.header.msg_id);
      expect(reply.metadata).toEqual({ started: "now" });
      expect(reply.content).toEqual({ status: "ok", execution_count: 1, user_expressions: {} });
      expect(reply.buffers).toEqual([Buffer.from([7])]);
    });

    it("sends {} as parent_header and metadata when none is given", () => {
      const session = new Session({ key: KEY });
      const frames = session.message("iopub_welcome", { subscription: "" });
      expect(frames[0]).toBe(DELIMITER);
      expect(frames[3]!.toString()).toBe("{}");
      expect(frames[4]!.toString()).toBe("{}");
      expect(new Session({ key: KEY }).deserialize(frames).parent_header).toEqual({});
    });

    it("prefixes IOPub messages with a topic identity", () => {
      const session = new Session({ key: KEY });
      const frames = session.message("stream", { name: "stdout", text: "hi" }, {}, {}, [], [b("stream.stdout")]);
      expect(frames[0]!.toString()).toBe("stream.stdout");
      expect(frames[1]).toBe(DELIMITER);
    });
  });
});
