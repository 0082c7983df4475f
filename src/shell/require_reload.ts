/**
 * Fresh CommonJS modules after an edit. Node caches a CommonJS module by file name, for `require`
 * and for `import` alike (a new `?v=` URL from the loader hooks alone would give the old
 * exports), so before each import or require of a cell, the user's modules (outside any
 * node_modules) edited since they were loaded leave the cache, with the modules that required
 * them and hold their old exports.
 */
import { stampOf } from "./file_stamp.js";
import { sep } from "node:path";

type RequireCache = NodeJS.Require["cache"];

const NODE_MODULES = `${sep}node_modules${sep}`;
/** File name → mtime and size when it was first seen in the cache. */
const stamps = new Map<string, string>();

export function forgetEditedModules(cache: RequireCache): void {
  const stale = new Set<string>();
  for (const filename of Object.keys(cache)) {
    if (filename.includes(NODE_MODULES)) continue;
    const seen = stamps.get(filename);
    if (seen === undefined) stamps.set(filename, stampOf(filename));
    else if (seen !== stampOf(filename)) stale.add(filename);
  }
  if (stale.size === 0) return;
  for (let grew = true; grew; ) {
    grew = false;
    for (const [filename, module] of Object.entries(cache)) {
      if (!stale.has(filename) && module?.children.some((child) => stale.has(child.filename))) {
        stale.add(filename);
        grew = true;
      }
    }
  }
  for (const filename of stale) {
    delete cache[filename];
    stamps.delete(filename);
  }
}

/** After an import or require: stamp what it loaded, as it was loaded. */
export function stampNewModules(cache: RequireCache): void {
  for (const filename of Object.keys(cache)) {
    if (!filename.includes(NODE_MODULES) && !stamps.has(filename)) stamps.set(filename, stampOf(filename));
  }
}
