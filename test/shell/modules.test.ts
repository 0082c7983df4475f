/**
 * Imports and requires of cells, run by a real Shell in a child process (see
 * helpers/shell_process.ts for why) against notebook folders written to a temp directory:
 * TypeScript and JavaScript files next to the notebook, packages in node_modules (CommonJS,
 * ESM-only, dual, subpath exports, scoped, in a parent folder), Node built-ins, `import()`, and
 * the kernel's own `ts-async-kernel` module. No network.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { buildShell, ShellProcess } from "./helpers/shell_process.js";

let build: string;
const cleanups: Array<() => void> = [];

beforeAll(() => {
  build = buildShell();
});
afterAll(() => rmSync(build, { recursive: true, force: true }));
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

type Tree = Record<string, string>;

function writeTree(root: string, tree: Tree): void {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A notebook folder holding `tree`, and a shell whose cells run in `sub` of it. */
async function notebook(tree: Tree, sub = "."): Promise<{ shell: ShellProcess; root: string; cwd: string }> {
  const root = mkdtempSync(join(tmpdir(), "tsak-modules-"));
  writeTree(root, tree);
  const cwd = join(root, sub);
  mkdirSync(cwd, { recursive: true });
  const shell = await ShellProcess.start(build, cwd);
  cleanups.push(() => {
    shell.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { shell, root, cwd };
}

let future = Date.now() / 1000 + 100;
/** Rewrite a file as an editor would; its mtime moves on for certain. */
function edit(path: string, text: string): void {
  writeFileSync(path, text);
  future += 10;
  utimesSync(path, future, future);
}

const pkg = (json: Record<string, unknown>): string => JSON.stringify(json);

/** The packages of a notebook's node_modules, one of each kind. */
const PACKAGES: Tree = {
  "node_modules/cjs-pkg/package.json": pkg({ name: "cjs-pkg", main: "index.js" }),
  "node_modules/cjs-pkg/index.js": 'exports.answer = 42;\nexports.greet = (n) => "hi " + n;\n',
  "node_modules/cjs-fn/package.json": pkg({ name: "cjs-fn" }),
  "node_modules/cjs-fn/index.js": "module.exports = function add(a, b) { return a + b; };\nmodule.exports.version = '1.0';\n",
  "node_modules/esm-only/package.json": pkg({ name: "esm-only", type: "module", exports: { ".": { import: "./index.js" } } }),
  "node_modules/esm-only/index.js": 'export const kind = "esm";\nexport default function hello() { return "hello"; }\n',
  "node_modules/esm-main/package.json": pkg({ name: "esm-main", type: "module", main: "main.js" }),
  "node_modules/esm-main/main.js": 'export const where = "main";\n',
  "node_modules/dual/package.json": pkg({ name: "dual", exports: { ".": { import: "./esm.mjs", require: "./cjs.cjs" } } }),
  "node_modules/dual/esm.mjs": 'export const kind = "esm";\n',
  "node_modules/dual/cjs.cjs": 'exports.kind = "cjs";\n',
  "node_modules/@scope/kit/package.json": pkg({
    name: "@scope/kit",
    type: "module",
    exports: { ".": "./index.js", "./util": "./lib/util.js", "./features/*": "./lib/features/*.js" },
  }),
  "node_modules/@scope/kit/index.js": 'export const name = "kit";\n',
  "node_modules/@scope/kit/lib/util.js": 'export const util = "kit-util";\n',
  "node_modules/@scope/kit/lib/features/alpha.js": 'export const feature = "alpha";\n',
  "node_modules/broken/package.json": pkg({ name: "broken", type: "module", main: "index.js" }),
  "node_modules/broken/index.js": 'import "not-installed-dep";\n',
};

describe("relative imports of TypeScript files", () => {
  test("default, named and namespace imports of a .ts file next to the notebook", async () => {
    const { shell } = await notebook({
      "util.ts": [
        "export function add(a: number, b: number): number { return a + b; }",
        "export default class Counter { n: number = 1; }",
        "export type Pair = [number, number];",
      ].join("\n"),
    });
    expect(
      await shell.value(
        'import Counter, { add } from "./util.ts";\nimport * as U from "./util.ts";\n[add(1, 2), new Counter().n, U.add === add, U.default === Counter]',
      ),
    ).toBe("[ 3, 1, true, true ]");
  });

  test(".ts files importing each other: extensionless, `.js` for `.ts`, folders with index.ts, type-only imports", async () => {
    const { shell } = await notebook({
      "lib/index.ts":
        'import { sum } from "./math";\nimport { shout } from "./strings.js";\nimport type { Shape } from "./types.ts";\nconst s: Shape = { n: 2 };\nexport const total: number = sum([1, 2, 3]) * s.n;\nexport { shout };\n',
      "lib/math.ts": "export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);\n",
      "lib/strings.ts": "export const shout = (s: string): string => s.toUpperCase() + '!';\n",
      "lib/types.ts": "export interface Shape { n: number }\n",
    });
    expect(await shell.value('import { total, shout } from "./lib";\n[total, shout("hey")]')).toBe("[ 12, 'HEY!' ]");
    expect(await shell.value('import { total as t2 } from "./lib/index.js";\nt2')).toBe("12");
  });

  test(".mts is an ES module, .cts CommonJS (named exports included), .ts follows package.json type", async () => {
    const { shell } = await notebook({
      "m.mts": 'export const kind: string = "mts";\nexport const esm: boolean = typeof module === "undefined";\n',
      "c.cts":
        'export const kind: string = "cts";\nexport const cjs: boolean = typeof module === "object" && typeof require === "function";\n',
      "plain.ts": "export const esm: boolean = typeof module === 'undefined';\n",
      "legacy/package.json": pkg({ type: "commonjs" }),
      "legacy/x.ts": "export const cjs: boolean = typeof module === 'object';\n",
    });
    expect(
      await shell.value(
        'import { kind as mk, esm } from "./m.mts";\nimport c, { kind as ck, cjs } from "./c.cts";\n[mk, esm, ck, cjs, c.kind]',
      ),
    ).toBe("[ 'mts', true, 'cts', true, 'cts' ]");
    expect(
      await shell.value(
        'import { esm as plainEsm } from "./plain.ts";\nimport { cjs as legacyCjs } from "./legacy/x.ts";\n[plainEsm, legacyCjs]',
      ),
    ).toBe("[ true, true ]");
  });

  test("JavaScript files: an ES module (.mjs) and CommonJS (.js with no package type)", async () => {
    const { shell } = await notebook({
      "helper.mjs": "export const esm = typeof module === 'undefined';\n",
      "old.js": "module.exports = { legacy: true };\n",
    });
    expect(await shell.value('import { esm } from "./helper.mjs";\nimport old from "./old.js";\n[esm, old.legacy]')).toBe("[ true, true ]");
  });

  test("a file that is not there, and a .ts file with a syntax error, fail with errors that name them", async () => {
    const { shell } = await notebook({ "bad.ts": "export const x: = 1;\n" });
    const missing = await shell.run('import "./nope";');
    expect(missing.status).toBe("error");
    expect(missing.error?.evalue).toContain("nope");
    const bad = await shell.run('import "./bad.ts";');
    expect(bad.status).toBe("error");
    expect(`${bad.error?.evalue}`).toContain("bad.ts");
  });
});

describe("edited files", () => {
  test("re-importing gives the edited version and its new importers; untouched modules keep their identity", async () => {
    const { shell, cwd } = await notebook({
      "a.ts": 'import { b } from "./b.ts";\nexport const value: string = "a+" + b;\n',
      "b.ts": 'export const b: string = "b1";\n',
      "c.ts": "export const state = { hits: 0 };\n",
    });
    expect(await shell.value('import * as A1 from "./a.ts";\nimport * as C1 from "./c.ts";\nC1.state.hits++;\nA1.value')).toBe("'a+b1'");
    expect(await shell.value('import * as A0 from "./a.ts";\nA0 === A1')).toBe("true");
    edit(join(cwd, "b.ts"), 'export const b: string = "b2, edited";\n');
    expect(
      await shell.value(
        'import * as A2 from "./a.ts";\nimport * as C2 from "./c.ts";\n[A2.value, A1.value, A2 === A1, C2 === C1, C2.state.hits]',
      ),
    ).toBe("[ 'a+b2, edited', 'a+b1', false, true, 1 ]");
    expect(await shell.value('import * as A3 from "./a.ts";\nA3 === A2')).toBe("true");
  });

  test("an edited CommonJS file is fresh for import and for require", async () => {
    const { shell, cwd } = await notebook({ "counter.js": "module.exports = { v: 1 };\n" });
    expect(await shell.value('import counter from "./counter.js";\n[counter.v, require("./counter.js").v]')).toBe("[ 1, 1 ]");
    edit(join(cwd, "counter.js"), "module.exports = { v: 2, edited: true };\n");
    expect(await shell.value('import counter2 from "./counter.js";\ncounter2.v')).toBe("2");
    edit(join(cwd, "counter.js"), "module.exports = { v: 3, edited: true };\n");
    expect(await shell.value('require("./counter.js").v')).toBe("3");
  });

  test("require gives the edited version of a required module's dependency", async () => {
    const { shell, cwd } = await notebook({
      "top.cjs": 'const dep = require("./dep.cjs");\nexports.read = () => dep.v;\n',
      "dep.cjs": "exports.v = 1;\n",
      "req.ts": "export const v: number = 1;\n",
    });
    expect(await shell.value('[require("./top.cjs").read(), require("./req.ts").v]')).toBe("[ 1, 1 ]");
    edit(join(cwd, "dep.cjs"), "exports.v = 2; // edited\n");
    edit(join(cwd, "req.ts"), "export const v: number = 2; // edited\n");
    expect(await shell.value('[require("./top.cjs").read(), require("./req.ts").v]')).toBe("[ 2, 2 ]");
  });
});

describe("require", () => {
  test("requires .ts files (compiled to CommonJS), with or without the extension; .mts is refused clearly", async () => {
    const { shell } = await notebook({
      "util.ts": "export function add(a: number, b: number): number { return a + b; }\nexport default 'dflt';\n",
      "esm.mts": "export const x = 1;\n",
    });
    expect(await shell.value('const u = require("./util.ts");\n[u.add(2, 3), u.default, require("./util") === u]')).toBe(
      "[ 5, 'dflt', true ]",
    );
    const mts = await shell.run('require("./esm.mts")');
    expect(mts.status).toBe("error");
    expect(mts.error?.evalue).toMatch(/esm\.mts is an ES module.*import it/);
  });

  test("requires packages from the notebook's node_modules and built-ins", async () => {
    const { shell, cwd } = await notebook(PACKAGES);
    expect(await shell.value('[require("cjs-pkg").answer, require("dual").kind, require("node:path") === require("path")]')).toBe(
      "[ 42, 'cjs', true ]",
    );
    expect(await shell.value('require.resolve("cjs-pkg")')).toBe(`'${join(cwd, "node_modules", "cjs-pkg", "index.js")}'`);
  });
});

describe("packages", () => {
  test("CommonJS: the default import is module.exports, named imports as Node finds them", async () => {
    const { shell } = await notebook(PACKAGES);
    expect(
      await shell.value('import cjs, { answer, greet } from "cjs-pkg";\n[cjs.answer, answer, greet("x"), cjs === require("cjs-pkg")]'),
    ).toBe("[ 42, 42, 'hi x', true ]");
    expect(await shell.value('import add, { version } from "cjs-fn";\n[add(1, 2), version]')).toBe("[ 3, '1.0' ]");
  });

  test("ESM-only packages: `exports` with only an import condition, and `type: module` with main", async () => {
    const { shell } = await notebook(PACKAGES);
    expect(await shell.value('import hello, { kind } from "esm-only";\nimport { where } from "esm-main";\n[hello(), kind, where]')).toBe(
      "[ 'hello', 'esm', 'main' ]",
    );
  });

  test("a dual package gives import its ESM entry and require its CommonJS entry", async () => {
    const { shell } = await notebook(PACKAGES);
    expect(await shell.value('import { kind } from "dual";\n[kind, require("dual").kind]')).toBe("[ 'esm', 'cjs' ]");
  });

  test("scoped package with subpath and pattern exports; unexported subpaths fail as in Node", async () => {
    const { shell } = await notebook(PACKAGES);
    expect(
      await shell.value(
        'import { name } from "@scope/kit";\nimport { util } from "@scope/kit/util";\nimport { feature } from "@scope/kit/features/alpha";\n[name, util, feature]',
      ),
    ).toBe("[ 'kit', 'kit-util', 'alpha' ]");
    const hidden = await shell.run('import "@scope/kit/lib/util.js";');
    expect(hidden.status).toBe("error");
    expect(hidden.error?.evalue).toContain('not defined by "exports"');
  });

  test("packages in the node_modules of a parent folder", async () => {
    const { shell } = await notebook(PACKAGES, "notebooks/deeper");
    expect(await shell.value('import { kind } from "esm-only";\nimport { answer } from "cjs-pkg";\n[kind, answer]')).toBe("[ 'esm', 42 ]");
  });

  test("a missing package: the error names it and the folder, and says how to install it", async () => {
    const { shell, cwd } = await notebook(PACKAGES);
    for (const cell of ['import leftPad from "left-pad";', 'const lp = require("left-pad/sub");', 'await import("@nope/pkg")']) {
      const run = await shell.run(cell);
      expect(run.status).toBe("error");
      const name = cell.includes("@nope") ? "@nope/pkg" : "left-pad";
      expect(run.error?.evalue).toContain(`Cannot find package '${name}' from the notebook's directory ${cwd}`);
      expect(run.error?.evalue).toContain(`npm install ${name}`);
    }
  });

  test("the kernel's own dependencies are not visible to the notebook", async () => {
    const { shell } = await notebook({});
    const run = await shell.run('import { transform } from "sucrase";');
    expect(run.status).toBe("error");
    expect(run.error?.evalue).toContain("Cannot find package 'sucrase' from the notebook's directory");
  });

  test("a package whose own dependency is missing: Node's error, naming the dependency", async () => {
    const { shell } = await notebook(PACKAGES);
    const run = await shell.run('import "broken";');
    expect(run.status).toBe("error");
    expect(run.error?.evalue).toContain("not-installed-dep");
    expect(run.error?.evalue).not.toContain("Cannot find package 'broken'");
  });
});

describe("Node built-ins and import()", () => {
  test("built-ins with and without the node: prefix, by import, import() and require", async () => {
    const { shell } = await notebook({});
    expect(
      await shell.value(
        'import fs from "fs";\nimport { readFileSync } from "node:fs";\nimport * as fsp from "fs/promises";\nconst os = await import("node:os");\n' +
          '[fs.readFileSync === readFileSync, typeof fsp.readFile, os.platform() === process.platform, require("node:fs") === fs]',
      ),
    ).toBe("[ true, 'function', true, true ]");
  });

  test("import() of files, packages and built-ins, at the top level and from a function defined in an earlier cell", async () => {
    const { shell } = await notebook({ ...PACKAGES, "util.ts": "export const add = (a: number, b: number): number => a + b;\n" });
    expect(await shell.value('const { add } = await import("./util.ts");\nadd(1, 2)')).toBe("3");
    await shell.value("async function load(specifier: string) { return import(specifier); }");
    expect(
      await shell.value(
        '[(await load("./util.ts")).add(2, 2), (await load("esm-only")).kind, (await load("cjs-pkg")).answer, (await load("node:path")).sep]',
      ),
    ).toBe("[ 4, 'esm', 42, '/' ]");
  });

  test("import attributes: JSON files, by import and import()", async () => {
    const { shell } = await notebook({ "data.json": '{ "n": 7 }' });
    expect(
      await shell.value(
        'import data from "./data.json" with { type: "json" };\nconst again = await import("./data.json", { with: { type: "json" } });\n[data.n, again.default === data]',
      ),
    ).toBe("[ 7, true ]");
  });

  test("the loader hooks are registered on the first import that needs them, not before", async () => {
    const { shell } = await notebook({ "x.ts": "export const x: number = 1;\n" });
    expect(await shell.hooksRegistered()).toBe(false);
    await shell.value('import fs from "node:fs";\nimport { display as d } from "ts-async-kernel";\nrequire("path");\nawait import("os");');
    expect(await shell.hooksRegistered()).toBe(false);
    expect(await shell.value('import { x } from "./x.ts";\nx')).toBe("1");
    expect(await shell.hooksRegistered()).toBe(true);
  });
});

describe("the ts-async-kernel module", () => {
  test("gives cells the same display API objects as their globals", async () => {
    const { shell } = await notebook({});
    expect(
      await shell.value(
        'import { display as d, updateDisplay as u, clearOutput as c } from "ts-async-kernel";\nimport * as K from "ts-async-kernel/display";\n' +
          "[d === display, u === updateDisplay, c === clearOutput, K.display === display]",
      ),
    ).toBe("[ true, true, true, true ]");
    const shown = await shell.run('import { display as d2 } from "ts-async-kernel";\nd2.html("<b>hi</b>");');
    expect(shown.outputs).toEqual([
      expect.objectContaining({ type: "display", data: { "text/html": "<b>hi</b>", "text/plain": "<text/html>" } }),
    ]);
  });

  test("gives a file the cell imports the running kernel's API too", async () => {
    const { shell } = await notebook({
      "show.ts":
        'import { display } from "ts-async-kernel";\nexport function show(s: string): void { display.markdown(s); }\nexport { display };\n',
    });
    const run = await shell.run('import { show, display as fromFile } from "./show.ts";\nshow("*hi*");\nfromFile === display');
    expect(run.result).toBe("true");
    expect(run.outputs).toEqual([
      expect.objectContaining({ type: "display", data: { "text/markdown": "*hi*", "text/plain": "<text/markdown>" } }),
    ]);
  });

  test("gives a package the running kernel's API too, not a copy of its own", async () => {
    // A library with ts-async-kernel as its peer dependency: nothing of it in node_modules.
    const { shell } = await notebook({
      "node_modules/chart-lib/package.json": pkg({ name: "chart-lib", type: "module", exports: "./index.js" }),
      "node_modules/chart-lib/index.js":
        'import { display } from "ts-async-kernel";\nexport const chart = (s) => display.html(`<i>${s}</i>`);\nexport { display };\n',
    });
    const run = await shell.run('import { chart, display as theirs } from "chart-lib";\nchart("lib");\ntheirs === display');
    expect(run.result).toBe("true");
    expect(run.outputs).toEqual([
      expect.objectContaining({ type: "display", data: { "text/html": "<i>lib</i>", "text/plain": "<text/html>" } }),
    ]);
  });

  test("each of the package's entries is the kernel's own module", async () => {
    const { shell } = await notebook({});
    expect(
      await shell.value(
        'import * as K from "ts-async-kernel";\nimport { Caller } from "ts-async-kernel/caller";\nimport { run } from "ts-async-kernel/event_loop";\n' +
          'import { Comm } from "ts-async-kernel/comm";\nimport * as W from "ts-async-kernel/widgets";\n' +
          '[Caller === K.Caller, Comm === K.Comm, W.IntSlider === K.IntSlider, "display" in W, await run(async (n: number) => n + 1, [6])]',
      ),
    ).toBe("[ true, true, true, false, 7 ]");
  });
});

describe("tslab's module", () => {
  /** A stand-in for the real tslab package, whose display only works in tslab's own kernel. */
  const REAL_TSLAB: Tree = {
    "node_modules/tslab/package.json": pkg({ name: "tslab", main: "index.js" }),
    "node_modules/tslab/index.js": 'exports.display = { html() { throw new Error("Not ready"); } };\nexports.real = true;\n',
  };

  test("import and require in a cell give the kernel's tslab, also where the real one is installed", async () => {
    const { shell } = await notebook(REAL_TSLAB);
    const run = await shell.run(
      'import * as tslab from "tslab";\nimport tslabDefault from "tslab";\nconst viaRequire = require("tslab");\ntslab.display.html("<b>t</b>");\n' +
        "[viaRequire === tslab, tslabDefault.display === tslab.display, 'real' in tslab, typeof tslab.newDisplay]",
    );
    expect(run.result).toBe("[ true, true, false, 'function' ]");
    expect(run.outputs).toEqual([expect.objectContaining({ type: "display", data: { "text/html": "<b>t</b>" } })]);
  });

  test("a file the cell imports gets it too; a package keeps the real one", async () => {
    const { shell } = await notebook({
      ...REAL_TSLAB,
      "show.ts": 'import { display } from "tslab";\nexport function show(s: string): void { display.markdown(s); }\n',
      "node_modules/uses-tslab/package.json": pkg({ name: "uses-tslab", type: "module", exports: "./index.js" }),
      "node_modules/uses-tslab/index.js": 'import * as t from "tslab";\nexport const real = t.default.real === true;\n',
    });
    const run = await shell.run('import { show } from "./show.ts";\nimport { real } from "uses-tslab";\nshow("*md*");\nreal');
    expect(run.result).toBe("true");
    expect(run.outputs).toEqual([expect.objectContaining({ type: "display", data: { "text/markdown": "*md*" } })]);
  });
});
