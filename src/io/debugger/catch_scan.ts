/**
 * Does the user's code catch an exception? For the "uncaught" exception filter: V8's own guess
 * (`Debugger.setPauseOnExceptions` `uncaught`) is no use in a kernel, whose code catches
 * everything a cell throws to make its error reply, so V8 calls nothing uncaught. The adapter
 * pauses on every exception and asks this instead: is any frame of the user's (the stack's, then
 * the awaiting callers') stopped inside the `try` block of a `try … catch` in its own function?
 * Not seen: a promise's `.catch()` handler, and a caller that catches in a package.
 *
 * Scripts are parsed with acorn (a dependency already: the cell transform's parser), loaded on
 * first need: most sessions never set this filter.
 */
import type { Node } from "acorn";

/** A script's `try` blocks that have a `catch`, each with the function it belongs to. */
export interface TryMap {
  /** Start of each line (offsets), to turn V8's 0-based line and column into an offset. */
  lineStarts: number[];
  /** [block start, block end, index of its function in `functions`] */
  tries: Array<[number, number, number]>;
  /** [start, end] of the script itself (first: owner of top-level code), then of every function. */
  functions: Array<[number, number]>;
}

type Parse = (source: string) => Node;

let parseScript: Parse | undefined;

async function parser(): Promise<Parse> {
  if (parseScript) return parseScript;
  const acorn = await import("acorn");
  const options = {
    ecmaVersion: "latest",
    allowAwaitOutsideFunction: true,
    allowReturnOutsideFunction: true,
    allowImportExportEverywhere: true,
    allowHashBang: true,
    allowReserved: true,
  } as const;
  parseScript = (source) => {
    try {
      return acorn.parse(source, { ...options, sourceType: "module" });
    } catch {
      // sloppy-mode code (`with`, octal literals) is no module
      return acorn.parse(source, { ...options, sourceType: "script" });
    }
  };
  return parseScript;
}

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** The try map of a script's source; an empty one for a source acorn cannot parse. */
export async function tryMap(source: string): Promise<TryMap> {
  const lineStarts = [0];
  for (const m of source.matchAll(/\r\n?|[\n\u2028\u2029]/g)) lineStarts.push(m.index + m[0].length);
  const map: TryMap = { lineStarts, tries: [], functions: [[0, source.length]] };
  let root: Node;
  try {
    root = (await parser())(source);
  } catch {
    return map;
  }
  // a plain walk over every child node, with the innermost function's index
  const visit = (node: Node, owner: number): void => {
    let inner = owner;
    if (FUNCTIONS.has(node.type)) {
      inner = map.functions.push([node.start, node.end]) - 1;
    } else if (node.type === "TryStatement") {
      const t = node as Node & { block: Node; handler: Node | null };
      if (t.handler) map.tries.push([t.block.start, t.block.end, owner]);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child, inner);
      } else if (isNode(value)) visit(value, inner);
    }
  };
  visit(root, 0);
  return map;
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === "object" && value !== null && typeof (value as Node).type === "string" && typeof (value as Node).start === "number"
  );
}

/** Is V8's position (0-based line and column) inside a `try` block of its own function? */
export function catchesAt(map: TryMap, line: number, column: number): boolean {
  const start = map.lineStarts[line];
  if (start === undefined) return false;
  const at = start + column;
  // the innermost function around the position (the script itself at least)
  let owner = 0;
  let size = Number.POSITIVE_INFINITY;
  map.functions.forEach(([from, to], k) => {
    // (on a tie the later one: a function spanning the whole script is inside it)
    if (from <= at && at <= to && to - from <= size) {
      owner = k;
      size = to - from;
    }
  });
  return map.tries.some(([from, to, of]) => of === owner && from <= at && at < to);
}
