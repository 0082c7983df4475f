/**
 * The JavaScript half of the cell transform: parse the (already type-stripped) cell with acorn and
 * turn it, with in-place string edits that never add or remove a line break, into a script of the
 * shape
 *
 *     ["use strict"; ]var a, b, f; (async () => {f = __tsak_fn_f(); <cell line 1>
 *     <cell line 2>
 *     ...return {value: (0, <last expression>)};
 *     })()
 *
 * whose completion value is the IIFE's promise. Top-level bindings become `var`s of the script
 * (properties of the vm context's global), so later cells see them and re-running a cell never
 * fails with "already declared"; the IIFE gives top-level `await` and keeps `this` (an arrow).
 */
import vm from "node:vm";
import { Parser } from "acorn";
import type {
  AnyNode,
  ClassDeclaration,
  ExpressionStatement,
  FunctionDeclaration,
  ImportDeclaration,
  Literal,
  ModuleDeclaration,
  Options,
  Pattern,
  Program,
  Statement,
  VariableDeclaration,
} from "acorn";
import { Edits, lineBreaksOf } from "./edits.js";
import { syntaxErrorAt } from "./errors.js";
import type { OffsetMap } from "./positions.js";
import { NAMESPACE_MARKER } from "./typescript.js";

/**
 * Parsed as a sloppy *script* (which is what runs), not a module: module-only strictness would
 * reject valid script code (`with`, legacy octals...). `import`/`export` are admitted anywhere by
 * the parser and the rewrite rejects them below the top level itself; `await` is allowed at the
 * top level; a top-level `return` is an error (the IIFE would otherwise accept it).
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

/**
 * Opens the returned result. `(0, expr)` rather than `(expr)`: an anonymous function or class
 * would otherwise be named "value" by the property definition.
 */
const RETURN_OPEN = "return {value: (0, ";

/** Prefix of the local wrapper that creates a hoisted top-level function (see `hoistFunction`). */
const FN_WRAPPER = "__tsak_fn_";

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
}

/**
 * The names an interruptible cell's IIFE takes as parameters (closure variables are fast where
 * globals are not), from the kernel's runtime object `__tsak_rt` (src/shell/cell_runtime.ts):
 * the attention flag, the check that throws when it is set, the cancellable await and the
 * cancellable async iteration; and the cell's own names: the CommonJS ones a program file has,
 * which must not be globals (ES modules a cell imports would take them for a CommonJS
 * environment), and the timer functions, which record the timers the cell's code starts so that
 * cancelling the cell clears them (as globals they would also record, and clear, the timers of
 * packages working for the cell). A name the cell declares itself is not a parameter: it is the
 * notebook's.
 */
export const RUNTIME_GLOBAL = "__tsak_rt";
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
] as const;
const FLAG = "__tsak_g";
const CHECK = "__tsak_x";
const AWAIT = "__tsak_w";
const ITERATE = "__tsak_wi";
/** A guard statement: one load and compare while nothing asks for attention. */
const GUARD = `if (${FLAG}[0] !== 0) ${CHECK}();`;
const GUARD_EXPR = `${FLAG}[0] !== 0 && ${CHECK}(), `;

export interface RewriteResult {
  code: string;
  /** Offsets of `code` → offsets of `js` (built when called). */
  offsetMap: () => OffsetMap;
  declared: string[];
  /** Names of lowered namespaces that turned out to hold only types. */
  typeOnlyNamespaces: string[];
  hasResult: boolean;
}

/** A statement of a program or a function body (acorn types import/export apart). */
type TopNode = Statement | ModuleDeclaration;

type VarContext = "list" | "single" | "forInit" | "forLeft";

// A loose view of nodes for the generic walker.
type Loose = { type: string; start: number; end: number; [key: string]: unknown };

export function rewriteCell(opts: RewriteOptions): RewriteResult {
  const { js, program, importFunction, importMetaName } = opts;
  const edits = new Edits();
  const declared = new Set<string>();
  const hoistedFunctions = new Set<string>();
  const typeOnlyNamespaces: string[] = [];
  const body = program.body;

  const fail = (message: string, pos: number): never => {
    throw syntaxErrorAt(message, pos, js, opts.original, opts.toOriginal?.());
  };

  const endsWithSemicolon = (node: { end: number }): boolean => js.charCodeAt(node.end - 1) === 59; /* ; */

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

  /**
   * `const {a} = o, b = 1;` → `;({a} = o, b = 1);`: the declaration becomes an assignment to the
   * hoisted vars. Declarators without an initializer: `let x` assigns `void 0` (a re-run resets
   * it); `var x` assigns nothing.
   */
  const rewriteDeclaration = (node: VariableDeclaration, ctx: VarContext): void => {
    const decls = node.declarations;
    const first = decls[0];
    const last = decls[decls.length - 1];
    if (!first || !last) return;
    const names: string[] = [];
    for (const d of decls) patternNames(d.id, names);
    for (const name of names) declared.add(name);

    if (ctx === "forLeft") {
      edits.replace(node.start, first.start, "");
      return;
    }
    const open = ctx === "list" ? ";(" : ctx === "single" ? "(" : "";
    edits.replace(node.start, first.start, open);
    for (const d of decls) {
      if (d.init) continue;
      if (node.kind === "var") edits.replace(d.start, d.end, "void 0");
      else edits.insert(d.end, " = void 0");
    }
    if (ctx !== "forInit") edits.insert(last.end, endsWithSemicolon(node) ? ")" : ");");
  };

  /**
   * A top-level `function f() {}` is hoisted to the global: the declaration (name removed, so
   * no local binding shadows the global inside the cell, as in a script) is wrapped in a local
   * function declaration that returns it, `function __tsak_fn_f() { return {["f"]: function () {}}["f"] }`,
   * and the IIFE starts with `f = __tsak_fn_f();`, so `f` is callable before its line. The
   * property key gives the function its name (`f.name`, stack traces) without a self binding, so
   * `f = memoize(f)` also redirects its recursive calls, as with a script's global function.
   */
  const hoistFunction = (node: FunctionDeclaration): void => {
    const id = node.id;
    if (!id) return;
    const name = id.name;
    declared.add(name);
    hoistedFunctions.add(name);
    // a computed key: `{__proto__: ...}` would set the prototype instead
    const key = JSON.stringify(name);
    edits.insert(node.start, `function ${FN_WRAPPER}${name}() { return {[${key}]: `);
    edits.replace(id.start, id.end, "");
    edits.insert(node.end, `}[${key}] }`);
  };

  /** `class C {}` → `C = class C {};` (the class keeps its own inner binding, as declarations do). */
  const assignClass = (node: ClassDeclaration): void => {
    const id = node.id;
    if (!id) return;
    declared.add(id.name);
    edits.insert(node.start, `${id.name} = `);
    edits.insert(node.end, ";");
  };

  const importCall = (source: Literal, attributes: ImportDeclaration["attributes"] | undefined): string => {
    let args = js.slice(source.start, source.end);
    if (attributes && attributes.length > 0) {
      args += `, {with: {${attributes.map((a) => js.slice(a.start, a.end)).join(", ")}}}`;
    }
    return `await ${importFunction}(${args})`;
  };

  /** `import d, {a, b as c} from "m"` → `;({default: d, a, b: c} = await __tsak_import("m"));` */
  const rewriteImport = (node: ImportDeclaration): void => {
    const call = importCall(node.source, node.attributes);
    let def: string | undefined;
    let ns: string | undefined;
    const props: string[] = [];
    for (const s of node.specifiers) {
      declared.add(s.local.name);
      if (s.type === "ImportDefaultSpecifier") def = s.local.name;
      else if (s.type === "ImportNamespaceSpecifier") ns = s.local.name;
      else {
        const imported = s.imported.type === "Identifier" ? s.imported.name : js.slice(s.imported.start, s.imported.end);
        props.push(imported === s.local.name ? imported : `${imported}: ${s.local.name}`);
      }
    }
    if (def !== undefined) props.unshift(`default: ${def}`);
    let text: string;
    if (ns !== undefined) text = props.length > 0 ? `;({${props.join(", ")}} = ${ns} = ${call});` : `;(${ns} = ${call});`;
    else if (props.length > 0) text = `;({${props.join(", ")}} = ${call});`;
    else text = `;(${call});`;
    edits.replaceKeepLines(js, node.start, node.end, text);
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
    if (!param || param.type !== "Identifier") return false;
    const decl = prev.type === "ExportNamedDeclaration" ? prev.declaration : prev;
    if (!decl || decl.type !== "VariableDeclaration" || decl.kind !== "var" || decl.declarations.length !== 1) return false;
    const id = decl.declarations[0]!.id;
    return id.type === "Identifier" && id.name === param.name && decl.declarations[0]!.init == null;
  };

  /**
   * Inside a lowered namespace: strip `export` and copy the exported names onto the namespace
   * object (functions at the start of the body, as they are hoisted; everything else after its
   * statement — after the enum/namespace call for `export var E; (function (E) ...`).
   */
  const rewriteNamespaceBody = (fn: Loose & { params: Loose[]; body: Loose & { body: Loose[] } }): void => {
    const ns = fn.params[0]!["name"] as string;
    const stmts = fn.body.body as unknown as TopNode[];
    for (let k = 0; k < stmts.length; k++) {
      const stmt = stmts[k]!;
      if (stmt.type !== "ExportNamedDeclaration" || !stmt.declaration) {
        visit(stmt as unknown as Loose, true, "list");
        continue;
      }
      const decl = stmt.declaration;
      edits.replace(stmt.start, decl.start, "");
      if (decl.type === "FunctionDeclaration") {
        if (decl.id) edits.insert(fn.body.start + 1, ` ${ns}.${decl.id.name} = ${decl.id.name};`);
      } else {
        const names: string[] = [];
        let after: TopNode = stmt;
        if (decl.type === "VariableDeclaration") {
          for (const d of decl.declarations) patternNames(d.id, names);
          const next = stmts[k + 1];
          if (next && isEnumLikePair(next, stmt)) after = next;
        } else if (decl.type === "ClassDeclaration" && decl.id) {
          names.push(decl.id.name);
        }
        if (names.length > 0) {
          edits.insert(after.end, `; ${names.map((name) => `${ns}.${name} = ${name};`).join(" ")}`);
        }
      }
      visitChildren(decl as unknown as Loose, true);
    }
  };

  // ---- the walker (below the top level) ---------------------------------------------------------

  /**
   * Everything below the top level that needs rewriting: `import(...)`, `import.meta`, `var`
   * outside functions (it belongs to the script's scope: `for (var i ...)` makes a global),
   * lowered namespaces, and misplaced `import`/`export` declarations.
   */
  const visit = (node: Loose, inFunction: boolean, ctx: VarContext): void => {
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
      case "CallExpression": {
        const fn = namespaceFunction(node);
        if (fn) {
          rewriteNamespaceBody(fn);
          for (const arg of node["arguments"] as Loose[]) visit(arg, inFunction, "single");
          return;
        }
        break;
      }
      case "VariableDeclaration": {
        const kind = node["kind"];
        if (!inFunction && kind === "var") rewriteDeclaration(node as unknown as VariableDeclaration, ctx);
        else if ((kind === "using" || kind === "await using") && !nativeUsing()) {
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

  const visitChildren = (node: Loose, inFunction: boolean): void => {
    const type = node.type;
    forEachChild(node, (child, key, inList) => {
      let ctx: VarContext = inList ? "list" : "single";
      if (key === "init" && type === "ForStatement") ctx = "forInit";
      else if (key === "left" && (type === "ForInStatement" || type === "ForOfStatement")) ctx = "forLeft";
      visit(child, inFunction, ctx);
    });
  };

  // Skip the walk when nothing below the top level can need it (the common, tiny cell).
  const needWalk = /import|var|export|using|__tsak_ns/.test(js);
  const walk = (node: AnyNode | null | undefined): void => {
    if (needWalk && node) visitChildren(node as unknown as Loose, false);
  };

  // ---- the top level ------------------------------------------------------------------------------

  let strict = false;
  for (const stmt of body) {
    if (stmt.type !== "ExpressionStatement" || typeof stmt.directive !== "string") break;
    if (stmt.directive === "use strict") strict = true;
  }

  let hasResult = false;
  const lastIndex = body.length - 1;

  /**
   * Is the last statement an expression whose value is the result? Not when a `;` ends it (the
   * IPython convention) or when a type-only statement (erased by sucrase) follows it.
   */
  const isResult = (stmt: TopNode): boolean => !endsWithSemicolon(stmt) && !opts.typeStatementAfter?.(stmt.end);

  /**
   * `var N; (function (N, __tsak_ns) {})(N || (N = {}));` with an empty body: a namespace that
   * holds only types, for which TypeScript emits nothing. Removed; N is reported as a type.
   */
  const isTypeOnlyNamespace = (stmt: TopNode, next: TopNode | undefined): boolean => {
    if (!needWalk || next === undefined || next.type !== "ExpressionStatement") return false;
    const fn = namespaceFunction(next.expression as unknown as Loose);
    return fn !== undefined && fn.body.body.length === 0 && isEnumLikePair(next, stmt);
  };

  for (let k = 0; k <= lastIndex; k++) {
    const stmt = body[k]!;
    const isLast = k === lastIndex;
    if ((stmt.type === "VariableDeclaration" || stmt.type === "ExportNamedDeclaration") && isTypeOnlyNamespace(stmt, body[k + 1])) {
      const next = body[k + 1]!;
      const fn = namespaceFunction((next as ExpressionStatement).expression as unknown as Loose)!;
      typeOnlyNamespaces.push(fn.params[0]!["name"] as string);
      edits.replaceKeepLines(js, stmt.start, next.end, ";");
      k++;
      continue;
    }
    switch (stmt.type) {
      case "VariableDeclaration":
        rewriteDeclaration(stmt, "list");
        walk(stmt);
        break;
      case "FunctionDeclaration":
        hoistFunction(stmt);
        if (needWalk) visitChildren(stmt as unknown as Loose, true);
        break;
      case "ClassDeclaration":
        assignClass(stmt);
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
            rewriteDeclaration(decl, "list");
            walk(decl);
          } else if (decl.type === "FunctionDeclaration") {
            hoistFunction(decl);
            if (needWalk) visitChildren(decl as unknown as Loose, true);
          } else {
            assignClass(decl);
            walk(decl);
          }
        } else if (stmt.source) {
          // `export {a} from "m"` binds nothing here: keep the module's evaluation
          edits.replaceKeepLines(js, stmt.start, stmt.end, `;(${importCall(stmt.source, stmt.attributes)});`);
        } else {
          edits.replaceKeepLines(js, stmt.start, stmt.end, ";");
        }
        break;
      }
      case "ExportAllDeclaration":
        edits.replaceKeepLines(js, stmt.start, stmt.end, `;(${importCall(stmt.source, stmt.attributes)});`);
        break;
      case "ExportDefaultDeclaration": {
        const decl = stmt.declaration;
        if (decl.type === "FunctionDeclaration" && decl.id) {
          edits.replace(stmt.start, decl.start, "");
          hoistFunction(decl);
          if (needWalk) visitChildren(decl as unknown as Loose, true);
        } else if (decl.type === "ClassDeclaration" && decl.id) {
          edits.replace(stmt.start, decl.start, "");
          assignClass(decl);
          walk(decl);
        } else {
          // `export default <expr>` is an expression statement (`;(` guards against `{`/ASI).
          // The expression's text may be wider than its node (parentheses): take it all.
          const exprStart = js.indexOf("default", stmt.start + 6) + 7;
          const exprEnd = endsWithSemicolon(stmt) ? stmt.end - 1 : stmt.end;
          const returns = isLast && isResult(stmt);
          if (returns) hasResult = true;
          edits.replace(stmt.start, exprStart, returns ? RETURN_OPEN : ";(");
          edits.insert(exprEnd, returns ? ")};" : ");");
          if (needWalk) visit(decl as unknown as Loose, false, "single");
        }
        break;
      }
      case "ExpressionStatement":
        if (isLast && !isDirective(stmt) && !isEnumLikePair(stmt, body[k - 1]) && isResult(stmt)) {
          hasResult = true;
          edits.insert(stmt.start, RETURN_OPEN);
          edits.insert(stmt.end, ")};");
        }
        walk(stmt);
        break;
      default:
        walk(stmt);
    }
  }

  if (js.startsWith("#!")) edits.replace(0, 2, "//");
  if (opts.interruptible) instrument(program, edits);

  let prefix = strict ? '"use strict"; ' : "";
  if (declared.size > 0) prefix += `var ${[...declared].join(", ")}; `;
  let suffix = "\n})()";
  if (opts.interruptible) {
    const locals = CELL_LOCALS.filter((name) => !declared.has(name));
    prefix += `(async (${[FLAG, CHECK, AWAIT, ITERATE, ...locals].join(", ")}) => {`;
    const rt = RUNTIME_GLOBAL;
    suffix = `\n})(${[`${rt}.flag`, `${rt}.check`, `${rt}.await`, `${rt}.iterate`, ...locals.map((name) => `${rt}.locals.${name}`)].join(", ")})`;
  } else {
    prefix += "(async () => {";
  }
  for (const name of hoistedFunctions) prefix += `${name} = ${FN_WRAPPER}${name}(); `;

  const prefixLength = prefix.length;
  return {
    code: prefix + edits.apply(js) + suffix,
    offsetMap: () => {
      const toJs = edits.offsetMap();
      return (offset) => Math.min(toJs(Math.max(0, offset - prefixLength)), js.length);
    },
    declared: [...declared],
    typeOnlyNamespaces,
    hasResult,
  };

  function isDirective(stmt: ExpressionStatement): boolean {
    return typeof stmt.directive === "string" && stmt.directive === "use strict";
  }
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
 * Openers go after the other passes' at the same offset and closers before them, inner ones
 * first; nothing is inserted into text another edit replaced.
 */
function instrument(program: Program, edits: Edits): void {
  /** Wrap `node`'s text in `before` … `after`, unless another edit replaced it. */
  const wrap = (node: Loose, before: string, after: string, depth: number): void => {
    if (edits.replaced(node.start)) return;
    // openers after the other passes' at the same offset, closers before them, inner ones first
    edits.insert(node.start, before, 1 + depth);
    edits.insert(node.end, after, -1 - depth);
  };
  /** A guard at the start of a loop's or a function's body; a body that is no block gets `unbraced`. */
  const guardBody = (body: Loose, depth: number, unbraced: readonly [string, string]): void => {
    if (body.type !== "BlockStatement") return wrap(body, unbraced[0], unbraced[1], depth);
    // after a directive prologue ("use strict" must stay first)
    let at = body.start + 1;
    for (const stmt of body["body"] as Loose[]) {
      if (stmt.type !== "ExpressionStatement" || typeof stmt["directive"] !== "string") break;
      at = stmt.end;
    }
    if (!edits.replaced(at)) edits.insert(at, GUARD);
  };
  const visit = (node: Loose, depth: number): void => {
    switch (node.type) {
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
      case "WhileStatement":
      case "DoWhileStatement":
        guardBody(node["body"] as Loose, depth, [`{${GUARD} `, "}"]);
        if (node.type === "ForOfStatement" && node["await"] === true) wrap(node["right"] as Loose, `${ITERATE}(`, ")", depth);
        break;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        guardBody(node["body"] as Loose, depth, [`(${GUARD_EXPR}`, ")"]);
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
