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
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({
      name: "typed-pkg",
      version: "1.0.0",
      type: "module",
      exports: { ".": { types: "./index.d.ts", import: "./index.js" } },
    }),
  );
  writeFileSync(join(pkg, "index.js"), "export function greet(n) { return 'hi ' + n }");
  writeFileSync(
    join(pkg, "index.d.ts"),
    "/** Greets someone. */\nexport declare function greet(name: string): string;\nexport declare const version: number;",
  );
  ts = new NotebookService({ cwd: dir, language: "typescript", globalsDts: GLOBALS });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm: specifiers", () => {
  it("resolve to the kernel's cache entry, and to the notebook's copy when it meets the requirement", () => {
    const cache = mkdtempSync(join(tmpdir(), "tsak-ls-cache-"));
    const saved = process.env.TS_ASYNC_KERNEL_CACHE_DIR;
    process.env.TS_ASYNC_KERNEL_CACHE_DIR = cache;
    try {
      // A complete entry (marker and all) of a package with no types, plus the @types the install adds.
      const entry = join(cache, "npm", "cached-pkg@2");
      const pkg = join(entry, "node_modules", "cached-pkg");
      const types = join(entry, "node_modules", "@types", "cached-pkg");
      mkdirSync(pkg, { recursive: true });
      mkdirSync(types, { recursive: true });
      writeFileSync(join(entry, ".ts-async-kernel-entry.json"), "{}");
      writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "cached-pkg", version: "2.3.0", main: "index.js" }));
      writeFileSync(join(pkg, "index.js"), "exports.shout = (s) => s.toUpperCase();");
      writeFileSync(join(types, "package.json"), JSON.stringify({ name: "@types/cached-pkg", version: "2.0.0", types: "index.d.ts" }));
      writeFileSync(
        join(types, "index.d.ts"),
        "/** Louder. */\nexport declare function shout(s: string): string;\nexport declare const volume: number;",
      );
      const service = new NotebookService({ cwd: dir, language: "typescript", globalsDts: GLOBALS });
      service.addCell('import * as cp from "npm:cached-pkg@^2.1";');
      expect(service.complete("cp.", 3).matches).toEqual(["shout", "volume"]);
      expect(service.inspect("cp.shout", 8, 0).data["text/plain"]).toContain("function shout(s: string): string");
      // Not installed anywhere, or not met by the entry: nothing, and no type error (the cell installs it as it runs).
      service.addCell('import * as gone from "npm:cached-pkg@3";');
      expect(service.complete("gone.", 5).matches).toEqual([]);
      expect(service.diagnostics('import * as soon from "npm:not-yet@1";\nimport * as never from "not-installed";', "In[9]")).toEqual([
        "In[9]:2:24 - error TS2307: Cannot find module 'not-installed' or its corresponding type declarations.",
      ]);
      // The notebook's own typed-pkg@1.0.0 meets `1`.
      service.addCell('import { greet as hello } from "npm:typed-pkg@1";');
      expect(service.inspect("hello", 5, 0).data["text/plain"]).toContain("hello(name: string): string");
      // A package installed after the notebook asked about it is found by the next question.
      const later = join(cache, "npm", "later-pkg@1");
      mkdirSync(join(later, "node_modules", "later-pkg"), { recursive: true });
      service.addCell('import { late } from "npm:later-pkg@1";');
      expect(service.inspect("late", 4, 0).data["text/plain"] ?? "").not.toContain("boolean");
      writeFileSync(
        join(later, "node_modules", "later-pkg", "package.json"),
        JSON.stringify({ name: "later-pkg", version: "1.0.0", types: "index.d.ts" }),
      );
      writeFileSync(join(later, "node_modules", "later-pkg", "index.d.ts"), "export declare const late: boolean;");
      writeFileSync(join(later, ".ts-async-kernel-entry.json"), "{}");
      expect(service.inspect("late", 4, 0).data["text/plain"]).toContain("late: boolean");
    } finally {
      if (saved === undefined) delete process.env.TS_ASYNC_KERNEL_CACHE_DIR;
      else process.env.TS_ASYNC_KERNEL_CACHE_DIR = saved;
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

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
    expect(info.data["text/plain"]).toMatch(
      /^\(method\) Widget<IntSliderState, IntSliderState>.observe<K>\(handler: widgets.Observer<widgets.IntSliderState, K>.*\n\nCall `handler` on every change/,
    );
  });

  it("knows the types of each of the package's entries: the Caller's and the event loop's too", () => {
    const kernel = new NotebookService({ cwd: dir, language: "typescript", globalsDts: GLOBALS_DTS, modulePaths: KERNEL_TYPE_PATHS });
    kernel.addCell('import { Caller } from "ts-async-kernel/caller";\nimport { run } from "ts-async-kernel/event_loop";');
    kernel.addCell("const answer = await run(async () => 42, []);");
    expect(kernel.complete("answer.toFix", 12).matches).toEqual(["toFixed"]);
    expect(kernel.complete("Caller.toThr", 12).matches).toEqual(["toThread"]);
    const named = 'import { Dropd } from "ts-async-kernel/widgets";';
    expect(kernel.complete(named, named.indexOf(" }")).matches).toContain("Dropdown");
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
