/**
 * The shared cell log between the main thread and the language thread (src/language/cell_log.ts):
 * every cell comes out once, in the order it was written, across the ring's wrap and when the
 * ring is full (the writer then posts the cell and the reader puts it back in place).
 */
import { Worker } from "node:worker_threads";
import { describe, expect, test } from "vitest";
import { CellLogReader, CellLogWriter, newCellLog } from "../../src/language/cell_log.js";

describe("cell log", () => {
  test("cells come out in order, text intact (UTF-8, empty, multi-line)", () => {
    const buffer = newCellLog(1024);
    const writer = new CellLogWriter(buffer);
    const reader = new CellLogReader(buffer);
    const cells = ["const a = 1", "", "let é = '☃ ⚡ 𝒳'\nconsole.log(é)", "a + 1"];
    for (const c of cells) expect(writer.append(c)).toBeUndefined();
    expect(reader.take()).toEqual(cells);
    expect(reader.take()).toEqual([]);
  });

  test("the ring wraps around many times", () => {
    const buffer = newCellLog(128);
    const writer = new CellLogWriter(buffer);
    const reader = new CellLogReader(buffer);
    const seen: string[] = [];
    const written: string[] = [];
    for (let i = 0; i < 500; i++) {
      const code = `x${i} = ${"y".repeat(i % 23)}`;
      written.push(code);
      expect(writer.append(code)).toBeUndefined();
      if (i % 2 === 1) seen.push(...reader.take());
    }
    seen.push(...reader.take());
    expect(seen).toEqual(written);
  });

  test("a cell that does not fit is posted instead and read back in its place", () => {
    const buffer = newCellLog(64);
    const writer = new CellLogWriter(buffer);
    const reader = new CellLogReader(buffer);
    expect(writer.append("first")).toBeUndefined();
    const big = "z".repeat(100);
    const seq = writer.append(big);
    expect(seq).toBe(1);
    expect(writer.append("third")).toBeUndefined();
    // the posted cell may reach the reader before or after the ring is read
    expect(reader.take()).toEqual(["first"]);
    expect(reader.take([{ seq: seq!, code: big }])).toEqual([big, "third"]);
  });

  test("a full ring refuses until the reader has taken its cells", () => {
    const buffer = newCellLog(32);
    const writer = new CellLogWriter(buffer);
    const reader = new CellLogReader(buffer);
    expect(writer.append("0123456789")).toBeUndefined(); // 18 bytes
    const refused = writer.append("0123456789");
    expect(refused).toBe(1);
    expect(reader.take([{ seq: 1, code: "0123456789" }])).toEqual(["0123456789", "0123456789"]);
    expect(writer.append("abc")).toBeUndefined();
    expect(reader.take()).toEqual(["abc"]);
  });

  test("another thread reads what this one writes", async () => {
    const buffer = newCellLog(256);
    const writer = new CellLogWriter(buffer);
    const reader = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const { CellLogReader } = require(workerData.module);
       const log = new CellLogReader(workerData.buffer);
       const got = [];
       const check = () => { if (got.length >= 200) { clearInterval(poll); parentPort.postMessage(got); } };
       parentPort.on("message", (posted) => { got.push(...log.take([posted])); check(); });
       const poll = setInterval(() => { got.push(...log.take()); check(); }, 1);`,
      { eval: true, workerData: { buffer, module: new URL("../../dist/language/cell_log.js", import.meta.url).pathname } },
    );
    const written: string[] = [];
    let posted = 0;
    for (let i = 0; i < 200; i++) {
      const code = `cell ${i}: ${"w".repeat(i % 40)}`;
      written.push(code);
      const seq = writer.append(code);
      if (seq !== undefined) {
        posted++;
        reader.postMessage({ seq, code }); // what the kernel does with a cell the ring has no room for
      }
    }
    const got = await new Promise((resolve) => reader.once("message", resolve));
    await reader.terminate();
    expect(got).toEqual(written);
    expect(posted).toBeGreaterThan(0); // the ring filled up at least once: both paths were taken
  });
});
