/**
 * The cell source transform: a notebook cell (TypeScript or JavaScript) → a JavaScript script for
 * the shell to run in its realm, either as a V8 REPL-mode script (a cell that declares, imports or
 * awaits at its top level) or as a plain cached script (rewrite.ts says why and how). Pure: the
 * result depends on the source and the options only (the notebook's names by their version), so
 * results are cached.
 *
 * Pipeline: TypeScript cells are type-stripped by sucrase (typescript.ts: line-preserving,
 * `keepUnusedImports` so that an import used only by a later cell stays; one sucrase parse whose
 * tokens also serve to lower value namespaces, which sucrase would erase, to collect type-only
 * names, and to skip the transform for cells without TypeScript syntax). JavaScript cells skip
 * sucrase. The JavaScript is then parsed by acorn and
 * rewritten in place (rewrite.ts): an async arrow IIFE opened on line 1, top-level bindings
 * renamed where the notebook binds them under another identifier, imports bound on line 1 from
 * modules the shell loads first, the last expression handed over as the result. No step adds or
 * removes a line break within the cell, so line N of the cell is line N of the script.
 *
 * Columns do move. `cellPositionMap` maps a line and column of the script back to the cell, from
 * the steps' own records (sucrase's token mappings, the rewrite's edit list); it runs the
 * transform again rather than keeping maps of every cell, so a cell's normal run pays nothing.
 */
import { CellSyntaxError, toCellSyntaxError } from "./errors.js";
import { CellPositionMap, composeMaps, identityMap, type OffsetMap } from "./positions.js";
import { parseCell, rewriteCell, type Binding, type CellImport, type NameScope } from "./rewrite.js";
import { compileTypeScript, type JsxRuntime } from "./typescript.js";
import { compileWithTsc, needsCompiler, pragmaOptions, TSLIB_GLOBAL, TSLIB_HELPERS, type DecoratorOptions } from "./tsc.js";

export { CellSyntaxError, DECORATORS_UNSUPPORTED, USING_UNSUPPORTED_AT_TOP } from "./errors.js";
export { CellPositionMap } from "./positions.js";
export type { Binding, CellImport, Family, NameScope } from "./rewrite.js";
export { loadTslib, TSLIB_GLOBAL } from "./tsc.js";
export type { DecoratorOptions } from "./tsc.js";
export type { JsxRuntime } from "./typescript.js";

export interface TransformOptions {
  language: "typescript" | "javascript";
  /** Name of a global function the kernel provides: (specifier: string) => Promise<module namespace>. Default "__tsak_import". */
  importFunction?: string;
  /**
   * Guard loops and functions and make awaits cancellable (rewrite.ts `instrument`); the script
   * then reads the kernel's runtime object `__tsak_rt` (src/shell/cell_runtime.ts). Default false.
   */
  interruptible?: boolean;
  /**
   * Top-level loops of operators may keep the notebook's variables in locals while they run
   * (loop_locals.ts). Default true; off while a debugger is attached (it steps through the loop as
   * written and reads the variables while it runs).
   */
  loopLocals?: boolean;
  /** The notebook's names (which identifier each binding has); default: every name is itself. */
  names?: NameScope;
  /** IPython's convention: a last expression statement ending in `;` is no result. Default false. */
  semicolonHidesResult?: boolean;
  /**
   * The notebook's decorator settings (its tsconfig.json's); a cell's `// @experimentalDecorators`
   * and `// @emitDecoratorMetadata` lines add to them. Default: TypeScript 5's standard decorators.
   */
  decorators?: DecoratorOptions;
  /** The notebook's JSX settings (its tsconfig.json); a cell's own pragma comments win. Default: React's automatic runtime. */
  jsx?: JsxSettings;
}

/** A notebook's JSX settings, as tsconfig.json says them (`jsx`, `jsxImportSource`, `jsxFactory`, `jsxFragmentFactory`). */
export interface JsxSettings {
  runtime: "automatic" | "classic";
  importSource?: string;
  factory?: string;
  fragment?: string;
}

export interface TransformResult {
  /**
   * JS script source; line N of the cell is line N of `code`. A `script` evaluates to its result
   * (when `hasResult`); a `repl` script hands its result to `__tsak_r` and needs the modules of
   * `imports` loaded first (rewrite.ts).
   */
  code: string;
  mode: "repl" | "script";
  /** Names of the top-level value bindings the cell declares. */
  declared: string[];
  /** The same, with their kind and the identifier each is declared under. */
  bindings: Binding[];
  /** The modules the cell imports, in order (`__tsak_m(k)` is the k-th). */
  imports: CellImport[];
  /** Names of the top-level type-only declarations (`type`, `interface`, `declare`, `import type`). */
  typeDeclared: string[];
  /** True if the cell's last top-level statement is an expression statement (not suppressed: see semicolonHidesResult). */
  hasResult: boolean;
  /**
   * Line N of the cell is line N of `code` (sucrase and the rewrite keep every line break). False
   * for a cell tsc compiled, whose script has lines of its own (a debugger maps them: debug_view.ts).
   */
  linesKept: boolean;
}

export const DEFAULT_IMPORT_FUNCTION = "__tsak_import";
/** The global that `import.meta` is rewritten to (the kernel provides it: `{ url, filename, dirname }`). */
export const IMPORT_META_GLOBAL = "__tsak_import_meta";

/** Like the Node REPL: a cell `{ ... }` that parses as an expression is an object literal. */
const OBJECT_LITERAL_HINT = /^\s*\{[\s\S]*\}\s*$/;

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
  const interruptible = options.interruptible === true;
  const decorators = options.decorators;
  const jsx = options.jsx;
  const cacheKey = `${typescript ? "ts" : "js"} ${interruptible ? "i" : "-"}${options.loopLocals === false ? "" : "l"} ${options.semicolonHidesResult ? ";" : "-"} ${options.names?.version ?? 0} ${decorators?.experimentalDecorators ? "x" : "-"}${decorators?.emitDecoratorMetadata ? "m" : "-"} ${jsx ? `${jsx.runtime}:${jsx.importSource ?? ""}:${jsx.factory ?? ""}:${jsx.fragment ?? ""}` : "-"} ${importFunction}`;
  let cache = caches.get(cacheKey);
  const hit = cache?.get(source);
  if (hit !== undefined) {
    // refresh its place in the LRU order; hand out copies of the arrays
    cache!.delete(source);
    cache!.set(source, hit);
    return copy(hit);
  }

  const result = transform(source, typescript, settings(options));
  const plain: TransformResult = {
    code: result.code,
    mode: result.mode,
    declared: result.declared,
    bindings: result.bindings,
    imports: result.imports,
    typeDeclared: result.typeDeclared,
    hasResult: result.hasResult,
    linesKept: result.linesKept,
  };
  if (source.length <= CACHE_MAX_SOURCE) {
    if (cache === undefined) caches.set(cacheKey, (cache = new Map()));
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(source, copy(plain));
  }
  return plain;
}

/** A result whose arrays and objects are not shared with the cache. */
function copy(r: TransformResult): TransformResult {
  return {
    ...r,
    declared: [...r.declared],
    bindings: r.bindings.map((b) => ({ ...b })),
    imports: r.imports.map((i) => ({ ...i, names: [...i.names], ...(i.attributes ? { attributes: { ...i.attributes } } : {}) })),
    typeDeclared: [...r.typeDeclared],
  };
}

/** The rewrite's settings from the options. */
interface Settings {
  importFunction: string;
  interruptible: boolean;
  loopLocals: boolean;
  names: NameScope | undefined;
  semicolonHidesResult: boolean;
  decorators: DecoratorOptions;
  jsx: JsxSettings | undefined;
}

function settings(options: TransformOptions): Settings {
  return {
    importFunction: options.importFunction ?? DEFAULT_IMPORT_FUNCTION,
    interruptible: options.interruptible === true,
    loopLocals: options.loopLocals !== false,
    names: options.names,
    semicolonHidesResult: options.semicolonHidesResult === true,
    decorators: options.decorators ?? {},
    jsx: options.jsx,
  };
}

/** tsc's helpers, read from tslib by compiled cells (tsc.ts). */
const HELPERS: ReadonlyMap<string, string> = new Map(TSLIB_HELPERS.map((name) => [name, `${TSLIB_GLOBAL}.${name}`]));

/**
 * The position map of the script that `transformCell(source, options)` returns: script line and
 * column (as in V8's stack frames) → cell line and column. `undefined` if the cell does not
 * transform (it never ran). Not cached: callers keep the maps they need.
 */
export function cellPositionMap(source: string, options: TransformOptions): CellPositionMap | undefined {
  let result: Transformed;
  try {
    result = transform(source, options.language === "typescript", settings(options));
  } catch {
    return undefined;
  }
  // a REPL script's last line is its own (`;void 0`)
  return new CellPositionMap(result.code, source, result.toCell(), result.mode === "repl" ? 1 : 0);
}

/**
 * What the user typed into the debugger (`evaluate` in a paused frame) as the JavaScript V8
 * evaluates there: types stripped, as in a cell. With `names` (a cell's top-level frame, where the
 * notebook's names are in scope) a name the notebook binds under another identifier is renamed to
 * it, as in a cell, when the rewrite leaves plain JavaScript (no top-level declaration, import or
 * await); in a function's frame a name may be a local, so nothing is renamed.
 */
export function debuggerExpression(source: string, language: "typescript" | "javascript", names?: NameScope): string {
  const t = transform(source, language === "typescript", settings({ language, names }));
  return names !== undefined && t.mode === "script" ? t.code : t.js;
}

/** A transform result and its offset map (script → cell), which is built only when called. */
interface Transformed extends TransformResult {
  toCell: () => OffsetMap;
  /** The JavaScript before the rewrite (what sucrase made of the cell), and `code` → it. */
  js: string;
  toJs: () => OffsetMap;
}

/**
 * Where a piece of a cell's script came from: `text` as `Function.prototype.toString` shows a
 * function of the cell (its text in the script, guards, cancellable awaits and renamed
 * identifiers included) → the same piece of the JavaScript the cell compiles to, without any of
 * that (`js`), and of the cell as the user wrote it, types included (`source`). undefined when
 * `text` is not in the cell's script (another cell's, or the notebook's names have changed since).
 */
export function originalText(source: string, options: TransformOptions, text: string): { js: string; source: string } | undefined {
  let t: Transformed;
  try {
    t = transform(source, options.language === "typescript", settings(options));
  } catch {
    return undefined;
  }
  const at = t.code.indexOf(text);
  if (at < 0) return undefined;
  const toJs = t.toJs();
  const toCell = t.toCell();
  return {
    js: t.js.slice(toJs(at), toJs(at + text.length)),
    source: source.slice(toCell(at), toCell(at + text.length)),
  };
}

function transform(source: string, typescript: boolean, s: Settings): Transformed {
  let result: Transformed | undefined;
  if (OBJECT_LITERAL_HINT.test(source)) result = tryObjectLiteral(source, typescript, s);
  return result ?? transformSource(source, typescript, s);
}

function tryObjectLiteral(source: string, typescript: boolean, s: Settings): Transformed | undefined {
  const wrapped = `(${source})`;
  let js = wrapped;
  let jsToWrapped: () => OffsetMap = () => identityMap;
  try {
    if (typescript) {
      const compiled = compileTypeScript(wrapped);
      js = compiled.js;
      jsToWrapped = compiled.sourceMap;
    }
    const program = parseCell(js);
    if (program.body.length !== 1 || program.body[0]!.type !== "ExpressionStatement") return undefined;
    const out = rewriteCell({ js, program, original: wrapped, importMetaName: IMPORT_META_GLOBAL, ...rewriteSettings(s) });
    // the parenthesis opened before the cell: one column on its first line
    const unwrap: OffsetMap = (offset) => Math.max(0, Math.min(offset - 1, source.length));
    return {
      code: out.code,
      mode: out.mode,
      declared: out.declared,
      bindings: out.bindings,
      imports: out.imports,
      typeDeclared: [],
      hasResult: out.hasResult,
      linesKept: true,
      toCell: () => composeMaps(out.offsetMap(), jsToWrapped(), unwrap),
      js,
      toJs: out.offsetMap,
    };
  } catch {
    return undefined; // not an expression: a block
  }
}

function transformSource(source: string, typescript: boolean, s: Settings, jsx?: JsxRuntime): Transformed {
  let js = source;
  let typeNames: string[] = [];
  let starts: number[] = [];
  let jsToSource: () => OffsetMap = () => identityMap;
  let sourceEndBefore = (jsOffset: number): number => jsOffset;
  // JSX is tried when the cell does not parse without it (TSX forbids `<T>x` casts, which cells use);
  // then tsc, when the fast path refused a cell before its end (`tsc`)
  const fallBack = (error: unknown, tsc: boolean): Transformed => {
    if (jsx === undefined && error instanceof CellSyntaxError && looksLikeJsx(source)) {
      try {
        return transformSource(source, typescript, s, jsxRuntime(source, s.jsx));
      } catch {
        // not JSX after all
      }
    }
    if (tsc && typescript && jsx === undefined && worthTsc(source, error))
      return transformWithTsc(source, typescript, s, error as Error, [], true);
    throw error;
  };
  if (typescript || jsx !== undefined) {
    let compiled;
    try {
      compiled = compileTypeScript(source, jsx, typescript);
    } catch (err) {
      // syntax sucrase's parser does not know, which tsc does
      if (typescript && jsx === undefined && err instanceof CellSyntaxError && needsCompiler(source, err.message))
        return transformWithTsc(source, typescript, s, err, []);
      return fallBack(err, true);
    }
    js = compiled.js;
    typeNames = compiled.typeNames;
    starts = compiled.typeStatementStarts;
    jsToSource = compiled.sourceMap;
    sourceEndBefore = compiled.sourceEndBefore;
  }

  let program;
  try {
    program = parseCell(js);
  } catch (err) {
    const error = toCellSyntaxError(err, js, source, js === source ? undefined : jsToSource()) ?? err;
    if (error instanceof CellSyntaxError && needsCompiler(source, error.message))
      return transformWithTsc(source, typescript, s, error, typeNames);
    return fallBack(error, false);
  }

  let out: ReturnType<typeof rewriteCell>;
  try {
    out = rewriteCell({
      js,
      program,
      original: source,
      toOriginal: jsToSource,
      importMetaName: IMPORT_META_GLOBAL,
      ...rewriteSettings(s),
      // is there a type-only statement (erased by sucrase) after this offset of `js`?
      typeStatementAfter:
        starts.length > 0
          ? (jsOffset) => {
              const end = sourceEndBefore(jsOffset);
              return starts.some((start) => start >= end);
            }
          : undefined,
    });
  } catch (err) {
    // `using` below the top level, on a Node.js without it
    if (err instanceof CellSyntaxError && needsCompiler(source, err.message))
      return transformWithTsc(source, typescript, s, err, typeNames);
    throw err;
  }

  let typeDeclared = typeNames;
  if (out.typeOnlyNamespaces.length > 0) typeDeclared = [...new Set([...typeDeclared, ...out.typeOnlyNamespaces])];
  return {
    code: out.code,
    mode: out.mode,
    declared: out.declared,
    bindings: out.bindings,
    imports: out.imports,
    typeDeclared,
    hasResult: out.hasResult,
    linesKept: true,
    toCell: () => composeMaps(out.offsetMap(), jsToSource()),
    js,
    toJs: out.offsetMap,
  };
}

/**
 * Is a TypeScript cell sucrase's parser refused (or failed on) worth asking tsc about? tsc's
 * parser is TypeScript's own: it transpiles valid TypeScript sucrase does not know (an index
 * signature with a modifier, `extends (yield)`, ...) and code with only the errors its checker
 * reports, which, like type errors, do not stop a cell. (What acorn then refuses is JavaScript's
 * own early error, reported as it is.) Not an error at the end of the cell: that is incomplete
 * input (is_complete asks about it on every key), which tsc refuses as well.
 */
function worthTsc(source: string, err: unknown): boolean {
  if (!(err instanceof CellSyntaxError)) return err instanceof Error; // sucrase's own failure
  const lines = source.split("\n");
  let offset = err.column;
  for (let i = 0; i < err.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  return offset < source.trimEnd().length;
}

/**
 * A cell compiled by tsc (tsc.ts): syntax the fast path leaves to a runtime Node.js is not. Its
 * lines are tsc's, so positions map through tsc's source map; what tsc refuses is reported, else
 * the fast path's error (`fastError`) is. `fallback`: the fast path refused a cell it should have
 * run, and its error stays the cell's if tsc refuses the cell too.
 */
function transformWithTsc(
  source: string,
  typescript: boolean,
  s: Settings,
  fastError: Error,
  typeNames: string[],
  fallback = false,
): Transformed {
  let compiled;
  try {
    compiled = compileWithTsc(source, typescript, { ...s.decorators, ...pragmaOptions(source) });
  } catch (err) {
    throw err instanceof CellSyntaxError && !fallback ? err : fastError;
  }
  const { js, toSource } = compiled;
  let program;
  try {
    program = parseCell(js);
  } catch {
    throw fastError; // tsc's output is still more than this Node.js runs
  }
  const out = rewriteCell({
    js,
    program,
    original: source,
    toOriginal: toSource,
    importMetaName: IMPORT_META_GLOBAL,
    ...rewriteSettings(s),
    helpers: HELPERS,
    // the result is the cell's last expression, not one of tsc's making
    typeStatementAfter: compiled.endsWithExpression ? undefined : () => true,
  });
  return {
    code: out.code,
    mode: out.mode,
    declared: out.declared,
    bindings: out.bindings,
    imports: out.imports,
    typeDeclared: typeNames,
    hasResult: out.hasResult,
    linesKept: false,
    toCell: () => composeMaps(out.offsetMap(), toSource()),
    js,
    toJs: out.offsetMap,
  };
}

/** Does the cell have JSX-looking syntax (a closing or self-closing tag, a fragment)? */
function looksLikeJsx(source: string): boolean {
  return /<\/[\p{ID_Start}$_]?|\/>|<>/u.test(source);
}

/**
 * The JSX runtime of a cell: its own pragma comments (`@jsxImportSource pkg`, or `@jsx f` with
 * `@jsxFrag F`, as TypeScript and Babel read them), else the notebook's (tsconfig.json), else
 * React's automatic runtime.
 */
function jsxRuntime(source: string, notebook: JsxSettings | undefined): JsxRuntime {
  const comments = source.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g)?.join("\n") ?? "";
  const importSource = /@jsxImportSource\s+([^\s*]+)/.exec(comments)?.[1];
  if (importSource) return { runtime: "automatic", importSource };
  const factory = /@jsx\s+([\w$.]+)/.exec(comments)?.[1];
  if (factory) return { runtime: "classic", factory, fragment: /@jsxFrag\s+([\w$.]+)/.exec(comments)?.[1] ?? "React.Fragment" };
  if (notebook?.runtime === "classic")
    return { runtime: "classic", factory: notebook.factory ?? "React.createElement", fragment: notebook.fragment ?? "React.Fragment" };
  return { runtime: "automatic", importSource: notebook?.importSource ?? "react" };
}

/** What the rewrite takes of the settings. */
function rewriteSettings(
  s: Settings,
): Pick<Settings, "importFunction" | "interruptible" | "loopLocals" | "names" | "semicolonHidesResult"> {
  return {
    importFunction: s.importFunction,
    interruptible: s.interruptible,
    loopLocals: s.loopLocals,
    names: s.names,
    semicolonHidesResult: s.semicolonHidesResult,
  };
}
