/**
 * The notebook's own TypeScript settings that change what cells mean, from the nearest
 * tsconfig.json at or above the notebook's directory (as tsc finds it): the decorator options
 * (`experimentalDecorators`, `emitDecoratorMetadata`) and the JSX ones (`jsx`, `jsxImportSource`,
 * `jsxFactory`, `jsxFragmentFactory`). `extends` is not followed. A file that cannot be read or
 * parsed counts as none.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DecoratorOptions, JsxSettings } from "./transform/index.js";

export interface NotebookSettings {
  decorators: DecoratorOptions;
  jsx: JsxSettings | undefined;
}

export function notebookSettings(cwd: string): NotebookSettings {
  const options = compilerOptions(cwd);
  const decorators: DecoratorOptions = {};
  if (options?.["experimentalDecorators"] === true) decorators.experimentalDecorators = true;
  if (options?.["emitDecoratorMetadata"] === true) decorators.emitDecoratorMetadata = true;
  let jsx: JsxSettings | undefined;
  const mode = options?.["jsx"];
  const text = (key: string): string | undefined => (typeof options?.[key] === "string" ? (options[key] as string) : undefined);
  if (mode === "react")
    jsx = {
      runtime: "classic",
      factory: text("jsxFactory") ?? "React.createElement",
      fragment: text("jsxFragmentFactory") ?? "React.Fragment",
    };
  else if (typeof mode === "string" || text("jsxImportSource"))
    jsx = { runtime: "automatic", importSource: text("jsxImportSource") ?? "react" };
  return { decorators, jsx };
}

/** `compilerOptions` of the nearest tsconfig.json, or undefined. */
function compilerOptions(cwd: string): Record<string, unknown> | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, "tsconfig.json"), "utf8");
    } catch {
      // none here: look further up
    }
    if (text !== undefined) return parseJsonc(text)?.["compilerOptions"] as Record<string, unknown> | undefined;
    if (dirname(dir) === dir) return undefined;
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
