/**
 * Node loader hooks for what notebook cells import. modules.ts registers them (`module.register`)
 * the first time a cell imports anything but a Node built-in; Node 20 runs them on a thread of
 * their own, so this module shares no state with the kernel, only loader_protocol.ts.
 *
 * They give cells, and the files cells import:
 * - resolution from the notebook's directory (cellImportUrl);
 * - TypeScript files (`.ts`, `.mts`, `.cts`), transpiled by sucrase; a relative `./util` or
 *   `./util.js` that does not exist finds `./util.ts`, as TypeScript's own resolution would;
 * - the newest version of an edited file: a cell's import checks the user's files loaded so far
 *   and loads an edited one, and the files that import it, again under a new URL (`?v=2`);
 * - `ts-async-kernel` and its subpaths as the running kernel's modules (KERNEL_MODULES:
 *   kernel_module.ts, ...), also for packages, which otherwise pass through; and `tslab` as the
 *   kernel's version of tslab's API (tslab.ts), also where the real tslab is installed (its
 *   display works only in tslab's own kernel).
 * - `npm:` specifiers in the user's files, when the package is installed (the notebook's
 *   node_modules or the kernel's cache: src/npm/cache.ts); installing is for cells, which can
 *   show npm's progress and be interrupted, so a file's import of a missing one says so.
 *   `jsr:` and `http(s):` get the kernel's error that says what is supported.
 *
 * "User files" are those reached from a cell through files outside any node_modules; packages
 * and the kernel's own modules pass through untouched.
 */
import { readFileSync, statSync } from "node:fs";
import process from "node:process";
import type { InitializeHook, LoadHook, ResolveFnOutput, ResolveHook } from "node:module";
import { dirname, join, sep } from "node:path";
import { fileURLToPath, pathToFileURL, URL } from "node:url";
import { isTypeScriptFile, parseCellImportUrl, sucraseOptions, TSLAB_MODULE_NAME, type HooksData } from "./loader_protocol.js";
import { stampOf } from "./file_stamp.js";
import { unsupportedSchemeMessage } from "../npm/schemes.js";

interface UserFile {
  /** 0 until the file is edited; part of its URL after that. */
  version: number;
  /** mtime and size when this version was loaded (undefined: not loaded yet). */
  stamp: string | undefined;
  /** Paths of the user files that import this one. */
  importers: Set<string>;
}

const userFiles = new Map<string, UserFile>();
const NODE_MODULES = `${sep}node_modules${sep}`;
let kernelModules: Record<string, string> = {};
let tslabModule = "";

export const initialize: InitializeHook<HooksData> = (data) => {
  kernelModules = data.kernelModules;
  tslabModule = data.tslabModule;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const cell = parseCellImportUrl(specifier);
  if (cell) {
    reloadEdited();
    return resolveFromUserCode(cell.specifier, { ...context, parentURL: cell.parentURL }, nextResolve, undefined);
  }
  // Whoever imports it, a package included: a library's `ts-async-kernel` (its peer dependency)
  // must be the kernel that runs it, not a copy of its own, whose display reaches no cell.
  if (Object.hasOwn(kernelModules, specifier)) return { url: kernelModules[specifier]!, shortCircuit: true };
  const importer = context.parentURL === undefined ? undefined : userFilePath(context.parentURL);
  if (importer === undefined) return nextResolve(specifier, context);
  return resolveFromUserCode(specifier, context, nextResolve, importer);
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (!url.startsWith("file:")) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const file = userFiles.get(path);
  // Stamp before reading: an edit in between is then seen by the next check.
  if (file && file.stamp === undefined) file.stamp = stampOf(path);
  if (!isTypeScriptFile(path)) return nextLoad(url, context);
  const format = typeScriptFormat(path);
  const { transform } = await loadSucrase();
  const source = readFileSync(path, "utf8");
  return { format, source: transform(source, sucraseOptions(format, path)).code, shortCircuit: true };
};

type NextResolve = Parameters<ResolveHook>[2];
type ResolveContext = Parameters<ResolveHook>[1];

async function resolveFromUserCode(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
  importer: string | undefined,
): Promise<ResolveFnOutput> {
  if (Object.hasOwn(kernelModules, specifier)) return { url: kernelModules[specifier]!, shortCircuit: true };
  if (specifier === TSLAB_MODULE_NAME) return { url: tslabModule, shortCircuit: true };
  if (specifier.startsWith("npm:")) return resolveNpm(specifier, context, nextResolve);
  const refused = unsupportedSchemeMessage(specifier);
  if (refused !== undefined) throw Object.assign(new Error(refused), { code: "ERR_UNSUPPORTED_ESM_URL_SCHEME" });
  let resolved: ResolveFnOutput;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (err) {
    const found = typeScriptCandidate(specifier, context.parentURL);
    if (found === undefined) throw err;
    resolved = { url: found };
  }
  if (!resolved.url.startsWith("file:")) return resolved;
  const path = fileURLToPath(resolved.url);
  if (path.includes(NODE_MODULES)) return resolved;
  let file = userFiles.get(path);
  if (!file) userFiles.set(path, (file = { version: 0, stamp: undefined, importers: new Set() }));
  if (importer !== undefined) file.importers.add(importer);
  const url = file.version === 0 ? resolved.url : `${resolved.url}${resolved.url.includes("?") ? "&" : "?"}v=${file.version + 1}`;
  return { ...resolved, url, shortCircuit: true };
}

/** An `npm:` import of a user file: the installed package, from the folder of that file (as a bare name would be). */
async function resolveNpm(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveFnOutput> {
  const [{ parseNpmSpecifier, bareSpecifier, byHandCommand, installArgument }, { findInstalled }] = await Promise.all([
    import("../npm/specifier.js"),
    import("../npm/cache.js"),
  ]);
  const spec = parseNpmSpecifier(specifier);
  const importer = context.parentURL?.startsWith("file:") ? fileURLToPath(context.parentURL) : undefined;
  const dir = importer === undefined ? process.cwd() : dirname(importer);
  const found = findInstalled(spec, dir);
  if (found === undefined) {
    throw Object.assign(
      new Error(
        `npm: package '${installArgument(spec)}' (imported by ${importer ?? "a module"}) is not installed. ` +
          `A cell's import installs it: run a cell with import "${specifier}" once, then import this file again. ` +
          `Or install it by hand: ${byHandCommand(spec, dir)}`,
      ),
      { code: "ERR_MODULE_NOT_FOUND" },
    );
  }
  const parentURL = found.where === "notebook" ? context.parentURL : pathToFileURL(join(found.from, "__npm_entry__.js")).href;
  return nextResolve(bareSpecifier(spec), { ...context, parentURL });
}

function userFilePath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const path = fileURLToPath(url);
  return userFiles.has(path) ? path : undefined;
}

/**
 * A relative or absolute specifier Node could not find: the TypeScript file it means, if any.
 * `x.js` → `x.ts` (`.mjs` → `.mts`, `.cjs` → `.cts`), as TypeScript's NodeNext resolution
 * writes imports of TypeScript files; a name without a known extension tries `.ts`, `.mts`,
 * `.cts`, `.js`, `.mjs`, `.cjs`, then `/index.ts`, `/index.js` (TypeScript's "bundler" style).
 */
function typeScriptCandidate(specifier: string, parentURL: string | undefined): string | undefined {
  let base: URL;
  try {
    if (specifier.startsWith("file:")) base = new URL(specifier);
    else if (specifier.startsWith("/")) base = pathToFileURL(specifier);
    else if ((specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === "..") && parentURL) {
      base = new URL(specifier, parentURL);
    } else return undefined;
  } catch {
    return undefined;
  }
  base.search = "";
  base.hash = "";
  const href = base.href;
  let candidates: string[];
  const js = /\.([cm]?)js$/.exec(href);
  if (js) candidates = [`${href.slice(0, -js[0].length)}.${js[1]}ts`];
  else if (/\.(?:[cm]?ts|json|node|wasm)$/.test(href)) candidates = [];
  else if (href.endsWith("/")) candidates = [`${href}index.ts`, `${href}index.js`];
  else candidates = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", "/index.ts", "/index.js"].map((ext) => href + ext);
  return candidates.find((url) => isFile(fileURLToPath(url)));
}

/**
 * A check at each cell's import: user files changed (or removed) since they were loaded get a
 * new version, and so do the user files importing them, which hold their old exports.
 */
function reloadEdited(): void {
  const pending: string[] = [];
  for (const [path, file] of userFiles) {
    if (file.stamp !== undefined && stampOf(path) !== file.stamp) pending.push(path);
  }
  const stale = new Set<string>();
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (stale.has(path)) continue;
    stale.add(path);
    for (const importer of userFiles.get(path)?.importers ?? []) pending.push(importer);
  }
  for (const path of stale) {
    const file = userFiles.get(path)!;
    file.version++;
    file.stamp = undefined;
    file.importers.clear(); // the new versions record theirs as they load
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * `.mts` is an ES module and `.cts` CommonJS; a `.ts` file is CommonJS only where the nearest
 * package.json says `"type": "commonjs"` (tsc then emits `require`). Unlike `.js`, a `.ts` file
 * with no `type` to go by is an ES module: notebook folders seldom have a package.json, and
 * cells are ES modules themselves.
 */
function typeScriptFormat(path: string): "module" | "commonjs" {
  if (path.endsWith(".mts")) return "module";
  if (path.endsWith(".cts")) return "commonjs";
  return packageType(dirname(path)) === "commonjs" ? "commonjs" : "module";
}

const packageTypes = new Map<string, string | undefined>();

function packageType(dir: string): string | undefined {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  let type: string | undefined;
  let text: string | undefined;
  try {
    text = readFileSync(join(dir, "package.json"), "utf8");
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    try {
      const pkg = JSON.parse(text) as { type?: unknown };
      type = typeof pkg.type === "string" ? pkg.type : undefined;
    } catch {
      type = undefined; // Node reports a broken package.json itself when it matters
    }
  } else if (dirname(dir) !== dir) {
    type = packageType(dirname(dir));
  }
  packageTypes.set(dir, type);
  return type;
}

/** sucrase only when a TypeScript file comes: packages alone never pay for it here. */
let sucrase: Promise<typeof import("sucrase")> | undefined;
function loadSucrase(): Promise<typeof import("sucrase")> {
  return (sucrase ??= import("sucrase"));
}
