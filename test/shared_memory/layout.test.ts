/**
 * The shared-memory layout (src/shared_memory/layout.ts) is consistent: within each buffer no two
 * words share an index and every word fits the buffer made for it; each word's values are distinct;
 * the guards of cell code read the flag word and compare with its NONE value.
 */
import { describe, expect, test } from "vitest";
import {
  ATTENTION_WORDS,
  AttentionFlag,
  AttentionWord,
  newAttention,
  newSigintControl,
  newStdinWake,
  PendingOutput,
  SIGINT_CONTROL_WORDS,
  SigintControl,
  SigintControlWord,
  STDIN_WAKE_WORDS,
  StdinWakeWord,
} from "../../src/shared_memory/layout.js";
import { GUARD, GUARD_ELSE, GUARD_EXPR } from "../../src/shell/transform/rewrite.js";

const buffers = [
  { name: "attention", words: AttentionWord, length: ATTENTION_WORDS, make: () => newAttention().buffer },
  { name: "stdin wake", words: StdinWakeWord, length: STDIN_WAKE_WORDS, make: newStdinWake },
  { name: "SIGINT control", words: SigintControlWord, length: SIGINT_CONTROL_WORDS, make: newSigintControl },
];

describe.each(buffers)("the $name words", ({ words, length, make }) => {
  const indices = Object.values(words) as number[];

  test("no two words share an index", () => {
    expect(new Set(indices).size).toBe(indices.length);
  });

  test("every word fits the buffer, and the buffer has no word nobody owns", () => {
    for (const i of indices) expect(Number.isInteger(i) && i >= 0 && i < length, String(i)).toBe(true);
    expect(Math.max(...indices) + 1).toBe(length);
  });

  test("the buffer made for them is shared memory of that many 32-bit words, all zero", () => {
    const buffer = make();
    expect(buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(buffer.byteLength).toBe(length * Int32Array.BYTES_PER_ELEMENT);
    expect([...new Int32Array(buffer)]).toEqual(new Array(length).fill(0));
  });
});

describe.each([
  { name: "attention flag", values: AttentionFlag, initial: AttentionFlag.NONE },
  { name: "pending output", values: PendingOutput, initial: PendingOutput.NONE },
  { name: "SIGINT control", values: SigintControl, initial: SigintControl.LOWERED },
])("the values of the $name word", ({ values, initial }) => {
  test("are distinct 32-bit integers, and a new buffer starts at the resting one (0)", () => {
    const all = Object.values(values) as number[];
    expect(new Set(all).size).toBe(all.length);
    for (const v of all) expect(v, String(v)).toBe(v | 0);
    expect(initial).toBe(0);
  });
});

test("the guards of cell code read the flag word and test for NONE", () => {
  const read = `__tsak_g[${AttentionWord.FLAG}] !== ${AttentionFlag.NONE}`;
  for (const guard of [GUARD, GUARD_ELSE, GUARD_EXPR]) expect(guard).toContain(read);
});
