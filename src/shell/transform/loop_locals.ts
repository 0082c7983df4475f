/**
 * A hot loop at a cell's top level that only computes with the notebook's variables keeps them in
 * locals while it runs. A notebook `let` is a binding of the global scope (REPL mode: rewrite.ts),
 * which V8 keeps in memory and checks for its temporal dead zone at every read and write; a
 * local lives in a register. `let acc = 0; for (...) acc = (acc + i * 7) % 1000003` took 1.17x
 * the time of the same module code (docs/performance.md), as locals it takes what a module takes.
 *
 *     for (...) acc += k          →
 *     ;{let __tsak_loc_acc, __tsak_loc_k, __tsak_lok = false; try {__tsak_loc_acc = acc;
 *       __tsak_loc_k = k; __tsak_lok = !__tsak_t && <both hold primitives>} catch {} if (__tsak_lok) {try {
 *     for (...) __tsak_loc_acc += __tsak_loc_k
 *     } finally {acc = __tsak_loc_acc;}} else for (...) {acc += k;}}
 *
 * The copy is exact only if nothing else can read or write those variables while the loop runs,
 * so the loop must run no code but its own:
 * - statically, it holds only declarations of its own `let`/`const`, blocks, `if`, `switch`,
 *   loops, `break`/`continue`, and expressions of identifiers, literals (no regular expressions,
 *   templates, objects, arrays, functions or classes: nothing that makes an object), operators
 *   (not `in`, `instanceof`, `delete`) and assignments to identifiers: no calls, no `new`, no
 *   property access (a getter or a proxy is code), no `this`, `await` or `yield`;
 * - every free identifier is a notebook `let` or `const` declared before the loop (by an earlier
 *   cell or earlier in the cell), or `undefined`, `NaN`, `Infinity`: a global property may be a
 *   getter, a `var` or function is a property of the global object, a name the cell declares after
 *   the loop is in its dead zone; a `const` it writes must still throw;
 * - at run time, before the loop, every copied variable holds a primitive: an operator converts
 *   an object by calling its `valueOf`/`toString`/`Symbol.toPrimitive`, which could read the
 *   variables the loop holds in locals. With no object to start from and none made, every value
 *   the loop sees is a primitive, and operators on primitives run no code. A variable that is
 *   not initialized (a cell that threw before its declaration) fails the copy: its read must
 *   throw where the loop reads it, if it does.
 * When the check fails the loop runs as it is written, from a copy printed on the loop's last
 * line (the transform keeps every line break of the cell where it was: the fast path is the
 * cell's own text, with its positions, and errors of the rare copy point at the loop's end).
 *
 * The locals are written back in a `finally`, so a loop that throws (a guard's interrupt or
 * timeout, a TypeError of mixing BigInt and numbers) leaves what it wrote. A V8 termination runs
 * no `finally`: where one may end the loop before its guards do (`TERMINABLE`), the loop runs as
 * written too.
 */
import type { Identifier, Program } from "acorn";
import type { Edits } from "./edits.js";
import { notebookReferences } from "./scope.js";

// A loose view of nodes for the generic walk.
type Loose = { type: string; start: number; end: number; [key: string]: unknown };

/**
 * What a free name of the loop means there: a notebook `let` or `const` declared before the loop,
 * no notebook binding at all (a global), or something else (a `var` or function, a name the
 * cell declares at or after the loop).
 */
export type LoopName = "let" | "const" | "global" | "other";

export interface LoopContext {
  edits: Edits;
  /** The notebook binding a free name means at the loop: `let`/`const` declared before it, or something else. */
  meaning: (name: string) => LoopName;
  /** The identifier the notebook binds `name` under. */
  idOf: (name: string) => string;
  /** Guards of the interrupt (rewrite.ts `instrument`) for the printed copy's loop bodies, or none. */
  guard?: string;
  /** The offsets of identifiers this pass replaced (the renaming pass leaves them alone). */
  replaced: Set<number>;
}

/**
 * A global the shell sets while a V8 termination may end the code before its guards could stop
 * it: the synchronous part of a cell run with a `vm` timeout, or with SIGINT as the interrupt
 * (shell.ts `evaluate`). A terminated loop runs no `finally`, so there the loop works on the
 * variables themselves. (Undefined outside the shell: the read throws, and the loop runs as
 * written.)
 */
export const TERMINABLE = "__tsak_t";

const SAFE_GLOBALS = new Set(["undefined", "NaN", "Infinity"]);
const LOCAL_PREFIX = "__tsak_loc_";
const OK = "__tsak_lok";

/** Rewrite a top-level loop as above when it qualifies; returns whether it did. */
export function localizeLoop(stmt: Loose, program: Program, ctx: LoopContext): boolean {
  if (!isPlainLoop(stmt) || !pure(stmt)) return false;
  const refs = notebookReferences({ ...program, body: [stmt] } as unknown as Program, { has: () => true });
  const kinds = new Map<string, LoopName>();
  const written = new Set<string>();
  const copied: Identifier[] = [];
  for (const ref of refs) {
    const name = ref.node.name;
    let kind = kinds.get(name);
    if (kind === undefined) kinds.set(name, (kind = ctx.meaning(name)));
    if (kind === "global" && SAFE_GLOBALS.has(name) && !ref.write) continue;
    if (kind !== "let" && kind !== "const") return false;
    if (ref.write) {
      if (kind === "const") return false; // must throw "Assignment to constant variable." where it does
      written.add(name);
    }
    copied.push(ref.node);
  }
  if (copied.length === 0) return false;

  const names = [...new Set(copied.map((n) => n.name))];
  const local = (name: string) => LOCAL_PREFIX + name;
  const copies = names.map((n) => `${local(n)} = ${ctx.idOf(n)};`).join(" ");
  const primitive = names
    .map((n) => `(typeof ${local(n)} !== "object" || ${local(n)} === null) && typeof ${local(n)} !== "function"`)
    .join(" && ");
  const opener = `;{let ${names.map(local).join(", ")}, ${OK} = false; try {${copies} ${OK} = !${TERMINABLE} && ${primitive};} catch {} if (${OK}) {`;
  const writeBack = [...written].map((n) => `${ctx.idOf(n)} = ${local(n)};`).join(" ");
  const slow = printStatement(stmt, ctx, new Map(refs.map((r) => [r.node.start, ctx.idOf(r.node.name)])));
  const closer = `${written.size > 0 ? `} finally {${writeBack}}` : ""}} else ${slow}}`;
  // at a shared offset, what closes an earlier statement comes first (as readConstantsAsParameters)
  ctx.edits.insert(stmt.start, written.size > 0 ? `${opener}try {` : opener, -2000);
  ctx.edits.insert(stmt.end, closer, -3000);
  for (const node of copied) {
    ctx.edits.replace(node.start, node.end, local(node.name));
    ctx.replaced.add(node.start);
  }
  return true;
}

function isPlainLoop(stmt: Loose): boolean {
  let node = stmt;
  while (node.type === "LabeledStatement") node = node["body"] as Loose;
  return node.type === "ForStatement" || node.type === "WhileStatement" || node.type === "DoWhileStatement";
}

const UNARY = new Set(["-", "+", "!", "~", "typeof", "void"]);

/** Does the loop run nothing but its own code (see the module's comment)? */
function pure(node: Loose | null | undefined): boolean {
  if (node === null || node === undefined) return true;
  switch (node.type) {
    case "LabeledStatement":
      return pure(node["body"] as Loose);
    case "ForStatement":
      return pure(node["init"] as Loose) && pure(node["test"] as Loose) && pure(node["update"] as Loose) && pure(node["body"] as Loose);
    case "WhileStatement":
    case "DoWhileStatement":
      return pure(node["test"] as Loose) && pure(node["body"] as Loose);
    case "BlockStatement":
      return (node["body"] as Loose[]).every(pure);
    case "ExpressionStatement":
      return pure(node["expression"] as Loose);
    case "EmptyStatement":
    case "BreakStatement":
    case "ContinueStatement":
      return true;
    case "IfStatement":
      return pure(node["test"] as Loose) && pure(node["consequent"] as Loose) && pure(node["alternate"] as Loose);
    case "SwitchStatement":
      return (
        pure(node["discriminant"] as Loose) &&
        (node["cases"] as Loose[]).every((c) => pure(c["test"] as Loose) && (c["consequent"] as Loose[]).every(pure))
      );
    case "VariableDeclaration":
      return (
        (node["kind"] === "let" || node["kind"] === "const") &&
        (node["declarations"] as Loose[]).every((d) => (d["id"] as Loose).type === "Identifier" && pure(d["init"] as Loose))
      );
    case "Identifier":
      return true;
    case "Literal":
      return node["regex"] === undefined;
    case "UnaryExpression":
      return UNARY.has(node["operator"] as string) && pure(node["argument"] as Loose);
    case "UpdateExpression":
      return (node["argument"] as Loose).type === "Identifier";
    case "BinaryExpression":
      return node["operator"] !== "in" && node["operator"] !== "instanceof" && pure(node["left"] as Loose) && pure(node["right"] as Loose);
    case "LogicalExpression":
      return pure(node["left"] as Loose) && pure(node["right"] as Loose);
    case "ConditionalExpression":
      return pure(node["test"] as Loose) && pure(node["consequent"] as Loose) && pure(node["alternate"] as Loose);
    case "AssignmentExpression":
      return (node["left"] as Loose).type === "Identifier" && pure(node["right"] as Loose);
    case "SequenceExpression":
      return (node["expressions"] as Loose[]).every(pure);
    default:
      return false;
  }
}

/**
 * The loop as it is written, on one line, with the notebook's identifiers (`ids`: by offset) and
 * the interrupt guard at the start of every loop body. Only the node types `pure` admits; every
 * operand in parentheses, every statement closed by `;` or a block.
 */
function printStatement(node: Loose, ctx: LoopContext, ids: ReadonlyMap<number, string>): string {
  const stmt = (n: Loose): string => printStatement(n, ctx, ids);
  const expr = (n: Loose | null | undefined): string => (n ? printExpression(n, ids) : "");
  const body = (n: Loose): string => `{${ctx.guard ?? ""}${stmt(n)}}`;
  switch (node.type) {
    case "LabeledStatement":
      return `${(node["label"] as Identifier).name}: ${stmt(node["body"] as Loose)}`;
    case "ForStatement": {
      const init = node["init"] as Loose | null;
      const head = init === null ? "" : init.type === "VariableDeclaration" ? declaration(init, ids) : expr(init);
      return `for (${head}; ${expr(node["test"] as Loose)}; ${expr(node["update"] as Loose)}) ${body(node["body"] as Loose)}`;
    }
    case "WhileStatement":
      return `while (${expr(node["test"] as Loose)}) ${body(node["body"] as Loose)}`;
    case "DoWhileStatement":
      return `do ${body(node["body"] as Loose)} while (${expr(node["test"] as Loose)});`;
    case "BlockStatement":
      return `{${(node["body"] as Loose[]).map(stmt).join(" ")}}`;
    case "ExpressionStatement":
      return `(${expr(node["expression"] as Loose)});`;
    case "EmptyStatement":
      return ";";
    case "BreakStatement":
    case "ContinueStatement": {
      const label = node["label"] as Identifier | null;
      return `${node.type === "BreakStatement" ? "break" : "continue"}${label ? ` ${label.name}` : ""};`;
    }
    case "IfStatement": {
      const alternate = node["alternate"] as Loose | null;
      return `if (${expr(node["test"] as Loose)}) {${stmt(node["consequent"] as Loose)}}${alternate ? ` else {${stmt(alternate)}}` : ""}`;
    }
    case "SwitchStatement": {
      const cases = (node["cases"] as Loose[]).map((c) => {
        const test = c["test"] as Loose | null;
        return `${test ? `case (${expr(test)}):` : "default:"} ${(c["consequent"] as Loose[]).map(stmt).join(" ")}`;
      });
      return `switch (${expr(node["discriminant"] as Loose)}) {${cases.join(" ")}}`;
    }
    case "VariableDeclaration":
      return `${declaration(node, ids)};`;
    default:
      throw new Error(`internal transform error: ${node.type} in a localized loop`);
  }
}

function declaration(node: Loose, ids: ReadonlyMap<number, string>): string {
  const declarators = (node["declarations"] as Loose[]).map((d) => {
    const id = d["id"] as Identifier;
    const init = d["init"] as Loose | null;
    return init ? `${id.name} = (${printExpression(init, ids)})` : id.name;
  });
  return `${node["kind"] as string} ${declarators.join(", ")}`;
}

function printExpression(node: Loose, ids: ReadonlyMap<number, string>): string {
  const p = (n: Loose): string => `(${printExpression(n, ids)})`;
  switch (node.type) {
    case "Identifier":
      return ids.get(node.start) ?? (node["name"] as string);
    case "Literal":
      return typeof node["value"] === "string" ? stringLiteral(node["value"]) : (node["raw"] as string);
    case "UnaryExpression":
      return `${node["operator"] as string} ${p(node["argument"] as Loose)}`;
    case "UpdateExpression": {
      const op = node["operator"] as string;
      const target = printExpression(node["argument"] as Loose, ids);
      return node["prefix"] ? `${op}${target}` : `${target}${op}`;
    }
    case "BinaryExpression":
    case "LogicalExpression":
      return `${p(node["left"] as Loose)} ${node["operator"] as string} ${p(node["right"] as Loose)}`;
    case "ConditionalExpression":
      return `${p(node["test"] as Loose)} ? ${p(node["consequent"] as Loose)} : ${p(node["alternate"] as Loose)}`;
    case "AssignmentExpression":
      return `${printExpression(node["left"] as Loose, ids)} ${node["operator"] as string} ${p(node["right"] as Loose)}`;
    case "SequenceExpression":
      return (node["expressions"] as Loose[]).map(p).join(", ");
    default:
      throw new Error(`internal transform error: ${node.type} in a localized loop`);
  }
}

/** A string literal on one line (JSON escapes line feeds; U+2028 and U+2029 are line breaks to V8 too). */
function stringLiteral(value: string): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
