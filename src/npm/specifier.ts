/**
 * `npm:` specifiers as Deno writes them: `npm:<name>[@<version requirement>][/<subpath>]`
 * (https://docs.deno.com/runtime/reference/npm), e.g. `npm:lodash@4`, `npm:@scope/pkg@^1.2/sub`.
 *
 * Names and requirements are checked strictly: they end up as arguments of `npm install` and in
 * the names of cache directories, so nothing that could read as an npm option (`--global`), a
 * path, a git or tarball source, or an alias gets through.
 */
import { createRequire } from "node:module";

/**
 * semver, loaded on first use: it takes tens of milliseconds to load, and the shell (on the
 * kernel's start-up path) imports this module. A CommonJS package: `require` keeps it synchronous.
 */
let loaded: typeof import("semver") | undefined;
function semver(): typeof import("semver") {
  return (loaded ??= createRequire(import.meta.url)("semver") as typeof import("semver"));
}

export interface NpmSpecifier {
  /** As written in the import. */
  specifier: string;
  /** `lodash`, `@scope/pkg`. */
  name: string;
  /**
   * The version requirement as written: a semver range (`4`, `^4.17`, `>=1 <3`) or a dist-tag
   * (`latest`, `next`); undefined when none is given (any version; an install takes the latest).
   */
  range: string | undefined;
  /** Whether `range` is a dist-tag rather than a semver range. */
  tag: boolean;
  /** `/fp`, `/dist/x.js`, or "" for the package's main entry. */
  subpath: string;
}

export class NpmSpecifierError extends Error {
  override name = "NpmSpecifierError";
  readonly code = "ERR_INVALID_MODULE_SPECIFIER";
}

/** npm's rules for new names (URL-safe, no leading `.`/`_`), upper case allowed for old packages. */
const NAME_PART = /^[a-z0-9][a-z0-9._~-]*$/i;
const TAG = /^[a-z][a-z0-9._-]*$/i;
const MAX_NAME = 214;

export function isNpmSpecifier(specifier: string): boolean {
  return specifier.startsWith("npm:");
}

/** Parse `npm:...`; throws NpmSpecifierError saying what is wrong with it. */
export function parseNpmSpecifier(specifier: string): NpmSpecifier {
  if (!isNpmSpecifier(specifier)) throw new NpmSpecifierError(`'${specifier}' is not an npm: specifier`);
  // Deno accepts `npm:/name` too.
  let rest = specifier.slice(4).replace(/^\//, "");
  const bad = (why: string) =>
    new NpmSpecifierError(
      `Invalid npm: specifier '${specifier}': ${why}. The form is npm:<name>[@<version range>][/<subpath>], e.g. npm:lodash@4 or npm:@scope/pkg@^1.2/sub`,
    );
  let name: string;
  if (rest.startsWith("@")) {
    const slash = rest.indexOf("/");
    if (slash < 0) throw bad("a scoped name needs a package after the scope (@scope/name)");
    const scope = rest.slice(1, slash);
    const after = rest.slice(slash + 1);
    const end = after.search(/[@/]/);
    const pkg = end < 0 ? after : after.slice(0, end);
    if (!NAME_PART.test(scope) || !NAME_PART.test(pkg)) throw bad(`'@${scope}/${pkg}' is not a valid package name`);
    name = `@${scope}/${pkg}`;
    rest = end < 0 ? "" : after.slice(end);
  } else {
    const end = rest.search(/[@/]/);
    name = end < 0 ? rest : rest.slice(0, end);
    if (name === "") throw bad("no package name");
    if (!NAME_PART.test(name)) throw bad(`'${name}' is not a valid package name`);
    rest = end < 0 ? "" : rest.slice(end);
  }
  if (name.length > MAX_NAME) throw bad("the package name is longer than 214 characters");
  let range: string | undefined;
  let tag = false;
  if (rest.startsWith("@")) {
    const slash = rest.indexOf("/");
    range = slash < 0 ? rest.slice(1) : rest.slice(1, slash);
    rest = slash < 0 ? "" : rest.slice(slash);
    if (range === "") throw bad("nothing after '@' (give a version range such as 4 or ^4.17, or leave the '@' out)");
    if (semver().validRange(range) === null) {
      if (!TAG.test(range)) throw bad(`'${range}' is not a version range or a dist-tag`);
      tag = true;
    }
  }
  const subpath = rest === "/" ? "" : rest;
  if (subpath.split("/").some((part, i) => i > 0 && (part === "" || part === "." || part === "..")))
    throw bad(`'${subpath}' is not a subpath of the package`);
  return { specifier, name, range, tag, subpath };
}

/** What Node resolves for it from a folder where the package is installed: `name/subpath`. */
export function bareSpecifier(spec: NpmSpecifier): string {
  return spec.name + spec.subpath;
}

/** The argument for `npm install`: `name@range`, or `name` (the latest). */
export function installArgument(spec: Pick<NpmSpecifier, "name" | "range">): string {
  return spec.range === undefined ? spec.name : `${spec.name}@${spec.range}`;
}

/** The command to install the package by hand into the notebook's folder (quoted for a POSIX shell). */
export function byHandCommand(spec: Pick<NpmSpecifier, "name" | "range">, notebookDir: string): string {
  const arg = installArgument(spec);
  const quoted = /^[A-Za-z0-9@/._~=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  return `cd ${JSON.stringify(notebookDir)} && npm install ${quoted}`;
}

/**
 * The cache directory's name for a package and requirement, as written: `lodash@4`,
 * `@scope+pkg@^1.2`, `left-pad@%3E%3D1%20%3C2`, `lodash@latest` (no requirement). `+` never
 * occurs in a package name and `%` is escaped too, so distinct requirements never share a name;
 * what a file system does not take (`*`, `<`, `|`, spaces, ...) is percent-escaped.
 */
export function cacheKey(spec: Pick<NpmSpecifier, "name" | "range">): string {
  const range = (spec.range ?? "latest").replace(
    /[^A-Za-z0-9.^~_-]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return `${cacheKeyPrefix(spec.name)}${range}`;
}

/** What every cache key of the package starts with. */
export function cacheKeyPrefix(name: string): string {
  return `${name.replace("/", "+")}@`;
}

/** Whether an installed version meets the specifier's requirement (a dist-tag never does: it moves). */
export function satisfies(version: string, spec: Pick<NpmSpecifier, "range" | "tag">): boolean {
  if (spec.range === undefined) return semver().valid(version) !== null;
  if (spec.tag) return false;
  return semver().satisfies(version, spec.range);
}

/** Of versions meeting the requirement, the highest. */
export function best<T extends { version: string }>(candidates: readonly T[], spec: Pick<NpmSpecifier, "range" | "tag">): T | undefined {
  let found: T | undefined;
  for (const c of candidates) {
    if (satisfies(c.version, spec) && (found === undefined || semver().gt(c.version, found.version))) found = c;
  }
  return found;
}
