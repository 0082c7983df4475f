import { describe, expect, test } from "vitest";

import { Shell, type ExecuteOutcome } from "../../src/shell/shell.js";
import type { CellOutput } from "../../src/shell/output.js";
import { transformCell } from "../../src/shell/transform/index.js";

type Language = "typescript" | "javascript";

const silent: CellOutput = { stream() {}, display() {}, clearOutput() {} };

function notebook(language: Language = "typescript") {
  const shell = new Shell({ cwd: process.cwd(), language });
  let count = 0;
  const run = (code: string): Promise<ExecuteOutcome> => shell.execute(code, `In[${++count}]`, silent);
  /** Run a cell that must succeed; its result's text/plain, or undefined without a result. */
  const ok = async (code: string): Promise<string | undefined> => {
    const out = await run(code);
    if (out.status !== "ok") throw new Error(`cell failed: ${out.error.traceback.join("\n")}`);
    return out.result?.data["text/plain"] as string | undefined;
  };
  /** Run a cell that must fail; its error content. */
  const fails = async (code: string) => {
    const out = await run(code);
    if (out.status !== "error") throw new Error(`cell did not fail: ${code}`);
    return out.error;
  };
  return { shell, run, ok, fails };
}

/** The frames that are in cells (the test's own frames, the callers of `execute`, are not). */
const cellFrames = (traceback: string[]): string[] =>
  traceback
    .slice(1)
    .filter((l) => l.includes("In["))
    .map((l) => l.trim());

/** 1-based column of the first occurrence of `text` in line `line` (1-based) of `source`. */
function columnOf(source: string, line: number, text: string): number {
  const col = source.split("\n")[line - 1]!.indexOf(text);
  if (col < 0) throw new Error(`no ${text} on line ${line}`);
  return col + 1;
}

describe("tracebacks point at the cell's line and column", () => {
  test("a call on the last line is at column 1, the throw at its own column", async () => {
    const nb = notebook();
    const error = await nb.fails("function f() {\n  throw new Error('boom');\n}\nf()");
    expect(error.ename).toBe("Error");
    expect(cellFrames(error.traceback)).toEqual(["at f (In[1]:2:9)", "at In[1]:4:1"]);
  });

  test("columns are those of the TypeScript the user wrote, not of the stripped script", async () => {
    const nb = notebook();
    const cell = "const total: Map<string, number[]> = new Map(); const bad: { a?: { b: number } } = {}; bad.a!.b";
    const error = await nb.fails(cell);
    expect(error.ename).toBe("TypeError");
    expect(cellFrames(error.traceback)).toEqual([`at In[1]:1:${cell.lastIndexOf("b") + 1}`]);
  });

  test("a function of an earlier cell, called from a later cell, reports the earlier cell's position", async () => {
    const nb = notebook();
    const first =
      "\n\nfunction check(value: number, label: string = 'v'): void {\n  if (value < 0) throw new RangeError(`${label} < 0`)\n}";
    await nb.ok(first);
    await nb.ok("const unrelated: string[] = []");
    const error = await nb.fails("const x: number = -1\ncheck(x)");
    expect(error.ename).toBe("RangeError");
    expect(cellFrames(error.traceback)).toEqual([`at check (In[1]:4:${columnOf(first, 4, "new RangeError")})`, "at In[3]:2:1"]);
  });

  test("after awaits: in an awaited async function, and the cell's await", async () => {
    const nb = notebook();
    const cell = [
      "async function later(ms: number): Promise<never> {",
      "  await new Promise((r) => setTimeout(r, ms))",
      "  throw new Error('after await')",
      "}",
      "const v: number = 1; await later(v)",
    ].join("\n");
    const error = await nb.fails(cell);
    expect(cellFrames(error.traceback)).toEqual([
      `at later (In[1]:3:${columnOf(cell, 3, "new Error")})`,
      `at async In[1]:5:${columnOf(cell, 5, "await later")}`,
    ]);
  });

  test("in a class method (TypeScript parameter properties and modifiers)", async () => {
    const nb = notebook();
    const cls = [
      "abstract class Base { abstract run(): number }",
      "class Acc extends Base {",
      "  constructor(private readonly n: number, public tag?: string) { super() }",
      "  run(): number {",
      "    return this.n + (this.tag as unknown as { length: number } | undefined)!.length",
      "  }",
      "}",
    ].join("\n");
    await nb.ok(cls);
    const error = await nb.fails("const acc: Acc = new Acc(1)\nacc.run()");
    expect(error.ename).toBe("TypeError");
    const line5 = cls.split("\n")[4]!;
    expect(cellFrames(error.traceback)).toEqual([`at Acc.run (In[1]:5:${line5.lastIndexOf("length") + 1})`, `at In[2]:2:5`]);
  });

  test("in a callback passed to Array.map", async () => {
    const nb = notebook();
    const cell = "const xs: number[] = [1, 2]\nxs.map((x: number): number => { if (x > 1) throw new Error('two'); return x })";
    const error = await nb.fails(cell);
    expect(cellFrames(error.traceback)).toEqual([`at In[1]:2:${columnOf(cell, 2, "new Error")}`, `at In[1]:2:${columnOf(cell, 2, "map")}`]);
    expect(error.traceback.some((l) => l.includes("at Array.map"))).toBe(true);
  });

  test("in a timer callback whose error the cell awaits", async () => {
    const nb = notebook();
    const cell = "const ms: number = 1\nawait new Promise((_, reject) => setTimeout(() => reject(new Error('late')), ms))";
    const error = await nb.fails(cell);
    expect(cellFrames(error.traceback)).toEqual([`at Timeout.<anonymous> (In[1]:2:${columnOf(cell, 2, "new Error")})`]);
  });

  test("an error that escapes its cell (a timer's) is shown by errorText with the cell's positions", async () => {
    const nb = notebook();
    const cell = [
      "const holder: { x?: number } | null = null",
      "globalThis.caught = new Promise((resolve) =>",
      "  setTimeout(() => { try { holder!.x } catch (e) { resolve(e) } }, 1))",
    ].join("\n");
    await nb.ok(cell);
    const err = await ((globalThis as Record<string, unknown>).caught as Promise<unknown>);
    const text = nb.shell.errorText(err);
    expect(text.split("\n")[0]).toBe("TypeError: Cannot read properties of null (reading 'x')");
    expect(text).toContain(`at Timeout.<anonymous> (In[1]:3:${columnOf(cell, 3, "x }")})`);
    expect(text).not.toContain("\u001b[");
    expect(nb.shell.errorText(42)).toBe("Uncaught 42");
  });

  test("line 1 after the wrapper's prefix, and an object-literal cell", async () => {
    const nb = notebook();
    const cell = "let a: number = 1, b: string = ''; function g() {} class K {} throw new Error('first line')";
    expect(cellFrames((await nb.fails(cell)).traceback)).toEqual([`at In[1]:1:${columnOf(cell, 1, "new Error")}`]);
    const literal = "{ a: 1 as number, b: (() => { throw new Error('in literal') })() }";
    expect(cellFrames((await nb.fails(literal)).traceback)[0]).toBe(`at In[2]:1:${columnOf(literal, 1, "new Error")}`);
  });

  test("inside a namespace and an enum initializer (code the transform generates around them)", async () => {
    const nb = notebook();
    const cell = [
      "namespace Geo {",
      "  export const unit: string = 'm'",
      "  export function fail(n: number): never { throw new Error(`${n}${unit}`) }",
      "}",
      "enum E { A = Geo.fail(3) }",
    ].join("\n");
    const error = await nb.fails(cell);
    expect(cellFrames(error.traceback)).toEqual([
      `at Object.fail (In[1]:3:${columnOf(cell, 3, "new Error")})`,
      `at In[1]:5:${columnOf(cell, 5, "fail(3)")}`,
      // the function sucrase makes of the enum, called at its closing brace
      `at In[1]:5:${columnOf(cell, 5, "}") + 1}`,
    ]);
  });

  test("cells whose scripts are the same but whose types differ keep their own columns", async () => {
    const nb = notebook();
    const a = "function fa(): number { const n: number = 1; return (null as any).x }";
    const b = "function fa(): number { const n: Array<Map<string, number>> = 1; return (null as any).x }";
    // the premise: the same script
    expect(transformCell(a, { language: "typescript" }).code).toBe(transformCell(b, { language: "typescript" }).code);
    await nb.ok(a);
    const ea = await nb.fails("fa()");
    await nb.ok(b);
    const eb = await nb.fails("fa()");
    expect(cellFrames(ea.traceback)[0]).toBe(`at fa (In[1]:1:${columnOf(a, 1, "x }")})`);
    expect(cellFrames(eb.traceback)[0]).toBe(`at fa (In[3]:1:${columnOf(b, 1, "x }")})`);
  });

  test("console.trace shows the cell's frames as In[n], none of the kernel's or Node's", async () => {
    const shell = new Shell({ cwd: process.cwd(), language: "typescript" });
    let stderr = "";
    const output: CellOutput = { ...silent, stream: (name, text) => void (name === "stderr" && (stderr += text)) };
    const cell = "function traced(n: number) { console.trace('here %d', n) }\nconsole.group('G')\ntraced(1)";
    expect(await shell.execute(cell, "In[1]", output)).toMatchObject({ status: "ok" });
    expect(stderr).toBe(`  Trace: here 1\n      at traced (In[1]:1:${columnOf(cell, 1, "trace(")})\n      at In[1]:3:1\n`);
  });

  test("no frame points past the cell (the wrapper's closing line)", async () => {
    const nb = notebook("javascript");
    const error = await nb.fails("null.x");
    const frames = cellFrames(error.traceback);
    expect(frames).toEqual(["at In[1]:1:6"]);
  });
});

describe("syntax errors show the cell's line with a caret at the column", () => {
  const syntax = async (code: string, language: Language = "typescript") => {
    const error = await notebook(language).fails(code);
    expect(error.ename).toBe("SyntaxError");
    return error.traceback;
  };

  test("JavaScript", async () => {
    expect(await syntax("const a = 1\nlet c = ;", "javascript")).toEqual([
      "In[1]:2",
      "let c = ;",
      "        ^",
      "\u001b[0;31mSyntaxError\u001b[0m: Unexpected token",
    ]);
  });

  test("TypeScript, found by sucrase", async () => {
    const tb = await syntax("type A = {\n  x: number\n}\nlet v: A = (");
    expect(tb.slice(0, 3)).toEqual(["In[1]:4", "let v: A = (", "            ^"]);
  });

  test("TypeScript, found by acorn after the types are stripped: the column in the original", async () => {
    const line = "let dup: Map<string, number> = new Map(); let dup: string = 'x'";
    const tb = await syntax(`const ok: boolean = true\n${line}`);
    expect(tb.slice(0, 3)).toEqual(["In[1]:2", line, `${" ".repeat(line.lastIndexOf("dup"))}^`]);
    expect(tb[3]).toContain("Identifier 'dup' has already been declared");
  });

  test("found by acorn inside a namespace (the lowered text)", async () => {
    const line = "  export const a: number = 1; let a: string = ''";
    const tb = await syntax(`namespace N {\n${line}\n}`);
    expect(tb.slice(0, 3)).toEqual(["In[1]:2", line, `${" ".repeat(line.lastIndexOf("a:"))}^`]);
  });

  test("found by V8 only (acorn accepts this regular expression, Node.js 20 does not)", async () => {
    const nb = notebook();
    const line = "\tlet r: RegExp = /(?<n>x)|(?<n>y)/";
    const out = await nb.run(`const a: number = 1\n${line}`);
    // a Node.js that accepts duplicate named groups runs the cell; otherwise the error is the cell's
    if (out.status === "error") {
      expect(out.error.traceback.slice(0, 3)).toEqual(["In[1]:2", line, `\t${" ".repeat(line.indexOf("/") - 1)}^`]);
      expect(out.error.evalue).toContain("Invalid regular expression");
    } else {
      expect(Number(process.versions.node.split(".")[0])).toBeGreaterThan(20);
    }
  });

  test("the caret keeps the line's tabs, so it lines up", async () => {
    const tb = await syntax("\t\tlet x = ;", "javascript");
    expect(tb[2]).toBe("\t\t        ^");
  });

  test("decorators run (tsc compiles the cell); an unknown decorator is the cell's error, at its line", async () => {
    const nb = notebook();
    expect(
      await nb.ok(
        "function sealedDec(c: any, _ctx: ClassDecoratorContext) { Object.seal(c) }\n@sealedDec class SealedA {}\nObject.isSealed(SealedA)",
      ),
    ).toBe("true");
    const err = await nb.fails("class B {\n  @notDefinedDecorator method(a: number) {}\n}");
    expect([err.ename, err.evalue]).toEqual(["ReferenceError", "notDefinedDecorator is not defined"]);
    expect(cellFrames(err.traceback)[0]).toMatch(/In\[2\]:2:4\)?$/);
  });

  test("'using' declarations: a clear message", async () => {
    const top = await syntax("const r = 1\nusing res = open()");
    expect(top.slice(0, 3)).toEqual(["In[1]:2", "using res = open()", "^"]);
    expect(top[3]).toContain("'using' declarations are not supported at the top level of a cell");
    const awaitUsing = await syntax("await using res = open()");
    expect(awaitUsing[3]).toContain("'using' declarations are not supported at the top level of a cell");
  });

  test("'using' inside a block runs (natively, or lowered by tsc where Node.js lacks it)", async () => {
    const nb = notebook();
    const out = await nb.run("let disposed: boolean = false\n{\n  using r = { [Symbol.dispose]() { disposed = true } }\n}\ndisposed");
    expect(out).toEqual({ status: "ok", result: expect.objectContaining({ data: expect.objectContaining({ "text/plain": "true" }) }) });
  });
});

describe("declarations can be run again (no 'already declared')", () => {
  test("const, let, var, function, class, enum (re-declared with more members)", async () => {
    const nb = notebook();
    const cell = "const c1 = 1; let l1 = 2; var v1 = 3\nfunction fn1() { return 4 }\nclass K1 { m() { return 5 } }\nenum E1 { A, B }";
    await nb.ok(cell);
    await nb.ok(cell);
    await nb.ok("enum E1 { A, B, C = 10 }");
    expect(await nb.ok("[c1, l1, v1, fn1(), new K1().m()]")).toBe("[ 1, 2, 3, 4, 5 ]");
    expect(await nb.ok("[E1.B, E1.C, E1[10]]")).toBe("[ 1, 10, 'C' ]");
  });

  test("namespaces with values, re-opened and re-run", async () => {
    const nb = notebook();
    await nb.ok("namespace Cfg { export const a = 1 }");
    await nb.ok("namespace Cfg { export const a = 1 }");
    await nb.ok("namespace Cfg { export function get() { return a + 1 } const a = 5 }");
    expect(await nb.ok("[Cfg.a, Cfg.get()]")).toBe("[ 1, 6 ]");
  });

  test("declare: no runtime effect, runs again, and a declared name can be defined later", async () => {
    const nb = notebook();
    const cell =
      "declare const dc: number\ndeclare function df(): void\ndeclare class DC {}\ndeclare enum DE { X }\ndeclare namespace DN { const y: number }\ndeclare global { interface Window { z: 1 } }";
    expect(await nb.ok(cell)).toBeUndefined();
    expect(await nb.ok(cell)).toBeUndefined();
    expect(await nb.ok("[typeof dc, typeof df, typeof DC, typeof DE, typeof DN]")).toBe(
      "[ 'undefined', 'undefined', 'undefined', 'undefined', 'undefined' ]",
    );
    await nb.ok("const dc = 7");
    expect(await nb.ok("dc")).toBe("7");
  });

  test("abstract classes, re-declared", async () => {
    const nb = notebook();
    const cell =
      "abstract class Shape { abstract area(): number; twice() { return 2 * this.area() } }\nclass Sq extends Shape { constructor(private s: number) { super() } area() { return this.s ** 2 } }";
    await nb.ok(cell);
    await nb.ok(cell);
    expect(await nb.ok("new Sq(3).twice()")).toBe("18");
    const error = await nb.fails("new (Shape as any)().twice()");
    expect(error.ename).toBe("TypeError"); // `this.area` is not a function: abstract members do not exist
  });

  test("import x = require(...), re-run", async () => {
    const nb = notebook();
    await nb.ok("import nodePath = require('node:path')");
    await nb.ok("import nodePath = require('node:path')");
    expect(await nb.ok("nodePath.posix.join('a', 'b')")).toBe("'a/b'");
    expect(await nb.ok("import os = require('node:os')\ntypeof os.platform()")).toBe("'string'");
  });

  test("export at the top level of a cell only declares, and can be re-run", async () => {
    const nb = notebook();
    const cell = [
      "export const ex1 = 1",
      "export let ex2: number = 2",
      "export function exf() { return 3 }",
      "export class ExC { v = 4 }",
      "export enum ExE { A = 5 }",
      "export namespace ExN { export const w = 6 }",
      "export abstract class ExA {}",
      "export type ExT = number",
      "export interface ExI { a: ExT }",
      "export declare const exd: number",
      "export { ex1 as renamed }",
    ].join("\n");
    expect(await nb.ok(cell)).toBeUndefined();
    expect(await nb.ok(cell)).toBeUndefined();
    expect(await nb.ok("[ex1, ex2, exf(), new ExC().v, ExE.A, ExN.w, typeof ExA]")).toBe("[ 1, 2, 3, 4, 5, 6, 'function' ]");
  });

  test("for await at the top level", async () => {
    const nb = notebook();
    const cell =
      "async function* upTo(n: number) { for (let i = 1; i <= n; i++) yield i }\nlet sum: number = 0\nfor await (const i of upTo(4)) sum += i\nsum";
    expect(await nb.ok(cell)).toBe("10");
    expect(await nb.ok(cell)).toBe("10");
  });

  test("top-level await in the last expression is the result", async () => {
    const nb = notebook();
    expect(await nb.ok("await Promise.resolve(5)")).toBe("5");
    await nb.ok("async function f(): Promise<{ x: number }> { return { x: 7 } }");
    expect(await nb.ok("(await f()).x")).toBe("7");
    expect(await nb.ok("const k = 2\nk * (await f()).x")).toBe("14");
    // TypeScript style ends statements with `;`: the value is still the result (as in Deno, tslab)
    expect(await nb.ok("await f();")).toBe("{ x: 7 }");
    expect(await nb.ok("void (await f());")).toBeUndefined();
  });

  test("with semicolonHidesResult (IPython's convention), a last expression ending in `;` has no result", async () => {
    const shell = new Shell({ cwd: process.cwd(), language: "typescript", semicolonHidesResult: true });
    const result = async (code: string) => {
      const out = await shell.execute(code, "In[1]", silent);
      return out.status === "ok" ? out.result?.data["text/plain"] : out.error.evalue;
    };
    expect(await result("const hidden = 3;\nhidden;")).toBeUndefined();
    expect(await result("hidden")).toBe("3");
    expect(await result("await Promise.resolve(hidden);")).toBeUndefined();
  });
});

describe("type-only declarations", () => {
  test("type and interface run without error, again, and a cell of only types has no result", async () => {
    const nb = notebook();
    const cell = "type Id = string | number\ninterface User { id: Id; name?: string }\ntype Pair<T> = [T, T]";
    expect(await nb.run(cell)).toEqual({ status: "ok" });
    expect(await nb.run(cell)).toEqual({ status: "ok" });
    expect(await nb.run("interface User { extra: boolean }")).toEqual({ status: "ok" });
    expect(await nb.ok("const u: User = { id: 1, extra: true }\nu.id")).toBe("1");
  });

  test("types after the last expression hide the result; types before it do not", async () => {
    const nb = notebook();
    expect(await nb.ok("1 + 1\ntype After = number")).toBeUndefined();
    expect(await nb.ok("type Before = number\n1 + 1")).toBe("2");
    expect(await nb.ok("let n: Before = 3\nn\ninterface AfterToo {}")).toBeUndefined();
  });
});

describe("renamed notebook names read as written in errors", () => {
  test("a message naming a renamed binding shows the name", async () => {
    const nb = notebook();
    await nb.ok("const $$ = 5");
    const err = await nb.fails("$$.html('x')");
    expect(err.evalue).toBe("$$.html is not a function");
    expect(err.traceback[0]).not.toContain("__tsak");
    const undef = await nb.fails("let fetchLater = fetchLater2; const fetch = 1");
    expect(undef.evalue).toBe("fetchLater2 is not defined");
  });
});
