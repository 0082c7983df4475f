/**
 * MurmurHash2 (32 bits) of a text's UTF-8 bytes: the hash JupyterLab's debugger computes to name
 * a cell's file (`tmpFilePrefix + murmur2(code, hashSeed) + tmpFileSuffix`, debugInfo's
 * `hashMethod: "Murmur2"`). The frontend finds the cell of a stack frame or a breakpoint by that
 * name, so it must be this hash, bit for bit (JupyterLab `packages/debugger/src/hash.ts`,
 * ipykernel `compiler.py` `murmur2_x86`: the same algorithm over UTF-8).
 */
const M = 0x5bd1e995;
const encoder = new TextEncoder();

export function murmur2(text: string, seed: number): number {
  const data = encoder.encode(text);
  let length = data.length;
  let h = (seed ^ length) >>> 0;
  let i = 0;
  for (; length >= 4; length -= 4, i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // the last 1 to 3 bytes
  if (length > 0) {
    if (length === 3) h ^= data[i + 2]! << 16;
    if (length >= 2) h ^= data[i + 1]! << 8;
    h ^= data[i]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h >>> 0;
}
