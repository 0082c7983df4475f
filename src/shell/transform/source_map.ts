/**
 * A source map (version 3, one source) as an offset map: offsets of the generated text → offsets
 * of the source. A generated position maps through the segment at or before it on its line (or
 * the last segment of an earlier line), keeping its distance from that segment's start.
 */
import { lineStarts, type OffsetMap } from "./positions.js";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;

// Taken now: cells run in this realm and may replace the global JSON.
const { parse } = JSON;

export function sourceMapOffsets(mapText: string, generated: string, source: string): OffsetMap {
  const mappings = (parse(mapText) as { mappings?: unknown }).mappings;
  const genStarts = lineStarts(generated);
  const srcStarts = lineStarts(source);
  // sorted by generated offset: [generated offset, source offset]
  const gen: number[] = [];
  const src: number[] = [];
  if (typeof mappings === "string") {
    let line = 0;
    let column = 0;
    let srcLine = 0;
    let srcColumn = 0;
    let i = 0;
    const vlq = (): number => {
      let value = 0;
      let shift = 0;
      for (;;) {
        const digit = DIGIT[mappings.charCodeAt(i++)] ?? -1;
        if (digit < 0) throw new Error("bad source map");
        value += (digit & 31) << shift;
        if ((digit & 32) === 0) break;
        shift += 5;
      }
      return value & 1 ? -(value >>> 1) : value >>> 1;
    };
    while (i < mappings.length) {
      const c = mappings[i];
      if (c === ";") {
        line++;
        column = 0;
        i++;
        continue;
      }
      if (c === ",") {
        i++;
        continue;
      }
      column += vlq();
      if (i < mappings.length && mappings[i] !== "," && mappings[i] !== ";") {
        vlq(); // source index: one source
        srcLine += vlq();
        srcColumn += vlq();
        if (i < mappings.length && mappings[i] !== "," && mappings[i] !== ";") vlq(); // name
        if (line < genStarts.length && srcLine < srcStarts.length) {
          gen.push(genStarts[line]! + column);
          src.push(srcStarts[srcLine]! + srcColumn);
        }
      }
    }
  }
  const genOffsets = Int32Array.from(gen);
  const srcOffsets = Int32Array.from(src);
  return (offset) => {
    let lo = 0;
    let hi = genOffsets.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (genOffsets[mid]! <= offset) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k < 0) return 0;
    return Math.min(srcOffsets[k]! + (offset - genOffsets[k]!), source.length);
  };
}
