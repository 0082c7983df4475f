/**
 * The cell transform, tested by running its output as the kernel does: every cell goes through
 * `transformCell` and runs in this realm through `Shell.evaluateCell` (a plain script, or a V8
 * REPL-mode script: src/shell/evaluator.ts), with modules of the test's own.
 */
import { describe, expect, test } from "vitest";

import { Shell } from "../../src/shell/shell.js";
import { scriptName } from "../../src/shell/cells.js";
import { AttentionFlag, AttentionWord, newAttention } from "../../src/shared_memory/layout.js";
import { KernelInterrupt } from "../../src/shell/errors.js";
import { CellSyntaxError, cellPositionMap, transformCell, type TransformResult } from "../../src/shell/transform/index.js";
import { typeScriptPipeline } from "../../src/shell/transform/typescript.js";

type Language = "typescript" | "javascript";

interface Ran {
  t: TransformResult;
  /** Did the cell hand over a result? */
  hasResult: boolean;
  value: unknown;
}

const MODULES: Record<string, Record<string, unknown>> = {
  m: { default: "m-default", a: "m-a", b: "m-b", "x-y": "m-xy" },
  n: { default: "n-default", n1: 1, n2: 2 },
  "node:path": { default: { sep: "/" }, join: (...p: string[]) => p.join("/") },
  side: {},
  json: { default: { ok: true } },
};

/**
 * A notebook: shells of this realm (one per language; all of them share the realm's global scope
 * and names, as the kernel's shells of a thread do) whose imports are the test's MODULES.
 */
function notebook(language: Language = "typescript", options: { semicolonHidesResult?: boolean; attention?: Int32Array } = {}) {
  const imported: Array<{ specifier: string; options?: unknown }> = [];
  const logs: unknown[] = [];
  (globalThis as Record<string, unknown>)["log"] = (...args: unknown[]) => void logs.push(args.length === 1 ? args[0] : args);
  const importModule = async (specifier: unknown, opts?: unknown) => {
    const spec = String(specifier);
    imported.push(opts === undefined ? { specifier: spec } : { specifier: spec, options: opts });
    const mod = MODULES[spec];
    if (!mod) throw new Error(`Cannot find module '${spec}'`);
    return mod;
  };
  const shells = new Map<Language, Shell>();
  const shellFor = (lang: Language): Shell => {
    let shell = shells.get(lang);
    if (!shell) shells.set(lang, (shell = new Shell({ cwd: "/notebooks", language: lang, importModule, ...options })));
    return shell;
  };
  shellFor(language);
  let last = "";
  const run = async (source: string, lang: Language = language): Promise<Ran> => {
    const shell = shellFor(lang);
    const t = transformCell(source, {
      language: lang,
      interruptible: true,
      names: shell.names,
      semicolonHidesResult: options.semicolonHidesResult === true,
    });
    last = source;
    const { value, hasResult } = await shell.evaluateCell(source, "In[1]");
    return { t, hasResult, value };
  };
  /** Run and return the result value (asserting there is one). */
  const value = async (source: string, lang: Language = language): Promise<unknown> => {
    const r = await run(source, lang);
    expect(r.t.hasResult).toBe(true);
    expect(r.hasResult).toBe(true);
    return r.value;
  };
  /** Run a cell expected to throw at run time; returns the error. */
  const fails = async (source: string, lang: Language = language): Promise<Error> => {
    try {
      await run(source, lang);
    } catch (err) {
      return err as Error;
    }
    throw new Error("expected the cell to throw");
  };
  /** A notebook name's value, as cells mean it. */
  const get = (name: string): unknown => (shellFor(language).namespace() as Record<string, unknown>)[name];
  /** The script file name of the latest cell (what its stack frames name). */
  const name = () => scriptName(last);
  const shell = () => shellFor(language);
  return { run, value, fails, get, imported, logs, name, shell };
}

/** Plain copy of a value, for deep equality. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function syntaxError(source: string, language: Language): CellSyntaxError {
  try {
    transformCell(source, { language });
  } catch (err) {
    expect(err).toBeInstanceOf(CellSyntaxError);
    return err as CellSyntaxError;
  }
  throw new Error("expected a syntax error");
}

describe("shape of the script", () => {
  test("a cell that declares nothing is a plain script; one that declares, imports or awaits is a REPL script", async () => {
    const nb = notebook();
    const r1 = await nb.run("1 + 1");
    expect([r1.t.mode, r1.t.hasResult, r1.hasResult, r1.value]).toEqual(["script", true, true, 2]);
    const r2 = await nb.run("const a = 1");
    expect([r2.t.mode, r2.t.hasResult, r2.hasResult]).toEqual(["repl", false, false]);
    for (const cell of [
      "import 'side'",
      "await null",
      "for await (const x of []) {}",
      "function f() {}",
      "class K {}",
      "var v",
      "if (true) { var inIf = 1 }",
    ]) {
      expect(transformCell(cell, { language: "typescript" }).mode, cell).toBe("repl");
    }
    for (const cell of ["f()", "async function* g() { await 1 }", "{ let block = 1 }", "x = await1"]) {
      expect(transformCell(cell, { language: "typescript" }).mode, cell).toBe(cell.startsWith("async") ? "repl" : "script");
    }
  });

  test("every cell line stays on its line (only one closing line is added)", () => {
    const source = [
      "import {",
      "  a,",
      "  b,",
      "} from 'm'",
      "const x: number = 1,",
      "  y = 2",
      "function f(",
      "  p: string,",
      "): void {}",
      "class C<T> {",
      "  v?: T",
      "}",
      "enum E {",
      "  A,",
      "}",
      "export default x",
    ].join("\n");
    const { code } = transformCell(source, { language: "typescript" });
    const lines = code.split("\n");
    expect(lines.length).toBe(source.split("\n").length + 1);
    expect(lines[lines.length - 1]).toBe(";void 0");
    expect(lines[6]).toContain("function");
    expect(lines[9]).toContain("class C");
    expect(lines[15]).toContain("__tsak_r(");
  });

  test("line preservation holds line by line for a cell mixing every construct (and it runs)", async () => {
    const lines = [
      '"use strict"',
      "import d, {a} from 'm'",
      "import * as ns from 'n'",
      "import 'side'",
      "type T = { a: number }",
      "interface I {",
      "  b: string",
      "}",
      "declare const amb: number",
      "enum E { A, B }",
      "namespace N {",
      "  export const q = 1",
      "}",
      "const {x, y}: {x: number, y: number} = {x: 1, y: 2}, z = 3",
      "let w",
      "var v = 4",
      "function f<U>(u: U): U {",
      "  return u",
      "}",
      "class C<U> {",
      "  constructor(public u: U) {}",
      "}",
      "for (var i = 0; i < 2; i++) {}",
      "export const ex = await Promise.resolve(5)",
      "const lazy = import('m')",
      "const meta = import.meta.url",
      "export default [d, a, ns.n1, E.B, N.q, x + y + z, w, v, f(1), new C(2).u, i, ex, (await lazy).b, meta]",
    ];
    const source = lines.map((line, k) => `${line} /*L${k + 1}*/`).join("\n");
    const { code } = transformCell(source, { language: "typescript" });
    const out = code.split("\n");
    expect(out.length).toBe(lines.length + 1);
    // every marker left is on its own line (sucrase drops the comments next to the type-only
    // declarations it erases: those of lines 4-8)
    let present = 0;
    out.forEach((text, k) => {
      for (const m of text.matchAll(/\/\*L(\d+)\*\//g)) {
        expect(Number(m[1]), `line ${k + 1}: ${text}`).toBe(k + 1);
        present++;
      }
    });
    expect(present).toBeGreaterThanOrEqual(lines.length - 5);
    const nb = notebook();
    expect(await nb.value(source)).toEqual([
      "m-default",
      "m-a",
      1,
      1,
      1,
      6,
      undefined,
      4,
      1,
      2,
      2,
      5,
      "m-b",
      "file:///notebooks/__notebook__.ts",
    ]);
    expect(nb.imported.map((i) => i.specifier)).toEqual(["m", "n", "side", "m"]);
  });

  test("declared lists the value bindings, in order", () => {
    const t = transformCell(
      "import d, {a, b as c} from 'm'\nimport * as ns from 'n'\nconst {p, q: [r], ...rest} = o\nlet u\nvar v = 1, w\nfunction f() {}\nclass K {}\nenum E { A }",
      { language: "typescript" },
    );
    expect(t.declared).toEqual(["d", "a", "c", "ns", "p", "r", "rest", "u", "v", "w", "f", "K", "E"]);
    expect(t.typeDeclared).toEqual([]);
  });

  test("sucrase runs from the cell's single parse (its internals loaded and self-checked)", () => {
    expect(typeScriptPipeline()).toBe("tokens");
  });

  test("a TypeScript cell without TypeScript syntax becomes the same script as in JavaScript", () => {
    const cells = [
      "const a = [1, 2].map((x) => x * 2)\nlet b = a.length > 1 ? a[0] : null\na",
      "import fs, {join} from 'node:path'\nexport const c = await import('m')\nfunction f(...args) { return args }\nclass K extends Object { #p = 1; static s = 2; get p() { return this.#p } }",
      "for (var i = 0; i < 3; i++) { if (i < 2) continue }\nlabel: while (true) break label\n`t ${i}`",
      "const readonly = 1, type = 2, declare = 3, namespace = 4, abstract = 5\nreadonly + type + declare + namespace + abstract",
    ];
    for (const cell of cells) {
      expect(transformCell(cell, { language: "typescript" })).toEqual(transformCell(cell, { language: "javascript" }));
    }
  });

  test("results are cached safely: equal results, arrays are not shared", () => {
    const source = "const cachedA = 1\ntype CachedT = number";
    const first = transformCell(source, { language: "typescript" });
    first.declared.push("mutated");
    first.typeDeclared.length = 0;
    const second = transformCell(source, { language: "typescript" });
    expect(second.declared).toEqual(["cachedA"]);
    expect(second.typeDeclared).toEqual(["CachedT"]);
    expect(second.code).toBe(first.code);
    // a different import function or language is a different entry
    expect(transformCell("import('m')", { language: "typescript", importFunction: "imp" }).code).toContain("imp('m')");
    expect(transformCell("import('m')", { language: "typescript" }).code).toContain("__tsak_import('m')");
  });

  test("a trivial cell is itself", () => {
    const t = transformCell("1 + 1", { language: "typescript" });
    expect(t.code).toBe("1 + 1");
    expect(t.declared).toEqual([]);
    expect(t.imports).toEqual([]);
  });
});

describe("declarations persist across cells", () => {
  test("const, let and var can be re-run; let and const stay off globalThis", async () => {
    const nb = notebook();
    await nb.run("const xRerun = 1");
    await nb.run("const xRerun = 1"); // no "already declared"
    expect(await nb.value("xRerun + 1")).toBe(2);
    await nb.run("let yRerun = 10\nvar zRerun = 20");
    expect(await nb.value("xRerun + yRerun + zRerun")).toBe(31);
    await nb.run("let yRerun = 11");
    expect(await nb.value("yRerun")).toBe(11);
    expect(nb.get("xRerun")).toBe(1);
    expect(["xRerun", "yRerun"].map((n) => Object.hasOwn(globalThis, n))).toEqual([false, false]);
    // `var` and `function` are properties of the global object, as in a script
    expect((globalThis as Record<string, unknown>)["zRerun"]).toBe(20);
  });

  test("const is constant: in its cell, in later cells, inside functions; running its cell again works", async () => {
    const nb = notebook();
    const inCell = await nb.fails("const k1 = 1; k1 = 2");
    expect([inCell.name, inCell.message]).toEqual(["TypeError", "Assignment to constant variable."]);
    expect(nb.get("k1")).toBe(1);
    expect((await nb.fails("k1 = 3")).message).toBe("Assignment to constant variable.");
    await nb.run("function bump() { k1++ }");
    expect((await nb.fails("bump()")).message).toBe("Assignment to constant variable.");
    expect(await nb.value("const k1 = 5; k1")).toBe(5);
    expect((await nb.fails("k1 = 6")).message).toBe("Assignment to constant variable.");
    // imports are constant too, as in an ES module
    await nb.run("import { a as imported } from 'm'");
    expect((await nb.fails("imported = 1")).message).toBe("Assignment to constant variable.");
  });

  test("a name declared again with another kind of declaration takes the new one", async () => {
    const nb = notebook();
    for (const [cell, expected] of [
      ["let kinds = 1; kinds", 1],
      ["const kinds = 2; kinds", 2],
      ["function kinds() { return 3 }; kinds()", 3],
      ["class kinds { static v = 4 }; kinds.v", 4],
      ["var kinds = 5; kinds", 5],
      ["let kinds = 6; kinds", 6],
    ] as const) {
      expect(await nb.value(cell), cell).toBe(expected);
      expect(nb.get("kinds"), cell).toBeDefined();
    }
    expect(await nb.value("kinds + 1")).toBe(7);
  });

  test("let without initializer resets to undefined; var without initializer keeps its value", async () => {
    const nb = notebook("javascript");
    await nb.run("let a = 1; var b = 2");
    await nb.run("let a; var b");
    expect(await nb.value("[a, b]")).toEqual([undefined, 2]);
  });

  test("destructuring declarations, multiple declarators, defaults and rest", async () => {
    const nb = notebook();
    await nb.run("const o = {a: 1, b: [2, 3], c: 4, d: 5}");
    await nb.run("const {a, b: [c], ...rest} = o, [first = 9, , third] = [undefined, 1, 3], z = a + c");
    expect(plain(await nb.value("({a, c, rest, first, third, z})"))).toEqual({
      a: 1,
      c: 2,
      rest: { c: 4, d: 5 },
      first: 9,
      third: 3,
      z: 3,
    });
  });

  test("a declaration after an expression statement without semicolon (ASI) stays separate", async () => {
    const nb = notebook("javascript");
    await nb.run("const f = () => 1\nlet r = f()\nconst [p] = [r]\nclass K {}\n[1].length");
    expect(await nb.value("p")).toBe(1);
  });

  test("var declared in top-level loops and blocks is global, as in a script", async () => {
    const nb = notebook("javascript");
    await nb.run(
      "for (var i = 0; i < 3; i++) {}\nfor (var [k, v] of [[1, 2]]) {}\nfor (var key in {q: 1}) {}\n{ var inBlock = 'b' }\nif (true) var inIf = 'c'",
    );
    expect(await nb.value("[i, k, v, key, inBlock, inIf]")).toEqual([3, 1, 2, "q", "b", "c"]);
  });

  test("var in switch cases, try blocks and labelled blocks is global; in a class static block it is not", async () => {
    const nb = notebook("javascript");
    await nb.run(
      "switch (1) { case 1: var sv = 2 }\ntry { var tv = 1 } catch {}\nlab: { var lv = 3 }\nclass S { static { var inStatic = 1 } }",
    );
    expect(await nb.value("[sv, tv, lv, typeof inStatic]")).toEqual([2, 1, 3, "undefined"]);
  });

  test("block-scoped bindings below the top level stay local", async () => {
    const nb = notebook("javascript");
    await nb.run("for (const item of [1, 2]) {}\n{ let blockLocal = 1 }\nfunction g() { var fnLocal = 1 }");
    expect(await nb.value("[typeof item, typeof blockLocal, typeof fnLocal]")).toEqual(["undefined", "undefined", "undefined"]);
  });
});

describe("functions", () => {
  test("callable before their line in the same cell, and from later cells", async () => {
    const nb = notebook();
    expect(await nb.value("const r = twice(21)\nfunction twice(n: number): number { return n * 2 }\nr")).toBe(42);
    expect(await nb.value("twice(5)")).toBe(10);
    expect(await nb.value("twice.name")).toBe("twice");
  });

  test("async functions and generators are hoisted too", async () => {
    const nb = notebook();
    expect(
      await nb.value("const g = [...gen()]\nfunction* gen() { yield 1; yield 2 }\nasync function later() { return 7 }\n[g, await later()]"),
    ).toEqual([[1, 2], 7]);
    expect(await nb.value("async function* agen() { yield 3 }\nconst out = []\nfor await (const x of agen()) out.push(x)\nout")).toEqual([
      3,
    ]);
  });

  test("redefining a function in a later cell is seen by functions of earlier cells (script semantics)", async () => {
    const nb = notebook("javascript");
    await nb.run("function helper() { return 1 }\nfunction main() { return helper() }");
    await nb.run("function helper() { return 2 }");
    expect(await nb.value("main()")).toBe(2);
  });

  test("recursion goes through the global binding (memoization works)", async () => {
    const nb = notebook("javascript");
    await nb.run("let calls = 0\nfunction fib(n) { calls++; return n < 2 ? n : fib(n - 1) + fib(n - 2) }");
    await nb.run("const memo = new Map()\nconst raw = fib\nfib = (n) => { if (!memo.has(n)) memo.set(n, raw(n)); return memo.get(n) }");
    expect(await nb.value("[fib(30), calls < 100]")).toEqual([832040, true]);
  });

  test("functions keep their own this and arguments; constructors still work", async () => {
    const nb = notebook("javascript");
    await nb.run("function P(x) { this.x = x; this.n = arguments.length }");
    expect(plain(await nb.value("new P(4)"))).toEqual({ x: 4, n: 1 });
  });
});

describe("classes", () => {
  test("class declarations persist, re-run, extend, use static blocks", async () => {
    const nb = notebook();
    await nb.run("class A { static count = 0; static { A.count = 5 } hi() { return 'a' } }");
    await nb.run("class A { static count = 0; static { A.count = 6 } hi() { return 'a2' } }");
    await nb.run("class B extends A { hi() { return super.hi() + 'b' } }");
    expect(await nb.value("[new B().hi(), A.count, B.name]")).toEqual(["a2b", 6, "B"]);
  });

  test("TypeScript class features: generics, modifiers, parameter properties, abstract", async () => {
    const nb = notebook();
    await nb.run(
      [
        "abstract class Shape { abstract area(): number; describe(): string { return `${this.constructor.name}:${this.area()}` } }",
        "class Rect<T extends number = number> extends Shape {",
        "  private readonly tag: string = 'r'",
        "  constructor(public w: T, protected h: T) { super() }",
        "  area(): number { return this.w * this.h }",
        "}",
      ].join("\n"),
    );
    expect(await nb.value("new Rect(2, 3).describe()")).toBe("Rect:6");
  });
});

describe("imports", () => {
  test("default, named, aliased, string-named, namespace, default+namespace, side effect", async () => {
    const nb = notebook();
    await nb.run(
      [
        "import d, {a, b as bee, 'x-y' as xy} from 'm'",
        "import * as ns from 'n'",
        "import def2, * as ns2 from 'n'",
        "import 'side'",
        "import {",
        "  default as mdef,",
        "} from 'm'",
      ].join("\n"),
    );
    expect(nb.imported.map((i) => i.specifier)).toEqual(["m", "n", "n", "side", "m"]);
    expect(await nb.value("[d, a, bee, xy, ns.n1, def2, ns2.n2, mdef]")).toEqual([
      "m-default",
      "m-a",
      "m-b",
      "m-xy",
      1,
      "n-default",
      2,
      "m-default",
    ]);
  });

  test("import attributes are passed along", async () => {
    const nb = notebook("javascript");
    await nb.run("import data from 'json' with { type: 'json' }");
    expect(nb.imported).toEqual([{ specifier: "json", options: { with: { type: "json" } } }]);
    expect(plain(await nb.value("data"))).toEqual({ ok: true });
  });

  test("an import used by no code of its own cell is kept (a later cell may use it)", async () => {
    const nb = notebook();
    await nb.run("import {a} from 'm'\nimport {type T, b} from 'm'");
    expect(nb.imported.map((i) => i.specifier)).toEqual(["m", "m"]);
    expect(await nb.value("a + b")).toBe("m-am-b");
  });

  test("type-only imports are not imported at all", async () => {
    const nb = notebook();
    const r = await nb.run("import type {Foo, Bar as Baz} from 'm'\nimport type Def from 'n'");
    expect(nb.imported).toEqual([]);
    expect(r.t.typeDeclared).toEqual(["Foo", "Baz", "Def"]);
  });

  test("import() anywhere goes through the import function", async () => {
    const nb = notebook();
    await nb.run("const p = import('m')\nasync function load(s: string) { return (await import(s)).default }");
    expect(await nb.value("[(await p).a, await load('n')]")).toEqual(["m-a", "n-default"]);
    expect(nb.imported.map((i) => i.specifier)).toEqual(["m", "n"]);
  });

  test("import.meta is the kernel's __tsak_import_meta", async () => {
    const nb = notebook();
    expect(await nb.value("import.meta.url")).toBe("file:///notebooks/__notebook__.ts");
    expect(await nb.value("(() => import.meta)().url")).toBe("file:///notebooks/__notebook__.ts");
  });

  test("a failing import rejects the cell with the import function's error, and the cell declares nothing", async () => {
    const nb = notebook();
    const err = await nb.fails("const beforeMissing = 1\nfunction fnBeforeMissing() {}\nimport nothing from 'missing'");
    expect(err.message).toBe("Cannot find module 'missing'");
    for (const name of ["beforeMissing", "fnBeforeMissing", "nothing"]) {
      expect((await nb.fails(name)).message).toBe(`${name} is not defined`);
    }
  });

  test("in TypeScript, a named import the module lacks may be a type: it is undefined", async () => {
    const nb = notebook();
    expect(
      await nb.value("import { a as tsA, OnlyAType } from 'm'\nconst o: OnlyAType | undefined = undefined\n;[tsA, OnlyAType, o]"),
    ).toEqual(["m-a", undefined, undefined]);
  });

  test("in JavaScript, a named import the module does not export is a SyntaxError, as in an ES module; nothing is declared", async () => {
    const nb = notebook("javascript");
    const err = await nb.fails("import { a as gotA, nope } from 'm'");
    expect([err.name, err.message]).toEqual(["SyntaxError", "The requested module 'm' does not provide an export named 'nope'"]);
    expect((await nb.fails("nope")).message).toBe("nope is not defined");
    expect((await nb.fails("gotA")).message).toBe("gotA is not defined");
  });
});

describe("exports are stripped", () => {
  test("export declarations, export default, export lists and re-exports", async () => {
    const nb = notebook();
    const r = await nb.run(
      [
        "export const e1 = 1",
        "export function ef() { return 2 }",
        "export class EC {}",
        "export { e1 as renamed }",
        "export * from 'side'",
        "export {b} from 'm'",
      ].join("\n"),
    );
    expect(r.t.declared).toEqual(["e1", "ef", "EC"]);
    expect(nb.imported.map((i) => i.specifier)).toEqual(["side", "m"]);
    expect(await nb.value("[e1, ef(), typeof EC]")).toEqual([1, 2, "function"]);
  });

  test("export default of an expression is the result; of a named function, a declaration", async () => {
    const nb = notebook();
    expect(plain(await nb.value("export default {a: 1}"))).toEqual({ a: 1 });
    expect(await nb.value("export default (1, 2)")).toBe(2);
    const r = await nb.run("export default function named() { return 3 }");
    expect(r.t.hasResult).toBe(false);
    expect(await nb.value("named()")).toBe(3);
    const anonymous = (await nb.value("export default function () { return 4 }")) as () => number;
    expect([typeof anonymous, anonymous.name, anonymous()]).toEqual(["function", "", 4]);
    expect(await nb.value("export default 5;")).toBe(5);
  });
});

describe("top-level await", () => {
  test("await in declarations, statements, for await and the last expression", async () => {
    const nb = notebook();
    await nb.run("const v = await Promise.resolve(3)");
    await nb.run(
      "async function* count(n: number) { for (let i = 0; i < n; i++) yield i }\nconst seen: number[] = []\nfor await (const i of count(3)) seen.push(i)",
    );
    expect(await nb.value("seen")).toEqual([0, 1, 2]);
    expect(await nb.value("v + (await new Promise<number>((r) => setTimeout(() => r(4), 1)))")).toBe(7);
    expect(await nb.value("await v")).toBe(3);
  });

  test("a rejection after an await rejects the cell's promise", async () => {
    const nb = notebook();
    const err = await nb.fails("await null\nthrow new TypeError('late')");
    expect(err.name).toBe("TypeError");
    expect(err.message).toBe("late");
  });
});

describe("results", () => {
  test("a comma expression's result is its last operand, also in a cell that declares (found by the fuzz run against tsc)", async () => {
    const nb = notebook();
    expect(await nb.value("const c1 = 1\nc1 + 1, c1 + 2")).toBe(3);
    expect(await nb.value("c1 + 1, c1 + 5;")).toBe(6);
  });

  test("the last expression statement is the result, also when a `;` ends it (as in Deno and tslab)", async () => {
    const nb = notebook();
    expect(await nb.value("let q = 5\nq * 2")).toBe(10);
    expect(await nb.value("q * 2;")).toBe(10);
    expect(await nb.value("q * 3 // a comment;")).toBe(15);
    expect(await nb.value("q * 3; // a comment")).toBe(15);
    expect(await nb.value("let q2 = 1; q2;")).toBe(1);
    expect(await nb.value("q = 7")).toBe(7);
    expect(await nb.value("[\n  q,\n  q + 1,\n]")).toEqual([7, 8]);
    // `void` hides a value; a last statement that is no expression has none
    expect(await nb.value("void q;")).toBeUndefined();
    expect((await nb.run("if (q) { q }")).t.hasResult).toBe(false);
  });

  test("with semicolonHidesResult, suppression is decided on the TypeScript the user wrote", async () => {
    const nb = notebook("typescript", { semicolonHidesResult: true });
    expect((await nb.run("let q3 = 5;\nq3 * 2;")).hasResult).toBe(false);
    expect((await nb.run("q3 * 3; // a comment")).t.hasResult).toBe(false);
    expect(await nb.value("q3 * 3 // a comment;")).toBe(15);
    await nb.run("let n: number | undefined = 2");
    expect(await nb.value("n as number")).toBe(2);
    expect((await nb.run("n as number;")).t.hasResult).toBe(false);
    expect(await nb.value("n!")).toBe(2);
    expect((await nb.run("n!;")).t.hasResult).toBe(false);
    expect(await nb.value("n satisfies number | undefined")).toBe(2);
    expect((await nb.run("<number>n;")).t.hasResult).toBe(false);
    expect(await nb.value("((x: number) => x + 1)(n!)")).toBe(3);
  });

  test("a cell ending in a declaration (including type-only) has no result", async () => {
    const nb = notebook();
    for (const cell of [
      "1\nconst z = 1",
      "1\nfunction zz() {}",
      "1\nclass Z {}",
      "1\nenum Ez { A }",
      "1\nnamespace Nz { export const a = 1 }",
      "1\ntype Tz = number",
      "1\ninterface Iz {}",
      "1\nimport 'side'",
    ]) {
      const r = await nb.run(cell);
      expect(r.t.hasResult, cell).toBe(false);
      expect(r.hasResult, cell).toBe(false);
    }
  });

  test("a cell that is an object literal evaluates to the object (like the Node REPL)", async () => {
    const nb = notebook();
    expect(plain(await nb.value("{a: 1, b: 'two'}"))).toEqual({ a: 1, b: "two" });
    expect(plain(await nb.value("{ a: 1 as number, b: [2] satisfies number[] }"))).toEqual({ a: 1, b: [2] });
    expect(plain(await nb.value("{}", "javascript"))).toEqual({});
    // a block stays a block
    const r = await nb.run("{ let inner = 1; inner++ }");
    expect(r.t.hasResult).toBe(false);
    const labelled = await nb.run("{ label: 1; }");
    expect(labelled.t.hasResult).toBe(false);
  });

  test("an expression statement that is a directive other than 'use strict' is a value", async () => {
    const nb = notebook("javascript");
    expect(await nb.value("'hello'")).toBe("hello");
  });

  test("an anonymous function or class result keeps an empty name", async () => {
    const nb = notebook();
    expect(((await nb.value("async () => 1")) as () => void).name).toBe("");
    expect(((await nb.value("(class {})")) as () => void).name).toBe("");
    expect(((await nb.value("const named = () => 1\nnamed")) as () => void).name).toBe("named");
  });

  test("empty and comment-only cells, and cells of types only, run and have no result", async () => {
    const nb = notebook();
    for (const cell of ["", "// just a comment", "/* block */", "type OnlyTypes = 1\ninterface X {}"]) {
      const r = await nb.run(cell);
      expect(r.t.hasResult, cell).toBe(false);
      expect(r.hasResult, cell).toBe(false);
    }
  });
});

describe("TypeScript", () => {
  test("types, interfaces, generics, as, non-null, satisfies, optional chaining run", async () => {
    const nb = notebook();
    await nb.run(
      [
        "interface Point { x: number; y?: number }",
        "type Pair<T> = [T, T]",
        "function swap<T>(p: Pair<T>): Pair<T> { return [p[1], p[0]] }",
        "const pt = { x: 1 } satisfies Point",
        "const maybe: Point | undefined = pt as Point",
        "let definite!: string",
        "definite = 'd'",
      ].join("\n"),
    );
    expect(await nb.value("[swap<number>([1, 2]), maybe!.x, maybe?.y ?? 'none', definite]")).toEqual([[2, 1], 1, "none", "d"]);
  });

  test("enums (numeric, string, const) persist, re-run, and map in reverse", async () => {
    const nb = notebook();
    await nb.run("enum Color { Red, Green = 5, Blue }\nconst enum Dir { Up = 'UP' }");
    await nb.run("enum Color { Red, Green = 5, Blue }");
    expect(await nb.value("[Color.Blue, Color[5], Dir.Up]")).toEqual([6, "Green", "UP"]);
  });

  test("namespaces with values persist; exports are properties; nesting and dotted names work", async () => {
    const nb = notebook();
    const r = await nb.run(
      [
        "namespace Geo {",
        "  export const unit = 'm'",
        "  const hidden = 2",
        "  export function double(n: number) { return n * hidden }",
        "  export class Box { constructor(public size: number) {} }",
        "  export enum Kind { A, B }",
        "  export namespace Inner { export let depth = 1 }",
        "  export interface OnlyAType { a: number }",
        "}",
        "namespace Outer.Mid { export const deep = 'deep' }",
      ].join("\n"),
    );
    expect(r.t.declared).toEqual(["Geo", "Outer"]);
    expect(
      await nb.value("[Geo.unit, Geo.double(4), new Geo.Box(3).size, Geo.Kind.B, Geo.Inner.depth, Outer.Mid.deep, 'hidden' in Geo]"),
    ).toEqual(["m", 8, 3, 1, 1, "deep", false]);
    // re-opening a namespace in a later cell merges into it
    await nb.run("namespace Geo { export const extra = 'x' }");
    expect(await nb.value("[Geo.unit, Geo.extra]")).toEqual(["m", "x"]);
  });

  test("as tsc emits them (found by the fuzz run): exported variables are live, exports come in order, a namespace merges into a class", async () => {
    const nb = notebook();
    const r = await nb.value(
      [
        "namespace Live {",
        "  export const first = 1",
        "  export function inc() { n++; return n }",
        "  export let n = 1, unset: number",
        "  export const { a, b: [c] = [2], ...rest } = { a: 1, z: 3 } as any",
        "  export class K { static seen = n }",
        "  function shadow() { let n = 5; return n }",
        "  export const viaShadow = shadow()",
        "}",
        "Live.inc()",
        "class Widget { constructor(public id: number) {} }",
        "namespace Widget { export function make() { return new Widget(7) } }",
        ";[Live.n, Live.inc(), Object.keys(Live), Live.a, Live.c, Live.rest, Live.K.seen, Live.viaShadow, Widget.make().id]",
      ].join("\n"),
    );
    expect(r).toEqual([2, 3, ["first", "inc", "n", "a", "c", "rest", "K", "viaShadow"], 1, 2, { z: 3 }, 1, 5, 7]);
    // and the other way: an assignment from outside is what the namespace's own code reads
    await nb.run("Live.n = 10");
    expect(await nb.value("Live.inc()")).toBe(11);
  });

  test("a namespace's blocks in a cell share its exported variables, as tsc merges them (found by the fuzz run)", async () => {
    const nb = notebook();
    const r = await nb.value(
      [
        "module M { export var x = 1 }",
        "module M { const z = x; const y = { a: x, x }; export function get() { return [z, y] } }",
        "namespace M { var x = 5; export const own = x }",
        "namespace M.Inner { export let q = 2 }",
        "namespace M.Inner { export const r = q + 1 }",
        // an exported variable named like a global (which the notebook renames elsewhere)
        "namespace G { export let fetch = 1; export function f() { return ++fetch } }",
        ";[M.get(), M.own, M.x, M.Inner.r, G.f(), G.fetch]",
      ].join("\n"),
    );
    expect(r).toEqual([[1, { a: 1, x: 1 }], 5, 1, 3, 2, 2]);
  });

  test("inside a namespace too (found by the fuzz run): a class merges with a namespace, parameter properties come first, the body may declare the namespace's name", async () => {
    const nb = notebook();
    const r = await nb.value(
      [
        "module Shapes {",
        "  export class Point { z = 1; constructor(public x: number) {} }",
        "  export module Point { export function origin() { return new Point(0) } }",
        "}",
        "module Shapes2 { export class Shapes2 { v = 2 } export let n = 1; export function inc() { return ++n } }",
        ";[Object.keys(new Shapes.Point(1)), Shapes.Point.origin().x, new Shapes2.Shapes2().v, Shapes2.inc(), Shapes2.n]",
      ].join("\n"),
    );
    expect(r).toEqual([["x", "z"], 0, 2, 2, 2]);
  });

  test("a type assertion at the start of a statement keeps an object literal an expression (found by the fuzz run)", async () => {
    const nb = notebook();
    expect(await nb.value("interface Opt { a?: string }\n<Opt>{ a: 'x' };")).toEqual({ a: "x" });
    expect(await nb.value("const made = 1;\n<Array<number>>{ length: 0 }")).toEqual({ length: 0 });
    expect(await nb.value("const f = <any>function () { return 1 }\nf()")).toBe(1);
  });

  test("an enum's string members have no reverse mapping, as tsc emits them (found by the fuzz run)", async () => {
    const nb = notebook();
    const r = await nb.value(
      'enum Str { a = "1", b = "1" + "2", c = a + "3", t = `t`, n = 1, m = n + 1, len = "xy".length }\nObject.keys(Str)',
    );
    expect(r).toEqual(["1", "2", "a", "b", "c", "t", "n", "m", "len"]);
  });

  test("a namespace holding only types emits nothing and is a type name", async () => {
    const nb = notebook();
    const r = await nb.run("namespace Types { export type Id = string }");
    expect(r.t.declared).toEqual([]);
    expect(r.t.typeDeclared).toEqual(["Types"]);
    expect(await nb.value("typeof Types")).toBe("undefined");
  });

  test("type-only names are reported in typeDeclared", () => {
    const t = transformCell(
      [
        "type Alias = string",
        "export type Exported<T> = T[]",
        "interface Shape { a: number }",
        "declare const dc: number, dc2: Map<string, number>",
        "declare function df(): void",
        "declare class DC {}",
        "declare namespace DN { const x: number }",
        "declare module 'ambient' { export const y: number }",
        "declare global { interface Window {} }",
        "import type {T1, T2 as T3} from 'm'",
        "import {type T4, a} from 'm'",
        "function inner() { type Local = number }",
        "const type = 1, obj = { type: 'not a type' }",
      ].join("\n"),
      { language: "typescript" },
    );
    expect(t.typeDeclared).toEqual(["Alias", "Exported", "Shape", "dc", "dc2", "df", "DC", "DN", "T1", "T3", "T4"]);
    expect(t.declared).toEqual(["a", "inner", "type", "obj"]);
  });

  test("import-equals and export import become declarations", async () => {
    const nb = notebook();
    const r = await nb.run("import fs = require('fs')\nexport import Pi = Math.PI\ndeclare let ambient: number");
    expect(r.t.declared).toEqual(["fs", "Pi"]);
    expect(r.t.typeDeclared).toEqual(["ambient"]);
    expect(await nb.value("[typeof fs.readFileSync, Pi]")).toEqual(["function", Math.PI]);
  });

  test("a generic call is a call, not two comparisons", async () => {
    const nb = notebook();
    await nb.run("function id<T>(x: T): T { return x }\nconst a = 1, b = 2");
    expect(await nb.value("id<number>(5)")).toBe(5);
  });
});

describe("errors keep the cell's line numbers", () => {
  const frameLine = (err: Error, file: string): number | undefined => {
    const m = new RegExp(`${file}:(\\d+):\\d+`).exec(err.stack ?? "");
    return m ? Number(m[1]) : undefined;
  };

  test("an error thrown on cell line 3 has :3: in its stack", async () => {
    const nb = notebook();
    const err = await nb.fails("const a: number = 1\nconst b: string = 'x'\nthrow new Error('boom')");
    expect(err.message).toBe("boom");
    expect(err.stack).toContain(`${nb.name()}:3:`);
  });

  test("lines are kept below multi-line imports, types, enums and namespaces, after awaits", async () => {
    const nb = notebook();
    const err = await nb.fails(
      [
        "import {", // 1
        "  a,", // 2
        "} from 'm'", // 3
        "interface I {", // 4
        "  x: number", // 5
        "}", // 6
        "enum E { A }", // 7
        "namespace N { export const q = 1 }", // 8
        "await null", // 9
        "function thrower(): never {", // 10
        "  throw new RangeError('in function')", // 11
        "}", // 12
        "thrower()", // 13
      ].join("\n"),
    );
    expect(err.name).toBe("RangeError");
    expect(frameLine(err, nb.name())).toBe(11);
    expect(err.stack).toContain(`${nb.name()}:13:`);
  });

  test("CRLF line endings keep lines too", async () => {
    const nb = notebook();
    const err = await nb.fails("const a = 1\r\nconst b: number = 2\r\nthrow new Error('crlf')");
    expect(err.stack).toContain(`${nb.name()}:3:`);
    const syntax = syntaxError("const a = 1\r\nlet b: number = (1 +\r\n;", "typescript");
    expect([syntax.line, syntax.column, syntax.sourceLine]).toEqual([3, 0, ";"]);
  });

  test("a function from an earlier cell reports its own cell's line", async () => {
    const nb = notebook("javascript");
    await nb.run("\n\nfunction bad() {\n  return missing.property\n}");
    const first = nb.name();
    const err = await nb.fails("bad()");
    expect(err.name).toBe("ReferenceError");
    expect(frameLine(err, first)).toBe(4);
  });
});

describe("the position map: script line and column → the cell's", () => {
  /** The cell frames of an error's stack, mapped to the cell: the cell text from each position on. */
  const mappedFrames = (err: Error, file: string, source: string, language: Language, shell: Shell): string[] => {
    const map = cellPositionMap(source, { language, interruptible: true, names: shell.names });
    expect(map).toBeDefined();
    const lines = source.split(/\r\n|\n/);
    const out: string[] = [];
    for (const m of (err.stack ?? "").matchAll(new RegExp(`${file}:(\\d+):(\\d+)`, "g"))) {
      const at = map!.position(Number(m[1]), Number(m[2]));
      if (at !== undefined) out.push(lines[at.line - 1]!.slice(at.column - 1));
    }
    return out;
  };

  // [language, cell, the text at each cell frame (top first), from its position to the line's end]
  const cases: Array<[Language, string, string[]]> = [
    ["typescript", "function f() {\n  throw new Error('boom');\n}\nf()", ["new Error('boom');", "f()"]],
    ["typescript", "let a: number = 1, b: string = ''; function g(): void {}; class K<T> {}; throw new Error('x')", ["new Error('x')"]],
    ["typescript", "f()\nfunction f(a: number = 1): never { throw new Error('h' + a) }", ["new Error('h' + a) }", "f()"]],
    ["typescript", "import {a} from 'm'\nconst v: string = await Promise.resolve(a)\n;(v as any).missing.x", ["x"]],
    ["typescript", "export default (null as any as {p: number}).p", ["p"]],
    ["typescript", "namespace N {\n  export function f(): never { throw new Error('n') }\n}\nN.f()", ["new Error('n') }", "f()"]],
    ["typescript", "{ a: 1 as number, b: (() => { throw new Error('o') })() }", ["new Error('o') })() }", "() }"]],
    [
      "typescript",
      "class C<T> { constructor(public v: T) {} m(): never { throw new Error('c') } }\nnew C<number>(1).m()",
      ["new Error('c') } }", "m()"],
    ],
    ["typescript", "const a: number = 1\r\n  throw new Error('crlf')", ["new Error('crlf')"]],
    ["typescript", "for (var i: number = 0; i < 1; i++) { (null as any).z }", ["z }"]],
    ["typescript", "enum E { A = 1 }\ntype T = { x: number }\nconst t: T = null!; t.x", ["x"]],
    ["javascript", "const o = {}\n  o.p.q", ["q"]],
    [
      "javascript",
      "#!/usr/bin/env node\nvar v = 1; [1].map((x) => { throw new Error('m' + x) })",
      ["new Error('m' + x) })", "map((x) => { throw new Error('m' + x) })"],
    ],
  ];

  test.each(cases)("%s: %j", async (language, source, expected) => {
    const nb = notebook(language);
    const err = await nb.fails(source);
    expect(mappedFrames(err, nb.name(), source, language, nb.shell())).toEqual(expected);
  });

  test("the REPL script's closing line maps to nothing; a cell that does not transform has no map", () => {
    const map = cellPositionMap("let x1 = 1 +\n2", { language: "typescript" })!;
    expect(map.lines).toBe(2);
    expect(map.position(2, 1)).toEqual({ line: 2, column: 1 });
    expect(map.position(3, 1)).toBeUndefined();
    expect(cellPositionMap("let = ;", { language: "typescript" })).toBeUndefined();
  });

  test("the import function changes the script, and the map follows it", async () => {
    const source = "const im = import('m'); const b: string = 'a'; (null as any).q";
    const long = cellPositionMap(source, { language: "typescript", importFunction: "a_much_longer_import_function_name" })!;
    const t = transformCell(source, { language: "typescript", importFunction: "a_much_longer_import_function_name" });
    const column = t.code.split("\n")[0]!.lastIndexOf("q") + 1;
    expect(long.position(1, column)).toEqual({ line: 1, column: source.lastIndexOf("q") + 1 });
  });
});

describe("syntax errors", () => {
  test("JavaScript: line, column and source line in the cell", () => {
    const err = syntaxError("const a = 1\nconst b = a + 1\nlet c = ;", "javascript");
    expect(err.line).toBe(3);
    expect(err.column).toBe(8);
    expect(err.sourceLine).toBe("let c = ;");
    expect(err.message).toBe("Unexpected token");
    expect(err.name).toBe("SyntaxError");
  });

  test("TypeScript (sucrase's errors): positions in the original cell", () => {
    const err = syntaxError("type A = {\n  x: number\n}\nlet v: A = (", "typescript");
    expect(err.line).toBe(4);
    expect(err.column).toBe(12);
    expect(err.sourceLine).toBe("let v: A = (");
  });

  test("TypeScript (acorn's errors after type stripping): column mapped back", () => {
    const err = syntaxError("const ok = 1\nlet dup: number = 1; let dup: string = 'x'", "typescript");
    expect(err.line).toBe(2);
    expect(err.message).toBe("Identifier 'dup' has already been declared");
    expect(err.sourceLine).toBe("let dup: number = 1; let dup: string = 'x'");
    expect(err.column).toBe(25);
  });

  test("an unfinished cell reports its end (is_complete relies on it)", () => {
    const source = "function f() {\n  return 1";
    const err = syntaxError(source, "typescript");
    expect(err.line).toBe(2);
    expect(err.column).toBe("  return 1".length);
    const js = syntaxError(source, "javascript");
    expect([js.line, js.column]).toEqual([2, "  return 1".length]);
  });

  test("import/export below the top level, top-level return, await in a plain function", () => {
    expect(syntaxError("if (x) {\n  import a from 'm'\n}", "javascript").line).toBe(2);
    expect(syntaxError("function f() {\n  export const a = 1\n}", "typescript").message).toBe(
      "'import' and 'export' may only appear at the top level",
    );
    expect(syntaxError("return 1", "javascript").message).toMatch(/return/);
    expect(syntaxError("function g() {\n  await 1\n}", "javascript").line).toBe(2);
  });

  test("TypeScript: acorn's errors inside a lowered namespace are placed in the cell", () => {
    const err = syntaxError("namespace N {\n  export const a: number = 1; let a: string = ''\n}", "typescript");
    expect([err.line, err.column]).toEqual([2, "  export const a: number = 1; let ".length]);
  });

  test("top-level 'using' gets a plain message (a notebook binding has no scope end to dispose it at)", () => {
    const using = syntaxError("const x: number = 1\nusing r = open()", "typescript");
    expect([using.line, using.column]).toEqual([2, 0]);
    expect(using.message).toMatch(/^'using' declarations are not supported at the top level of a cell/);
  });

  test("what the TypeScript compiler also refuses is reported where it is", () => {
    const err = syntaxError("class A {\n  @dec m(): void {}\n}\nlet broken = ;", "typescript");
    expect([err.line, err.sourceLine]).toEqual([4, "let broken = ;"]);
  });

  test("a JavaScript cell rejects TypeScript syntax", () => {
    const err = syntaxError("let a: number = 1", "javascript");
    expect([err.line, err.column]).toEqual([1, 5]);
  });
});

describe("script semantics kept", () => {
  test('"use strict" at the top of a cell makes the cell strict', async () => {
    const nb = notebook("javascript");
    const err = await nb.fails('"use strict"\nundeclaredStrict = 1');
    expect(err.name).toBe("ReferenceError");
    const r = await nb.run('"use strict";\nlet s = 1\nfunction strictFn() { return this }\n[s, strictFn()]');
    expect(r.value).toEqual([1, undefined]);
    // without it, sloppy mode
    await nb.run("undeclaredSloppy = 2");
    expect(await nb.value("undeclaredSloppy")).toBe(2);
    expect((await nb.run("'use strict'")).t.hasResult).toBe(false);
  });

  test("this at the top level is the context's global", async () => {
    const nb = notebook("javascript");
    await nb.run("this.viaThis = 3");
    expect(await nb.value("viaThis")).toBe(3);
    expect(await nb.value("this === globalThis")).toBe(true);
  });

  test("labels, break/continue, switch and try at the top level", async () => {
    const nb = notebook("javascript");
    const v = await nb.value(
      [
        "let hits = 0",
        "outer: for (let i = 0; i < 3; i++) {",
        "  for (let j = 0; j < 3; j++) {",
        "    if (j === 1) continue outer",
        "    hits++",
        "  }",
        "}",
        "try { throw 1 } catch { hits += 10 } finally { hits += 100 }",
        "switch (hits) { case 113: hits = -1 }",
        "hits",
      ].join("\n"),
    );
    expect(v).toBe(-1);
  });

  test("a hashbang line is tolerated", async () => {
    const nb = notebook("javascript");
    expect(await nb.value("#!/usr/bin/env node\n6 * 7")).toBe(42);
  });

  test("the import function name is configurable (dynamic imports call it; static ones are loaded first)", async () => {
    const t = transformCell("import x from 'm'\nimport('y')", { language: "javascript", importFunction: "myImport" });
    expect(t.code).not.toContain("myImport('m')");
    expect(t.imports).toEqual([{ specifier: "m", names: [] }]);
    expect(t.code).toContain("myImport('y')");
    expect(t.code).not.toContain("__tsak_import(");
  });

  test("sloppy-mode script code parses (the cell is a script, not a module)", async () => {
    const nb = notebook("javascript");
    expect(await nb.value("var obj = {w: 5}\nwith (obj) { w + 1 }\n010")).toBe(8);
  });
});

describe("interruptible cells (guards, cancellable awaits, the cells' own names)", () => {
  /** A notebook whose attention flag the test raises (as another thread would) from cell code: `raise()`. */
  function instrumented() {
    const flag = newAttention();
    (globalThis as Record<string, unknown>)["raise"] = () => void Atomics.store(flag, AttentionWord.FLAG, AttentionFlag.INTERRUPT);
    const nb = notebook("typescript", { attention: flag });
    const lower = () => Atomics.store(flag, AttentionWord.FLAG, AttentionFlag.NONE);
    return { ...nb, flag, lower };
  }

  test("a loop stops at the next iteration once the flag is up, whatever the loop's form", async () => {
    const nb = instrumented();
    for (const loop of [
      "while (true) { i++; if (i === 3) raise() }",
      "while (true) if (++i === 3) raise()",
      "for (;;) { if (++i === 3) raise() }",
      "do { if (++i === 3) raise() } while (true)",
      "do if (++i === 3) raise(); while (true)",
      "for (const x of (function* () { for (;;) yield 1 })()) if (++i === 3) raise()",
      "outer: for (;;) { for (let j = 0; j < 2; j++) { if (++i === 3) raise(); continue outer } }",
      "if (true) while (true) if (++i === 3) raise(); else i += 0",
    ]) {
      const err = await nb.fails(`let i = 0\n${loop}`);
      expect(err, loop).toBeInstanceOf(KernelInterrupt);
      expect(nb.get("i"), loop).toBe(3);
      nb.lower();
    }
  });

  test("a guard that does not stop the code (attention asked for something else) lets the body run", async () => {
    const nb = instrumented();
    Atomics.store(nb.flag, AttentionWord.FLAG, AttentionFlag.DEADLINE); // a deadline of no running cell
    try {
      expect(await nb.value("let n = 0; for (let i = 0; i < 10; i++) n += i; const arrow = (x: number) => x * 2; [n, arrow(4)]")).toEqual([
        45, 8,
      ]);
      expect(await nb.value("let m = 0; while (m < 3) m++; do m++; while (m < 5); m")).toBe(5);
    } finally {
      nb.lower();
    }
  });

  test("function bodies start with a guard (recursion without loops stops), directives stay first", async () => {
    const nb = instrumented();
    await nb.run(
      "function f(n: number): number { return n <= 0 ? 0 : f(n - 1) }\nconst g = (n: number): number => n <= 0 ? 0 : g(n - 1)\nclass C { m() { return 1 } }",
    );
    expect(await nb.value("f(2) + g(2) + new C().m()")).toBe(1);
    Atomics.store(nb.flag, AttentionWord.FLAG, AttentionFlag.INTERRUPT);
    for (const call of ["f(1)", "g(1)", "new C().m()"]) {
      const err = await nb.fails(call);
      expect(err, call).toBeInstanceOf(KernelInterrupt);
    }
    nb.lower();
    expect(await nb.value("function sloppyThis() { 'use strict'; return this }\nsloppyThis()", "javascript")).toBeUndefined();
    // a directive without its `;` is still a directive, and the guard comes after it
    expect(await nb.value("function strictNoSemi() {\n  'use strict'\n  return this\n}\nstrictNoSemi()", "javascript")).toBeUndefined();
    expect(await nb.value('function f2() {\n  "use strict"\n  return 1\n}\nf2()')).toBe(1);
    expect(await nb.value("const obj = () => ({ a: 1 })\nobj().a")).toBe(1);
  });

  test("awaits and for-await go through the runtime, results unchanged", async () => {
    const nb = instrumented();
    const cell =
      "const a = await Promise.resolve(2)\nlet s = 0\nfor await (const v of [Promise.resolve(1), 2]) s += v\nasync function h() { return (await 3) + 1 }\na + s + await h()";
    const { t, value } = await nb.run(cell);
    expect(value).toBe(9);
    expect(t.code.match(/__tsak_w\(/g)).toHaveLength(3);
    expect(t.code.match(/__tsak_wi\(/g)).toHaveLength(1);
  });

  test("CommonJS names and timers are the cell's own, not globals, unless the cell declares them itself", async () => {
    const nb = instrumented();
    expect(await nb.value("[typeof require('node:path').join, __filename, __dirname, typeof module, typeof setTimeout]")).toEqual([
      "function",
      "/notebooks/__notebook__.ts",
      "/notebooks",
      "object",
      "function",
    ]);
    expect(["require", "module", "__filename"].map((n) => n in globalThis)).toEqual([false, false, false]);
    await nb.run("const require = (id: string) => `own ${id}`");
    expect(await nb.value("require('y')")).toBe("own y");
    expect(nb.get("require")).toBeTypeOf("function");
    expect("require" in globalThis).toBe(false);
  });
});

describe("parameter properties as tsc emits them (found by the fuzz run against tsc: transform_fuzz.test.ts)", () => {
  test("they are fields declared before the class's own, so an instance's keys come in tsc's order", async () => {
    const nb = notebook();
    const r = await nb.value(
      [
        "class Pt { z = 0; constructor(public x: number, private readonly y = 2, plain?: string, protected declare?: number) {} }",
        "class Sub extends Pt { extra = 'e'; constructor(protected w: number) { super(1) } }",
        "class Over { constructor(a: string); constructor(public a: any) {} }",
        "const made = new Sub(3)",
        ";[Object.keys(new Pt(1)), Object.keys(made), JSON.stringify(made), Object.keys(new Over('o'))]",
      ].join("\n"),
    );
    expect(r).toEqual([
      ["x", "y", "declare", "z"],
      ["x", "y", "declare", "z", "w", "extra"],
      '{"x":1,"y":2,"z":0,"w":3,"extra":"e"}',
      ["a"],
    ]);
  });
});

describe("syntax the TypeScript compiler lowers (decorators, accessor, using in functions)", () => {
  test("TS 5 standard decorators on methods, fields, classes and accessors; the cell runs again", async () => {
    const nb = notebook();
    const cell = [
      "const calls: string[] = []",
      "function logged<T extends (...a: any[]) => any>(value: T, ctx: ClassMethodDecoratorContext): T {",
      "  return function (this: unknown, ...args: any[]) { calls.push(String(ctx.name)); return value.apply(this, args) } as T",
      "}",
      "function doubled(_: undefined, ctx: ClassFieldDecoratorContext) { return (v: number) => v * 2 }",
      "function named(cls: any, ctx: ClassDecoratorContext) { cls.label = String(ctx.name); return cls }",
      "@named class Dec {",
      "  @doubled size = 21",
      "  accessor hits = 0",
      "  @logged greet(n: string): string { this.hits++; return `hi ${n}` }",
      "}",
      "const dec = new Dec();",
      "[dec.greet('x'), dec.size, dec.hits, (Dec as any).label, calls]",
    ].join("\n");
    const expected = ["hi x", 42, 1, "Dec", ["greet"]];
    expect(await nb.value(cell)).toEqual(expected);
    expect(await nb.value(cell)).toEqual(expected);
    expect(await nb.value("new Dec().greet('y')")).toBe("hi y");
  });

  test("experimentalDecorators (and their metadata) when a cell asks with TypeScript's pragma", async () => {
    const nb = notebook();
    const r = await nb.value(
      [
        "// @experimentalDecorators",
        "// @emitDecoratorMetadata",
        "const seen: string[] = []",
        "function track(target: any, key: string, d: PropertyDescriptor) { seen.push(key); return d }",
        "function sealedClass(c: Function) { Object.seal(c) }",
        "@sealedClass class Exp { @track run(a: number): number { return a } }",
        ";[seen, Object.isSealed(Exp), new Exp().run(3)]",
      ].join("\n"),
    );
    expect(r).toEqual([["run"], true, 3]);
  });

  test("accessor fields named by a string or a number (found by the fuzz run against tsc: transform_fuzz.test.ts)", async () => {
    const nb = notebook();
    const r = await nb.value(
      [
        "class Named {",
        '  accessor "w" = 1',
        "  accessor 2 = 3",
        "  static accessor 'z' = 4",
        "}",
        "const named = new Named();",
        ";[named.w, named[2], (Named as any).z]",
      ].join("\n"),
    );
    expect(r).toEqual([1, 3, 4]);
    // an accessor pair on the prototype, as tsc lowers it
    expect(typeof Object.getOwnPropertyDescriptor((nb.get("Named") as { prototype: object }).prototype, "w")?.get).toBe("function");
  });

  test("TypeScript sucrase cannot parse goes to tsc: a `with` statement, parameter decorators (found by the fuzz run)", async () => {
    const nb = notebook();
    expect(await nb.value("const scope = { wx: 1, wy: 2 };\nlet sum: number = 0;\nwith (scope) { sum = wx + wy; }\nsum")).toBe(3);
    const r = await nb.value(
      [
        "// @experimentalDecorators: true",
        "const marks: string[] = []",
        "function mark(_t: any, key: string | undefined, index: number) { marks.push(`${String(key)} ${index}`) }",
        "class Injected { constructor(@mark a: number, @mark b: string) {} run(@mark x: number) { return x } }",
        "marks",
      ].join("\n"),
    );
    expect(r).toEqual(["run 0", "undefined 1", "undefined 0"]);
  });

  test("TypeScript sucrase refuses or fails on is asked of tsc before it is an error (found by the fuzz run)", async () => {
    const nb = notebook();
    // sucrase fails on its own ("Expected class context ID ..."; "Invalid scope depth ...")
    expect(await nb.value("class Indexed { private [key: string]: unknown; a = 1 }\nnew Indexed().a")).toBe(1);
    expect(
      await nb.value(
        "function* yieldsBase() { const K = class extends (yield) {}; return new K() instanceof Object }\nconst g = yieldsBase(); g.next(); g.next(Object).value",
      ),
    ).toBe(true);
    // what tsc refuses too keeps the fast path's error; incomplete input is not asked of tsc
    expect((await nb.fails("let bad = 1 +* 2\nbad")).message).toBe("Unexpected token");
    expect(syntaxError("let open = (1", "typescript").message).toBe('Unexpected token, expected ","');
  });

  test("a cell ending in a class with experimental decorators has no result (tsc's `C = __decorate(...)` is not the cell's)", async () => {
    const nb = notebook();
    const r = await nb.run("// @experimentalDecorators: true\nfunction keep(c: Function) {}\n@keep class Kept {}");
    expect([r.t.hasResult, r.hasResult]).toEqual([false, false]);
    expect(typeof nb.get("Kept")).toBe("function");
  });

  test("tsc's helpers come from tslib without tslib's globals: a cell's own __awaiter stays, no __decorate appears", async () => {
    const nb = notebook();
    await nb.run("var __awaiter = 'mine'");
    expect(await nb.value("function mark(v: any, _c: any) { return v }\nclass Marked { @mark m() { return 2 } }\nnew Marked().m()")).toBe(
      2,
    );
    expect(await nb.value("__awaiter")).toBe("mine");
    expect(
      Object.getOwnPropertyNames(globalThis).filter((n) => /^__(decorate|esDecorate|extends|generator|runInitializers)$/.test(n)),
    ).toEqual([]);
  });

  test("a JavaScript cell with decorators, and `using` inside a function", async () => {
    const nb = notebook("javascript");
    expect(
      await nb.value(
        "function tag(v, ctx) { return function (...a) { return 'tagged ' + v.apply(this, a) } }\nclass J { @tag m() { return 1 } }\nnew J().m()",
      ),
    ).toBe("tagged 1");
    const ts = notebook();
    expect(
      await ts.value(
        "const order: string[] = []\nfunction scoped(): number {\n  using r = { [Symbol.dispose]() { order.push('disposed') } }\n  order.push('body')\n  return 7\n}\n;[scoped(), order]",
      ),
    ).toEqual([7, ["body", "disposed"]]);
  });

  test("errors in a compiled cell point at the cell's own lines and columns", async () => {
    const nb = notebook();
    const source =
      "function id(v: any, _c: any) { return v }\nfunction boom(): never { throw new Error('in decorated') }\nclass E {\n  @id\n  m(): number {\n    return boom()\n  }\n}\nnew E().m()";
    const err = await nb.fails(source);
    const map = cellPositionMap(source, { language: "typescript", interruptible: true, names: nb.shell().names })!;
    const lines = source.split("\n");
    const frames = [...(err.stack ?? "").matchAll(new RegExp(`${nb.name()}:(\\d+):(\\d+)`, "g"))].map((m) => {
      const at = map.position(Number(m[1]), Number(m[2]))!;
      return lines[at.line - 1]!.slice(at.column - 1);
    });
    expect(frames).toEqual(["new Error('in decorated') }", "boom()", "m()"]);
  });
});

describe("hot loops at a cell's top level read the notebook's constants as parameters", () => {
  test("a loop reading constants runs in an arrow that takes them; its results are the same", async () => {
    const nb = notebook();
    await nb.run("class Acc { n = 0; add(k: number) { this.n += k } }\nconst accA = new Acc()\nconst stepA = 3");
    const r = await nb.run(
      "for (let i = 0; i < 10; i++) accA.add(stepA)\nlet sumA = 0\nfor (const v of [1, 2]) sumA += v * stepA\n;[accA.n, sumA]",
    );
    expect(r.value).toEqual([30, 9]);
    expect(r.t.code).toContain("((accA, stepA) => {for (let i = 0;");
    // a `let` the loop writes is not a parameter (it is read where it lives)
    expect(r.t.code).toContain("((stepA) => {for (const v of");
  });

  test("loops that would mean something else in a function are left alone", async () => {
    const nb = notebook();
    await nb.run("const limitB = 3");
    for (const cell of [
      "let nB = 0\nwhile (nB < limitB) { nB++; await null }",
      "for (let i = 0; i < limitB; i++) { var leaked = i }",
      "outerB: { for (let i = 0; i < limitB; i++) break outerB }",
      "for (let i = 0; i < limitB; i++) { function inLoop() {} }",
      "for (let i = 0; i < limitB; i++) eval('1')",
    ]) {
      const r = await nb.run(cell);
      expect(r.t.code, cell).not.toContain("=> {");
    }
    expect(nb.get("leaked")).toBe(2);
    // a loop that writes a constant still throws as it would (it is not moved)
    const err = await nb.fails("for (let i = 0; i < 2; i++) limitB = i");
    expect(err.message).toBe("Assignment to constant variable.");
  });

  test("labels inside the loop, break and continue, and the loop's own label stay as they are", async () => {
    const nb = notebook();
    await nb.run("const rowsC = [[1, 2], [3, 4]]");
    const r = await nb.run(
      "let seenC: number[] = []\nouterC: for (const row of rowsC) { for (const v of row) { if (v === 2) continue outerC; if (v === 4) break outerC; seenC.push(v) } }\nseenC",
    );
    expect(r.value).toEqual([1, 3]);
    expect(r.t.code).toContain("((rowsC) => {outerC:");
  });
});
