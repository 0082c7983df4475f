/**
 * The cell registry (src/shell/cells.ts): script file names → cell names and positions, within
 * its memory bounds. Errors are real V8 errors of real transformed cells.
 */
import vm from "node:vm";
import { describe, expect, test } from "vitest";

import { CellRegistry, scriptName } from "../../src/shell/cells.js";
import { INSERTED_STATEMENTS } from "../../src/shell/debug_view.js";
import { Shell } from "../../src/shell/shell.js";
import { CellSyntaxError, transformCell } from "../../src/shell/transform/index.js";

const shell = new Shell({ cwd: process.cwd(), language: "typescript" });
/** As the shell transforms cells (the registry rebuilds positions with the same options). */
const options = { language: "typescript" as const, interruptible: true, names: shell.names };

/** Run a cell as the kernel does; the error it throws (its frames name the cell's script file). */
async function thrown(registry: CellRegistry, source: string, name: string): Promise<Error> {
  registry.add(source, name);
  try {
    await shell.evaluateCell(source, name);
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the cell to throw");
}

/** 1-based column of `text` on line `line` of `source`. */
const columnOf = (source: string, line: number, text: string): number => source.split("\n")[line - 1]!.indexOf(text) + 1;

const frames = (registry: CellRegistry, err: Error): string[] =>
  (err.stack ?? "")
    .split("\n")
    .filter((l) => /^\s+at /.test(l) && l.includes("cell-"))
    .flatMap((l) => registry.renameFrame(l.trim()) ?? []);

describe("CellRegistry", () => {
  test("frames are renamed to the cell and its line and column; other frames are left alone", async () => {
    const registry = new CellRegistry(options);
    const err = await thrown(registry, "const n: number = 1\nfunction f(): never { throw new Error('x') }\nf()", "In[7]");
    expect(frames(registry, err)).toEqual(["at f (In[7]:2:29)", "at In[7]:3:1"]);
    expect(registry.renameFrame("at g (/somewhere/else.js:1:2)")).toBe("at g (/somewhere/else.js:1:2)");
    expect(registry.renameFrame("at cell-00000000-1:1:1")).toBe("at cell-00000000-1:1:1");
  });

  test("a frame past the cell's last line (the REPL script's) is dropped; one in its prefix is at column 1", () => {
    const registry = new CellRegistry(options);
    const file = registry.add("let one = 1", "In[1]");
    expect(transformCell("let one = 1", options).code.startsWith("__tsak_b(); let one")).toBe(true);
    expect(registry.renameFrame(`at ${file}:2:3`)).toBeUndefined();
    expect(registry.renameFrame(`at ${file}:1:5`)).toBe("at In[1]:1:1");
    expect(registry.renameFrame(`at ${file}:1:17`)).toBe("at In[1]:1:5");
    expect(registry.renameFrame(`at ${file}`)).toBe("at In[1]");
  });

  test("locate: a script position → the cell's name, source, line and column (what the debugger shows)", () => {
    const registry = new CellRegistry(options);
    const source = "const n: number = 1;\nfunction f(): number {\n  return n * 2;\n}";
    const file = registry.add(source, "In[2]");
    const script = transformCell(source, options).code;
    // the transform keeps lines; columns move (the REPL script's start, the guard in f's body)
    expect(script.split("\n")[0]!.indexOf("const n")).toBeGreaterThan(0);
    const at = columnOf(script, 1, "1;");
    expect(registry.locate(file, 1, at)).toEqual({ name: "In[2]", source, line: 1, column: columnOf(source, 1, "1;") });
    expect(registry.locate(file, 3, columnOf(script, 3, "n * 2"))).toMatchObject({ line: 3, column: 10 });
    // the REPL script's own closing line, and a file that is no cell
    expect(registry.locate(file, 5, 1)).toBeUndefined();
    expect(registry.locate("elsewhere.js", 1, 1)).toBeUndefined();
  });

  test("locate maps lines of a cell tsc compiles, whose script has lines of its own", () => {
    const registry = new CellRegistry(options);
    const source =
      "function dec(v: any, c: ClassDecoratorContext) {}\n@dec\nclass A {\n  m() {\n    return 'in m';\n  }\n}\nconst after = 1;";
    const file = registry.add(source, "In[3]");
    const script = transformCell(source, options).code.split("\n");
    const mLine = script.findIndex((l) => l.includes("'in m'")) + 1;
    const afterLine = script.findIndex((l) => l.includes("const after")) + 1;
    expect([mLine, afterLine]).not.toEqual([5, 8]);
    expect(registry.locate(file, mLine, script[mLine - 1]!.indexOf("return") + 1)).toMatchObject({ line: 5, column: 5 });
    expect(registry.locate(file, afterLine, 1)).toMatchObject({ line: 8 });
  });

  test("scriptLines: where each line of a cell tsc compiled is in its script (its breakpoints go there)", () => {
    const registry = new CellRegistry(options);
    const source = [
      "function tracked(value: any, context: ClassDecoratorContext) {}",
      "@tracked",
      "class Gauge {",
      "  read(): number {",
      "    const reading: number = 42;",
      "    return reading;",
      "  }",
      "}",
      "",
      "const shown = new Gauge().read();",
    ].join("\n");
    const file = registry.add(source, "In[4]");
    const t = transformCell(source, options);
    expect(t.linesKept).toBe(false);
    const script = t.code.split("\n");
    const lines = registry.scriptLines(file)!;
    const at = (cellLine: number) => script[lines[cellLine - 1]! - 1]!.trim();
    expect([at(5), at(6), at(10)]).toEqual(["const reading = 42;", "return reading;", "const shown = new Gauge().read();"]);
    // tsc's helper lines come first in the script: the statement is found, not a helper
    expect(lines[9]).toBeGreaterThan(10);
    expect(lines[8]).toBe(0);
    expect(registry.scriptLines("cell-00000000-1")).toBeUndefined();
    // a cell whose lines are kept: each line is its own
    const kept = "let a = 1;\n\nlet b: number = a;";
    expect(transformCell(kept, options).linesKept).toBe(true);
    expect(registry.scriptLines(registry.add(kept, "In[5]"))).toEqual([1, 0, 3]);
  });

  test("the statements the transform inserts start as the debugger expects (debug_view.ts)", () => {
    const script = transformCell("let i = 0;\nwhile (i < 2) {\n  i++;\n}", options).code;
    const [begin, guard] = INSERTED_STATEMENTS;
    expect(script.startsWith(`${begin} `)).toBe(true);
    expect(script.split("\n")[1]).toBe(`while (i < 2) {${guard}`);
  });

  test("the same cell run again keeps its file name and takes its latest name", () => {
    const registry = new CellRegistry(options);
    const a = registry.add("let x: number = 1", "In[1]");
    const b = registry.add("let x: number = 1", "In[4]");
    expect(b).toBe(a);
    expect(registry.nameOf(a)).toBe("In[4]");
    // cells whose scripts are equal but whose sources are not are different cells
    expect(registry.add("let x: string = 1", "In[5]")).not.toBe(a);
    expect(scriptName("let x: number = 1")).toBe(a);
  });

  test("past the source budget, old cells keep their name and (exact) line but lose the column", () => {
    const registry = new CellRegistry(options, { sourceChars: 80 });
    const old = "\nfunction old(): never { throw new Error('old') }";
    const oldFile = registry.add(old, "In[1]");
    const frame = `at old (${oldFile}:2:${columnOf(transformCell(old, options).code, 2, "new Error")})`;
    expect(registry.renameFrame(frame)).toBe(`at old (In[1]:2:${columnOf(old, 2, "new Error")})`);
    registry.add(`const filler = '${"x".repeat(60)}'`, "In[2]");
    expect(registry.renameFrame(frame)).toBe("at old (In[1]:2)");
  });

  test("past the entry budget, the oldest cells are forgotten", () => {
    const registry = new CellRegistry(options, { entries: 2 });
    const first = registry.add("1", "In[1]");
    registry.add("2", "In[2]");
    registry.add("3", "In[3]");
    expect(registry.nameOf(first)).toBeUndefined();
    expect(registry.renameFrame(`at ${first}:1:1`)).toBe(`at ${first}:1:1`);
  });

  test("only a few position maps are kept, and a dropped one is rebuilt", () => {
    const registry = new CellRegistry(options, { maps: 1 });
    const a = registry.add("let a: number = 1; (null as any).p", "In[1]");
    const b = registry.add("let b: string = ''; (null as any).q", "In[2]");
    const colA = transformCell("let a: number = 1; (null as any).p", options).code.indexOf(".p") + 2;
    const colB = transformCell("let b: string = ''; (null as any).q", options).code.indexOf(".q") + 2;
    for (let i = 0; i < 2; i++) {
      expect(registry.renameFrame(`at ${a}:1:${colA}`)).toBe(`at In[1]:1:${"let a: number = 1; (null as any).p".indexOf(".p") + 2}`);
      expect(registry.renameFrame(`at ${b}:1:${colB}`)).toBe(`at In[2]:1:${"let b: string = ''; (null as any).q".indexOf(".q") + 2}`);
    }
  });

  test("a V8 compile error is placed in the cell", () => {
    const registry = new CellRegistry(options);
    const source = "const t: Map<string, number> = new Map()\n  let u: number = t.size";
    const file = registry.add(source, "In[2]");
    // a same-length edit of the real script that V8 rejects where the cell has `t.size`
    const script = transformCell(source, options).code.replace("t.size", "t.@ize");
    let err: unknown;
    try {
      new vm.Script(script, { filename: file });
    } catch (e) {
      err = e;
    }
    const syntax = registry.compileError(err, file, script);
    expect(syntax).toBeInstanceOf(CellSyntaxError);
    expect([syntax!.line, syntax!.column, syntax!.sourceLine]).toEqual([2, "  let u: number = t.".length, "  let u: number = t.size"]);
    // errors from elsewhere are not ours
    expect(registry.compileError(new SyntaxError("x"), file, script)).toBeUndefined();
    expect(registry.compileError(err, "cell-00000000-0", script)).toBeUndefined();
  });

  test("a REPL script V8 refuses is placed in the cell, and declares nothing", async () => {
    // a `var` some other script of this realm declared (not one of the notebook's names): V8 refuses a `let` of it
    vm.runInThisContext("var declaredElsewhere = 1");
    const source = "const beforeBad = 1\n\nlet declaredElsewhere = 2";
    const err = await shell.evaluateCell(source, "In[3]").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CellSyntaxError);
    const syntax = err as CellSyntaxError;
    expect([syntax.message, syntax.line, syntax.sourceLine]).toEqual([
      "Identifier 'declaredElsewhere' has already been declared",
      3,
      "let declaredElsewhere = 2",
    ]);
    await expect(shell.evaluateCell("beforeBad", "In[4]")).rejects.toThrow("beforeBad is not defined");
  });
});
