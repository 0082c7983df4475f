/**
 * No module of src/ imports itself through others: every import counts (type-only, re-exports,
 * lazy `import()`), as TypeScript's own pre-processor reads them. A cycle makes load order matter
 * and layers blur; docs/architecture.md says which way imports point.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Each module → the modules of src/ it imports. */
function importGraph(): Map<string, string[]> {
  const files = new Set(sources(SRC));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, ".ts")))
      .filter((target) => files.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** One cycle through each strongly connected group of modules (Tarjan), as paths relative to src/. */
function cycles(graph: Map<string, string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || graph.get(v)!.includes(v))
      found.push(
        group
          .map((f) => relative(SRC, f))
          .sort()
          .join(" ⇄ "),
      );
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test("the import graph of src/ has no cycle", () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(100);
  expect(cycles(graph)).toEqual([]);
});

test("the check finds a cycle, also one of type-only imports", () => {
  const graph = new Map([
    ["/a.ts", ["/b.ts"]],
    ["/b.ts", ["/a.ts"]],
    ["/c.ts", ["/a.ts"]],
  ]);
  expect(cycles(graph)).toHaveLength(1);
  const { importedFiles } = ts.preProcessFile(
    'import type { X } from "./x.js";\nexport type { Y } from "./y.js";\nawait import("./z.js");',
    true,
    true,
  );
  expect(importedFiles.map((f) => f.fileName)).toEqual(["./x.js", "./y.js", "./z.js"]);
});
