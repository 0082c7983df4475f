/**
 * Where an `npm:` specifier's package is found, without installing anything: the notebook's own
 * node_modules first (as Node resolves the bare name from there), then the kernel's per-user
 * cache. Synchronous and cheap (a few small file reads): the runtime (main thread and loader
 * hooks) and the language service all ask it.
 *
 * The cache: `<cache root>/npm/<key>/`, one folder per package and requirement as written
 * (specifier.ts `cacheKey`), each a small npm project of its own (package.json, node_modules)
 * with a marker file written last. Folders are made complete in a temporary folder and renamed
 * into place (install.ts), so a folder under its key is always whole; the marker is checked too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { best, cacheKey, cacheKeyPrefix, satisfies, type NpmSpecifier } from "./specifier.js";

/** Written last into a cache entry: its presence says the install finished. */
export const ENTRY_MARKER = ".ts-async-kernel-entry.json";
/** Prefix of the temporary folders installs run in (never read as entries). */
export const TEMP_PREFIX = ".tmp-";

/**
 * The kernel's cache folder: `TS_ASYNC_KERNEL_CACHE_DIR`, else `ts-async-kernel` under
 * `XDG_CACHE_HOME` (else `~/.cache`; `%LOCALAPPDATA%` on Windows).
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.TS_ASYNC_KERNEL_CACHE_DIR;
  if (own) return own;
  const base = env.XDG_CACHE_HOME || (process.platform === "win32" && env.LOCALAPPDATA) || join(homedir(), ".cache");
  return join(base, "ts-async-kernel");
}

export function npmCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "npm");
}

export interface Installed {
  /** A folder to resolve `name/subpath` from (Node's resolution finds the package from there). */
  from: string;
  version: string;
  where: "notebook" | "cache";
}

/** The version in `<dir>/node_modules/<name>/package.json`, if the package is there. */
function installedVersion(dir: string, name: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, "node_modules", name, "package.json"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The package Node would find for the bare name from `dir` (the nearest node_modules holding it),
 * if its version meets the requirement. A nearer copy that does not is not skipped for one
 * further up: Node would not skip it either, so the cache is used instead.
 */
export function findInNotebook(spec: NpmSpecifier, dir: string): Installed | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const version = installedVersion(d, spec.name);
    if (version !== undefined) return satisfies(version, spec) ? { from: dir, version, where: "notebook" } : undefined;
    if (dirname(d) === d) return undefined;
  }
}

/** A complete cache entry: marker there, package there. */
function entry(dir: string, name: string): Installed | undefined {
  try {
    readFileSync(join(dir, ENTRY_MARKER));
  } catch {
    return undefined;
  }
  const version = installedVersion(dir, name);
  return version === undefined ? undefined : { from: dir, version, where: "cache" };
}

/**
 * The cache entry for the specifier: its own key's, else the highest version of the package any
 * other entry holds that meets the requirement (`npm:lodash@^4.17` uses what `npm:lodash@4`
 * installed, when that is 4.17 or later). A dist-tag uses its own entry only.
 */
export function findInCache(spec: NpmSpecifier, root: string = npmCacheDir()): Installed | undefined {
  const own = entry(join(root, cacheKey(spec)), spec.name);
  if (own || spec.tag) return own;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return undefined;
  }
  const prefix = cacheKeyPrefix(spec.name);
  const candidates: Installed[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const found = entry(join(root, name), spec.name);
    if (found) candidates.push(found);
  }
  return best(candidates, spec);
}

/** Where the specifier's package is installed, the notebook's node_modules first. */
export function findInstalled(spec: NpmSpecifier, notebookDir: string, root: string = npmCacheDir()): Installed | undefined {
  return findInNotebook(spec, notebookDir) ?? findInCache(spec, root);
}
