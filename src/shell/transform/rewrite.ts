/**
 * The JavaScript half of the cell transform: parse the (already type-stripped) cell with acorn and
 * turn it, with in-place string edits that never add or remove a line break within the cell, into
 * one of two kinds of script (see index.ts for how the shell runs them):
 *
 * - **repl**: a cell that declares something at its top level, imports, or awaits there. It runs
 *   as a script of V8's REPL mode, which is what gives a notebook TypeScript's semantics:
 *   `let`, `const` and `class` stay lexical bindings of the global scope (fast, off `globalThis`,
 *   and declarable again by a later cell), a `const` stays constant, and top-level `await` works.
 *
 *       ["use strict"; ]__tsak_b(); [const {a, default: d} = __tsak_m(0); ]<cell line 1>
 *       <cell line 2>
 *       ...__tsak_r(<last expression>);
 *       ;void 0
 *
 *   Imports are loaded by the shell before the script runs (`imports`: a cell whose import fails
 *   declares nothing, as an ES module would) and bound on line 1; `__tsak_r` hands the result to
 *   the running cell; the closing `void 0` leaves the script's own completion empty.
 * - **script**: a cell with none of that (`1 + 1`, `f(x)`): a plain script whose completion value
 *   is the result. It compiles once and is cached, which keeps the quick cell quick.
 *
 * Names: a top-level declaration binds the identifier that `NameScope.idFor` gives it, and every
 * identifier that means a notebook binding (scope.ts) is renamed to that binding's identifier when
 * they differ: the cell's own `require` or `setTimeout`, a `const fetch` kept off the global
 * scope so that packages keep Node's `fetch`, a name declared again with another kind of
 * declaration (V8 allows `let` after `let`, `const` after `const`, not `const` after `let`).
 */
import vm from "node:vm";
import { Parser } from "acorn";
import type {
  ExpressionStatement,
  Identifier,
  ImportDeclaration,
  Literal,
  ModuleDeclaration,
  Options,
  Pattern,
  Program,
  Statement,
} from "acorn";
import { AttentionFlag, AttentionWord } from "../../shared_memory/layout.js";
import { Edits } from "./edits.js";
import { syntaxErrorAt } from "./errors.js";
import type { OffsetMap } from "./positions.js";
import { notebookReferences } from "./scope.js";
import { NAMESPACE_MARKER, namespaceName } from "./typescript.js";

/**
 * Parsed as a sloppy *script* (which is what runs), not a module: module-only strictness would
 * reject valid script code (`with`, legacy octals...). `import`/`export` are admitted anywhere by
 * the parser and the rewrite rejects them below the top level itself; `await` is allowed at the
 * top level; a top-level `return` is an error.
 */
const ACORN_OPTIONS: Options = {
  ecmaVersion: "latest",
  sourceType: "script",
  allowAwaitOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowReturnOutsideFunction: false,
  allowHashBang: true,
};

export function parseCell(code: string): Program {
  return Parser.parse(code, ACORN_OPTIONS);
}

/** The kinds of binding V8's REPL mode lets a later script declare again: `let`/`class`, `const` (and imports), `var`/`function`. */
export type Family = "let" | "const" | "var";

export interface Binding {
  name: string;
  family: Family;
  /** The identifier the script declares it under (the name itself unless renamed). */
  id: string;
}

/**
 * The notebook's names as the transform sees them (notebook_names.ts keeps them): which
 * identifier each binding has. Reading it never changes it; the shell commits a cell's bindings
 * when the cell runs.
 */
export interface NameScope {
  /** Changes whenever an answer below would change (transform results are cached by it). */
  readonly version: number;
  /** The names whose current identifier is not the name itself, and that identifier. */
  readonly renamed: ReadonlyMap<string, string>;
  /** The identifier a declaration of `name` of this family gets. */
  idFor(name: string, family: Family): string;
  /** Is the name's current binding a `const` (or an import)? */
  constant?(name: string): boolean;
}

/** A module a cell imports (or re-exports): loaded by the shell before the cell's script runs. */
export interface CellImport {
  specifier: string;
  /** Import attributes (`with { type: "json" }`), as written. */
  attributes?: Record<string, string>;
  /** The named exports the cell binds: each must exist (else SyntaxError, as in an ES module). */
  names: string[];
}

/**
 * Runtime names the scripts use: properties of the global object the shell defines once in its
 * realm (shell.ts `declareRuntime`): the guards' flag and check, the cancellable await and async
 * iteration, the result hand-over, the imported modules and the start signal of a REPL script.
 */
export const RUNTIME_GLOBAL = "__tsak_rt";
export const FLAG = "__tsak_g";
export const CHECK = "__tsak_x";
export const AWAIT = "__tsak_w";
export const ITERATE = "__tsak_wi";
export const RESULT = "__tsak_r";
export const MODULE = "__tsak_m";
export const BEGIN = "__tsak_b";
export const RUNTIME_CONSTANTS = [FLAG, CHECK, AWAIT, ITERATE, RESULT, MODULE, BEGIN] as const;

/**
 * Names each cell has of its own, as a program file does: the CommonJS ones (which must not be
 * globals: ES modules would take them for a CommonJS environment) and the timer functions,
 * which record the timers a cell's code starts so that cancelling the cell clears them (as
 * globals they would also record, and clear, the timers of packages working for the cell), and
 * `Deno` (deno.ts: cells written for Deno's kernel use it; packages must not see it).
 * Cell code reads them as `__tsak_cell_<name>` (notebook_names.ts), until the notebook declares
 * the name itself.
 */
export const CELL_LOCALS = [
  "require",
  "module",
  "__filename",
  "__dirname",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
  "Deno",
] as const;

/** A guard statement: one load and compare while nothing asks for attention. */
export const GUARD = `if (${FLAG}[${AttentionWord.FLAG}] !== ${AttentionFlag.NONE}) ${CHECK}();`;
/**
 * A loop body that is not a block: one statement whose prefix is the guard, `if (flag && check());
 * else <body>` (check returns nothing when it does not throw, so the body always runs; an `if`
 * with its own `else` leaves a following `else` to the statement it belonged to).
 */
export const GUARD_ELSE = `if (${FLAG}[${AttentionWord.FLAG}] !== ${AttentionFlag.NONE} && ${CHECK}()); else `;
/** An arrow's expression body: `flag && check() ? 0 : <body>`, again a prefix only. */
export const GUARD_EXPR = `${FLAG}[${AttentionWord.FLAG}] !== ${AttentionFlag.NONE} && ${CHECK}() ? 0 : `;

export interface RewriteOptions {
  /** The JS source that `program` was parsed from. */
  js: string;
  program: Program;
  /** The cell as the user wrote it (for syntax error positions). */
  original: string;
  /** Offsets of `js` → offsets of `original` (when they differ). */
  toOriginal?: () => OffsetMap;
  importFunction: string;
  importMetaName: string;
  /** TS only: is there a type-only statement (erased by sucrase) after this offset of `js`? */
  typeStatementAfter?: (jsOffset: number) => boolean;
  /** Make the cell interruptible anywhere (see `instrument`). */
  interruptible?: boolean;
  names?: NameScope;
  /** IPython's convention: a last expression ending in `;` is no result. */
  semicolonHidesResult?: boolean;
  /** Free names the script reads from elsewhere (tsc's helpers: tsc.ts), and what to read instead. */
  helpers?: ReadonlyMap<string, string>;
}

export interface RewriteResult {
  code: string;
  mode: "repl" | "script";
  /** Offsets of `code` → offsets of `js` (built when called). */
  offsetMap: () => OffsetMap;
  declared: string[];
  bindings: Binding[];
  imports: CellImport[];
  /** Names of lowered namespaces that turned out to hold only types. */
  typeOnlyNamespaces: string[];
  hasResult: boolean;
}

/** A statement of a program or a function body (acorn types import/export apart). */
type TopNode = Statement | ModuleDeclaration;

// A loose view of nodes for the generic walker.
type Loose = { type: string; start: number; end: number; [key: string]: unknown };

// Taken now: cells run in this realm and may replace the global JSON.
const { stringify } = JSON;

const NO_NAMES: NameScope = { version: 0, renamed: new Map(), idFor: (name) => name };

export function rewriteCell(opts: RewriteOptions): RewriteResult {
  const { js, program, importFunction, importMetaName } = opts;
  const names = opts.names ?? NO_NAMES;
  const edits = new Edits();
  /** Top-level bindings in order of appearance, with their kind. */
  const declared = new Map<string, Family>();
  const imports: CellImport[] = [];
  /** Per import with bindings: its destructuring on line 1, filled in once the identifiers are known. */
  const importBindings: Array<{ module: number; def?: string; ns?: string; props: Array<[imported: string, local: string]> }> = [];
  const typeOnlyNamespaces: string[] = [];
  let topLevelAwait = false;
  const body = program.body;

  const fail = (message: string, pos: number): never => {
    throw syntaxErrorAt(message, pos, js, opts.original, opts.toOriginal?.());
  };

  const endsWithSemicolon = (node: { end: number }): boolean => js.charCodeAt(node.end - 1) === 59; /* ; */

  const declare = (name: string, family: Family): void => {
    if (!declared.has(name)) declared.set(name, family);
  };

  // ---- bindings -------------------------------------------------------------------------------

  const patternNames = (p: Pattern, out: string[]): void => {
    switch (p.type) {
      case "Identifier":
        out.push(p.name);
        break;
      case "ObjectPattern":
        for (const prop of p.properties) {
          if (prop.type === "RestElement") patternNames(prop.argument, out);
          else patternNames(prop.value, out);
        }
        break;
      case "ArrayPattern":
        for (const el of p.elements) if (el) patternNames(el, out);
        break;
      case "RestElement":
        patternNames(p.argument, out);
        break;
      case "AssignmentPattern":
        patternNames(p.left, out);
        break;
      default:
        break; // MemberExpression: not a binding
    }
  };

  const declareVariables = (node: Loose): void => {
    const kind = node["kind"] as string;
    const family: Family = kind === "var" ? "var" : kind === "const" ? "const" : "let";
    const found: string[] = [];
    for (const d of node["declarations"] as Array<{ id: Pattern }>) patternNames(d.id, found);
    for (const name of found) declare(name, family);
  };

  /**
   * `var`s in blocks and loops of the top level (not in functions) are the notebook's too:
   * `for (var i ...)` makes a global, in a script as in REPL mode.
   */
  const declareNestedVars = (node: Loose | null | undefined): void => {
    if (!node) return;
    switch (node.type) {
      case "VariableDeclaration":
        if (node["kind"] === "var") declareVariables(node);
        return;
      case "BlockStatement":
        for (const s of node["body"] as Loose[]) declareNestedVars(s);
        return;
      case "IfStatement":
        declareNestedVars(node["consequent"] as Loose);
        declareNestedVars(node["alternate"] as Loose | null);
        return;
      case "ForStatement":
        declareNestedVars(node["init"] as Loose | null);
        declareNestedVars(node["body"] as Loose);
        return;
      case "ForInStatement":
      case "ForOfStatement":
        declareNestedVars(node["left"] as Loose);
        declareNestedVars(node["body"] as Loose);
        return;
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
      case "WithStatement":
        declareNestedVars(node["body"] as Loose);
        return;
      case "TryStatement":
        declareNestedVars(node["block"] as Loose);
        declareNestedVars((node["handler"] as Loose | null)?.["body"] as Loose | undefined);
        declareNestedVars(node["finalizer"] as Loose | null);
        return;
      case "SwitchStatement":
        for (const c of node["cases"] as Loose[]) for (const s of c["consequent"] as Loose[]) declareNestedVars(s);
        return;
      default:
        return;
    }
  };

  const attributesOf = (attributes: ImportDeclaration["attributes"] | undefined): Record<string, string> | undefined => {
    if (!attributes || attributes.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const a of attributes) {
      const key = a.key.type === "Identifier" ? a.key.name : String((a.key as Literal).value);
      out[key] = String(a.value.value);
    }
    return out;
  };

  /** A module loaded before the script for its side effects only (`import "m"`, `export * from "m"`). */
  const loadOnly = (source: Literal, attributes: ImportDeclaration["attributes"] | undefined): void => {
    const attrs = attributesOf(attributes);
    imports.push(
      attrs ? { specifier: String(source.value), attributes: attrs, names: [] } : { specifier: String(source.value), names: [] },
    );
  };

  /** `import d, {a, b as c} from "m"` → bound on line 1 (`const {default: d, a, b: c} = __tsak_m(k)`). */
  const rewriteImport = (node: ImportDeclaration): void => {
    const attrs = attributesOf(node.attributes);
    const entry: CellImport = { specifier: String(node.source.value), names: [] };
    if (attrs) entry.attributes = attrs;
    const module = imports.push(entry) - 1;
    const binding: (typeof importBindings)[number] = { module, props: [] };
    for (const s of node.specifiers) {
      declare(s.local.name, "const");
      if (s.type === "ImportDefaultSpecifier") binding.def = s.local.name;
      else if (s.type === "ImportNamespaceSpecifier") binding.ns = s.local.name;
      else {
        const imported = s.imported.type === "Identifier" ? s.imported.name : String((s.imported as Literal).value);
        entry.names.push(imported);
        binding.props.push([imported, s.local.name]);
      }
    }
    if (node.specifiers.length > 0) importBindings.push(binding);
    edits.replaceKeepLines(js, node.start, node.end, ";");
  };

  // ---- namespaces and enums ---------------------------------------------------------------------

  /** The function of a lowered namespace: `(function (N, __tsak_ns) {...})(...)`. */
  const namespaceFunction = (node: Loose): (Loose & { params: Loose[]; body: Loose & { body: Loose[] } }) | undefined => {
    if (node.type !== "CallExpression") return undefined;
    const callee = node["callee"] as Loose;
    if (callee.type !== "FunctionExpression") return undefined;
    const params = callee["params"] as Loose[];
    if (params.length !== 2 || params[1]!.type !== "Identifier" || params[1]!["name"] !== NAMESPACE_MARKER) return undefined;
    return callee as Loose & { params: Loose[]; body: Loose & { body: Loose[] } };
  };

  /**
   * `var E; (function (E) {...})(E || (E = {}));` as emitted for enums (by sucrase) and
   * namespaces (by typescript.ts): `stmt` is the call, `prev` the var. Such a pair is a
   * declaration, not a result.
   */
  const isEnumLikePair = (stmt: TopNode, prev: TopNode | undefined): boolean => {
    if (stmt.type !== "ExpressionStatement" || prev === undefined) return false;
    const call = stmt.expression;
    if (call.type !== "CallExpression" || call.callee.type !== "FunctionExpression") return false;
    const param = call.callee.params[0];
    if (param?.type !== "Identifier") return false;
    const decl = prev.type === "ExportNamedDeclaration" ? prev.declaration : prev;
    if (decl?.type !== "VariableDeclaration" || decl.kind !== "var" || decl.declarations.length !== 1) return false;
    const id = decl.declarations[0]!.id;
    return id.type === "Identifier" && id.name === namespaceName(param.name) && decl.declarations[0]!.init == null;
  };

  /**
   * Inside a lowered namespace, as tsc emits it: `export` is stripped; an exported function or
   * class is copied onto the namespace object after its statement (after the enum/namespace call
   * for `export var E; (function (E) ...`); an exported variable is a property of the namespace
   * object only, every reference to it in the body (its declaration included) rewritten as
   * `N.name`, so that the body's assignments are seen outside and outside ones inside.
   */
  const rewriteNamespaceBody = (fn: Loose & { params: Loose[]; body: Loose & { body: Loose[] } }): void => {
    const ns = fn.params[0]!["name"] as string;
    const stmts = fn.body.body as unknown as TopNode[];
    namespacePath.push(namespaceName(ns));
    // the variables this namespace exports in any of its blocks in the cell, less this block's own locals
    const exportedVars = new Set(namespaceVars().get(namespacePath.join(".")) ?? []);
    for (const stmt of stmts) {
      const locals: string[] = [];
      if (stmt.type === "VariableDeclaration") for (const d of stmt.declarations) patternNames(d.id, locals);
      else if ((stmt.type === "FunctionDeclaration" || stmt.type === "ClassDeclaration") && stmt.id) locals.push(stmt.id.name);
      for (const name of locals) exportedVars.delete(name);
    }
    if (exportedVars.size > 0) {
      const body = { type: "Program", start: fn.body.start, end: fn.body.end, body: stmts, sourceType: "script" } as unknown as Program;
      for (const { node, shorthand } of notebookReferences(body, exportedVars)) {
        edits.replace(node.start, node.end, shorthand ? `${node.name}: ${ns}.${node.name}` : `${ns}.${node.name}`);
        namespaceMembers.add(node.start);
      }
    }
    for (let k = 0; k < stmts.length; k++) {
      const stmt = stmts[k]!;
      if (stmt.type !== "ExportNamedDeclaration" || !stmt.declaration) {
        visit(stmt as unknown as Loose, true);
        continue;
      }
      const decl = stmt.declaration;
      if (decl.type === "VariableDeclaration") {
        // `export let a = 1, {b} = o;` → `;(N.a = 1, {b: N.b} = o);` (the `;` against ASI)
        const declarators = decl.declarations;
        edits.replace(stmt.start, declarators[0]!.start, ";(");
        edits.insert(declarators[declarators.length - 1]!.end, ")");
        for (const d of declarators) if (d.init) visit(d.init as unknown as Loose, true);
        continue;
      }
      edits.replace(stmt.start, decl.start, "");
      if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && decl.id) {
        edits.insert(stmt.end, `; ${ns}.${decl.id.name} = ${decl.id.name};`);
      }
      visitChildren(decl as unknown as Loose, true);
    }
    namespacePath.pop();
  };

  /** Where the identifiers are that now read `N.name` (the notebook's renaming leaves them alone). */
  const namespaceMembers = new Set<number>();
  /** The namespace being rewritten, outermost first. */
  const namespacePath: string[] = [];
  let exportedByNamespace: Map<string, Set<string>> | undefined;
  /**
   * The variables each namespace of the cell exports (by dotted path), over all its blocks: a
   * block reads another's `export let x` as `N.x`, as tsc makes it (namespaces merge).
   */
  const namespaceVars = (): Map<string, Set<string>> => {
    if (exportedByNamespace) return exportedByNamespace;
    const out = new Map<string, Set<string>>();
    const collect = (stmts: readonly TopNode[], path: string): void => {
      for (const stmt of stmts) {
        if (stmt.type !== "ExpressionStatement") continue;
        const fn = namespaceFunction(stmt.expression as unknown as Loose);
        if (!fn) continue;
        const inner = `${path}${namespaceName(fn.params[0]!["name"] as string)}`;
        const names = out.get(inner) ?? new Set<string>();
        out.set(inner, names);
        for (const s of fn.body.body as unknown as TopNode[]) {
          if (s.type !== "ExportNamedDeclaration" || s.declaration?.type !== "VariableDeclaration") continue;
          for (const d of s.declaration.declarations) {
            const found: string[] = [];
            patternNames(d.id, found);
            for (const name of found) names.add(name);
          }
        }
        collect(fn.body.body as unknown as TopNode[], `${inner}.`);
      }
    };
    collect(body, "");
    return (exportedByNamespace = out);
  };

  // ---- the walker (below the top level) ---------------------------------------------------------

  /**
   * Everything below the top level that needs rewriting or noticing: `import(...)`,
   * `import.meta`, lowered namespaces, misplaced `import`/`export` declarations, `using` where
   * Node.js lacks it, and a top-level `await` (which makes the cell a REPL script).
   */
  const visit = (node: Loose, inFunction: boolean): void => {
    switch (node.type) {
      case "ImportExpression":
        edits.replace(node.start, node.start + 6, importFunction);
        break;
      case "MetaProperty":
        if ((node["meta"] as { name: string }).name === "import") edits.replace(node.start, node.end, importMetaName);
        return;
      case "ImportDeclaration":
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
      case "ExportAllDeclaration":
        return fail("'import' and 'export' may only appear at the top level", node.start);
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
      case "ClassBody": // methods, field initializers and static blocks are function scopes
        visitChildren(node, true);
        return;
      case "AwaitExpression":
        if (!inFunction) topLevelAwait = true;
        break;
      case "ForOfStatement":
        if (!inFunction && node["await"] === true) topLevelAwait = true;
        break;
      case "ExpressionStatement":
        stringEnumMember(node);
        break;
      case "CallExpression": {
        const fn = namespaceFunction(node);
        if (fn) {
          rewriteNamespaceBody(fn);
          for (const arg of node["arguments"] as Loose[]) visit(arg, inFunction);
          return;
        }
        break;
      }
      case "VariableDeclaration": {
        const kind = node["kind"];
        if ((kind === "using" || kind === "await using") && !nativeUsing()) {
          fail(`'using' declarations are not supported by Node.js ${process.version}`, node.start);
        }
        break;
      }
      case "Identifier":
      case "Literal":
      case "ThisExpression":
      case "Super":
      case "TemplateElement":
      case "PrivateIdentifier":
        return;
    }
    visitChildren(node, inFunction);
  };

  /**
   * An enum member as sucrase emits it, `E[E["b"] = b] = "b";` (b: a `const` of the member's
   * value): a reverse mapping, which tsc writes for numeric members only. tsc knows which are
   * strings by evaluating constant initializers (`"1" + "2"`, `` `t` ``, another string member);
   * the value says so at run time: `if (typeof b === "string") E["b"] = b; else ...`.
   */
  const stringEnumMember = (node: Loose): void => {
    const outer = node["expression"] as Loose;
    if (outer.type !== "AssignmentExpression" || outer["operator"] !== "=") return;
    const target = outer["left"] as Loose;
    const name = outer["right"] as Loose;
    if (target.type !== "MemberExpression" || !target["computed"] || name.type !== "Literal" || typeof name["value"] !== "string") return;
    const e = target["object"] as Loose;
    const inner = target["property"] as Loose;
    if (e.type !== "Identifier" || inner.type !== "AssignmentExpression" || inner["operator"] !== "=") return;
    const key = inner["left"] as Loose;
    const value = inner["right"] as Loose;
    if (key.type !== "MemberExpression" || !key["computed"] || value.type !== "Identifier") return;
    const keyObject = key["object"] as Loose;
    const keyName = key["property"] as Loose;
    if (
      keyObject.type !== "Identifier" ||
      keyObject["name"] !== e["name"] ||
      keyName.type !== "Literal" ||
      keyName["value"] !== name["value"]
    )
      return;
    const v = value["name"] as string;
    edits.insert(node.start, `if (typeof ${v} === "string") ${js.slice(key.start, key.end)} = ${v}; else `);
  };

  const visitChildren = (node: Loose, inFunction: boolean): void => {
    forEachChild(node, (child) => visit(child, inFunction));
  };

  // Skip the walk when nothing below the top level can need it (the common, tiny cell).
  // (an enum as sucrase emits it: `E[E["a"] = a] = "a"`)
  const needWalk = /import|export|using|await|__tsak_ns/.test(js) || (js.includes('["') && /([\w$]+)\[\1\["/.test(js));
  const walk = (node: unknown): void => {
    if (needWalk && node) visitChildren(node as Loose, false);
  };

  // ---- the top level ------------------------------------------------------------------------------

  let strict = false;
  for (const stmt of body) {
    if (stmt.type !== "ExpressionStatement" || typeof stmt.directive !== "string") break;
    if (stmt.directive === "use strict") strict = true;
  }

  /** The expression whose value is the cell's result: [start, end) of its text in `js`; `sequence`: a comma expression. */
  let result: { start: number; end: number; sequence?: boolean } | undefined;
  const lastIndex = body.length - 1;

  /**
   * Is the last statement an expression whose value is the result? Not when a type-only
   * statement (erased by sucrase) follows it, nor, by IPython's convention if asked for, when a
   * `;` ends it.
   */
  const isResult = (stmt: TopNode): boolean =>
    !(opts.semicolonHidesResult && endsWithSemicolon(stmt)) && !opts.typeStatementAfter?.(stmt.end);

  /**
   * `var N; (function (N, __tsak_ns) {})(N || (N = {}));` with an empty body: a namespace that
   * holds only types, for which TypeScript emits nothing. Removed; N is reported as a type.
   */
  const isTypeOnlyNamespace = (stmt: TopNode, next: TopNode | undefined): boolean => {
    if (!needWalk || next === undefined || next.type !== "ExpressionStatement") return false;
    const fn = namespaceFunction(next.expression as unknown as Loose);
    return fn !== undefined && fn.body.body.length === 0 && isEnumLikePair(next, stmt);
  };

  /** The cell's own constants declared so far (imports are bound before anything runs). */
  const constantsBefore = new Set<string>();
  /** Top-level loops, with the cell's constants declared before each. */
  const loops: Array<{ stmt: TopNode; constants: ReadonlySet<string> }> = [];
  const noteConstants = (node: Loose | null | undefined): void => {
    if (node?.type === "VariableDeclaration" && node["kind"] === "const") {
      const found: string[] = [];
      for (const d of node["declarations"] as Array<{ id: Pattern }>) patternNames(d.id, found);
      for (const name of found) constantsBefore.add(name);
    }
  };
  for (const stmt of body) if (stmt.type === "ImportDeclaration") for (const spec of stmt.specifiers) constantsBefore.add(spec.local.name);

  for (let k = 0; k <= lastIndex; k++) {
    const stmt = body[k]!;
    const isLast = k === lastIndex;
    if (isLoop(stmt)) loops.push({ stmt, constants: new Set(constantsBefore) });
    noteConstants((stmt.type === "ExportNamedDeclaration" ? stmt.declaration : stmt) as unknown as Loose);
    if ((stmt.type === "VariableDeclaration" || stmt.type === "ExportNamedDeclaration") && isTypeOnlyNamespace(stmt, body[k + 1])) {
      const next = body[k + 1]!;
      const fn = namespaceFunction((next as ExpressionStatement).expression as unknown as Loose)!;
      typeOnlyNamespaces.push(namespaceName(fn.params[0]!["name"] as string));
      edits.replaceKeepLines(js, stmt.start, next.end, ";");
      k++;
      continue;
    }
    switch (stmt.type) {
      case "VariableDeclaration":
        declareVariables(stmt as unknown as Loose);
        walk(stmt);
        break;
      case "FunctionDeclaration":
        if (stmt.id) declare(stmt.id.name, "var");
        if (needWalk) visitChildren(stmt as unknown as Loose, true);
        break;
      case "ClassDeclaration":
        declare(stmt.id.name, "let");
        walk(stmt);
        break;
      case "ImportDeclaration":
        rewriteImport(stmt);
        break;
      case "ExportNamedDeclaration": {
        const decl = stmt.declaration;
        if (decl) {
          edits.replace(stmt.start, decl.start, "");
          if (decl.type === "VariableDeclaration") {
            declareVariables(decl as unknown as Loose);
            walk(decl);
          } else if (decl.type === "FunctionDeclaration") {
            declare(decl.id.name, "var");
            if (needWalk) visitChildren(decl as unknown as Loose, true);
          } else {
            declare(decl.id.name, "let");
            walk(decl);
          }
        } else {
          // `export {a} from "m"` binds nothing here: the module is still evaluated
          if (stmt.source) loadOnly(stmt.source, stmt.attributes);
          edits.replaceKeepLines(js, stmt.start, stmt.end, ";");
        }
        break;
      }
      case "ExportAllDeclaration":
        loadOnly(stmt.source, stmt.attributes);
        edits.replaceKeepLines(js, stmt.start, stmt.end, ";");
        break;
      case "ExportDefaultDeclaration": {
        const decl = stmt.declaration;
        if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && decl.id) {
          edits.replace(stmt.start, decl.start, "");
          declare(decl.id.name, decl.type === "FunctionDeclaration" ? "var" : "let");
          if (decl.type === "FunctionDeclaration") {
            if (needWalk) visitChildren(decl as unknown as Loose, true);
          } else walk(decl);
        } else {
          // `export default <expr>` is an expression statement (`;(` guards against `{`/ASI).
          // The expression's text may be wider than its node (parentheses): take it all.
          const exprStart = js.indexOf("default", stmt.start + 6) + 7;
          const exprEnd = endsWithSemicolon(stmt) ? stmt.end - 1 : stmt.end;
          edits.replace(stmt.start, exprStart, ";(");
          edits.insert(exprEnd, ")");
          if (isLast && isResult(stmt)) result = { start: exprStart, end: exprEnd };
          if (needWalk) visit(decl as unknown as Loose, false);
        }
        break;
      }
      case "ExpressionStatement":
        if (isLast && !isDirective(stmt) && !isEnumLikePair(stmt, body[k - 1]) && isResult(stmt)) {
          // the statement's text without its `;` (a parenthesized expression's parentheses are outside its node)
          result = {
            start: stmt.start,
            end: endsWithSemicolon(stmt) ? stmt.end - 1 : stmt.end,
            sequence: stmt.expression.type === "SequenceExpression",
          };
        }
        walk(stmt);
        break;
      default:
        declareNestedVars(stmt as unknown as Loose);
        if (needWalk) visit(stmt as unknown as Loose, false);
    }
  }

  if (js.startsWith("#!")) edits.replace(0, 2, "//");

  // ---- names --------------------------------------------------------------------------------------

  const bindings: Binding[] = [];
  /** Identifier of each notebook name this cell mentions that is not the name itself. */
  const renameTo = new Map<string, string>();
  for (const [name, family] of declared) {
    const id = names.idFor(name, family);
    bindings.push({ name, family, id });
    if (id !== name) renameTo.set(name, id);
  }
  for (const [name, id] of names.renamed) if (!declared.has(name)) renameTo.set(name, id);
  if (opts.helpers) for (const [name, id] of opts.helpers) if (!declared.has(name)) renameTo.set(name, id);
  const idOf = (name: string): string => renameTo.get(name) ?? name;
  /** `Object.defineProperty(...)` of renamed function declarations, run first (they are hoisted). */
  let nameFixes = "";
  if (renameTo.size > 0 && mentionsAny(js, renameTo)) {
    const declarations = topLevelDeclarations(body);
    for (const { node, shorthand } of notebookReferences(program, new Set(renameTo.keys()))) {
      // a namespace's exported variable, already `N.name` (rewriteNamespaceBody)
      if (namespaceMembers.has(node.start)) continue;
      const id = renameTo.get(node.name)!;
      const decl = declarations.get(node.start);
      if (decl?.type === "ClassDeclaration") {
        // `let renamed = class Name {...};`: the class keeps its name and its own inner binding
        edits.insert(decl.start, `let ${id} = `);
        edits.insert(decl.end, ";");
        continue;
      }
      edits.replace(node.start, node.end, shorthand ? `${node.name}: ${id}` : id);
      const key = stringify(node.name);
      if (decl?.type === "FunctionDeclaration") {
        nameFixes += `Object.defineProperty(${id}, "name", {value: ${key}, configurable: true}); `;
      } else if (decl !== undefined) {
        // an anonymous function or class takes its name from the binding: give it the user's
        edits.insert(decl.start, `{${key}: `, -999);
        edits.insert(decl.end, `}[${key}]`, 999);
      }
    }
  }

  for (const { stmt, constants } of loops) {
    const isConstant = (name: string): boolean => constants.has(name) || (!declared.has(name) && names.constant?.(name) === true);
    readConstantsAsParameters(stmt, program, isConstant, idOf, edits);
  }

  const mode = declared.size > 0 || imports.length > 0 || topLevelAwait ? "repl" : "script";
  // a script's completion value is its result as it is; a REPL script hands it over
  if (result !== undefined && mode === "repl") {
    // `a, b` is one argument only in parentheses of its own
    edits.insert(result.start, result.sequence ? `${RESULT}((` : `${RESULT}(`, -1000);
    edits.insert(result.end, result.sequence ? "))" : ")", 1000);
  }
  if (opts.interruptible) instrument(program, edits, js);

  let prefix = strict ? '"use strict"; ' : "";
  if (mode === "repl") prefix += `${BEGIN}(); `;
  prefix += nameFixes;
  if (importBindings.length > 0) {
    const parts = importBindings.map(({ module, def, ns, props }) => {
      const source = `${MODULE}(${module})`;
      const fields = props.map(
        ([imported, local]) => `${/^[A-Za-z_$][\w$]*$/.test(imported) ? imported : stringify(imported)}: ${idOf(local)}`,
      );
      if (def !== undefined) fields.unshift(`default: ${idOf(def)}`);
      const out: string[] = [];
      if (fields.length > 0) out.push(`{${fields.join(", ")}} = ${source}`);
      if (ns !== undefined) out.push(`${idOf(ns)} = ${source}`);
      return out.join(", ");
    });
    prefix += `const ${parts.join(", ")}; `;
  }
  const suffix = mode === "repl" ? "\n;void 0" : "";

  const prefixLength = prefix.length;
  return {
    code: prefix + edits.apply(js) + suffix,
    mode,
    offsetMap: () => {
      const toJs = edits.offsetMap();
      return (offset) => Math.min(toJs(Math.max(0, offset - prefixLength)), js.length);
    },
    declared: [...declared.keys()],
    bindings,
    imports,
    typeOnlyNamespaces,
    hasResult: result !== undefined,
  };

  function isDirective(stmt: ExpressionStatement): boolean {
    return typeof stmt.directive === "string" && stmt.directive === "use strict";
  }
}

/** A loop statement (possibly labelled). */
function isLoop(stmt: TopNode): boolean {
  let node = stmt as unknown as Loose;
  while (node.type === "LabeledStatement") node = node["body"] as Loose;
  return /^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(node.type);
}

/**
 * A hot loop at a cell's top level reads the notebook's names from the global scope on every
 * iteration (a REPL script's bindings are not locals that V8 can keep in registers, as a
 * module's are). Where that cannot change what the loop does, the loop runs in an arrow function
 * that gets the notebook's *constants* it reads as parameters:
 *
 *     for (...) p.inc(i)   →   ;((p) => {for (...) p.inc(i)})(p);
 *
 * Only constants (a `const`, an import: they cannot change while the loop runs), initialized
 * before the loop, never written by it; and only loops that stay the same inside a function: no
 * `await` or `yield`, no `var` or function declaration (they would become the arrow's), no direct
 * `eval`, no `break`/`continue` to a label outside the loop.
 */
function readConstantsAsParameters(
  stmt: TopNode,
  program: Program,
  isConstant: (name: string) => boolean,
  idOf: (name: string) => string,
  edits: Edits,
): void {
  const labels = new Set<string>();
  let movable = true;
  const check = (node: Loose, inFunction: boolean): void => {
    if (!movable) return;
    switch (node.type) {
      case "FunctionExpression":
      case "ArrowFunctionExpression":
      case "ClassBody":
        forEachChild(node, (child) => check(child, true));
        return;
      case "FunctionDeclaration":
        if (!inFunction) movable = false;
        else forEachChild(node, (child) => check(child, true));
        return;
      case "AwaitExpression":
      case "YieldExpression":
        if (!inFunction) movable = false;
        break;
      case "ForOfStatement":
        if (!inFunction && node["await"] === true) movable = false;
        break;
      case "VariableDeclaration":
        if (!inFunction && node["kind"] === "var") movable = false;
        break;
      case "CallExpression": {
        const callee = node["callee"] as Loose;
        if (callee.type === "Identifier" && callee["name"] === "eval") movable = false;
        break;
      }
      case "LabeledStatement":
        labels.add((node["label"] as Identifier).name);
        break;
      case "BreakStatement":
      case "ContinueStatement": {
        const label = node["label"] as Identifier | null;
        if (label && !labels.has(label.name)) movable = false;
        break;
      }
    }
    forEachChild(node, (child) => check(child, inFunction));
  };
  check(stmt as unknown as Loose, false);
  if (!movable) return;
  const refs = notebookReferences({ ...program, body: [stmt] } as Program, { has: isConstant });
  if (refs.length === 0 || refs.some((r) => r.write)) return;
  const params = [...new Set(refs.map((r) => idOf(r.node.name)))].join(", ");
  // at a shared offset, what closes an earlier statement comes first (before a result's opener at -1000)
  edits.insert(stmt.start, `;((${params}) => {`, -2000);
  edits.insert(stmt.end, `})(${params});`, -3000);
}

/**
 * The top-level declarations whose renaming needs more than a new identifier, by the offset of
 * the declared name: class and function declarations, and the anonymous function or class that
 * initializes a variable (which would take the renamed identifier as its name).
 */
function topLevelDeclarations(body: readonly TopNode[]): Map<number, Loose> {
  const out = new Map<number, Loose>();
  const add = (decl: Loose | null | undefined): void => {
    if (!decl) return;
    if (decl.type === "ClassDeclaration" || decl.type === "FunctionDeclaration") {
      const id = decl["id"] as Loose | null;
      if (id) out.set(id.start, decl);
    } else if (decl.type === "VariableDeclaration") {
      for (const d of decl["declarations"] as Loose[]) {
        const id = d["id"] as Loose;
        const init = d["init"] as Loose | null;
        if (id.type === "Identifier" && init && isAnonymous(init)) out.set(id.start, init);
      }
    }
  };
  for (const stmt of body as unknown as Loose[]) {
    if (stmt.type === "ExportNamedDeclaration" || stmt.type === "ExportDefaultDeclaration") add(stmt["declaration"] as Loose | null);
    else add(stmt);
  }
  return out;
}

function isAnonymous(node: Loose): boolean {
  return (
    node.type === "ArrowFunctionExpression" || ((node.type === "FunctionExpression" || node.type === "ClassExpression") && !node["id"])
  );
}

/** Does `js` contain any of these names (as a word)? A cheap test before the scope walk. */
function mentionsAny(js: string, names: ReadonlyMap<string, string>): boolean {
  for (const name of names.keys()) {
    let at = js.indexOf(name);
    while (at !== -1) {
      const before = at > 0 ? js.charCodeAt(at - 1) : 32;
      const after = js.charCodeAt(at + name.length);
      if (!isIdentifierChar(before) && !isIdentifierChar(after)) return true;
      at = js.indexOf(name, at + 1);
    }
  }
  return false;
}

function isIdentifierChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 36 || code === 95 || code > 127
  );
}

/**
 * Make a cell stoppable wherever its own code runs, also after an `await` and in callbacks
 * (timers, events), where no `vm` `breakOnSigint` evaluation is there to stop it:
 * - every loop body and function body starts with a guard that throws (through the runtime's
 *   check) once the kernel's attention flag is set: a busy loop or an endless recursion of the
 *   cell's code stops within one iteration or call;
 * - every `await x` becomes `await __tsak_w(x)` and every `for await (... of y)` iterates
 *   `__tsak_wi(y)`, which reject as soon as the running cell is cancelled, so the cell sees the
 *   error at its pending await.
 * Guards are prefixes only (GUARD_ELSE, GUARD_EXPR), so function_source.ts can take them out of a
 * function's text again. Openers go after the other passes' at the same offset and closers
 * before them, inner ones first; nothing is inserted into text another edit replaced.
 */
function instrument(program: Program, edits: Edits, js: string): void {
  /** Wrap `node`'s text in `before` … `after`, unless another edit replaced it. */
  const wrap = (node: Loose, before: string, after: string, depth: number): void => {
    if (edits.replaced(node.start)) return;
    edits.insert(node.start, before, 1 + depth);
    edits.insert(node.end, after, -1 - depth);
  };
  /** A guard at the start of a loop's or a function's body; a body that is no block gets `prefix`. */
  const guardBody = (body: Loose, depth: number, prefix: string): void => {
    if (body.type !== "BlockStatement") {
      if (!edits.replaced(body.start)) edits.insert(body.start, prefix, 1 + depth);
      return;
    }
    // after a directive prologue ("use strict" must stay first)
    let at = body.start + 1;
    let afterDirective = false;
    for (const stmt of body["body"] as Loose[]) {
      if (stmt.type !== "ExpressionStatement" || typeof stmt["directive"] !== "string") break;
      at = stmt.end;
      afterDirective = js.charCodeAt(stmt.end - 1) !== 59; /* a directive without its `;` */
    }
    if (!edits.replaced(at)) edits.insert(at, afterDirective ? `;${GUARD}` : GUARD);
  };
  const visit = (node: Loose, depth: number): void => {
    switch (node.type) {
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
      case "WhileStatement":
      case "DoWhileStatement":
        guardBody(node["body"] as Loose, depth, GUARD_ELSE);
        if (node.type === "ForOfStatement" && node["await"] === true) wrap(node["right"] as Loose, `${ITERATE}(`, ")", depth);
        break;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        guardBody(node["body"] as Loose, depth, GUARD_EXPR);
        break;
      case "AwaitExpression":
        wrap(node["argument"] as Loose, `${AWAIT}(`, ")", depth);
        break;
    }
    forEachChild(node, (child) => visit(child, depth + 1));
  };
  visit(program as unknown as Loose, 0);
}

/** Every child node of `node` (acorn nodes: any key holding a node or an array of nodes). */
function forEachChild(node: Loose, fn: (child: Loose, key: string, inList: boolean) => void): void {
  for (const key in node) {
    if (key === "type" || key === "start" || key === "end") continue;
    const v = node[key];
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (const child of v as unknown[]) {
        if (child !== null && typeof child === "object" && typeof (child as Loose).type === "string") fn(child as Loose, key, true);
      }
    } else if (typeof (v as Loose).type === "string") fn(v as Loose, key, false);
  }
}

let usingSupported: boolean | undefined;

/** Does this V8 compile `using` declarations (explicit resource management)? Checked once. */
function nativeUsing(): boolean {
  if (usingSupported === undefined) {
    try {
      new vm.Script("{ using u = null }");
      usingSupported = true;
    } catch {
      usingSupported = false;
    }
  }
  return usingSupported;
}
