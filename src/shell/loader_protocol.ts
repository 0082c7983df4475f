/**
 * What the kernel's importer (main thread, modules.ts) and its loader hooks (Node's hooks thread,
 * module_hooks.ts) agree on. Kept free of runtime imports: the hooks thread loads it too.
 */
import type { Options } from "sucrase";

/**
 * The package's public entries (`exports` in package.json), each with its module's path in the
 * kernel's build (dist/). Cells, the files they import and the packages those import all get the
 * running kernel's instance of each, never a copy of their own: a library that imports
 * `ts-async-kernel` displays through the kernel that runs it. test/package/exports.test.ts
 * checks that this table and package.json agree.
 */
export const KERNEL_MODULES: ReadonlyMap<string, string> = new Map([
  ["ts-async-kernel", "shell/kernel_module.js"],
  ["ts-async-kernel/display", "shell/kernel_module.js"],
  ["ts-async-kernel/comm", "comm/api.js"],
  ["ts-async-kernel/widgets", "widgets/api.js"],
  ["ts-async-kernel/caller", "caller/api.js"],
  ["ts-async-kernel/event_loop", "event_loop/index.js"],
  ["ts-async-kernel/client", "client/index.js"],
  ["ts-async-kernel/gtk", "gtk/widgets.js"],
  ["ts-async-kernel/tk", "tk/tk.js"],
]);

/**
 * tslab's module name: user code (cells and the files they import) gets the kernel's version of
 * tslab's API (tslab.ts), whether or not the real package is installed.
 */
export const TSLAB_MODULE_NAME = "tslab";

/** What `register()` hands the hooks' `initialize`. */
export interface HooksData {
  /** file: URLs of the KERNEL_MODULES by name: the instances the shell itself loaded. */
  kernelModules: Record<string, string>;
  /** file: URL of tslab.js, likewise. */
  tslabModule: string;
}

/**
 * `import()` resolves relative to the module that calls it (modules.js, in the kernel's own
 * folder), but a cell's imports must resolve from the notebook, as those of a program file lying
 * there would. So the importer asks for this URL instead, and the resolve hook unpacks it into
 * the specifier and the notebook's URL as the parent.
 */
const CELL_SCHEME = "ts-async-kernel-cell:";

export function cellImportUrl(specifier: string, notebookUrl: string): string {
  return `${CELL_SCHEME}${encodeURIComponent(notebookUrl)}#${encodeURIComponent(specifier)}`;
}

export function parseCellImportUrl(url: string): { specifier: string; parentURL: string } | undefined {
  if (!url.startsWith(CELL_SCHEME)) return undefined;
  const hash = url.indexOf("#");
  if (hash < 0) return undefined;
  return {
    parentURL: decodeURIComponent(url.slice(CELL_SCHEME.length, hash)),
    specifier: decodeURIComponent(url.slice(hash + 1)),
  };
}

/** TypeScript source files the kernel transpiles (JSX is not supported: no runtime to pick). */
export const TS_FILE = /\.(?:ts|mts|cts)$/;
const DECLARATION_FILE = /\.d\.(?:ts|mts|cts)$/;

export function isTypeScriptFile(path: string): boolean {
  return TS_FILE.test(path) && !DECLARATION_FILE.test(path);
}

/** sucrase options for a TypeScript file compiled to an ES module or to CommonJS (as tsc would). */
export function sucraseOptions(format: "module" | "commonjs", filePath: string): Options {
  return {
    transforms: format === "module" ? ["typescript"] : ["typescript", "imports"],
    filePath,
    disableESTransforms: true,
    // `import x = require("y")` in an ES module: give it a `require` (createRequire).
    injectCreateRequireForImportRequire: format === "module",
    // CommonJS output keeps `import()`, so ESM-only packages stay importable from it.
    preserveDynamicImport: true,
  };
}
