/**
 * `npm:` specifiers for cells (src/npm does the parsing, the lookup and the install): where the
 * package is, installing it into the kernel's cache first when it is nowhere, with npm's lines on
 * the cell's stderr. The install is part of the cell: an interrupt (or any cancel of the cell)
 * stops the wait with the cell's error, and npm is killed once no cell waits for it.
 */
import { join } from "node:path";
import process from "node:process";
import { findInNotebook, findInstalled, npmCacheDir, type Installed } from "../npm/cache.js";
import { bareSpecifier, byHandCommand, cacheKey, installArgument, parseNpmSpecifier, type NpmSpecifier } from "../npm/specifier.js";
import { currentScope } from "./cell_scope.js";
import { currentOutput } from "./output.js";

/** `TS_ASYNC_KERNEL_NPM_INSTALL=off` (or 0, false, no) turns automatic installs off. */
export function npmInstallAllowed(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (option === false) return false;
  const value = env.TS_ASYNC_KERNEL_NPM_INSTALL?.trim().toLowerCase();
  return !(value === "off" || value === "0" || value === "false" || value === "no");
}

/** Where to resolve an `npm:` specifier from: `bare` (`name/subpath`) as imported from the folder `from`. */
export interface NpmTarget {
  bare: string;
  from: string;
  where: Installed["where"];
}

export class NpmNotInstalled extends Error {
  override name = "NpmNotInstalled";
  readonly code = "ERR_MODULE_NOT_FOUND";
}

export class NpmImports {
  /** Specifiers found before: the same import again costs no file reads. */
  private readonly known = new Map<string, NpmTarget>();

  /**
   * @param cwd the notebook's folder
   * @param installOption `--no-npm-install` gives false
   */
  constructor(
    private readonly cwd: string,
    private readonly installOption: boolean | undefined,
  ) {}

  /** Where the package is, installed first if need be (and allowed). */
  async locate(specifier: string): Promise<NpmTarget> {
    const known = this.known.get(specifier);
    if (known) return known;
    const spec = parseNpmSpecifier(specifier);
    const found = findInstalled(spec, this.cwd);
    if (found) return this.remember(specifier, spec, found);
    if (!npmInstallAllowed(this.installOption))
      throw this.notInstalled(spec, "automatic installs are off (--no-npm-install or TS_ASYNC_KERNEL_NPM_INSTALL=off)");
    const output = currentOutput();
    const write = (line: string) => (output ? output.stream("stderr", `${line}\n`) : process.stderr.write(`${line}\n`));
    write(`npm: installing ${installArgument(spec)} into ${join(npmCacheDir(), cacheKey(spec))} (${this.whyNotNotebook(spec)})`);
    const stop = new AbortController();
    const scope = currentScope();
    // Every wait is one of the cell's cancellable awaits: an interrupt ends the cell at once.
    const wait = <T>(value: Promise<T>): Promise<T> => (scope ? (scope.wait(value) as Promise<T>) : value);
    let installed: Installed;
    try {
      // The installer (child_process and all) only when something is to be installed.
      const { installToCache } = await wait(import("../npm/install.js"));
      installed = await wait(installToCache(spec, { onLine: write, signal: stop.signal, notebookDir: this.cwd }));
    } catch (err) {
      stop.abort(err); // npm is killed when no other cell waits for the same install
      throw err;
    }
    return this.remember(specifier, spec, installed);
  }

  /** Where the package is, without installing: for `require`, which cannot wait for npm. */
  locateInstalled(specifier: string): NpmTarget {
    const known = this.known.get(specifier);
    if (known) return known;
    const spec = parseNpmSpecifier(specifier);
    const found = findInstalled(spec, this.cwd);
    if (found) return this.remember(specifier, spec, found);
    const how = npmInstallAllowed(this.installOption)
      ? `require() cannot install it without stopping the kernel while npm runs: import it once (import x from "${specifier}", or await import("${specifier}")), which installs it, and require() finds it after that`
      : "automatic installs are off (--no-npm-install or TS_ASYNC_KERNEL_NPM_INSTALL=off)";
    throw this.notInstalled(spec, how);
  }

  private remember(specifier: string, spec: NpmSpecifier, found: Installed): NpmTarget {
    const target = { bare: bareSpecifier(spec), from: found.from, where: found.where };
    this.known.set(specifier, target);
    return target;
  }

  private whyNotNotebook(spec: NpmSpecifier): string {
    // findInNotebook gave nothing: say whether the notebook has the package at another version.
    const version = notebookVersion(spec, this.cwd);
    if (version === undefined) return "it is not in the notebook's node_modules";
    return `the notebook's node_modules has ${spec.name}@${version}, which does not match '${spec.range}'`;
  }

  private notInstalled(spec: NpmSpecifier, why: string): NpmNotInstalled {
    return new NpmNotInstalled(
      `npm: package '${installArgument(spec)}' is not installed (not in the notebook's node_modules, nor in the kernel's cache ${npmCacheDir()}), and ${why}. ` +
        `Install it by hand: ${byHandCommand(spec, this.cwd)}`,
    );
  }
}

/** The version of the package the notebook's node_modules holds, whatever the requirement. */
function notebookVersion(spec: NpmSpecifier, cwd: string): string | undefined {
  return findInNotebook({ ...spec, range: undefined, tag: false }, cwd)?.version;
}
