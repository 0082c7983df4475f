// The full fuzz run of the cell transform (test/shell/ts_fuzz/): every test case of the TypeScript
// compiler's test suite that tsc transpiles to a script, run by tsc's output and by the kernel,
// compared. A dev script, not a CI test (the suite is not in this repository; CI runs the curated
// cases of test/shell/fixtures/ts_cases through test/shell/transform_fuzz.test.ts).
//
//   npm run build
//   node bench/ts_fuzz.mjs <TypeScript checkout>/tests/cases [--only conformance/classes,compiler]
//        [--limit N] [--shell dist] [--out report.json] [--show CLASS]
//
// The folder is walked for *.ts and *.js files (a checkout's tests/cases holds conformance/ and
// compiler/). Prints how many cases were found, skipped (by reason), run, matched, and the
// differences by class (classify.mjs); --out writes every difference.
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { tmpdir } from "node:os";
import { parseTestFile, prepare } from "../test/shell/ts_fuzz/cases.mjs";
import { compareCases } from "../test/shell/ts_fuzz/compare.mjs";
import { classify } from "../test/shell/ts_fuzz/classify.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
};
const only = option("only", "").split(",").filter(Boolean);
const limit = Number(option("limit", "0"));
const shell = resolve(option("shell", "dist"));
const outFile = option("out", "");
const show = option("show", "");
const root = args[0];
if (!root) {
  console.error(
    "usage: node bench/ts_fuzz.mjs <folder of TypeScript test cases> [--only a,b] [--limit N] [--shell dist] [--out file] [--show class]",
  );
  process.exit(2);
}

const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path);
    else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts")) files.push(path);
  }
};
walk(root);
const selected = files.filter((f) => only.length === 0 || only.some((o) => relative(root, f).startsWith(o)));
const skipped = new Map();
const cases = [];
for (const file of selected) {
  const c = prepare(parseTestFile(relative(root, file), readFileSync(file, "utf8")));
  if (c.skip) skipped.set(c.skip, (skipped.get(c.skip) ?? 0) + 1);
  else cases.push(c);
}
const run = limit > 0 ? cases.slice(0, limit) : cases;
console.log(
  `${selected.length} test files; ${cases.length} cases to run, skipped: ${[...skipped].map(([r, n]) => `${n} ${r}`).join("; ")}`,
);

const started = Date.now();
const results = await compareCases(run, {
  shell,
  cwd: mkdtempSync(join(tmpdir(), "ts-fuzz-")),
  progress: (text) => console.log(`  ${text} (${Math.round((Date.now() - started) / 1000)} s)`),
});
const classes = new Map();
const byName = new Map(run.map((c) => [c.name, c]));
let matched = 0;
for (const r of results) {
  if (r.differences.length === 0) {
    matched++;
    continue;
  }
  for (const d of r.differences) {
    const c = classify(d, byName.get(r.name), r.differences);
    const entry = classes.get(c.name) ?? { ...c, cases: [] };
    entry.cases.push({ name: r.name, difference: d });
    classes.set(c.name, entry);
  }
}
const differing = results.length - matched;
console.log(`${results.length} run in ${Math.round((Date.now() - started) / 1000)} s: ${matched} matched, ${differing} differ`);
for (const [name, c] of [...classes].sort((a, b) => b[1].cases.length - a[1].cases.length)) {
  const cases = new Set(c.cases.map((x) => x.name));
  console.log(`  ${String(cases.size).padStart(5)} cases  ${c.inherent ? "inherent " : c.fixed ? "fixed    " : "UNKNOWN  "} ${name}`);
  if (show === name || show === "all")
    for (const x of c.cases.slice(0, 8)) console.log(`         ${x.name}: ${JSON.stringify(x.difference).slice(0, 400)}`);
}
if (outFile)
  writeFileSync(
    outFile,
    JSON.stringify({ results: results.filter((r) => r.differences.length > 0), classes: Object.fromEntries(classes) }, null, 1),
  );
