import { describe, expect, it } from "vitest";

import { DELIMITER, WireError, joinFrames, splitFrames } from "../../src/messaging/wire.js";
import type { WireErrorCode } from "../../src/messaging/wire.js";

const b = (s: string): Buffer => Buffer.from(s, "utf8");
const JSON_PARTS = [b('{"h":1}'), b('{"p":2}'), b('{"m":3}'), b('{"c":4}')] as const;

/** Run `fn`, expect a WireError, and return its code. */
function wireErrorCode(fn: () => unknown): WireErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return (err as WireError).code;
  }
  throw new Error("expected a WireError, nothing was thrown");
}

describe("messaging/wire", () => {
  describe("DELIMITER", () => {
    it("is the bytes <IDS|MSG>", () => {
      expect(DELIMITER.toString("latin1")).toBe("<IDS|MSG>");
      expect(DELIMITER.length).toBe(9);
    });
  });

  describe("WireError", () => {
    it("is an Error with a name and a code", () => {
      const err = new WireError("BAD_JSON", "nope");
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe("WireError");
      expect(err.code).toBe("BAD_JSON");
      expect(err.message).toBe("nope");
    });

    it("keeps a cause when given one", () => {
      const cause = new SyntaxError("x");
      expect(new WireError("BAD_JSON", "nope", { cause }).cause).toBe(cause);
    });
  });

  describe("splitFrames()", () => {
    it("splits a message without routing identities", () => {
      const raw = splitFrames([DELIMITER, b("sig"), ...JSON_PARTS]);
      expect(raw.identities).toEqual([]);
      expect(raw.signature.toString()).toBe("sig");
      expect(raw.header.toString()).toBe('{"h":1}');
      expect(raw.parentHeader.toString()).toBe('{"p":2}');
      expect(raw.metadata.toString()).toBe('{"m":3}');
      expect(raw.content.toString()).toBe('{"c":4}');
      expect(raw.buffers).toEqual([]);
    });

    it("keeps several routing identities in order", () => {
      const ids = [b("router-1"), Buffer.from([0, 1, 2, 3, 4]), b("router-3")];
      const raw = splitFrames([...ids, DELIMITER, b("sig"), ...JSON_PARTS]);
      expect(raw.identities).toHaveLength(3);
      raw.identities.forEach((id, i) => expect(id).toBe(ids[i]));
    });

    it("returns the buffers after the four JSON frames", () => {
      const bufs = [Buffer.from([1, 2, 3]), Buffer.alloc(0), b("third")];
      const raw = splitFrames([b("id"), DELIMITER, b("sig"), ...JSON_PARTS, ...bufs]);
      expect(raw.buffers).toHaveLength(3);
      raw.buffers.forEach((buf, i) => expect(buf).toBe(bufs[i]));
    });

    it("does not copy frames", () => {
      const frames = [DELIMITER, b("sig"), ...JSON_PARTS];
      const raw = splitFrames(frames);
      expect(raw.signature).toBe(frames[1]);
      expect(raw.header).toBe(frames[2]);
      expect(raw.content).toBe(frames[5]);
    });

    it("treats only the first delimiter as the separator", () => {
      const raw = splitFrames([DELIMITER, b("sig"), ...JSON_PARTS, Buffer.from(DELIMITER)]);
      expect(raw.buffers).toHaveLength(1);
      expect(raw.buffers[0]!.toString()).toBe("<IDS|MSG>");
    });

    it("accepts an empty signature frame", () => {
      expect(splitFrames([DELIMITER, Buffer.alloc(0), ...JSON_PARTS]).signature.length).toBe(0);
    });

    it("rejects frames without a delimiter with NO_DELIMITER", () => {
      expect(wireErrorCode(() => splitFrames([b("id"), b("sig"), ...JSON_PARTS]))).toBe("NO_DELIMITER");
    });

    it("rejects an empty frame list with NO_DELIMITER", () => {
      expect(wireErrorCode(() => splitFrames([]))).toBe("NO_DELIMITER");
    });

    it("does not mistake a 9-byte frame that is not the delimiter for it", () => {
      expect(wireErrorCode(() => splitFrames([b("<IDS|MSX>"), b("sig"), ...JSON_PARTS]))).toBe("NO_DELIMITER");
    });

    it("rejects fewer than signature + 4 frames after the delimiter with TOO_FEW_FRAMES", () => {
      expect(wireErrorCode(() => splitFrames([DELIMITER, b("sig"), ...JSON_PARTS.slice(0, 3)]))).toBe("TOO_FEW_FRAMES");
      expect(wireErrorCode(() => splitFrames([b("id"), DELIMITER]))).toBe("TOO_FEW_FRAMES");
    });
  });

  describe("joinFrames()", () => {
    it("lays out identities, delimiter, signature, JSON frames and buffers", () => {
      const ids = [b("a"), b("b")];
      const frames = joinFrames(ids, "abc123", JSON_PARTS, [b("buf")]);
      expect(frames.map((f) => f.toString())).toEqual(["a", "b", "<IDS|MSG>", "abc123", '{"h":1}', '{"p":2}', '{"m":3}', '{"c":4}', "buf"]);
    });

    it("writes an empty signature frame for an empty signature", () => {
      const frames = joinFrames([], "", JSON_PARTS);
      expect(frames).toHaveLength(6);
      expect(frames[1]!.length).toBe(0);
    });

    it("does not modify the identities array it is given", () => {
      const ids = [b("a")];
      joinFrames(ids, "s", JSON_PARTS, [b("x")]);
      expect(ids).toHaveLength(1);
    });

    it("wraps typed arrays and DataViews as Buffers over the same memory", () => {
      const backing = new ArrayBuffer(16);
      const floats = new Float64Array(backing, 8, 1);
      const view = new DataView(backing, 0, 4);
      const frames = joinFrames([], "", JSON_PARTS, [floats, view]);
      const [f, v] = frames.slice(6);
      expect(Buffer.isBuffer(f)).toBe(true);
      expect(f!.length).toBe(8);
      expect(v!.length).toBe(4);
      floats[0] = 1.5;
      view.setUint8(0, 7);
      expect(f!.readDoubleLE(0)).toBe(1.5);
      expect(v![0]).toBe(7);
    });

    it("round-trips through splitFrames()", () => {
      const ids = [b("x"), b("y")];
      const bufs = [Buffer.from([9, 8, 7])];
      const raw = splitFrames(joinFrames(ids, "deadbeef", JSON_PARTS, bufs));
      expect(raw.identities).toEqual(ids);
      expect(raw.signature.toString()).toBe("deadbeef");
      expect([raw.header, raw.parentHeader, raw.metadata, raw.content]).toEqual([...JSON_PARTS]);
      expect(raw.buffers).toEqual(bufs);
    });
  });
});
