import { describe, expect, it } from "vitest";

import { ReplayCache } from "../../src/messaging/replay.js";

describe("messaging/replay", () => {
  describe("ReplayCache", () => {
    it("reports a signature as new the first time and as seen the second time", () => {
      const cache = new ReplayCache();
      expect(cache.seen("aa")).toBe(false);
      expect(cache.seen("aa")).toBe(true);
      expect(cache.seen("bb")).toBe(false);
      expect(cache.size).toBe(2);
    });

    it("does not record a signature again when it is seen again", () => {
      const cache = new ReplayCache(4);
      cache.seen("aa");
      cache.seen("aa");
      cache.seen("aa");
      expect(cache.size).toBe(1);
    });

    it("never holds more than its capacity", () => {
      const cache = new ReplayCache(4);
      for (let i = 0; i < 100; i++) {
        expect(cache.seen(`sig-${i}`)).toBe(false);
        expect(cache.size).toBeLessThanOrEqual(4);
      }
      expect(cache.size).toBe(4);
      expect(cache.capacity).toBe(4);
    });

    it("forgets the oldest signature first", () => {
      const cache = new ReplayCache(4);
      for (const s of ["a", "b", "c", "d", "e"]) cache.seen(s);
      // The last four are remembered ...
      for (const s of ["b", "c", "d", "e"]) expect(cache.seen(s)).toBe(true);
      // ... and the first one was evicted.
      expect(cache.seen("a")).toBe(false);
      // Recording "a" again evicted "b", the oldest.
      expect(cache.seen("b")).toBe(false);
      expect(cache.size).toBe(4);
    });

    it("defaults to 2**16 entries, like jupyter_client", () => {
      const cache = new ReplayCache();
      expect(cache.capacity).toBe(65536);
      for (let i = 0; i < 65536 + 1000; i++) cache.seen(i.toString(16));
      expect(cache.size).toBe(65536);
      expect(cache.seen((65536 + 999).toString(16))).toBe(true);
      expect(cache.seen("0")).toBe(false);
    });

    it("with capacity 0 remembers nothing", () => {
      const cache = new ReplayCache(0);
      expect(cache.seen("aa")).toBe(false);
      expect(cache.seen("aa")).toBe(false);
      expect(cache.size).toBe(0);
    });

    it("rejects a negative or fractional capacity with a RangeError", () => {
      expect(() => new ReplayCache(-1)).toThrow(RangeError);
      expect(() => new ReplayCache(1.5)).toThrow(RangeError);
      expect(() => new ReplayCache(Number.NaN)).toThrow(RangeError);
    });

    it("forgets everything on clear()", () => {
      const cache = new ReplayCache(3);
      for (const s of ["a", "b", "c", "d"]) cache.seen(s);
      cache.clear();
      expect(cache.size).toBe(0);
      expect(cache.seen("d")).toBe(false);
      for (const s of ["e", "f", "g"]) cache.seen(s);
      expect(cache.size).toBe(3);
      expect(cache.seen("d")).toBe(false);
    });
  });
});
