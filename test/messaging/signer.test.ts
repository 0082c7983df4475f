import { createHmac } from "node:crypto";
import * as crypto from "node:crypto";

import { afterEach, describe, expect, it, vi } from "vitest";

import { Signer } from "../../src/messaging/signer.js";
import { WireError } from "../../src/messaging/wire.js";

// Spy on timingSafeEqual as the signer sees it, keeping the real implementation.
vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:crypto")>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const KEY = "a0436f6c-1916498b8eb9e81ab9368e84";
const PARTS = [
  Buffer.from('{"msg_id":"1","msg_type":"execute_request"}'),
  Buffer.from("{}"),
  Buffer.from('{"x": 1}'),
  Buffer.from('{"code":"1 + 1"}'),
];
const SCHEMES = ["sha256", "sha512", "sha1", "md5", "sha384", "sha224", "sha3-256", "sha512-256"];

function reference(hash: string, key: Buffer | string, parts: readonly Buffer[]): string {
  return createHmac(hash, key).update(Buffer.concat(parts)).digest("hex");
}

describe("messaging/signer", () => {
  afterEach(() => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
  });

  describe("Signer.sign()", () => {
    for (const hash of SCHEMES) {
      it(`computes the lowercase hex hmac-${hash} of the four frames`, () => {
        const signer = new Signer(`hmac-${hash}`, KEY);
        const sig = signer.sign(PARTS);
        expect(sig).toBe(reference(hash, KEY, PARTS));
        expect(sig).toBe(sig.toLowerCase());
        expect(sig).toMatch(/^[0-9a-f]+$/);
      });
    }

    it("uses the UTF-8 bytes of the key string, not its hex decoding", () => {
      const hexLooking = "deadbeefcafe";
      const sig = new Signer("hmac-sha256", hexLooking).sign(PARTS);
      expect(sig).toBe(reference("sha256", Buffer.from(hexLooking, "utf8"), PARTS));
      expect(sig).not.toBe(reference("sha256", Buffer.from(hexLooking, "hex"), PARTS));
    });

    it("encodes a non-ASCII key as UTF-8", () => {
      const key = "clé-ключ-鍵";
      expect(new Signer("hmac-sha256", key).sign(PARTS)).toBe(reference("sha256", Buffer.from(key, "utf8"), PARTS));
    });

    it("signs only the frames it is given, in order", () => {
      const signer = new Signer("hmac-sha256", KEY);
      const reordered = [PARTS[1]!, PARTS[0]!, PARTS[2]!, PARTS[3]!];
      expect(signer.sign(reordered)).not.toBe(signer.sign(PARTS));
    });

    it("returns an empty signature when the key is empty", () => {
      const signer = new Signer("hmac-sha256", "");
      expect(signer.enabled).toBe(false);
      expect(signer.sign(PARTS)).toBe("");
    });

    it("is enabled when a key is set", () => {
      expect(new Signer("hmac-sha256", KEY).enabled).toBe(true);
    });
  });

  describe("Signer.verify()", () => {
    it("accepts the signature of the same frames", () => {
      const signer = new Signer("hmac-sha512", KEY);
      expect(signer.verify(Buffer.from(signer.sign(PARTS)), PARTS)).toBe(true);
    });

    it("rejects a signature when any one frame was changed", () => {
      const signer = new Signer("hmac-sha256", KEY);
      const sig = Buffer.from(signer.sign(PARTS));
      for (let i = 0; i < 4; i++) {
        const tampered = PARTS.slice();
        tampered[i] = Buffer.concat([PARTS[i]!, Buffer.from(" ")]);
        expect(signer.verify(sig, tampered)).toBe(false);
      }
    });

    it("rejects a signature made with another key", () => {
      const other = new Signer("hmac-sha256", "other-key");
      const signer = new Signer("hmac-sha256", KEY);
      expect(signer.verify(Buffer.from(other.sign(PARTS)), PARTS)).toBe(false);
    });

    it("rejects the right digest written in uppercase hex", () => {
      const signer = new Signer("hmac-sha256", KEY);
      expect(signer.verify(Buffer.from(signer.sign(PARTS).toUpperCase()), PARTS)).toBe(false);
    });

    it("returns false without throwing for signatures of another length", () => {
      const signer = new Signer("hmac-sha256", KEY);
      const good = signer.sign(PARTS);
      for (const sig of ["", "ab", good.slice(0, -1), `${good}0`, good + good]) {
        expect(() => signer.verify(Buffer.from(sig), PARTS)).not.toThrow();
        expect(signer.verify(Buffer.from(sig), PARTS)).toBe(false);
      }
      // Unequal lengths are rejected before the constant-time compare, which would throw on them.
      expect(crypto.timingSafeEqual).not.toHaveBeenCalled();
    });

    it("compares equal-length signatures with crypto.timingSafeEqual", () => {
      const signer = new Signer("hmac-sha256", KEY);
      const good = signer.sign(PARTS);
      const bad = `${good[0] === "0" ? "1" : "0"}${good.slice(1)}`;
      expect(signer.verify(Buffer.from(bad), PARTS)).toBe(false);
      expect(signer.verify(Buffer.from(good), PARTS)).toBe(true);
      expect(crypto.timingSafeEqual).toHaveBeenCalledTimes(2);
    });

    it("accepts any signature when the key is empty", () => {
      const signer = new Signer("hmac-sha256", "");
      expect(signer.verify(Buffer.alloc(0), PARTS)).toBe(true);
      expect(signer.verify(Buffer.from("whatever"), PARTS)).toBe(true);
    });
  });

  describe("new Signer()", () => {
    it("exposes the hash name of the scheme", () => {
      expect(new Signer("hmac-sha512", KEY).hash).toBe("sha512");
    });

    for (const scheme of ["sha256", "hmac-", "hmac-nope", "", "HMAC-sha256", "rsa-sha256", "hmac sha256"]) {
      it(`rejects the scheme ${JSON.stringify(scheme)} with BAD_SCHEME naming it`, () => {
        let caught: unknown;
        try {
          new Signer(scheme, KEY);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(WireError);
        expect((caught as WireError).code).toBe("BAD_SCHEME");
        expect((caught as WireError).message).toContain(JSON.stringify(scheme));
      });
    }

    it("rejects an unknown scheme even when the key is empty", () => {
      expect(() => new Signer("hmac-nope", "")).toThrow(WireError);
    });
  });
});
