/**
 * The cell source transform: a notebook cell (TypeScript or JavaScript) → a JavaScript *script*
 * for `vm.Script#runInContext` in the kernel's persistent context. Pure (results are cached by
 * source, which is safe for a pure function).
 *
 * Pipeline: TypeScript cells are type-stripped by sucrase (typescript.ts: line-preserving,
 * `keepUnusedImports` so that an import used only by a later cell stays; one sucrase parse whose
 * tokens also serve to lower value namespaces, which sucrase would erase, to collect type-only
 * names, and to skip the transform for cells without TypeScript syntax). JavaScript cells skip
 * sucrase. The JavaScript is then parsed by acorn and
 * rewritten in place (rewrite.ts): an async arrow IIFE opened on line 1, top-level bindings
 * hoisted to `var`s of the script, imports turned into calls of the kernel's import function, the
 * last expression returned as `{ value }`. No step adds or removes a line break, so line N of the
 * cell is line N of the script.
 */
import { lineColumnOf, lineOf, mapColumn, toCellSyntaxError } from "./errors.js";
import { parseCell, rewriteCell } from "./rewrite.js";
import { compileTypeScript } from "./typescript.js";

export { CellSyntaxError } from "./errors.js";

export interface TransformOptions {
  language: "typescript" | "javascript";
  /** Name of a global function the kernel provides: (specifier: string) => Promise<module namespace>. Default "__tsak_import". */
  importFunction?: string;
}

export interface TransformResult {
  /**
   * JS script source. Evaluating it yields a Promise that resolves to `undefined` (no result) or
   * `{ value }` (the last expression's value). Line N of the cell is line N of `code`.
   */
  code: string;
  /** Names of the top-level value bindings the cell declares. */
  declared: string[];
  /** Names of the top-level type-only declarations (`type`, `interface`, `declare`, `import type`). */
  typeDeclared: string[];
  /** True if the cell's last top-level statement is an expression statement not suppressed by a trailing `;`. */
  hasResult: boolean;
}

export const DEFAULT_IMPORT_FUNCTION = "__tsak_import";
/** The global that `import.meta` is rewritten to (the kernel provides it: `{ url, filename, dirname }`). */
export const IMPORT_META_GLOBAL = "__tsak_import_meta";

/** Like the Node REPL: a cell `{ ... }` that parses as an expression is an object literal. */
const OBJECT_LITERAL_HINT = /^\s*\{[^]*\}\s*$/;

/**
 * Results of recent transforms, per (language, import function): the transform is a pure
 * function of its inputs, and the same cell is often transformed again (re-run, or is_complete
 * then execute). Syntax errors are not cached. Bounded in entries and in source size.
 */
const CACHE_ENTRIES = 256;
const CACHE_MAX_SOURCE = 64 * 1024;
const caches = new Map<string, Map<string, TransformResult>>();

export function transformCell(source: string, options: TransformOptions): TransformResult {
  const importFunction = options.importFunction ?? DEFAULT_IMPORT_FUNCTION;
  const typescript = options.language === "typescript";
  const cacheKey = typescript ? `ts ${importFunction}` : `js ${importFunction}`;
  let cache = caches.get(cacheKey);
  const hit = cache?.get(source);
  if (hit !== undefined) {
    // refresh its place in the LRU order; hand out copies of the arrays
    cache!.delete(source);
    cache!.set(source, hit);
    return { code: hit.code, declared: [...hit.declared], typeDeclared: [...hit.typeDeclared], hasResult: hit.hasResult };
  }

  let result: TransformResult | undefined;
  if (OBJECT_LITERAL_HINT.test(source)) result = tryObjectLiteral(source, typescript, importFunction);
  result ??= transformSource(source, typescript, importFunction);

  if (source.length <= CACHE_MAX_SOURCE) {
    if (cache === undefined) caches.set(cacheKey, (cache = new Map()));
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(source, { ...result, declared: [...result.declared], typeDeclared: [...result.typeDeclared] });
  }
  return result;
}

function tryObjectLiteral(source: string, typescript: boolean, importFunction: string): TransformResult | undefined {
  const wrapped = `(${source})`;
  let js = wrapped;
  try {
    if (typescript) js = compileTypeScript(wrapped).js;
    const program = parseCell(js);
    if (program.body.length !== 1 || program.body[0]!.type !== "ExpressionStatement") return undefined;
    const out = rewriteCell({ js, program, original: wrapped, importFunction, importMetaName: IMPORT_META_GLOBAL });
    return { code: out.code, declared: out.declared, typeDeclared: [], hasResult: out.hasResult };
  } catch {
    return undefined; // not an expression: a block
  }
}

function transformSource(source: string, typescript: boolean, importFunction: string): TransformResult {
  let js = source;
  let typeNames: string[] = [];
  let starts: number[] = [];
  if (typescript) {
    const compiled = compileTypeScript(source);
    js = compiled.js;
    typeNames = compiled.typeNames;
    starts = compiled.typeStatementStarts;
  }

  let program;
  try {
    program = parseCell(js);
  } catch (err) {
    throw toCellSyntaxError(err, js, source) ?? err;
  }

  const out = rewriteCell({
    js,
    program,
    original: source,
    importFunction,
    importMetaName: IMPORT_META_GLOBAL,
    typeStatementAfter: starts.length > 0 ? (jsOffset) => typeStatementAfter(starts, source, js, jsOffset) : undefined,
  });

  let typeDeclared = typeNames;
  if (out.typeOnlyNamespaces.length > 0) typeDeclared = [...new Set([...typeDeclared, ...out.typeOnlyNamespaces])];
  return { code: out.code, declared: out.declared, typeDeclared, hasResult: out.hasResult };
}

/**
 * Does a type-only statement of the original start after `jsOffset` (an offset into the sucrase
 * output)? Lines are shared; the column is mapped back to the original line.
 */
function typeStatementAfter(starts: number[], source: string, js: string, jsOffset: number): boolean {
  const { line, column } = lineColumnOf(js, jsOffset);
  const origColumn = mapColumn(lineOf(js, line), lineOf(source, line), column);
  for (const start of starts) {
    const at = lineColumnOf(source, start);
    if (at.line > line || (at.line === line && at.column >= origColumn)) return true;
  }
  return false;
}
