/**
 * Installing an `npm:` specifier's package into the kernel's cache (cache.ts), with the `npm`
 * that comes with this Node, in a child process: the thread that asked keeps running (its event
 * loop turns; the output lines arrive as they come) and the install can be stopped by killing it.
 *
 * Why these choices:
 * - A temporary folder renamed into place when complete: a folder under its key is always whole,
 *   two kernels installing the same package at once both succeed (the second rename loses and
 *   its copy is dropped), and an install that is stopped or fails leaves nothing that is read.
 * - `--ignore-scripts`: a package's install scripts are not run, as Deno does not run them
 *   without `--allow-scripts` and as npm 11 no longer runs those of dependencies by default.
 *   The kernel installs what a string in a cell names, with no step where anyone reviews it; the
 *   few packages that need a script (native addons built on install) are named after the
 *   install, with the command that installs them, scripts and all, into the notebook's folder.
 * - Packages without types of their own get `@types/<name>` too, when there is one, so that
 *   completion knows their exports (the language service resolves `npm:` imports to the entry).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { ENTRY_MARKER, findInCache, npmCacheDir, TEMP_PREFIX, type Installed } from "./cache.js";
import { byHandCommand, cacheKey, installArgument, type NpmSpecifier } from "./specifier.js";

export class NpmInstallError extends Error {
  override name = "NpmInstallError";
  constructor(
    message: string,
    /** `ERR_MODULE_NOT_FOUND` when the package does not exist or cannot be had, else `ERR_NPM_INSTALL`. */
    readonly code: string,
  ) {
    super(message);
  }
}

export interface InstallOptions {
  /** Each line npm prints (and the kernel's own notes), for the cell's stderr. */
  onLine: (line: string) => void;
  /** Stops this caller's wait; the install itself stops once no caller waits any more. */
  signal?: AbortSignal;
  /** The notebook's folder, for the command that installs the package by hand. */
  notebookDir: string;
  /** The cache's npm folder (default: cache.ts `npmCacheDir()`). */
  root?: string;
}

/** How to run npm: the npm next to this Node (its own CLI script, run by this Node), else `npm` from PATH. */
export function npmCommand(): { command: string; args: string[] } {
  const bin = dirname(process.execPath);
  for (const cli of [
    join(bin, "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    join(bin, "node_modules", "npm", "bin", "npm-cli.js"),
  ]) {
    if (existsSync(cli)) return { command: process.execPath, args: [cli] };
  }
  return { command: "npm", args: [] };
}

interface Shared {
  promise: Promise<Installed>;
  listeners: Set<(line: string) => void>;
  waiting: number;
  stop: AbortController;
}

/** Installs under way in this thread, by cache folder: one install per package and requirement. */
const underWay = new Map<string, Shared>();

/**
 * Install the specifier's package into the cache (or join the install of it already under way in
 * this thread) and give the entry. Rejects with NpmInstallError, or with the signal's reason.
 */
export function installToCache(spec: NpmSpecifier, options: InstallOptions): Promise<Installed> {
  const root = options.root ?? npmCacheDir();
  const key = join(root, cacheKey(spec));
  let shared = underWay.get(key);
  if (!shared) {
    const stop = new AbortController();
    const listeners = new Set<(line: string) => void>();
    const emit = (line: string) => {
      for (const listener of listeners) listener(line);
    };
    const created: Shared = { promise: install(spec, root, options.notebookDir, emit, stop.signal), listeners, waiting: 0, stop };
    shared = created;
    underWay.set(key, created);
    const forget = () => {
      if (underWay.get(key) === created) underWay.delete(key);
    };
    created.promise.then(forget, forget);
  }
  const joined = shared;
  const { signal, onLine } = options;
  joined.listeners.add(onLine);
  joined.waiting++;
  return new Promise<Installed>((resolve, reject) => {
    let left = false;
    const leave = (): boolean => {
      if (left) return false;
      left = true;
      joined.listeners.delete(onLine);
      joined.waiting--;
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const onAbort = () => {
      if (!leave()) return;
      if (joined.waiting === 0) {
        // Nobody waits for it any more: npm is killed, and a later import starts afresh.
        if (underWay.get(key) === joined) underWay.delete(key);
        joined.stop.abort(signal!.reason);
      }
      reject(signal!.reason);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    joined.promise.then(
      (installed) => {
        if (leave()) resolve(installed);
      },
      (err: unknown) => {
        if (leave()) reject(err);
      },
    );
  });
}

/**
 * One install of its own (installToCache shares one per package and requirement): what each of
 * two kernels installing the same package at once does.
 */
export async function install(
  spec: NpmSpecifier,
  root: string,
  notebookDir: string,
  emit: (line: string) => void,
  signal: AbortSignal,
): Promise<Installed> {
  const key = cacheKey(spec);
  const final = join(root, key);
  await mkdir(root, { recursive: true });
  await removeStaleTemps(root);
  const temp = await mkdtemp(join(root, `${TEMP_PREFIX}${key}-`));
  try {
    await writeFile(
      join(temp, "package.json"),
      `${JSON.stringify(
        {
          name: "ts-async-kernel-npm-entry",
          private: true,
          description: `npm:${installArgument(spec)} for ts-async-kernel notebooks`,
          dependencies: {},
        },
        null,
        2,
      )}\n`,
    );
    const result = await runNpm(["install", installArgument(spec)], temp, emit, signal);
    if (result.code !== 0) throw failure(spec, notebookDir, result);
    const pkg = readPackage(join(temp, "node_modules", spec.name));
    if (pkg === undefined || typeof pkg.version !== "string") {
      throw new NpmInstallError(
        `npm: installing '${installArgument(spec)}' finished, but the package is not in ${join(temp, "node_modules")}. Install it by hand: ${byHandCommand(spec, notebookDir)}`,
        "ERR_NPM_INSTALL",
      );
    }
    if (!hasOwnTypes(join(temp, "node_modules", spec.name), pkg)) {
      const types = typesPackage(spec.name);
      emit(`npm: ${spec.name} has no types of its own; adding ${types} (if there is one) for completion`);
      const typed = await runNpm(["install", types], temp, emit, signal);
      if (typed.code !== 0) emit(`npm: no ${types} either: completion will not know ${spec.name}'s exports`);
    }
    for (const line of skippedScripts(temp, spec, notebookDir)) emit(line);
    await writeFile(
      join(temp, ENTRY_MARKER),
      `${JSON.stringify(
        {
          specifier: spec.specifier,
          name: spec.name,
          range: spec.range ?? null,
          version: pkg.version,
          installed: new Date().toISOString(),
        },
        null,
        2,
      )}\n`,
    );
    try {
      await rename(temp, final);
    } catch (err) {
      // Another kernel made the entry meanwhile (the rename refuses a folder that is not empty).
      const there = findInCache({ ...spec, tag: true }, root);
      if (there) {
        await rm(temp, { recursive: true, force: true });
        return there;
      }
      throw new NpmInstallError(
        `npm: cannot put the installed '${installArgument(spec)}' at ${final}: ${(err as Error).message}. Remove that folder if something else made it.`,
        "ERR_NPM_INSTALL",
      );
    }
    emit(`npm: installed ${spec.name}@${pkg.version}`);
    return { from: final, version: pkg.version, where: "cache" };
  } catch (err) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

export interface NpmResult {
  code: number | null;
  /** npm's `npm error` / `npm ERR!` lines, without that prefix. */
  errors: string[];
  /** The spawn itself failed (no npm). */
  spawnError?: Error;
}

/** Stopped installs: SIGTERM, and SIGKILL if npm is still there after this long. */
const KILL_GRACE_MS = 3000;

function runNpm(args: string[], cwd: string, emit: (line: string) => void, signal: AbortSignal): Promise<NpmResult> {
  const npm = npmCommand();
  const argv = [
    ...npm.args,
    ...args,
    "--prefix",
    cwd,
    "--global=false",
    "--no-audit",
    "--no-fund",
    "--ignore-scripts",
    "--update-notifier=false",
    "--loglevel=http",
  ];
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const child = spawn(npm.command, argv, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
      windowsHide: true,
    });
    const errors: string[] = [];
    let spawnError: Error | undefined;
    const lines = (stream: NodeJS.ReadableStream) => {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const parts = (rest + chunk).split(/\r?\n/);
        rest = parts.pop()!;
        for (const line of parts) take(line);
      });
      stream.on("end", () => {
        if (rest) take(rest);
      });
    };
    const take = (line: string) => {
      const error = /^npm (?:error|ERR!)\s?(.*)$/.exec(line);
      if (error) errors.push(error[1]!);
      else if (line.trim() !== "") emit(line);
    };
    lines(child.stdout);
    lines(child.stderr);
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
      killer.unref();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      spawnError = err;
    });
    child.on("close", (code) => {
      signal.removeEventListener("abort", onAbort);
      if (killer) clearTimeout(killer);
      if (signal.aborted) reject(signal.reason);
      else resolve({ code: spawnError ? null : code, errors, ...(spawnError ? { spawnError } : {}) });
    });
  });
}

const OFFLINE = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "ENOTCACHED",
  "ERR_SOCKET_TIMEOUT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
]);

/** A failed `npm install` as an error that says what happened and how to install by hand. */
export function failure(spec: NpmSpecifier, notebookDir: string, result: NpmResult): NpmInstallError {
  const arg = installArgument(spec);
  const byHand = byHandCommand(spec, notebookDir);
  if (result.spawnError) {
    return new NpmInstallError(
      `npm: cannot run npm to install '${arg}' (${result.spawnError.message}; no npm next to ${process.execPath} nor on PATH). Install it by hand: ${byHand}`,
      "ERR_NPM_INSTALL",
    );
  }
  const code = result.errors.map((l) => /^code (\S+)/.exec(l)?.[1]).find((c) => c !== undefined);
  const said = result.errors.filter((l) => !/^(?:code|errno|syscall|\s|A complete log|$)/.test(l) && !/^\s*at /.test(l));
  const first = said[0] ?? `exit code ${result.code}`;
  if (code === "E404") {
    const url = /404 Not Found - GET (\S+)/.exec(result.errors.join("\n"))?.[1];
    const ours = url === undefined || decodeURIComponent(url).endsWith(`/${spec.name}`);
    if (ours) {
      return new NpmInstallError(
        `npm: package '${spec.name}' not found in the registry${url ? ` (${url.slice(0, url.length - encodeURIComponent(spec.name).length - 1)})` : ""}. Check its name; a package of another registry installs by hand: ${byHand}`,
        "ERR_MODULE_NOT_FOUND",
      );
    }
    return new NpmInstallError(
      `npm: installing '${arg}' failed: a package it depends on is not in the registry (${first}). Install it by hand: ${byHand}`,
      "ERR_MODULE_NOT_FOUND",
    );
  }
  if (code === "ETARGET") {
    return new NpmInstallError(
      `npm: no version of '${spec.name}' matches '${spec.range ?? "latest"}' in the registry (${first}). Install it by hand: ${byHand}`,
      "ERR_MODULE_NOT_FOUND",
    );
  }
  if (code !== undefined && OFFLINE.has(code)) {
    return new NpmInstallError(
      `npm: cannot reach the registry to install '${arg}' (${code}: ${first}). Offline? Install it by hand when the registry can be reached: ${byHand}`,
      "ERR_MODULE_NOT_FOUND",
    );
  }
  if (code === "E401" || code === "E403" || code === "EACCES" || code === "EPERM") {
    return new NpmInstallError(
      `npm: installing '${arg}' was refused (${code}: ${first}). Install it by hand: ${byHand}`,
      "ERR_MODULE_NOT_FOUND",
    );
  }
  return new NpmInstallError(
    `npm: installing '${arg}' failed (${code ?? `exit code ${result.code}`}: ${said.slice(0, 3).join(" ") || first}). Install it by hand: ${byHand}`,
    "ERR_NPM_INSTALL",
  );
}

interface PackageJson {
  version?: unknown;
  types?: unknown;
  typings?: unknown;
  main?: unknown;
  exports?: unknown;
  typesVersions?: unknown;
  scripts?: Record<string, unknown>;
}

function readPackage(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Whether TypeScript finds declarations in the package itself. */
function hasOwnTypes(dir: string, pkg: PackageJson): boolean {
  if (pkg.types || pkg.typings || pkg.typesVersions) return true;
  if (pkg.exports !== undefined && JSON.stringify(pkg.exports).includes('"types"')) return true;
  if (existsSync(join(dir, "index.d.ts"))) return true;
  if (typeof pkg.main === "string" && existsSync(join(dir, `${pkg.main.replace(/\.[cm]?js$/, "")}.d.ts`))) return true;
  return false;
}

/** `lodash` → `@types/lodash`, `@scope/pkg` → `@types/scope__pkg` (DefinitelyTyped's names). */
export function typesPackage(name: string): string {
  return `@types/${name.startsWith("@") ? name.slice(1).replace("/", "__") : name}`;
}

const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"];

/** Notes on the packages of the entry whose install scripts were skipped (none: no lines). */
function skippedScripts(entry: string, spec: NpmSpecifier, notebookDir: string): string[] {
  const skipped: string[] = [];
  const visit = (dir: string) => {
    const pkg = readPackage(dir);
    if (!pkg) return;
    const scripts = INSTALL_SCRIPTS.filter((s) => typeof pkg.scripts?.[s] === "string");
    // npm runs `node-gyp rebuild` for a binding.gyp when there is no install script.
    if (scripts.length === 0 && existsSync(join(dir, "binding.gyp"))) scripts.push("node-gyp rebuild");
    if (scripts.length > 0) skipped.push(`${dir.slice(join(entry, "node_modules").length + 1)} (${scripts.join(", ")})`);
  };
  const modules = join(entry, "node_modules");
  for (const name of safeList(modules)) {
    if (name.startsWith(".")) continue;
    if (name.startsWith("@")) for (const sub of safeList(join(modules, name))) visit(join(modules, name, sub));
    else visit(join(modules, name));
  }
  if (skipped.length === 0) return [];
  return [
    `npm: install scripts were not run (the kernel's installs never run them, as Deno's do not): ${skipped.join(", ")}.`,
    `npm: if ${spec.name} does not work without them, install it with its scripts into the notebook's folder: ${byHandCommand(spec, notebookDir)}`,
  ];
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Temporary folders of installs that never finished (a kernel killed meanwhile), a day old or more. */
const STALE_MS = 24 * 60 * 60 * 1000;

async function removeStaleTemps(root: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  const now = Date.now();
  await Promise.all(
    names
      .filter((n) => n.startsWith(TEMP_PREFIX))
      .map(async (n) => {
        try {
          if (now - (await stat(join(root, n))).mtimeMs > STALE_MS) await rm(join(root, n), { recursive: true, force: true });
        } catch {
          // gone meanwhile, or not ours to remove
        }
      }),
  );
}
