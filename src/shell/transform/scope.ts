/**
 * Which identifiers of a cell mean the notebook's binding of their name: the references and
 * top-level binding names that no scope inside the cell captures. The rewrite renames those whose
 * notebook binding has another identifier (a cell's own `setTimeout`, a notebook `const fetch`
 * kept off the global scope, a name declared again with another kind; see notebook_names.ts).
 *
 * Only names in `names` are looked at, so a cell that mentions none costs one walk with no
 * allocations. Scopes follow the language: function scopes (parameters, hoisted `var`s and
 * functions, a named function expression's own name), blocks (`let`, `const`, `class`, block
 * functions), `for` heads, `catch` parameters, `switch` bodies, class bodies (a class
 * expression's own name) and static blocks. The cell's top level is not a scope here: what it
 * declares is the notebook's.
 */
import type { AnyNode, Identifier, Pattern, Program } from "acorn";

export interface NotebookReference {
  node: Identifier;
  /**
   * The identifier is both key and value of a shorthand property (`{fetch}`, or `{fetch = 1}` in
   * a pattern): renaming it must keep the key, as `fetch: renamed`.
   */
  shorthand: boolean;
  /** The identifier is written (assigned, updated, declared), not only read. */
  write: boolean;
}

/** The names asked about: a set, or anything that answers `has`. */
export interface NameSet {
  has(name: string): boolean;
}

interface Scope {
  readonly names: Set<string>;
  readonly parent: Scope | null;
}

// A loose view of nodes for the generic walk.
type Loose = { type: string; start: number; end: number; [key: string]: unknown };

export function notebookReferences(program: Program, names: NameSet): NotebookReference[] {
  const out: NotebookReference[] = [];

  const captured = (name: string, scope: Scope | null): boolean => {
    for (let s = scope; s !== null; s = s.parent) if (s.names.has(name)) return true;
    return false;
  };

  const reference = (id: Identifier, scope: Scope | null, shorthand = false, write = false): void => {
    if (names.has(id.name) && !captured(id.name, scope)) out.push({ node: id, shorthand, write });
  };

  const child = (parent: Scope | null): Scope => ({ names: new Set(), parent });

  // ---- declarations ---------------------------------------------------------------------------

  const bindingNames = (p: Pattern | null | undefined, into: Set<string>): void => {
    if (!p) return;
    switch (p.type) {
      case "Identifier":
        into.add(p.name);
        break;
      case "ObjectPattern":
        for (const prop of p.properties) bindingNames(prop.type === "RestElement" ? prop.argument : prop.value, into);
        break;
      case "ArrayPattern":
        for (const el of p.elements) bindingNames(el, into);
        break;
      case "RestElement":
        bindingNames(p.argument, into);
        break;
      case "AssignmentPattern":
        bindingNames(p.left, into);
        break;
      default:
        break; // a member expression binds nothing
    }
  };

  /** `let`, `const`, `class` and block-level functions declared directly in `statements`. */
  const declareLexical = (statements: readonly Loose[], scope: Scope): void => {
    for (const statement of statements) {
      // a lowered namespace's body keeps its `export`s (rewrite.ts strips them)
      const stmt = statement.type === "ExportNamedDeclaration" ? (statement["declaration"] as Loose | null) : statement;
      if (!stmt) continue;
      if (stmt.type === "VariableDeclaration" && stmt["kind"] !== "var") {
        for (const d of stmt["declarations"] as Loose[]) bindingNames(d["id"] as Pattern, scope.names);
      } else if ((stmt.type === "ClassDeclaration" || stmt.type === "FunctionDeclaration") && stmt["id"]) {
        scope.names.add((stmt["id"] as Identifier).name);
      }
    }
  };

  /** `var`s anywhere in a function body (not in nested functions): they belong to the function. */
  const declareVars = (node: Loose | null | undefined, scope: Scope): void => {
    if (!node) return;
    switch (node.type) {
      case "ExportNamedDeclaration":
        declareVars(node["declaration"] as Loose | null, scope);
        return;
      case "VariableDeclaration":
        if (node["kind"] === "var") for (const d of node["declarations"] as Loose[]) bindingNames(d["id"] as Pattern, scope.names);
        return;
      case "BlockStatement":
      case "StaticBlock":
        for (const s of node["body"] as Loose[]) declareVars(s, scope);
        return;
      case "IfStatement":
        declareVars(node["consequent"] as Loose, scope);
        declareVars(node["alternate"] as Loose | null, scope);
        return;
      case "ForStatement":
        declareVars(node["init"] as Loose | null, scope);
        declareVars(node["body"] as Loose, scope);
        return;
      case "ForInStatement":
      case "ForOfStatement":
        declareVars(node["left"] as Loose, scope);
        declareVars(node["body"] as Loose, scope);
        return;
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
      case "WithStatement":
        declareVars(node["body"] as Loose, scope);
        return;
      case "TryStatement":
        declareVars(node["block"] as Loose, scope);
        declareVars((node["handler"] as Loose | null)?.["body"] as Loose | undefined, scope);
        declareVars(node["finalizer"] as Loose | null, scope);
        return;
      case "SwitchStatement":
        for (const c of node["cases"] as Loose[]) for (const s of c["consequent"] as Loose[]) declareVars(s, scope);
        return;
      default:
        return;
    }
  };

  // ---- the walk ---------------------------------------------------------------------------------

  /** A binding or assignment target (`write`: every identifier in it is written). */
  const walkPattern = (p: Loose | null | undefined, scope: Scope | null, write = true): void => {
    if (!p) return;
    switch (p.type) {
      case "Identifier":
        reference(p as unknown as Identifier, scope, false, write);
        return;
      case "ObjectPattern":
        for (const prop of p["properties"] as Loose[]) {
          if (prop.type === "RestElement") {
            walkPattern(prop["argument"] as Loose, scope, write);
            continue;
          }
          if (prop["computed"]) walk(prop["key"] as Loose, scope);
          const value = prop["value"] as Loose;
          if (prop["shorthand"]) {
            // `{x}` or `{x = d}`: the value is a copy of the key (or a default around it)
            const id = (value.type === "AssignmentPattern" ? value["left"] : value) as Identifier;
            reference(id, scope, true, write);
            if (value.type === "AssignmentPattern") walk(value["right"] as Loose, scope);
          } else {
            walkPattern(value, scope, write);
          }
        }
        return;
      case "ArrayPattern":
        for (const el of p["elements"] as Array<Loose | null>) walkPattern(el, scope, write);
        return;
      case "AssignmentPattern":
        walkPattern(p["left"] as Loose, scope, write);
        walk(p["right"] as Loose, scope);
        return;
      case "RestElement":
        walkPattern(p["argument"] as Loose, scope, write);
        return;
      default:
        walk(p, scope); // a member expression as an assignment target
    }
  };

  const walkFunction = (fn: Loose, scope: Scope | null): void => {
    const inner = child(scope);
    const id = fn["id"] as Identifier | null;
    if (fn.type === "FunctionExpression" && id) inner.names.add(id.name);
    const params = fn["params"] as Loose[];
    for (const p of params) bindingNames(p as unknown as Pattern, inner.names);
    const body = fn["body"] as Loose;
    if (body.type === "BlockStatement") {
      const statements = body["body"] as Loose[];
      declareVars(body, inner);
      declareLexical(statements, inner);
      for (const p of params) walkPattern(p, inner);
      for (const s of statements) walk(s, inner);
    } else {
      for (const p of params) walkPattern(p, inner);
      walk(body, inner);
    }
  };

  const walkClass = (cls: Loose, scope: Scope | null): void => {
    const id = cls["id"] as Identifier | null;
    // A declaration's name is a binding of the scope around it; inside the class, its name is the
    // class's own (immutable) binding, as a class expression's is: a renamed declaration becomes
    // `let renamed = class Name {...}` and keeps it.
    if (cls.type === "ClassDeclaration" && id) reference(id, scope, false, true);
    walk(cls["superClass"] as Loose | null, scope);
    const inner = child(scope);
    if (id) inner.names.add(id.name);
    for (const member of (cls["body"] as Loose)["body"] as Loose[]) {
      if (member.type === "StaticBlock") {
        const block = child(inner);
        declareVars(member, block);
        declareLexical(member["body"] as Loose[], block);
        for (const s of member["body"] as Loose[]) walk(s, block);
        continue;
      }
      if (member["computed"]) walk(member["key"] as Loose, inner);
      walk(member["value"] as Loose | null, inner);
    }
  };

  const walk = (node: Loose | null | undefined, scope: Scope | null): void => {
    if (!node) return;
    switch (node.type) {
      case "Identifier":
        reference(node as unknown as Identifier, scope);
        return;
      case "Literal":
      case "ThisExpression":
      case "Super":
      case "TemplateElement":
      case "PrivateIdentifier":
      case "MetaProperty":
      case "BreakStatement":
      case "ContinueStatement":
      case "DebuggerStatement":
      case "EmptyStatement":
        return;
      case "FunctionDeclaration":
        if (node["id"]) reference(node["id"] as Identifier, scope, false, true);
        walkFunction(node, scope);
        return;
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        walkFunction(node, scope);
        return;
      case "ClassDeclaration":
      case "ClassExpression":
        walkClass(node, scope);
        return;
      case "BlockStatement": {
        const block = child(scope);
        declareLexical(node["body"] as Loose[], block);
        for (const s of node["body"] as Loose[]) walk(s, block);
        return;
      }
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement": {
        const head = (node.type === "ForStatement" ? node["init"] : node["left"]) as Loose | null;
        const loop = head?.type === "VariableDeclaration" && head["kind"] !== "var" ? child(scope) : scope;
        if (loop !== scope) declareLexical([head!], loop!);
        // `for (x of ...)`: x is written
        if (node.type !== "ForStatement" && head && head.type !== "VariableDeclaration") walkPattern(head, loop);
        else walk(head, loop);
        for (const key of ["test", "update", "right", "body"]) walk(node[key] as Loose | null | undefined, loop);
        return;
      }
      case "CatchClause": {
        const handler = child(scope);
        bindingNames(node["param"] as Pattern | null, handler.names);
        walkPattern(node["param"] as Loose | null, handler);
        walk(node["body"] as Loose, handler);
        return;
      }
      case "SwitchStatement": {
        walk(node["discriminant"] as Loose, scope);
        const body = child(scope);
        const cases = node["cases"] as Loose[];
        for (const c of cases) declareLexical(c["consequent"] as Loose[], body);
        for (const c of cases) {
          walk(c["test"] as Loose | null, body);
          for (const s of c["consequent"] as Loose[]) walk(s, body);
        }
        return;
      }
      case "VariableDeclaration":
        for (const d of node["declarations"] as Loose[]) {
          walkPattern(d["id"] as Loose, scope);
          walk(d["init"] as Loose | null, scope);
        }
        return;
      case "MemberExpression":
        walk(node["object"] as Loose, scope);
        if (node["computed"]) walk(node["property"] as Loose, scope);
        return;
      case "Property":
        // of an object literal (patterns are walked by walkPattern)
        if (node["computed"]) walk(node["key"] as Loose, scope);
        if (node["shorthand"] && (node["value"] as Loose).type === "Identifier") reference(node["value"] as Identifier, scope, true);
        else walk(node["value"] as Loose, scope);
        return;
      case "AssignmentExpression":
        walkPattern(node["left"] as Loose, scope);
        walk(node["right"] as Loose, scope);
        return;
      case "UpdateExpression":
        walkPattern(node["argument"] as Loose, scope);
        return;
      case "LabeledStatement":
        walk(node["body"] as Loose, scope);
        return;
      case "ImportDeclaration":
        return; // rewritten as a whole by the rewrite, which renames its bindings itself
      case "ExportNamedDeclaration":
        walk(node["declaration"] as Loose | null, scope); // `export {a}` lists are dropped by the rewrite
        return;
      case "ExportAllDeclaration":
        return;
      case "ObjectPattern":
      case "ArrayPattern":
      case "AssignmentPattern":
      case "RestElement":
        walkPattern(node, scope);
        return;
      default:
        for (const key in node) {
          if (key === "type" || key === "start" || key === "end") continue;
          const v = node[key];
          if (v === null || typeof v !== "object") continue;
          if (Array.isArray(v)) {
            for (const c of v as unknown[])
              if (c !== null && typeof c === "object" && typeof (c as Loose).type === "string") walk(c as Loose, scope);
          } else if (typeof (v as Loose).type === "string") walk(v as Loose, scope);
        }
    }
  };

  for (const stmt of program.body) walk(stmt as AnyNode as unknown as Loose, null);
  return out;
}
