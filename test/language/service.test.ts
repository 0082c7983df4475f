/**
 * The TypeScript language service over a notebook: completion, inspection and diagnostics, with
 * the types of earlier cells, of packages in the notebook's node_modules, and of Node itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotebookService } from "../../src/language/service.js";
import { GLOBALS_DTS, KERNEL_TYPE_PATHS } from "../../src/shell/globals_dts.js";

let dir: string;
let ts: NotebookService;

const GLOBALS = "/** Show a value. */\ndeclare function display(value: unknown): void;";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsak-ls-"));
  const pkg = join(dir, "node_modules", "typed-pkg");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "typed-pkg", version: "1.0.0", type: "module", exports: { ".": { types: "./index.d.ts", import: "./index.js" } } }));
  writeFileSync(join(pkg, "index.js"), "export function greet(n) { return 'hi ' + n }");
  writeFileSync(join(pkg, "index.d.ts"), "/** Greets someone. */\nexport declare function greet(name: string): string;\nexport declare const version: number;");
  ts = new NotebookService({ cwd: dir, language: "typescript", globalsDts: GLOBALS });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("completion", () => {
  it("knows the kernel's widgets and comms (their declarations through modulePaths)", () => {
    const kernel = new NotebookService({ cwd: dir, language: "typescript", globalsDts: GLOBALS_DTS, modulePaths: KERNEL_TYPE_PATHS });
    kernel.addCell("const s = new widgets.IntSlider({ value: 3 });");
    expect(kernel.complete("s.rea", 5).matches).toEqual(["readout", "readout_format"]);
    expect(kernel.complete("widgets.IntS", 12).matches).toEqual(["IntSlider"]);
    const named = 'import { registerComm } from "ts-async-kernel";';
    expect(kernel.complete(named, named.indexOf(" }")).matches).toContain("registerCommTarget");
    const info = kernel.inspect("s.observe", 9, 0);
    expect(info.found).toBe(true);
    expect(info.data["text/plain"]).toMatch(/^\(method\) Widget<IntSliderState, IntSliderState>.observe<K>\(handler: widgets.Observer<widgets.IntSliderState, K>.*\n\nCall `handler` on every change/);
  });

  it("offers members of a string literal, replacing what is typed after the dot", () => {
    const c = ts.complete('"abc".', 6);
    expect(c.matches).toContain("toUpperCase");
    expect([c.cursor_start, c.cursor_end]).toEqual([6, 6]);
    const d = ts.complete('"abc".toU', 9);
    expect(d.matches).toEqual(["toUpperCase"]);
    expect([d.cursor_start, d.cursor_end]).toEqual([6, 9]);
    // Symbol-keyed members would rewrite the dot: not offered.
    expect(c.matches.some((m) => m.startsWith("["))).toBe(false);
  });

  it("offers members of a value whose type is an earlier cell's interface", () => {
    ts.addCell("interface Point { x: number; y: number; label?: string }");
    ts.addCell("const pt: Point = { x: 1, y: 2 };");
    expect(ts.complete("pt.", 3).matches).toEqual(["label", "x", "y"]);
  });

  it("follows a re-declaration in a later cell", () => {
    ts.addCell("let changing = 1;");
    ts.addCell("let changing = 'now text';");
    expect(ts.complete("changing.toUpp", 14).matches).toEqual(["toUpperCase"]);
  });

  it("knows the kernel's globals, keywords and Node's types", () => {
    expect(ts.complete("displ", 5).matches).toContain("display");
    expect(ts.complete("awa", 3).matches).toContain("await");
    expect(ts.complete("process.platf", 13).matches).toEqual(["platform"]);
    expect(ts.complete('import { readFileS } from "node:fs"', 18).matches).toContain("readFileSync");
  });

  it("reads an installed package's .d.ts", () => {
    ts.addCell('import { greet } from "typed-pkg";');
    expect(ts.complete("greet('x').toLowerC", 19).matches).toEqual(["toLowerCase"]);
    expect(ts.complete('import * as tp from "typed-pkg"; tp.', 36).matches).toEqual(["greet", "version"]);
  });

  it("counts cursor positions in code points", () => {
    const code = '"\u{1F600}" + "x".toUpp';
    const cursor = [...code].length;
    const c = ts.complete(code, cursor);
    expect(c.matches).toEqual(["toUpperCase"]);
    expect([c.cursor_start, c.cursor_end]).toEqual([cursor - 5, cursor]);
  });
});

describe("inspection", () => {
  it("gives the signature and JSDoc of a function declared in an earlier cell", () => {
    ts.addCell("/**\n * Doubles a number.\n * @param n the number\n */\nfunction twice(n: number): number { return 2 * n }");
    const i = ts.inspect("twice(2)", 5, 0);
    expect(i.found).toBe(true);
    expect(i.data["text/plain"]).toContain("function twice(n: number): number");
    expect(i.data["text/plain"]).toContain("Doubles a number.");
    expect(i.data["text/markdown"]).toContain("```typescript\nfunction twice(n: number): number\n```");
    expect(i.data["text/plain"]).not.toContain("Source:");
    expect(ts.inspect("twice", 5, 1).data["text/plain"]).toContain("Source:\nfunction twice(n: number): number { return 2 * n }");
  });

  it("says not found where there is nothing", () => {
    expect(ts.inspect("   ", 1, 0).found).toBe(false);
  });
});

describe("diagnostics", () => {
  it("reports type errors of a cell at the cell's own line and column", () => {
    const lines = ts.diagnostics("const ok = 1;\nconst n: number = 'text';", "In[7]");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^In\[7\]:2:7 - error TS2322: Type 'string' is not assignable to type 'number'\.$/);
    expect(ts.diagnostics("twice(3)", "In[8]")).toEqual([]);
  });
});

describe("javascript notebooks", () => {
  it("infer types from JavaScript cells", () => {
    const js = new NotebookService({ cwd: dir, language: "javascript", globalsDts: GLOBALS });
    js.addCell("const obj = { alpha: 1, beta: 'b' };");
    expect(js.complete("obj.", 4).matches).toEqual(["alpha", "beta"]);
  });
});
