/**
 * `import` and `require` for cells. Cells run as vm scripts, which cannot import on their own,
 * so the cell transform turns every import (static or `import()`) into a call of `importModule`.
 * Cells import as a program file in the notebook's directory would: Node built-ins; packages
 * from a node_modules of that directory or a parent, with Node's own resolution (`exports`
 * conditions for `import`, ESM-only packages, CommonJS with named exports); relative and absolute
 * paths, TypeScript files included; the kernel's API as `ts-async-kernel`, and tslab's API as
 * `tslab` (tslab.ts; `require` gets both too, as the modules the kernel has loaded already);
 * `npm:` specifiers as Deno writes them, from the notebook's node_modules or the kernel's cache,
 * installed there on first import (npm_imports.ts). `jsr:` and `http(s):` get an error that says
 * what is supported.
 *
 * Everything but built-ins goes through loader hooks (module_hooks.ts), registered on first use:
 * Node 20 starts a thread for them, which kernel start-up should not wait for.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire, isBuiltin, register } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL, URL } from "node:url";
import { transform } from "sucrase";
import { cellImportUrl, KERNEL_MODULES, sucraseOptions, TSLAB_MODULE_NAME, type HooksData } from "./loader_protocol.js";
import { forgetEditedModules, stampNewModules } from "./require_reload.js";
import * as tslabModule from "./tslab.js";
import { NpmImports, type NpmTarget } from "./npm_imports.js";
import { isNpmSpecifier } from "../npm/specifier.js";
import { unsupportedSchemeMessage } from "../npm/schemes.js";

export type Importer = (specifier: unknown, options?: ImportCallOptions) => Promise<unknown>;

/** The kernel's public modules by name, as URLs of its own files: the instances the kernel itself runs. */
const KERNEL_MODULE_URLS: Record<string, string> = Object.fromEntries(
  [...KERNEL_MODULES].map(([name, path]) => [name, new URL(`../${path}`, import.meta.url).href]),
);
/** tslab's API: the instance imported above. */
const TSLAB_MODULE_URL = new URL("./tslab.js", import.meta.url).href;

let hooksRegistered = false;

function registerHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  const data: HooksData = { kernelModules: KERNEL_MODULE_URLS, tslabModule: TSLAB_MODULE_URL };
  register(new URL("./module_hooks.js", import.meta.url), { data });
}

export interface ImporterOptions {
  /** Install `npm:` packages that are not there (default true; `--no-npm-install` gives false). */
  npmInstall?: boolean;
}

export function createImporter(cwd: string, options: ImporterOptions = {}): { importModule: Importer; require: NodeJS.Require } {
  const notebook = join(cwd, "__notebook__.ts");
  const notebookUrl = pathToFileURL(notebook).href;
  const baseRequire = createRequire(notebook);
  const npm = new NpmImports(cwd, options.npmInstall);
  /** The URL of a file in the folder an `npm:` package resolves from (the notebook's, or a cache entry). */
  const npmParent = (target: NpmTarget) =>
    target.where === "notebook" ? notebookUrl : pathToFileURL(join(target.from, "__npm_entry__.js")).href;
  const requires = new Map<string, NodeJS.Require>();
  const npmRequire = (target: NpmTarget) => {
    if (target.where === "notebook") return baseRequire;
    let found = requires.get(target.from);
    if (!found) requires.set(target.from, (found = createRequire(join(target.from, "__npm_entry__.js"))));
    return found;
  };

  const importModule: Importer = async (specifier, options) => {
    if (typeof specifier === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
    const spec = String(specifier); // as import() does: a URL object names its href
    if (isBuiltin(spec) || spec.startsWith("data:")) return import(spec, options);
    if (Object.hasOwn(KERNEL_MODULE_URLS, spec)) return import(KERNEL_MODULE_URLS[spec]!);
    if (spec === TSLAB_MODULE_NAME) return tslabModule;
    refuseScheme(spec);
    const target = isNpmSpecifier(spec) ? await npm.locate(spec) : undefined;
    registerHooks();
    forgetEditedModules(baseRequire.cache);
    try {
      return await import(target ? cellImportUrl(target.bare, npmParent(target)) : cellImportUrl(spec, notebookUrl), options);
    } catch (err) {
      throw missingPackage(err, spec, cwd) ?? err;
    } finally {
      stampNewModules(baseRequire.cache);
    }
  };

  const cellRequire = ((id: string) => {
    if (typeof id === "string" && isBuiltin(id)) return baseRequire(id);
    if (id === TSLAB_MODULE_NAME) return tslabModule;
    if (typeof id === "string") refuseScheme(id);
    const target = typeof id === "string" && isNpmSpecifier(id) ? npm.locateInstalled(id) : undefined;
    requireTypeScript(baseRequire.extensions);
    forgetEditedModules(baseRequire.cache);
    try {
      return target ? npmRequire(target)(target.bare) : baseRequire(id);
    } catch (err) {
      throw (typeof id === "string" ? missingPackage(err, id, cwd) : undefined) ?? err;
    } finally {
      stampNewModules(baseRequire.cache);
    }
  }) as NodeJS.Require;
  cellRequire.resolve = baseRequire.resolve;
  cellRequire.cache = baseRequire.cache;
  cellRequire.extensions = baseRequire.extensions;
  cellRequire.main = baseRequire.main;

  return { importModule, require: cellRequire };
}

/** `jsr:`, `http:`, `https:`: an error that says what the kernel imports instead. */
function refuseScheme(specifier: string): void {
  const message = unsupportedSchemeMessage(specifier);
  if (message === undefined) return;
  const err = new Error(message) as Error & { code: string };
  err.code = "ERR_UNSUPPORTED_ESM_URL_SCHEME";
  throw err;
}

let typeScriptRequire = false;

/**
 * `require("./x.ts")` from a cell: the file is compiled to CommonJS as tsc would (sucrase), like
 * ts-node does. Installed process-wide (require.extensions is Node's one table), once, on the first
 * require of a cell, and never over a handler someone else installed.
 */
function requireTypeScript(extensions: NodeJS.RequireExtensions): void {
  if (typeScriptRequire) return;
  typeScriptRequire = true;
  const compile = (module: NodeJS.Module, filename: string): void => {
    const js = transform(readFileSync(filename, "utf8"), sucraseOptions("commonjs", filename)).code;
    (module as unknown as { _compile(code: string, filename: string): void })._compile(js, filename);
  };
  extensions[".ts"] ??= compile;
  extensions[".cts"] ??= compile;
  extensions[".mts"] ??= (_module, filename) => {
    const err = new Error(`${filename} is an ES module (.mts): import it instead of requiring it`) as Error & { code: string };
    err.code = "ERR_REQUIRE_ESM";
    throw err;
  };
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), if it is one. */
function packageName(specifier: string): string | undefined {
  if (/^[./#]|^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier)) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return name && (!specifier.startsWith("@") || parts.length >= 2) ? name : undefined;
}

/**
 * A clearer error than Node's for a package that is not installed where the notebook can see it.
 * When the package is there, the error is about something else (a missing dependency of it, a
 * subpath it does not export) and Node's own message says so.
 */
function missingPackage(err: unknown, specifier: string, cwd: string): Error | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return undefined;
  const name = packageName(specifier);
  if (name === undefined) return undefined;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules", name))) return undefined;
    if (dirname(dir) === dir) break;
  }
  const error = new Error(
    `Cannot find package '${name}' from the notebook's directory ${cwd} (searched node_modules there and in every parent). ` +
      `Install it there: cd ${JSON.stringify(cwd)} && npm install ${name}`,
  ) as Error & { code: string };
  error.code = code;
  return error;
}

/** Whether the loader hooks are in place yet (they are registered on first use). */
export function loaderHooksRegistered(): boolean {
  return hooksRegistered;
}
