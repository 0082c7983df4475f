import { describe, expect, it } from "vitest";
import { murmur2 } from "../../../src/io/debugger/murmur2.js";

// ipykernel's seed (compiler.py get_tmp_hash_seed); the values are ipykernel's murmur2_x86 of the
// same texts (7.4.0, in the harness's venv), which JupyterLab's hash.ts computes too.
const SEED = 0xc70f6907;

describe("murmur2 (the cell file names JupyterLab computes)", () => {
  it("matches ipykernel's murmur2_x86 for ASCII, empty and multi-byte texts", () => {
    expect(murmur2("hello", SEED)).toBe(3305111549);
    expect(murmur2("", SEED)).toBe(3990065800);
    expect(murmur2("let x = 1;\nx", SEED)).toBe(1598947636);
    // every tail length (bytes past the last whole 4)
    expect(["a", "ab", "abc", "abcde"].map((t) => murmur2(t, SEED))).toEqual([2167009006, 2805137849, 3350977461, 730143326]);
    // UTF-8 bytes, not UTF-16 units: 2-, 3- and 4-byte characters
    expect(["é", "€", "😀x", "é€😀 ab"].map((t) => murmur2(t, SEED))).toEqual([2171970256, 2497530783, 3262316067, 649026320]);
  });

  it("depends on the seed", () => {
    expect(murmur2("hello", 0)).not.toBe(murmur2("hello", SEED));
  });
});
