/**
 * Classes of differences between a case run as tsc's output (a sloppy script) and run as cells
 * of the kernel. `inherent` ones are the kernel's design, each with the reason; any difference
 * that no class takes is unexplained (a fault of the kernel, or of the comparison).
 */
import { tokenizer } from "acorn";
import { tscErrorsOnLine } from "./cases.mjs";

/** The cells' own names that a script in a fresh realm lacks (rewrite.ts CELL_LOCALS; the timers it has). */
const CELL_LOCALS = ["require", "module", "__filename", "__dirname", "Deno"];

const mentions = (value, re) => re.test(JSON.stringify(value ?? ""));
const what = (d) => d.what.replace(/^cell \d+: /, "");

export const CLASSES = [
  {
    name: "cell-local names (require, module, __filename, __dirname)",
    inherent: true,
    why:
      "A cell has CommonJS names of its own, as a program file next to the notebook does (rewrite.ts CELL_LOCALS), " +
      "and Deno's; a script in a fresh realm has none, so `typeof require` and what reads them differ.",
    // read in tsc's output (where `module M {}` is a namespace no more)
    test: (d, c) => c !== undefined && readsCellLocals(c) && !/^names$/.test(what(d)),
  },
  {
    name: "the case is not deterministic (Math.random, the time)",
    inherent: true,
    why: "Two runs of `Math.random()` or `Date.now()` differ, whoever runs them.",
    test: (d, c) =>
      c?.cells.some((cell) => /\bMath\.random\b|\bDate\.now\b|\bnew Date\(\)|performance\.now/.test(cell.source)) &&
      /^(value|value of .*|output)$/.test(what(d)),
  },
  {
    name: "a global's name: a script's var, enum or namespace of it is the realm's global; a notebook's is its own",
    inherent: true,
    why:
      "In a script, `var Event` / `enum Event` / `namespace Intl` is the global object's existing property, and the " +
      "enum or namespace merges into the built-in; the kernel binds a notebook name that shadows a global under " +
      "another identifier (notebook_names.ts), so packages keep Node's and the cell gets a fresh object.",
    test: (d, c) => {
      // what the case computes from such a name differs as well (a case declaring one is taken whole)
      return globalMerges(c).length > 0 && /^(outcome|error|value|result|output|value of .*)$/.test(what(d));
    },
  },
  {
    name: "a name declared again in a later cell",
    inherent: true,
    why:
      "Scripts sharing a realm may not declare a `let`, `const` or `class` twice (SyntaxError); a notebook's cells " +
      "may (V8's REPL mode): running a cell again must work. What the later cell declares then differs too.",
    test: (d, c) =>
      c !== undefined &&
      c.cells.length > 1 &&
      (mentions(d.reference, /has already been declared/) ||
        (/^value of /.test(what(d)) &&
          c.cells.filter((cell) => new RegExp(`\\b(class|let|const)\\s+${what(d).slice(9)}\\b`).test(cell.source)).length > 1)),
  },
  {
    name: "the temporal dead zone in REPL mode: 'X is not defined'",
    inherent: true,
    why:
      "V8's REPL mode, which keeps a cell's `let`/`const`/`class` redeclarable, reports a read before the " +
      "declaration as `ReferenceError: X is not defined` where a script says `Cannot access 'X' before initialization`.",
    test: (d) =>
      what(d) === "error" &&
      d.reference?.name === "ReferenceError" &&
      d.kernel?.name === "ReferenceError" &&
      /before initialization/.test(d.reference.message) &&
      /is not defined/.test(d.kernel.message),
  },
  {
    name: "invalid TypeScript: tsc's checker reports an error where the kernel refuses",
    inherent: true,
    why:
      "`transpileModule` only parses: it emits code that its checker rejects (`static private x`, `declare m() {}`, " +
      "a parameter property outside a constructor, an arrow function with a `this` parameter...). The kernel's " +
      "parser may refuse such code with a SyntaxError; tsc reports an error on that same line, so the case is not " +
      "valid TypeScript there.",
    test: (d, c) => c !== undefined && refused(d) && tscErrorsOnLine(c, cellOf(d), d.kernel.refused).length > 0,
  },
  {
    name: "tsc's output is wrong: its class alias is read in a static block before it is assigned",
    inherent: true,
    why:
      "For a class with a private method or accessor whose static block or static initializer names the class " +
      "(`static { P.#c = 3 }`), tsc 5.9 (ES2022) writes `_a.#c`, but assigns `_a = P` only after the class: the " +
      "reference throws a TypeError where the code, run as written (as the kernel does), does not.",
    test: (d, c) =>
      c !== undefined &&
      /^(outcome|error)$/.test(what(d)) &&
      /Cannot (set|read) properties of undefined/.test(d.reference?.message ?? "") &&
      c.cells.some((cell) => /\b(_[a-z])\.#\w+/.test(cell.js) && /^_[a-z] = \w+;$/m.test(cell.js)),
  },
  {
    name: "`await` at a cell's top level is the operator, not an identifier",
    inherent: true,
    why:
      "A cell may await at its top level (as a module may), so there `await` is a keyword; a script may name a " +
      "variable, parameter or function `await`. The kernel refuses such a line with a SyntaxError.",
    test: (d, c) => c !== undefined && refused(d) && /\bawait\b/.test(lineOf(c, cellOf(d), d.kernel.refused)),
  },
];

/**
 * Names of the realm's globals that a case declares so that, in a script, they are the global's
 * own value: `var X;` without a value, `enum X`, `namespace X` / `module X` (merging into it).
 */
function globalMerges(c) {
  if (c === undefined) return [];
  const globals = new Set(Object.getOwnPropertyNames(globalThis));
  const out = [];
  for (const cell of c.cells) {
    for (const m of cell.source.matchAll(/(?:^|[;{}\s])(?:(?:namespace|module|enum)\s+([\w$]+)|var\s+([\w$]+)\s*(?::[^=;\n]*)?;)/g)) {
      const name = m[1] ?? m[2];
      if (globals.has(name)) out.push(name);
    }
  }
  return out;
}

/** Does tsc's output of a case read one of the cells' own names (as an identifier, not in a comment)? */
function readsCellLocals(c) {
  return c.cells.some((cell) => {
    try {
      for (const token of tokenizer(cell.js, { ecmaVersion: "latest", allowHashBang: true })) {
        if (token.type.label === "name" && CELL_LOCALS.includes(token.value)) return true;
      }
    } catch {
      return false;
    }
    return false;
  });
}

const lineOf = (c, cell, line) => c.cells[cell]?.source.split(/\r?\n/)[line - 1] ?? "";

function refused(d) {
  return typeof d.kernel?.refused === "number";
}

const cellOf = (d) => Number(/^cell (\d+): /.exec(d.what)?.[1] ?? 0);

/**
 * The class of one difference of a case. What a cell declares, and the output after it, follow
 * from how the cell ran: a `names`, `value of` or `output` difference of a case in which a cell
 * ran otherwise (`siblings`: all the case's differences) has that difference's class.
 */
export function classify(difference, kase, siblings = [difference]) {
  for (const c of CLASSES) if (c.test(difference, kase)) return c;
  if (/^(names|value of |output)/.test(what(difference))) {
    for (const s of siblings) {
      if (s === difference || !/^(outcome|error)$/.test(what(s))) continue;
      const c = CLASSES.find((x) => x.test(s, kase));
      if (c) return c;
    }
  }
  return { name: `unexplained: ${what(difference).replace(/^value of .*/, "value of a name")}`, inherent: false };
}
