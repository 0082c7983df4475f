/**
 * Cases, in the TypeScript compiler's test format (tests/cases/...: `// @option: value` lines,
 * `// @filename: name` starting each file of a multi-file case), and what tsc makes of them.
 *
 * A case's files become the cells of one notebook, in order (TypeScript's test files without
 * imports are scripts sharing one global scope, which is what a notebook's cells are). What the
 * kernel cannot be compared on is left out, with the reason: files that are no scripts (.d.ts,
 * .json, .tsx/.jsx, .mts/.cts), and cases tsc does not transpile (syntax errors) or transpiles to
 * something other than a sloppy script (imports, exports, top-level await: module syntax).
 */
import { createRequire } from "node:module";
import { Parser } from "acorn";

const require = createRequire(import.meta.url);
const ts = require("typescript");
const tslibNames = new Set(Object.keys(require("tslib")));

/** The options of a test file the kernel reads as a cell pragma (transform/tsc.ts pragmaOptions). */
const PRAGMAS = ["experimentalDecorators", "emitDecoratorMetadata"];
const DIRECTIVE = /^\s*\/\/\s*@(\w+)\s*:\s*([^\r\n]*?)\s*$/;

/**
 * One TypeScript test file (or a case of a fixture) → `{ name, options, files: [{name, text}] }`.
 * Directive lines are taken out (blank lines keep the lines).
 */
export function parseTestFile(name, text, fileName = name.replace(/^.*\//, "")) {
  const options = {};
  const files = [];
  let current = { name: fileName, lines: [] };
  let sawFilename = false;
  for (const line of text.split(/\r?\n/)) {
    const m = DIRECTIVE.exec(line);
    if (m) {
      const key = m[1].toLowerCase();
      if (key === "filename") {
        if (sawFilename || current.lines.some((l) => l.trim() !== "")) files.push(current);
        current = { name: m[2], lines: [] };
        sawFilename = true;
        continue;
      }
      options[key] = m[2];
      current.lines.push("");
      continue;
    }
    current.lines.push(line);
  }
  files.push(current);
  return { name, options, files: files.map((f) => ({ name: f.name, text: f.lines.join("\n") })) };
}

/** A fixture of ours: several cases in one file, each starting with `// ==== name`. */
export function parseFixture(fileName, text) {
  const out = [];
  const parts = text.split(/^\/\/ ==== (.+)$/m);
  for (let k = 1; k < parts.length; k += 2)
    out.push(parseTestFile(`${fileName}:${parts[k].trim()}`, parts[k + 1], fileName.replace(/^.*\//, "")));
  return out;
}

const isTrue = (v) => v !== undefined && /^true\b/i.test(v);

/**
 * A parsed test → a runnable case `{ name, cells: [{ file, language, source, js, hasResult }], names }`
 * or `{ name, skip: reason }`. `source` is what the kernel runs (the file, with the case's
 * decorator options as the kernel's cell pragma on top); `js` is tsc's output for it.
 */
export function prepare(test) {
  const pragma = PRAGMAS.filter((p) => isTrue(test.options[p.toLowerCase()]))
    .map((p) => `// @${p}: true\n`)
    .join("");
  const files = test.files.filter((f) => f.text.trim() !== "");
  if (files.length === 0) return { name: test.name, skip: "empty" };
  const cells = [];
  const names = new Set();
  for (const f of files) {
    const lower = f.name.toLowerCase();
    if (/\.d\.[cm]?ts$/.test(lower)) continue; // types only: nothing to run
    if (!/\.(ts|js)$/.test(lower)) return { name: test.name, skip: `not a script file (${f.name.replace(/^.*\./, ".")})` };
    const language = lower.endsWith(".js") ? "javascript" : "typescript";
    const source = pragma + f.text;
    const out = ts.transpileModule(source, {
      fileName: language === "typescript" ? "cell.ts" : "cell.js",
      reportDiagnostics: true,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        useDefineForClassFields: true,
        alwaysStrict: false,
        allowJs: true,
        experimentalDecorators: isTrue(test.options["experimentaldecorators"]),
        emitDecoratorMetadata: isTrue(test.options["emitdecoratormetadata"]),
      },
    });
    const error = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
    if (error) return { name: test.name, skip: "tsc: syntax error" };
    const js = out.outputText;
    let program;
    try {
      program = Parser.parse(js, { ecmaVersion: "latest", sourceType: "script" });
    } catch {
      return { name: test.name, skip: "tsc's output is no script (module syntax, top-level await)" };
    }
    for (const n of declaredNames(program)) if (!tslibNames.has(n)) names.add(n);
    // a result is the value of the cell's last statement if that is an expression: asked of the
    // cell (tsc's output may end in an expression of its own, `C = __decorate([...], C);`)
    const statements = ts.createSourceFile(f.name, source, ts.ScriptTarget.ES2022).statements;
    const last = statements[statements.length - 1];
    // ("use strict" alone is a directive: no result, as for the kernel)
    const hasResult =
      last?.kind === ts.SyntaxKind.ExpressionStatement && !(ts.isStringLiteral(last.expression) && last.expression.text === "use strict");
    cells.push({ file: f.name, language, source, js, hasResult });
  }
  if (cells.length === 0) return { name: test.name, skip: "declaration files only" };
  return { name: test.name, cells, names: [...names] };
}

/** Top-level lexical and var names a script declares (vars in its top-level blocks too). */
function declaredNames(program) {
  const out = [];
  const pattern = (p) => {
    if (!p) return;
    if (p.type === "Identifier") out.push(p.name);
    else if (p.type === "ObjectPattern") p.properties.forEach((q) => pattern(q.type === "RestElement" ? q.argument : q.value));
    else if (p.type === "ArrayPattern") p.elements.forEach(pattern);
    else if (p.type === "RestElement") pattern(p.argument);
    else if (p.type === "AssignmentPattern") pattern(p.left);
  };
  const vars = (node, top) => {
    if (!node) return;
    switch (node.type) {
      case "VariableDeclaration":
        if (top || node.kind === "var") node.declarations.forEach((d) => pattern(d.id));
        break;
      case "FunctionDeclaration":
      case "ClassDeclaration":
        if (top) out.push(node.id.name);
        break;
      case "BlockStatement":
        node.body.forEach((s) => vars(s, false));
        break;
      case "IfStatement":
        vars(node.consequent, false);
        vars(node.alternate, false);
        break;
      case "ForStatement":
        vars(node.init, false);
        vars(node.body, false);
        break;
      case "ForInStatement":
      case "ForOfStatement":
        vars(node.left, false);
        vars(node.body, false);
        break;
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
      case "WithStatement":
        vars(node.body, false);
        break;
      case "TryStatement":
        vars(node.block, false);
        vars(node.handler?.body, false);
        vars(node.finalizer, false);
        break;
      case "SwitchStatement":
        node.cases.forEach((c) => c.consequent.forEach((s) => vars(s, false)));
        break;
    }
  };
  program.body.forEach((s) => vars(s, true));
  return out;
}

/** tsc's inline helpers (`__decorate`, `__esDecorate`, ...) are globals of the reference only. */
export function isHelperName(name) {
  return tslibNames.has(name);
}

/**
 * The errors tsc's checker reports on a line of a cell (1-based): `transpileModule` only parses,
 * and emits code its checker rejects (`static private x`, `declare m() {}`, a parameter property
 * outside a constructor...). Each cell is checked alone, with the default lib.
 */
const libFiles = new Map();

export function tscErrorsOnLine(kase, cellIndex, line) {
  const cell = kase.cells[cellIndex];
  if (!cell) return [];
  const fileName = cell.language === "typescript" ? "/cell.ts" : "/cell.js";
  const options = {
    allowJs: true,
    checkJs: cell.language === "javascript",
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: /@experimentalDecorators/.test(cell.source),
    useDefineForClassFields: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const file = ts.createSourceFile(fileName, cell.source, ts.ScriptTarget.ES2022, true);
  const libFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, ...rest) => {
    if (name === fileName) return file;
    if (!libFiles.has(name)) libFiles.set(name, libFile(name, ...rest));
    return libFiles.get(name);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const out = [];
  for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
    if (d.category !== ts.DiagnosticCategory.Error || d.start === undefined) continue;
    if (file.getLineAndCharacterOfPosition(d.start).line + 1 === line)
      out.push(`TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  }
  return out;
}
