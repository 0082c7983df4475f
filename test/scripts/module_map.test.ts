import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// @ts-expect-error: a plain ESM script of the repository, without type declarations
import { BEGIN, END, importsOf, PLACEHOLDER } from "../../scripts/module_map.mjs";

const SCRIPT = fileURLToPath(new URL("../../scripts/module_map.mjs", import.meta.url));

let dir: string;
let src: string;
let doc: string;

function file(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
  writeFileSync(path.join(src, rel), text);
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const p = spawnSync(process.execPath, [SCRIPT, "--doc", doc, "--src", src, ...args], { encoding: "utf8" });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

/** The generated table's row of `folder`, as its cells. */
function row(folder: string): string[] | undefined {
  const line = readFileSync(doc, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`| \`${folder}\` |`));
  return line
    ?.slice(1, -1)
    .split(" | ")
    .map((c) => c.trim());
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "module-map-"));
  src = path.join(dir, "src");
  doc = path.join(dir, "architecture.md");
  file("a/one.ts", 'import { b } from "../b/two.js";\nimport type { C } from "../c/three.js";\nexport const a = b;\n');
  file("b/two.ts", "export const b = 1;\nexport async function later() {\n  return import('../d/four.js');\n}\n");
  file("c/three.ts", "export interface C { x: number }\n");
  file("d/four.ts", 'import "node:fs";\nexport const d = 4;\n');
  writeFileSync(
    doc,
    [
      "# Architecture",
      "",
      "prose before <!-- a comment of its own -->",
      "",
      "<!-- module-map:begin -->",
      "| folder | owns | knows nothing of |",
      "|---|---|---|",
      "| `src/a` | the a things | sockets |",
      "| `src/b` | the b things | |",
      "| `src/c` | the c types | |",
      "| `src/d` | the d things | |",
      END,
      "",
      "prose after",
      "",
    ].join("\n"),
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("scripts/module_map.mjs", () => {
  it("tells static, lazy and type-only imports apart, as the emitted JavaScript loads them", () => {
    const kinds = importsOf(
      [
        'import { a } from "./a.js";',
        'import type { B } from "./b.js";',
        'import { type C } from "./c.js";', // verbatimModuleSyntax keeps this as `import {} from`: loaded
        'export type { D } from "./d.js";',
        'export * from "./e.js";',
        'const f = await import("./f.js");',
        'let g: import("./g.js").G;',
        'let h: typeof import("./h.js");',
      ].join("\n"),
    ).map((i: { specifier: string; kind: string }) => `${i.specifier} ${i.kind}`);
    expect(kinds).toEqual([
      "./a.js static",
      "./b.js type",
      "./c.js static",
      "./d.js type",
      "./e.js static",
      "./f.js lazy",
      "./g.js type",
      "./h.js type",
    ]);
  });

  it("writes a row per folder with its files and imports, keeping the hand-written cells and the prose around", () => {
    expect(run().status).toBe(0);
    const text = readFileSync(doc, "utf8");
    expect(text.startsWith("# Architecture\n\nprose before <!-- a comment of its own -->\n\n<!-- module-map:begin (")).toBe(true);
    expect(text.endsWith("\n\nprose after\n")).toBe(true);
    expect(text).toContain(BEGIN);
    expect(row("src/a")).toEqual(["`src/a`", "the a things", "sockets", "`one.ts`", "`b`", "`c`"]);
    expect(row("src/b")).toEqual(["`src/b`", "the b things", "", "`two.ts`", "`d` (lazy)", "–"]);
    expect(row("src/d")).toEqual(["`src/d`", "the d things", "", "`four.ts`", "–", "–"]);
    expect(text).toContain("- none");
    expect(run("--check").status).toBe(0);
  });

  it("fails --check when an import changes, and passes again once rewritten", () => {
    expect(run().status).toBe(0);
    file("d/four.ts", 'import { a } from "../a/one.js";\nexport const d = a;\n');
    const stale = run("--check");
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("does not match the imports of src/");
    expect(readFileSync(doc, "utf8")).not.toContain("`a`"); // --check writes nothing
    expect(run().status).toBe(0);
    expect(row("src/d")?.[4]).toBe("`a`");
    expect(run("--check").status).toBe(0);
  });

  it("finds folders by walking src/: a moved folder needs a description and its old row goes", () => {
    expect(run().status).toBe(0);
    renameSync(path.join(src, "d"), path.join(src, "e"));
    file("b/two.ts", "export const b = 1;\nexport async function later() {\n  return import('../e/four.js');\n}\n");
    const rewritten = run();
    expect(rewritten.status).toBe(1);
    expect(rewritten.stderr).toContain("src/e: no description of what it owns");
    expect(rewritten.stderr).toContain("src/d: described, but no such folder in src/ (its row goes; what it owned: the d things)");
    expect(row("src/d")).toBeUndefined();
    expect(row("src/e")?.[1]).toBe(PLACEHOLDER);
    expect(run("--check").status).toBe(1); // the placeholder is not a description
    writeFileSync(doc, readFileSync(doc, "utf8").replace(PLACEHOLDER, "the e things"));
    expect(run("--check").status).toBe(0);
  });

  it("lists the import cycles between files, with the kind of each import inside", () => {
    file("a/x.ts", 'import { y } from "./y.js";\nexport const x = 1;\nexport const z = y;\n');
    file("a/y.ts", 'import type { x } from "./x.js";\nexport const y = 2;\nexport type X = typeof x;\n');
    file("c/three.ts", 'export interface C { x: number }\nexport const load = () => import("../a/one.js");\n');
    expect(run().status).toBe(0);
    const text = readFileSync(doc, "utf8");
    expect(text).toContain("- 2 files: `a/x.ts` → `a/y.ts`; `a/y.ts` → `a/x.ts` (type)");
    expect(text).toContain("- 2 files: `a/one.ts` → `c/three.ts` (type); `c/three.ts` → `a/one.ts` (lazy)");
    expect(text).not.toContain("- none");
  });

  it("names a relative import that resolves to no file", () => {
    file("a/one.ts", 'import { gone } from "./gone.js";\nexport const a = gone;\n');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unresolved relative import in src/a/one.ts: ./gone.js");
  });

  it("refuses a document without the markers", () => {
    writeFileSync(doc, "# Architecture\n");
    const r = run("--check");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("markers");
  });
});
