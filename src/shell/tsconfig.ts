/**
 * The notebook's own TypeScript settings that change what cells mean: its decorator options, from
 * the nearest tsconfig.json at or above the notebook's directory (as tsc finds it). Only
 * `compilerOptions.experimentalDecorators` and `emitDecoratorMetadata` are read; `extends` is not
 * followed. A file that cannot be read or parsed counts as none.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DecoratorOptions } from "./transform/index.js";

export function notebookDecorators(cwd: string): DecoratorOptions {
  for (let dir = cwd; ; dir = dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, "tsconfig.json"), "utf8");
    } catch {
      // none here: look further up
    }
    if (text !== undefined) {
      const options = parseJsonc(text)?.["compilerOptions"] as Record<string, unknown> | undefined;
      const out: DecoratorOptions = {};
      if (options?.["experimentalDecorators"] === true) out.experimentalDecorators = true;
      if (options?.["emitDecoratorMetadata"] === true) out.emitDecoratorMetadata = true;
      return out;
    }
    if (dirname(dir) === dir) return {};
  }
}

/** JSON with comments and trailing commas, as tsconfig.json is written; undefined if not parseable. */
function parseJsonc(text: string): Record<string, unknown> | undefined {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  try {
    const parsed = JSON.parse(out.replace(/,(\s*[}\]])/g, "$1")) as unknown;
    return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
