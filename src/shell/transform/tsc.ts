/**
 * The TypeScript compiler's own transpiler, for the syntax the fast path leaves to a runtime that
 * Node.js 20 is not: decorators (TS 5 standard ones, or `experimentalDecorators` when asked for),
 * `accessor` fields, and `using` declarations inside functions; and for what sucrase's parser
 * does not know (`with` statements, parameter decorators). sucrase passes the former through
 * (they are not types) and neither acorn nor V8 accepts them; it refuses the latter. A cell that
 * fails there with one of them is compiled here instead: by definition with the semantics tsc
 * gives it.
 *
 * The compiler (several MB) is loaded on the first such cell only. Helpers tsc would write at the
 * top of the output (`__esDecorate`, `__decorate`, ...) are not emitted: the rewrite reads them
 * from tslib (`TSLIB_GLOBAL`). tsc does not keep lines, so positions go through its source map.
 */
import { createRequire } from "node:module";
import { CellSyntaxError, lineColumnOf, lineOf } from "./errors.js";
import { sourceMapOffsets } from "./source_map.js";
import type { OffsetMap } from "./positions.js";

/** How cells ask for the older decorators (TypeScript's option names). */
export interface DecoratorOptions {
  experimentalDecorators?: boolean;
  emitDecoratorMetadata?: boolean;
}

/** The global object through which compiled cells reach tslib's helpers (shell.ts defines it). */
export const TSLIB_GLOBAL = "__tsak_tslib";

/** The helpers tsc may call in its output with `noEmitHelpers` (tslib exports each). */
export const TSLIB_HELPERS = [
  "__decorate",
  "__metadata",
  "__param",
  "__esDecorate",
  "__runInitializers",
  "__setFunctionName",
  "__propKey",
  "__classPrivateFieldGet",
  "__classPrivateFieldSet",
  "__classPrivateFieldIn",
  "__addDisposableResource",
  "__disposeResources",
] as const;

/** Syntax that sends a cell here: what the fast path cannot run on this Node.js. */
export function needsCompiler(source: string, message: string): boolean {
  if (message.includes("decorators are not supported") || message.startsWith("Unexpected character '@'")) return true;
  // the field's name: an identifier, a private name, a computed key, a string or a number
  if (/\baccessor\s+[#\p{ID_Start}$_["'\d]/u.test(source)) return true;
  // TypeScript that sucrase's parser does not know: `with` statements (TypeScript only warns of
  // them), decorators on parameters (experimentalDecorators)
  if (message.startsWith("Unexpected token") && (/\bwith\s*\(/.test(source) || /[(,]\s*@[\p{ID_Start}$_(]/u.test(source))) return true;
  return /^'using' declarations are not supported by Node\.js/.test(message);
}

/** `// @experimentalDecorators` (or `: true`) and `// @emitDecoratorMetadata` among a cell's first comment lines. */
export function pragmaOptions(source: string): DecoratorOptions {
  const out: DecoratorOptions = {};
  for (const line of source.split(/\r?\n/)) {
    const m = /^\s*\/\/\s*@(experimentalDecorators|emitDecoratorMetadata)\s*(?::\s*(true|false))?\s*$/.exec(line);
    if (m) out[m[1] as keyof DecoratorOptions] = m[2] !== "false";
    else if (line.trim() !== "" && !line.trim().startsWith("//")) break;
  }
  return out;
}

/**
 * tslib, for the compiled cells' helpers. Its CommonJS build is UMD and, besides its exports,
 * writes every helper onto `global` (`__awaiter`, `__decorate`, ... some 40 names), which would
 * put them into the notebook's namespace and overwrite a cell's own global of such a name. The
 * free `global` it reads is shadowed while it loads, so they go nowhere.
 */
export function loadTslib(require: NodeJS.Require): unknown {
  const g = globalThis as { global?: unknown };
  const saved = Object.getOwnPropertyDescriptor(g, "global");
  Object.defineProperty(g, "global", { value: {}, writable: true, configurable: true, enumerable: false });
  try {
    return require("tslib");
  } finally {
    if (saved) Object.defineProperty(g, "global", saved);
    else delete g.global;
  }
}

interface Compiler {
  transpileModule(input: string, options: unknown): { outputText: string; sourceMapText?: string; diagnostics?: Diagnostic[] };
  ScriptTarget: Record<string, number>;
  ModuleKind: Record<string, number>;
  flattenDiagnosticMessageText(text: unknown, newline: string): string;
  createSourceFile(fileName: string, text: string, target: number): { statements: ArrayLike<{ kind: number }> };
  SyntaxKind: Record<string, number>;
}

interface Diagnostic {
  start?: number;
  messageText: unknown;
  category: number;
}

let compiler: Compiler | undefined;

function load(): Compiler {
  compiler ??= createRequire(import.meta.url)("typescript") as Compiler;
  return compiler;
}

export interface CompiledByTsc {
  js: string;
  /** Offsets of `js` → offsets of the cell. */
  toSource: () => OffsetMap;
  /**
   * Is the cell's last statement an expression (its result)? Asked of the cell, not of tsc's
   * output, which may end in an expression of its own: `C = __decorate([...], C);` for a class
   * with experimental decorators.
   */
  endsWithExpression: boolean;
}

/** Compile a cell with tsc (TypeScript or JavaScript). Throws CellSyntaxError for what tsc refuses. */
export function compileWithTsc(source: string, typescript: boolean, decorators: DecoratorOptions): CompiledByTsc {
  const ts = load();
  const out = ts.transpileModule(source, {
    fileName: typescript ? "cell.ts" : "cell.js",
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget["ES2022"],
      module: ts.ModuleKind["ESNext"],
      useDefineForClassFields: true,
      // an import used only by later cells must stay, as on the fast path (sucrase's keepUnusedImports)
      verbatimModuleSyntax: true,
      noEmitHelpers: true,
      sourceMap: true,
      allowJs: true,
      experimentalDecorators: decorators.experimentalDecorators === true,
      emitDecoratorMetadata: decorators.emitDecoratorMetadata === true,
    },
  });
  const error = out.diagnostics?.find((d) => d.category === 1 /* Error */ && d.start !== undefined);
  if (error) {
    const at = lineColumnOf(source, error.start!);
    throw new CellSyntaxError(ts.flattenDiagnosticMessageText(error.messageText, "\n"), at.line, at.column, lineOf(source, at.line));
  }
  const js = out.outputText.replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "");
  const map = out.sourceMapText;
  const statements = ts.createSourceFile(typescript ? "cell.ts" : "cell.js", source, ts.ScriptTarget["ES2022"]!).statements;
  const endsWithExpression = statements.length > 0 && statements[statements.length - 1]!.kind === ts.SyntaxKind["ExpressionStatement"];
  return {
    js,
    toSource: () => (map ? sourceMapOffsets(map, js, source) : (offset) => Math.min(offset, source.length)),
    endsWithExpression,
  };
}
