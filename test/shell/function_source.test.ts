/**
 * A cell's function shows the code the user wrote (src/shell/function_source.ts): toString gives
 * the JavaScript the cell compiles to, without the kernel's guards, cancellable awaits and
 * renamed identifiers; the inspector gives the TypeScript, types included.
 */
import { describe, expect, test } from "vitest";

import { Shell } from "../../src/shell/shell.js";
import { stripInstrumentation } from "../../src/shell/function_source.js";
import { transformCell } from "../../src/shell/transform/index.js";

const shell = new Shell({ cwd: process.cwd(), language: "typescript" });
const value = async (code: string): Promise<unknown> => (await shell.evaluateCell(code, "In[1]")).value;

describe("Function.prototype.toString of cell functions", () => {
  test("is the JavaScript of the cell: no guards, no cancellable awaits, names as written", async () => {
    await value(
      [
        "function sumTo(n: number): number {",
        "  let s = 0",
        "  for (let i = 0; i <= n; i++) s += i",
        "  while (false) s--",
        "  return s",
        "}",
        "const later = async (ms: number): Promise<string> => { await new Promise((r) => setTimeout(r, ms)); return 'done' }",
        "const fetch = (u: string) => u.length",
        "class Counter<T> { n = 0; inc(by: number): this { do this.n += by; while (false); return this } }",
      ].join("\n"),
    );
    expect(await value("sumTo.toString()")).toBe(
      "function sumTo(n) {\n  let s = 0\n  for (let i = 0; i <= n; i++) s += i\n  while (false) s--\n  return s\n}",
    );
    expect(await value("later.toString()")).toBe("async (ms) => { await new Promise((r) => setTimeout(r, ms)); return 'done' }");
    expect(await value("[fetch.toString(), fetch.name]")).toEqual(["(u) => u.length", "fetch"]);
    expect(await value("Counter.toString()")).toBe("class Counter { n = 0; inc(by) { do this.n += by; while (false); return this } }");
    expect(await value("new Function('return ' + sumTo.toString())()(4)")).toBe(10);
  });

  test("other functions are as V8 shows them, and toString itself looks native", async () => {
    expect(await value("Math.max.toString()")).toBe("function max() { [native code] }");
    expect(await value("((a, b) => a + b).toString()")).toBe("(a, b) => a + b");
    const toString = Function.prototype.toString;
    expect([toString.name, toString.length, toString.toString(), "prototype" in toString]).toEqual([
      "toString",
      0,
      "function toString() { [native code] }",
      false,
    ]);
    expect(() => toString.call({})).toThrow(TypeError);
  });

  test("without its cell (not found), the instrumentation is taken out of the text itself", () => {
    const cell =
      "async function poll(n: number) {\n  'use strict'\n  for (const x of [1]) n += x\n  for await (const y of [2]) n += y\n  const f = (z: number) => z + 1\n  return await Promise.resolve(f(n))\n}";
    const { code } = transformCell(cell, { language: "typescript", interruptible: true });
    const instrumented = code.slice(code.indexOf("async function"), code.lastIndexOf("}") + 1);
    expect(instrumented).toContain("__tsak_");
    expect(stripInstrumentation(instrumented)).toBe(
      "async function poll(n) {\n  'use strict'\n  for (const x of [1]) n += x\n  for await (const y of [2]) n += y\n  const f = (z) => z + 1\n  return await Promise.resolve(f(n))\n}",
    );
  });
});

describe("the inspector's view of a cell function (runtime introspection)", () => {
  test("its signature and source are the TypeScript written", async () => {
    await value("function typedInspect(p: { x: number }, ...rest: string[]): { y: number } {\n  return { y: p.x }\n}");
    const text = shell.inspect("typedInspect", "typedInspect".length, 1).data["text/plain"] as string;
    expect(text).toContain("Signature: function typedInspect(p: { x: number }, ...rest: string[]): { y: number }");
    expect(text).toContain("Source:\nfunction typedInspect(p: { x: number }, ...rest: string[]): { y: number } {\n  return { y: p.x }\n}");
    expect(text).not.toContain("__tsak");
  });
});
