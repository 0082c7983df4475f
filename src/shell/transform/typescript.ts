/**
 * TypeScript → JavaScript, with one sucrase parse per cell:
 *
 * - Type stripping is sucrase's `typescript` transform with `keepUnusedImports` (an import used
 *   only by a later cell must stay) and `disableESTransforms`; it preserves lines. It is run from
 *   the tokens already parsed here (the same steps as sucrase's `transform`, which exposes no
 *   tokens), or skipped when the tokens hold no TypeScript at all: then the output would be the
 *   input (checked on ~1,900 JavaScript files), so a plain-JS cell costs one parse and no transform.
 * - Value namespaces. Sucrase treats every `namespace`/`module` block as type-only and erases it
 *   (so `namespace N { export const x = 1 }` would silently vanish). Each non-ambient namespace
 *   is lowered here, before sucrase transforms, to the shape TypeScript emits:
 *   `var N; (function (N, __tsak_ns) { ...body... })(N || (N = {}));` (dotted names nest). The body
 *   keeps its `export` keywords; the rewrite pass (rewrite.ts) recognises the marker parameter
 *   and turns them into properties of `N` as tsc does. A namespace that merges into a class of
 *   the same name declares no `var` (tsc declares none). The header and footer replace single
 *   tokens on their own lines, so lines are preserved.
 * - Names of top-level type-only declarations (`type`, `interface`, `declare ...`, `import type`,
 *   inline `type` import specifiers) for `typeDeclared`, and where those statements start (a
 *   type-only statement after the last expression means the cell has no result).
 * - Positions: sucrase records where it wrote each token it kept (the `mappings` its source maps
 *   are made of); with the namespace lowering's edits they map the output back to the cell
 *   exactly (`sourceMap`, built only when asked for: syntax errors, tracebacks).
 *
 * sucrase ships no `exports` map, so its internal modules are reachable; they are checked when
 * loaded, and if their shape ever changes this falls back to the public `transform` (and loses
 * only the namespace lowering and the type names).
 */
import { createRequire } from "node:module";
import { transform as sucrase } from "sucrase";
import { Edits } from "./edits.js";
import { lineOf, mapColumn, toCellSyntaxError } from "./errors.js";
import { AnchorList, composeMaps, identityMap, lineColumnAt, lineStarts, type OffsetMap } from "./positions.js";

interface SucraseToken {
  type: number;
  contextualKeyword: number;
  start: number;
  end: number;
  isType: boolean;
  /** A class's `class` token, its body's braces and its members' names share one. */
  contextId: number | null;
}

interface SucraseFile {
  tokens: SucraseToken[];
  scopes: unknown[];
}

const TOKEN_TYPES = [
  "name",
  "string",
  "eof",
  "braceL",
  "braceR",
  "braceBarL",
  "braceBarR",
  "dollarBraceL",
  "parenL",
  "parenR",
  "bracketL",
  "bracketR",
  "lessThan",
  "greaterThan",
  "comma",
  "semi",
  "dot",
  "star",
  "eq",
  "_import",
  "_export",
  "_const",
  "_let",
  "_var",
  "_function",
  "_class",
  "_enum",
  "_public",
  "_protected",
  "_private",
  "_abstract",
  "_readonly",
  "_override",
  "nonNullAssertion",
] as const;

const CONTEXTUAL_KEYWORDS = ["_namespace", "_module", "_global", "_declare", "_type", "_interface", "_abstract", "_from", "_as"] as const;

interface Internals {
  parse(input: string, isJSXEnabled: boolean, isTypeScriptEnabled: boolean, isFlowEnabled: boolean): SucraseFile;
  tt: Record<(typeof TOKEN_TYPES)[number], number>;
  ck: Record<(typeof CONTEXTUAL_KEYWORDS)[number], number>;
  /** Token types that the typescript transform rewrites without marking them as types. */
  rewritten: Set<number>;
  /** sucrase's transform pipeline, driven from our tokens; undefined → use the public transform. */
  transformTokens: ((code: string, file: SucraseFile, options?: SucraseOptions) => SucraseOutput) | undefined;
}

interface SucraseOutput {
  code: string;
  /** Per input token: the offset in `code` where it was written, or undefined (removed). */
  mappings: Array<number | undefined>;
}

export const SUCRASE_OPTIONS = {
  transforms: ["typescript" as const],
  keepUnusedImports: true,
  disableESTransforms: true,
};

type SucraseOptions = Parameters<typeof sucrase>[1];

/** How JSX becomes calls: React's automatic runtime from a package, or a classic factory. */
export type JsxRuntime = { runtime: "automatic"; importSource: string } | { runtime: "classic"; factory: string; fragment: string };

function sucraseOptions(typescript: boolean, jsx: JsxRuntime | undefined): SucraseOptions {
  if (jsx === undefined) return SUCRASE_OPTIONS;
  const transforms: Array<"typescript" | "jsx"> = typescript ? ["typescript", "jsx"] : ["jsx"];
  const common = { transforms, keepUnusedImports: true, disableESTransforms: true, production: true };
  return jsx.runtime === "automatic"
    ? { ...common, jsxRuntime: "automatic", jsxImportSource: jsx.importSource }
    : { ...common, jsxRuntime: "classic", jsxPragma: jsx.factory, jsxFragmentPragma: jsx.fragment };
}

let internals: Internals | null | undefined;

function load(): Internals | null {
  if (internals !== undefined) return internals;
  try {
    const require = createRequire(import.meta.url);
    const parser = require("sucrase/dist/parser/index.js") as { parse?: unknown };
    const { TokenType } = require("sucrase/dist/parser/tokenizer/types.js") as { TokenType: Record<string, number> };
    const { ContextualKeyword } = require("sucrase/dist/parser/tokenizer/keywords.js") as {
      ContextualKeyword: Record<string, number>;
    };
    const pick = <K extends string>(from: Record<string, number>, keys: readonly K[]): Record<K, number> => {
      const out = {} as Record<K, number>;
      for (const k of keys) {
        const v = from[k];
        if (typeof v !== "number") throw new Error(`sucrase internals changed: no ${k}`);
        out[k] = v;
      }
      return out;
    };
    if (typeof parser.parse !== "function") throw new Error("sucrase internals changed: no parse");
    const tt = pick(TokenType, TOKEN_TYPES);
    const ck = pick(ContextualKeyword, CONTEXTUAL_KEYWORDS);
    internals = {
      parse: parser.parse as Internals["parse"],
      tt,
      ck,
      rewritten: new Set([tt._enum, tt._public, tt._protected, tt._private, tt._abstract, tt._readonly, tt._override, tt.nonNullAssertion]),
      transformTokens: loadPipeline(require),
    };
  } catch {
    internals = null;
  }
  return internals;
}

/** The body of sucrase's `transform` (index.js getSucraseContext + RootTransformer) for our options. */
function loadPipeline(require: NodeJS.Require): Internals["transformTokens"] {
  try {
    const NameManager = (require("sucrase/dist/NameManager.js") as { default?: unknown }).default;
    const { HelperManager } = require("sucrase/dist/HelperManager.js") as { HelperManager?: unknown };
    const TokenProcessor = (require("sucrase/dist/TokenProcessor.js") as { default?: unknown }).default;
    const RootTransformer = (require("sucrase/dist/transformers/RootTransformer.js") as { default?: unknown }).default;
    if (![NameManager, HelperManager, TokenProcessor, RootTransformer].every((c) => typeof c === "function")) return undefined;
    const NM = NameManager as new (code: string, tokens: SucraseToken[]) => unknown;
    const HM = HelperManager as new (nameManager: unknown) => unknown;
    const TP = TokenProcessor as new (
      code: string,
      tokens: SucraseToken[],
      isFlowEnabled: boolean,
      disableESTransforms: boolean,
      helperManager: unknown,
    ) => unknown;
    const RT = RootTransformer as new (
      context: unknown,
      transforms: readonly string[],
      enableLegacyBabel5ModuleInterop: boolean,
      options: unknown,
    ) => { transform(): { code: string; mappings?: unknown } };
    const run = (code: string, file: SucraseFile, options: SucraseOptions = SUCRASE_OPTIONS): SucraseOutput => {
      const nameManager = new NM(code, file.tokens);
      const helperManager = new HM(nameManager);
      const tokenProcessor = new TP(code, file.tokens, false, true, helperManager);
      const context = { tokenProcessor, scopes: file.scopes, nameManager, importProcessor: null, helperManager };
      const out = new RT(context, options.transforms, false, options).transform();
      if (!Array.isArray(out.mappings)) throw new Error("sucrase internals changed: no mappings");
      return { code: out.code, mappings: out.mappings as SucraseOutput["mappings"] };
    };
    // self-check against the public transform
    const probe = "enum E { A }\nlet x: number = 1 as number;\nclass C { constructor(private p: string) {} }\nimport y = require('y');";
    const parser = require("sucrase/dist/parser/index.js") as { parse: Internals["parse"] };
    if (run(probe, parser.parse(probe, false, true, false)).code !== sucrase(probe, SUCRASE_OPTIONS).code) return undefined;
    return run;
  } catch {
    return undefined;
  }
}

/** The parameter that marks a lowered namespace's function (see rewrite.ts). */
export const NAMESPACE_MARKER = "__tsak_ns";

/** Which sucrase path is in use: its internals driven from one parse (expected), or the fallbacks. */
export function typeScriptPipeline(): "tokens" | "public" | "unavailable" {
  const I = load();
  return I === null ? "unavailable" : I.transformTokens ? "tokens" : "public";
}

export interface CompiledTypeScript {
  js: string;
  typeNames: string[];
  /** Offsets (in the cell) where top-level type-only statements start. */
  typeStatementStarts: number[];
  /** Offsets of `js` → offsets of the cell (built on the first call). */
  sourceMap: () => OffsetMap;
  /**
   * Where in the cell the text of `js` before `jsOffset` ends: the cheap question that decides
   * whether a type-only statement follows the last expression (asked on every run of such cells).
   */
  sourceEndBefore: (jsOffset: number) => number;
}

/**
 * TypeScript cell → JavaScript (same lines). Throws CellSyntaxError. With `jsx`, the cell is
 * TSX (or JSX: `typescript` false) and its elements become calls of that runtime.
 */
export function compileTypeScript(src: string, jsx?: JsxRuntime, typescript = true): CompiledTypeScript {
  const options = sucraseOptions(typescript, jsx);
  const I = load();
  if (I === null) {
    const js = publicTransform(src, src, identityMap, options);
    const sourceMap = lazy(() => columnMatchMap(js, src));
    return { js, typeNames: [], typeStatementStarts: [], sourceMap, sourceEndBefore: (offset) => sourceMap()(offset) };
  }
  let file: SucraseFile;
  try {
    file = I.parse(src, jsx !== undefined, typescript, false);
  } catch (err) {
    throw toCellSyntaxError(err, src, src) ?? err;
  }
  const scan = scanTokens(I, src, file.tokens);
  const result = (js: string, map: () => OffsetMap, sourceEndBefore?: (jsOffset: number) => number): CompiledTypeScript => {
    const sourceMap = lazy(map);
    return {
      js,
      typeNames: scan.typeNames,
      typeStatementStarts: scan.typeStatementStarts,
      sourceMap,
      sourceEndBefore: sourceEndBefore ?? ((offset) => sourceMap()(offset)),
    };
  };
  if (scan.lowered !== undefined) {
    // namespaces were lowered: the text changed, so parse it again
    const { text, edits } = scan.lowered;
    const toSource = edits.offsetMap();
    if (!I.transformTokens) {
      const js = publicTransform(text, src, toSource, options);
      return result(js, () => composeMaps(columnMatchMap(js, text), toSource));
    }
    const out = runTokens(I, text, src, toSource, undefined, options, jsx !== undefined);
    return result(out.code, () => composeMaps(out.map(), toSource));
  }
  if (!scan.hasTypeScript && jsx === undefined)
    return result(
      src,
      () => identityMap,
      (offset) => offset,
    );
  if (I.transformTokens) {
    const out = runTokens(I, src, src, identityMap, file, options, jsx !== undefined);
    const { tokens } = file;
    const { mappings } = out;
    // the last statement is near the end: scan back from there, without building the map
    const sourceEndBefore = (jsOffset: number): number => {
      for (let i = tokens.length - 1; i >= 0; i--) {
        const m = mappings[i];
        if (m !== undefined && m < jsOffset) return tokens[i]!.end;
      }
      return 0;
    };
    return result(out.code, out.map, sourceEndBefore);
  }
  const js = publicTransform(src, src, identityMap, options);
  return result(js, () => columnMatchMap(js, src));
}

/** sucrase's pipeline on `code` (parsed again unless `file` is given); errors positioned in `original`. */
function runTokens(
  I: Internals,
  code: string,
  original: string,
  toOriginal: OffsetMap,
  file?: SucraseFile,
  options: SucraseOptions = SUCRASE_OPTIONS,
  jsx = false,
): { code: string; mappings: SucraseOutput["mappings"]; map: () => OffsetMap } {
  try {
    const parsed = file ?? I.parse(code, jsx, options.transforms.includes("typescript"), false);
    const out = I.transformTokens!(code, parsed, options);
    return { code: out.code, mappings: out.mappings, map: () => tokenMap(parsed.tokens, out.mappings, out.code.length, code.length) };
  } catch (err) {
    throw toCellSyntaxError(err, code, original, toOriginal) ?? err;
  }
}

function publicTransform(code: string, original: string, toOriginal: OffsetMap, options: SucraseOptions = SUCRASE_OPTIONS): string {
  try {
    return sucrase(code, options).code;
  } catch (err) {
    throw toCellSyntaxError(err, code, original, toOriginal) ?? err;
  }
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/**
 * sucrase output → its input, from sucrase's own record of where each kept token was written
 * (the data its source maps are made of: sucrase computeSourceMap.js): exact at every token.
 */
function tokenMap(tokens: SucraseToken[], mappings: Array<number | undefined>, outLength: number, inLength: number): OffsetMap {
  const anchors = new AnchorList();
  let last = -1;
  for (let i = 0; i < tokens.length; i++) {
    const out = mappings[i];
    // anchors must be in output order: skip a token whose recorded place is not after the last
    if (out === undefined || out <= last) continue;
    const t = tokens[i]!;
    anchors.add(out, t.start, t.end - t.start);
    last = out;
  }
  if (outLength > last) anchors.add(outLength, inLength, 0);
  return anchors.map();
}

/** The fallback without sucrase's internals: lines are kept; columns are matched (`mapColumn`). */
function columnMatchMap(js: string, src: string): OffsetMap {
  if (js === src) return identityMap;
  const jsLines = lineStarts(js);
  const srcLines = lineStarts(src);
  return (offset) => {
    const { line, column } = lineColumnAt(jsLines, offset);
    const start = srcLines[Math.min(line, srcLines.length) - 1]!;
    return start + mapColumn(lineOf(js, line), lineOf(src, line), column);
  };
}

interface Scan {
  /** The source with value namespaces lowered, if there were any, and the edits that did it. */
  lowered: { text: string; edits: Edits } | undefined;
  /** Any token the typescript transform would change? */
  hasTypeScript: boolean;
  typeNames: string[];
  typeStatementStarts: number[];
}

function scanTokens(I: Internals, src: string, toks: SucraseToken[]): Scan {
  const { tt, ck, rewritten } = I;
  const n = toks.length;
  const typeNames = new Set<string>();
  const typeStatementStarts: number[] = [];
  const edits = new Edits();
  // one entry per open brace: the namespace names it opens, or null for any other brace
  const stack: Array<string[] | null> = [];

  const text = (t: SucraseToken | undefined): string => (t === undefined ? "" : src.slice(t.start, t.end));
  const isName = (t: SucraseToken | undefined): t is SucraseToken => t !== undefined && t.type === tt.name;
  const opens = (t: number): boolean => t === tt.braceL || t === tt.dollarBraceL || t === tt.braceBarL;
  const closes = (t: number): boolean => t === tt.braceR || t === tt.braceBarR;

  /** Index of the brace closing the one at `i`. */
  const matching = (i: number): number => {
    let depth = 0;
    for (let j = i; j < n; j++) {
      const ty = toks[j]!.type;
      if (opens(ty)) depth++;
      else if (closes(ty) && --depth === 0) return j;
    }
    return n - 1;
  };

  /** Names declared by `const a: T, b: U` starting at token `i` (the first name), type tokens only. */
  const declaratorNames = (i: number): void => {
    let depth = 0;
    let expectName = true;
    for (let j = i; j < n; j++) {
      const t = toks[j]!;
      if (!t.isType || t.type === tt.semi || t.type === tt.eof) return;
      const ty = t.type;
      if (ty === tt.parenL || ty === tt.bracketL || ty === tt.lessThan || opens(ty)) depth++;
      else if (ty === tt.parenR || ty === tt.bracketR || ty === tt.greaterThan || closes(ty)) depth--;
      else if (depth === 0 && ty === tt.comma) expectName = true;
      else if (expectName && depth === 0 && ty === tt.name) {
        typeNames.add(text(t));
        expectName = false;
      }
    }
  };

  /** Local names of an import declaration's specifiers; `allType` for `import type ...`. */
  const importNames = (i: number, allType: boolean): void => {
    let inBraces = false;
    let groupIsType = false;
    let last: SucraseToken | undefined;
    for (let j = i; j < n; j++) {
      const t = toks[j]!;
      const ty = t.type;
      if (ty === tt.braceL) {
        inBraces = true;
        groupIsType = false;
        last = undefined;
      } else if (ty === tt.comma || ty === tt.braceR) {
        if (last && (allType || groupIsType)) typeNames.add(text(last));
        last = undefined;
        groupIsType = false;
        if (ty === tt.braceR) inBraces = false;
      } else if (ty === tt.name) {
        if (t.contextualKeyword === ck._from && !inBraces) {
          if (last && allType) typeNames.add(text(last));
          return;
        }
        if (inBraces && last === undefined && t.contextualKeyword === ck._type && t.isType && !groupIsType) {
          groupIsType = true;
          continue;
        }
        if (t.contextualKeyword !== ck._as || last === undefined) last = t;
      } else if (ty === tt.semi || ty === tt.string || ty === tt.eof || ty === tt.eq) {
        return;
      }
    }
  };

  /** Modifiers that make a constructor parameter a parameter property. */
  const PROPERTY_MODIFIERS = new Set([tt._public, tt._private, tt._protected, tt._readonly, tt._override]);
  /**
   * The class whose `class` token is at `i`: its parameter properties are declared as fields at
   * the start of its body, as tsc does with useDefineForClassFields (`class P { x; z = 0;
   * constructor(x) { this.x = x } }`); sucrase only assigns them in the constructor, after the
   * other fields, which changed the order of an instance's keys.
   */
  const declareParameterProperties = (i: number): void => {
    const context = toks[i]!.contextId;
    let b = i + 1;
    while (b < n && !(toks[b]!.type === tt.braceL && toks[b]!.contextId === context)) b++;
    if (b >= n) return;
    const names: string[] = [];
    for (let j = b + 1; j < n; j++) {
      const t = toks[j]!;
      if (t.type === tt.braceR && t.contextId === context) break;
      if (t.type !== tt.name || t.contextId !== context || text(t) !== "constructor") continue;
      const paren = toks[j + 1];
      if (paren?.type !== tt.parenL || paren.isType) continue;
      let atStart = true;
      let modified = false;
      for (let k = j + 2; k < n; k++) {
        const p = toks[k]!;
        if (p.contextId === paren.contextId && (p.type === tt.parenR || p.type === tt.comma)) {
          if (p.type === tt.parenR) break;
          atStart = true;
          modified = false;
        } else if (atStart && PROPERTY_MODIFIERS.has(p.type)) {
          modified = true;
        } else if (atStart) {
          if (modified && p.type === tt.name) names.push(text(p));
          atStart = false;
        }
      }
      break;
    }
    if (names.length === 0) return;
    const fields = names.map((name) =>
      /^(declare|readonly|public|private|protected|abstract|override|static|get|set|async|accessor)$/.test(name)
        ? `"${name}";`
        : `${name};`,
    );
    edits.insert(toks[b]!.end, ` ${fields.join(" ")}`);
  };

  // hot loop: plain locals rather than property lookups
  const BRACE_L = tt.braceL;
  const DOLLAR_BRACE_L = tt.dollarBraceL;
  const BRACE_BAR_L = tt.braceBarL;
  const BRACE_R = tt.braceR;
  const BRACE_BAR_R = tt.braceBarR;
  const IMPORT = tt._import;
  const EXPORT = tt._export;
  const CLASS = tt._class;
  const LESS_THAN = tt.lessThan;
  /**
   * `<Foo>{ a: 1 };` at the start of a statement: with the assertion erased, `{` would open a
   * block (and `function`/`class` a declaration). tsc parenthesizes; `0, ` before it keeps an
   * expression, whose value is the same.
   */
  const assertionAtStatementStart = (i: number): void => {
    const before = toks[i - 1];
    if (before !== undefined && before.type !== tt.semi && before.type !== BRACE_L && before.type !== BRACE_R) return;
    let depth = 0;
    let j = i;
    for (; j < n; j++) {
      const t = toks[j]!;
      if (!t.isType) return;
      if (t.type === LESS_THAN) depth++;
      else if (t.type === tt.greaterThan && --depth === 0) break;
    }
    const next = toks[j + 1];
    if (next === undefined || next.isType) return;
    const opensDeclaration =
      next.type === BRACE_L ||
      next.type === tt._function ||
      next.type === CLASS ||
      (next.type === tt.name && text(next) === "async" && toks[j + 2]?.type === tt._function);
    if (opensDeclaration) edits.insert(toks[i]!.start, "0, ");
  };
  const inNamespace = (): boolean => stack.some((entry) => entry !== null);
  const DECLARES = new Set([tt._class, tt._function, tt._enum, tt._let, tt._const, tt._var]);
  /** Does the namespace body opened at token `b` declare `name` itself (`namespace A { export class A {} }`)? */
  const declaresOwnName = (b: number, name: string): boolean => {
    let depth = 0;
    const end = matching(b);
    for (let j = b + 1; j < end; j++) {
      const t = toks[j]!;
      if (opens(t.type)) depth++;
      else if (closes(t.type)) depth--;
      else if (depth === 0 && (DECLARES.has(t.type) || t.contextualKeyword === ck._namespace || t.contextualKeyword === ck._module)) {
        const next = toks[j + 1];
        if (isName(next) && text(next) === name) return true;
      }
    }
    return false;
  };
  /** Names of the classes declared so far, by brace depth (a namespace merging into one declares no `var`). */
  const classes = new Map<number, Set<string>>();
  let hasTypeScript = false;
  for (let i = 0; i < n; i++) {
    const t = toks[i]!;
    const ty = t.type;
    const isType = t.isType;
    // (sucrase marks everything in a namespace as a type: there, a class is a value unless declared)
    if (ty === CLASS && t.contextId !== null && (!isType || (inNamespace() && toks[i - 1]?.contextualKeyword !== ck._declare))) {
      declareParameterProperties(i);
      // a class statement: a namespace of its name merges into it
      const before = toks[i - 1];
      const name = toks[i + 1];
      const statement =
        before === undefined ||
        [tt.semi, BRACE_R, BRACE_L, EXPORT, tt._abstract].includes(before.type) ||
        before.contextualKeyword === ck._abstract ||
        src.slice(before.end, t.start).includes("\n");
      if (isName(name) && statement) {
        let set = classes.get(stack.length);
        if (!set) classes.set(stack.length, (set = new Set()));
        set.add(text(name));
      }
    }
    if (ty === BRACE_L || ty === DOLLAR_BRACE_L || ty === BRACE_BAR_L) {
      stack.push(null);
      continue;
    }
    if (ty === BRACE_R || ty === BRACE_BAR_R) {
      const names = stack.pop();
      if (names) edits.replace(t.start, t.end, footer(names));
      continue;
    }
    if (!hasTypeScript) {
      if (isType || rewritten.has(ty)) hasTypeScript = true;
      else if (ty === IMPORT) {
        // `import x = require(...)`, `import type T = ...`
        const a = toks[i + 1];
        const b = toks[i + 2];
        if (a?.type === tt.name && (b?.type === tt.eq || b?.type === tt.name)) hasTypeScript = true;
      } else if (ty === EXPORT) {
        // `export = x`, `export import A = ...`
        const a = toks[i + 1];
        if (a?.type === tt.eq || a?.type === IMPORT) hasTypeScript = true;
      }
    }
    // what follows concerns declarations: all type tokens (declare, type, interface, namespace)
    // except imports
    if (!isType && ty !== IMPORT) continue;
    if (ty === LESS_THAN) {
      assertionAtStatementStart(i);
      continue;
    }
    const top = stack.length === 0;
    // namespaces may appear at the top level or directly in another namespace's body
    if (!top && stack[stack.length - 1] === null) continue;
    const kw = t.contextualKeyword;

    if (kw === ck._declare && t.isType) {
      const next = toks[i + 1];
      if (top) typeStatementStarts.push(t.start);
      if (
        next &&
        (next.contextualKeyword === ck._namespace || next.contextualKeyword === ck._module || next.contextualKeyword === ck._global)
      ) {
        if (top && next.contextualKeyword !== ck._global && isName(toks[i + 2])) typeNames.add(text(toks[i + 2]));
        // skip the ambient block: nothing inside it is a value
        let b = i + 2;
        while (b < n && toks[b]!.type !== tt.braceL && toks[b]!.type !== tt.semi && toks[b]!.isType) b++;
        if (b < n && toks[b]!.type === tt.braceL) i = matching(b);
        continue;
      }
      if (!top || !next) continue;
      const nt = next.type;
      if (nt === tt._const || nt === tt._let || nt === tt._var) {
        if (toks[i + 2]?.type === tt._enum) {
          if (isName(toks[i + 3])) typeNames.add(text(toks[i + 3]));
        } else declaratorNames(i + 2);
      } else if (nt === tt._function || nt === tt._class || nt === tt._enum) {
        if (isName(toks[i + 2])) typeNames.add(text(toks[i + 2]));
      } else if (next.contextualKeyword === ck._abstract) {
        if (isName(toks[i + 3])) typeNames.add(text(toks[i + 3]));
      }
      // `declare type` / `declare interface` are picked up on the next token
      continue;
    }

    if (ty === tt.name && t.isType && (kw === ck._type || kw === ck._interface)) {
      const next = toks[i + 1];
      if (top && isName(next) && next.isType) {
        typeNames.add(text(next));
        typeStatementStarts.push(t.start);
      }
      continue;
    }

    if (ty === tt.name && t.isType && (kw === ck._namespace || kw === ck._module) && isName(toks[i + 1])) {
      const names = [text(toks[i + 1])];
      let j = i + 2;
      while (toks[j]?.type === tt.dot && isName(toks[j + 1])) {
        names.push(text(toks[j + 1]));
        j += 2;
      }
      const brace = toks[j];
      if (brace?.type !== tt.braceL) continue;
      edits.replace(
        t.start,
        brace.end,
        header(names, classes.get(stack.length)?.has(names[0]!) === true, declaresOwnName(j, names[names.length - 1]!)),
      );
      stack.push(names);
      i = j;
      continue;
    }

    if (ty === tt._import && top) {
      const next = toks[i + 1];
      // `import(...)` and `import.meta` are expressions, not declarations
      if (next === undefined || next.type === tt.parenL || next.type === tt.dot) continue;
      if (next && next.type === tt.name && next.contextualKeyword === ck._type) {
        const after = toks[i + 2];
        const whole =
          after !== undefined &&
          (after.type === tt.braceL || after.type === tt.star || (after.type === tt.name && after.contextualKeyword !== ck._from));
        if (whole) {
          typeStatementStarts.push(t.start);
          importNames(i + 2, true);
          continue;
        }
      }
      importNames(i + 1, false);
    }
  }

  const lowered = edits.size > 0 ? { text: edits.apply(src), edits } : undefined;
  return { lowered, hasTypeScript, typeNames: [...typeNames], typeStatementStarts };
}

/**
 * The opening of a lowered namespace; `merges`: its outermost name is a class's, so no `var`
 * (tsc declares none); `shadowed`: its body declares its innermost name itself, so the function's
 * parameter is named apart (`namespaceParameter`; tsc's is `A_1`).
 */
function header(names: string[], merges: boolean, shadowed: boolean): string {
  let out = "";
  names.forEach((name, k) => {
    const param = shadowed && k === names.length - 1 ? namespaceParameter(name) : name;
    out += `${k === 0 ? "" : " "}${k === 0 && merges ? "" : `var ${name}; `}(function (${param}, ${NAMESPACE_MARKER}) {`;
  });
  return out;
}

const SHADOWED_PREFIX = `${NAMESPACE_MARKER}_`;

/** The parameter of a namespace whose body declares the namespace's own name. */
export function namespaceParameter(name: string): string {
  return SHADOWED_PREFIX + name;
}

/** The namespace's name from its function's parameter. */
export function namespaceName(parameter: string): string {
  return parameter.startsWith(SHADOWED_PREFIX) ? parameter.slice(SHADOWED_PREFIX.length) : parameter;
}

function footer(names: string[]): string {
  let out = "";
  for (let k = names.length - 1; k >= 1; k--) {
    const inner = names[k]!;
    const outer = names[k - 1]!;
    out += `})(${inner} = ${outer}.${inner} || (${outer}.${inner} = {})); `;
  }
  return `${out}})(${names[0]!} || (${names[0]!} = {}));`;
}
