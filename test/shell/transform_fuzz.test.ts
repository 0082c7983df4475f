/**
 * The cell transform against tsc: every case of test/shell/fixtures/ts_cases (TypeScript that
 * runs: classes, enums, namespaces, decorators, expressions, statements, names the notebook
 * binds under other identifiers) and 150 random programs (ts_fuzz/generate.mjs) runs twice, as
 * tsc's own output (`transpileModule`, ES2022, useDefineForClassFields) in a fresh realm and as
 * cells of a real Shell in another, and what each leaves must agree: output, result or error of every cell, and the names it declares with
 * their values (test/shell/ts_fuzz/). The few differences that are the kernel's design, not its
 * faults, are listed below with their class (ts_fuzz/classify.mjs says why each is inherent);
 * any other difference fails, and so does a listed one that is gone.
 *
 * The full run over the TypeScript compiler's own test suite is bench/ts_fuzz.mjs.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildShell } from "./helpers/shell_process.js";
// plain JavaScript shared with the bench script (they run in worker threads, outside vitest)
import { parseFixture, prepare } from "./ts_fuzz/cases.mjs";
import { compareCases } from "./ts_fuzz/compare.mjs";
import { classify } from "./ts_fuzz/classify.mjs";
import { generatePrograms } from "./ts_fuzz/generate.mjs";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "ts_cases");

/** Cases that differ by design: case name → the class of every difference it shows (classify.mjs says why). */
const EXPECTED: Record<string, string> = {
  // V8's REPL mode: cells may declare a class again; a read in the TDZ is "not defined"
  "classes.ts:a class declared again in a later cell (scripts may not, cells may)": "a name declared again in a later cell",
  "statements.ts:reading a let before its declaration": "the temporal dead zone in REPL mode: 'X is not defined'",
  // not TypeScript: tsc's checker rejects it, its emitter does not
  "classes.ts:a namespace declaring a name twice (invalid TypeScript: JavaScript's early error)":
    "invalid TypeScript: tsc's checker reports an error where the kernel refuses",
  // tsc 5.9's own output is wrong here; the kernel runs the class as written
  "classes.ts:a static block names its class that has a private method (tsc's output throws)":
    "tsc's output is wrong: its class alias is read in a static block before it is assigned",
  // a cell has CommonJS names of its own, as a program file does
  "names.ts:a cell's own require and module": "cell-local names (require, module, __filename, __dirname)",
  // in a script these merge into the realm's Intl and Event; a notebook binds its own
  "names.ts:a namespace named like a global":
    "a global's name: a script's var, enum or namespace of it is the realm's global; a notebook's is its own",
  "names.ts:an enum named like a global":
    "a global's name: a script's var, enum or namespace of it is the realm's global; a notebook's is its own",
};

interface Result {
  name: string;
  differences: Array<{ what: string; reference: unknown; kernel: unknown }>;
}

/** Random programs too (ts_fuzz/generate.mjs), always the same ones. */
const SEED = 1;
const GENERATED = 150;

const tests = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .flatMap((f) => parseFixture(f, readFileSync(join(FIXTURES, f), "utf8")) as Array<{ name: string }>),
  ...(generatePrograms(SEED, GENERATED) as Array<{ name: string }>),
];
const prepared = tests.map((t) => prepare(t) as { name: string; skip?: string; cells: unknown[] });

let build: string;
let cwd: string;
let results: Result[];

beforeAll(async () => {
  build = buildShell();
  cwd = mkdtempSync(join(tmpdir(), "ts-fuzz-"));
  results = await compareCases(
    prepared.filter((c) => !c.skip),
    { shell: build, cwd },
  );
}, 240_000);

afterAll(() => {
  if (build) rmSync(build, { recursive: true, force: true });
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe("cells run as tsc's output runs", () => {
  test("every curated case is one tsc transpiles to a script (none is skipped)", () => {
    expect(prepared.length).toBeGreaterThan(250);
    expect(prepared.filter((c) => c.skip).map((c) => `${c.name}: ${c.skip}`)).toEqual([]);
  });

  test("no case differs but those listed, each by its documented class", () => {
    const found: Record<string, string> = {};
    const unexplained: string[] = [];
    for (const r of results) {
      const kase = prepared.find((c) => c.name === r.name);
      for (const d of r.differences) {
        const c = classify(d, kase, r.differences) as { name: string; inherent: boolean };
        if (!c.inherent) unexplained.push(`${r.name}: ${d.what}: tsc ${JSON.stringify(d.reference)}, kernel ${JSON.stringify(d.kernel)}`);
        else found[r.name] = found[r.name] && found[r.name] !== c.name ? `${found[r.name]}, ${c.name}` : c.name;
      }
    }
    expect(unexplained).toEqual([]);
    expect(found).toEqual(EXPECTED);
  });

  test("the comparison sees what it compares: most cases print, return or declare something", () => {
    const ran = results.filter((r) => r.differences.length === 0);
    expect(ran.length).toBeGreaterThan(results.length * 0.8);
  });
});
