// Timing of the cell transform (src/shell/transform). Not a test: nothing here passes or fails.
// Run with: node test/shell/transform.bench.mjs
//
// The TypeScript sources are transpiled (typescript's transpileModule, no type check) into
// node_modules/.cache/tsak-transform-bench so this runs without a build; dist/ is not touched.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const srcDir = join(root, "src", "shell", "transform");
const outDir = join(root, "node_modules", ".cache", "tsak-transform-bench");
mkdirSync(outDir, { recursive: true });
for (const file of readdirSync(srcDir)) {
  if (!file.endsWith(".ts")) continue;
  const { outputText } = ts.transpileModule(readFileSync(join(srcDir, file), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  writeFileSync(join(outDir, file.replace(/\.ts$/, ".js")), outputText);
}
writeFileSync(join(outDir, "package.json"), '{"type":"module"}\n');
const { transformCell } = await import(pathToFileURL(join(outDir, "index.js")).href);

const ts50 = [];
for (let i = 0; i < 10; i++) {
  ts50.push(
    `interface Item${i} { id: number; name?: string; tags: string[] }`,
    `const items${i}: Item${i}[] = [{ id: ${i}, tags: [] }] as Item${i}[];`,
    `function pick${i}<T extends Item${i}>(xs: T[], n: number = 1): T[] { return xs.slice(0, n) }`,
    `class Store${i}<T> { private data: T[] = []; add(x: T): void { this.data.push(x) } get size(): number { return this.data.length } }`,
    `let total${i} = pick${i}<Item${i}>(items${i}).length + new Store${i}<number>().size!;`,
  );
}
const tsCell50 = ts50.join("\n");
const jsCell50 = Array.from(
  { length: 50 },
  (_, i) => `const v${i} = [${i}, ${i + 1}].map((x) => x * 2).filter(Boolean).length + ${i};`,
).join("\n");

const cases = [
  ["trivial `1 + 1` (typescript)", "1 + 1", "typescript"],
  ["trivial `x = 1` (typescript)", "x = 1", "typescript"],
  ["trivial `1 + 1` (javascript)", "1 + 1", "javascript"],
  ["`const x = 1` (typescript)", "const x = 1", "typescript"],
  [
    "function + class cell (typescript)",
    "function f(a: number): number { return a * 2 }\nclass C { m(): number { return f(1) } }",
    "typescript",
  ],
  [
    "imports + await (typescript)",
    "import fs from 'node:fs'\nimport {join} from 'node:path'\nconst r = await fs.promises.readdir(join('.', 'x'))\nr.length",
    "typescript",
  ],
  [
    "type declarations (typescript)",
    "type A = {a: number}\ninterface B extends A { b: string }\nconst b: B = {a: 1, b: 'x'}\nb",
    "typescript",
  ],
  ["namespace (typescript)", "namespace N { export const a = 1; export function f() { return a } }\nN.f()", "typescript"],
  ["50-line TS cell", tsCell50, "typescript"],
  ["50-line JS cell (typescript)", jsCell50, "typescript"],
  ["50-line JS cell (javascript)", jsCell50, "javascript"],
];

// transformCell caches results by source. "cold" defeats the cache by giving every call a distinct
// source (the cell plus a trailing `//<n>` comment line); "cached" repeats the same source.
let unique = 0;
function measure(source, language, cached) {
  const opts = { language };
  const next = cached ? () => source : () => `${source}\n//${unique++}`;
  for (let i = 0; i < 3000; i++) transformCell(next(), opts); // warm-up
  // batches; report the median and the best per-call time of the batches
  const perBatch = source.length > 1000 ? 50 : 500;
  const samples = [];
  const deadline = performance.now() + 600;
  while (performance.now() < deadline || samples.length < 15) {
    const inputs = Array.from({ length: perBatch }, next);
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) transformCell(inputs[i], opts);
    samples.push(((performance.now() - t0) * 1000) / perBatch);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], min: samples[0] };
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
console.log("case".padEnd(40), "cold median µs".padStart(15), "cold min µs".padStart(12), "cached median µs".padStart(17));
for (const [name, source, language] of cases) {
  const cold = measure(source, language, false);
  const hot = measure(source, language, true);
  console.log(name.padEnd(40), cold.median.toFixed(1).padStart(15), cold.min.toFixed(1).padStart(12), hot.median.toFixed(1).padStart(17));
}
