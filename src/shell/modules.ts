/**
 * `import` for cells: cells run as vm scripts, which cannot import on their own, so the cell
 * transform turns every import into a call of the function made here. Specifiers resolve from the
 * notebook's directory: Node built-ins, relative and absolute paths, and packages in a
 * node_modules of that directory or a parent (CommonJS and ESM-only packages alike).
 */
import { createRequire, isBuiltin } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

type Importer = (specifier: string) => Promise<unknown>;

/** Pick a target from a package.json `exports` value for ESM import conditions. */
function pickExport(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = pickExport(t);
      if (r) return r;
    }
    return undefined;
  }
  if (target && typeof target === "object") {
    for (const cond of ["import", "node", "module", "default", "require"]) {
      if (cond in target) {
        const r = pickExport((target as Record<string, unknown>)[cond]);
        if (r) return r;
      }
    }
  }
  return undefined;
}

/** ESM-aware fallback when require.resolve refuses (packages exporting only an "import" condition). */
function resolvePackage(specifier: string, fromDir: string): string | undefined {
  const parts = specifier.split("/");
  const nameLen = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameLen).join("/");
  const subpath = parts.length > nameLen ? "./" + parts.slice(nameLen).join("/") : ".";
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgJson = join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as Record<string, unknown>;
      const exportsField = pkg.exports;
      let rel: string | undefined;
      if (exportsField !== undefined) {
        const map =
          typeof exportsField === "object" && exportsField !== null && !Array.isArray(exportsField) &&
          Object.keys(exportsField).some((k) => k.startsWith("."))
            ? (exportsField as Record<string, unknown>)
            : { ".": exportsField };
        rel = pickExport(map[subpath]);
      } else if (subpath === ".") {
        rel = (typeof pkg.module === "string" && pkg.module) || (typeof pkg.main === "string" && pkg.main) || "index.js";
      } else {
        rel = subpath;
      }
      return rel ? join(pkgDir, rel) : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export function createImporter(cwd: string): { importModule: Importer; require: NodeJS.Require } {
  const req = createRequire(join(cwd, "__notebook__.js"));
  const importModule: Importer = async (specifier) => {
    if (typeof specifier !== "string") throw new TypeError(`import specifier must be a string, got ${typeof specifier}`);
    if (isBuiltin(specifier) || specifier.startsWith("data:") || specifier.startsWith("file:")) {
      return import(specifier);
    }
    if (specifier.startsWith(".") || isAbsolute(specifier)) {
      return import(pathToFileURL(resolve(cwd, specifier)).href);
    }
    let path: string | undefined;
    try {
      path = req.resolve(specifier);
    } catch {
      path = resolvePackage(specifier, cwd);
    }
    if (!path) {
      const err = new Error(`Cannot find package '${specifier}' from ${cwd}`) as Error & { code: string };
      err.code = "ERR_MODULE_NOT_FOUND";
      throw err;
    }
    return import(pathToFileURL(path).href);
  };
  return { importModule, require: req };
}
