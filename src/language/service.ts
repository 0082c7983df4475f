/**
 * Completion, inspection and diagnostics for notebook cells with the TypeScript language service.
 *
 * The program has two root files: the notebook module (NotebookDoc: earlier cells' declarations,
 * then the cell being edited) and a declaration file for the globals the kernel gives every cell
 * (display & co). It lives in the notebook's directory, so imports resolve from there as they do
 * at run time (node_modules of that directory or a parent, with their `.d.ts`). Node's own types
 * come from the kernel's @types/node unless the notebook has its own. An `npm:` specifier resolves
 * as at run time (src/npm/cache.ts): the notebook's node_modules if its copy meets the version
 * requirement, else the kernel's cache entry (with the `@types` package the install added, if any).
 *
 * Positions on the wire are Unicode code points; TypeScript counts UTF-16 units: converted here.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ts from "typescript";
import { codePointToIndex, indexToCodePoint } from "../messaging/positions.js";
import { NotebookDoc } from "./notebook_doc.js";
import { findInstalled } from "../npm/cache.js";
import { bareSpecifier, isNpmSpecifier, parseNpmSpecifier } from "../npm/specifier.js";

export type Language = "typescript" | "javascript";

export interface Completion {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
}

export interface Inspection {
  found: boolean;
  data: Record<string, string>;
  metadata: Record<string, unknown>;
}

export interface ServiceOptions {
  cwd: string;
  language: Language;
  /** Declarations of the kernel's cell globals. */
  globalsDts: string;
  /** Module names → files (compiler option `paths`): where the globals' kernel modules are declared. */
  modulePaths?: Record<string, string[]>;
  /** The notebook's decorator settings, as its cells are compiled with. */
  decorators?: { experimentalDecorators?: boolean; emitDecoratorMetadata?: boolean };
}

/** Completions beyond this many are cut (a member list of a big namespace is still useful). */
const MAX_MATCHES = 500;

class Snapshot implements ts.IScriptSnapshot {
  constructor(private readonly text: string) {}
  getText(start: number, end: number): string {
    return this.text.slice(start, end);
  }
  getLength(): number {
    return this.text.length;
  }
  /** The edit from `old`: common prefix and suffix, so the parser re-reads only the change. */
  getChangeRange(old: ts.IScriptSnapshot): ts.TextChangeRange | undefined {
    const before = old.getText(0, old.getLength());
    const after = this.text;
    let start = 0;
    const max = Math.min(before.length, after.length);
    while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
    let tail = 0;
    while (tail < max - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
    return ts.createTextChangeRange(ts.createTextSpan(start, before.length - tail - start), after.length - tail - start);
  }
}

const IDENTIFIER_PART = /[\p{ID_Continue}$\u200c\u200d]/u;

export class NotebookService {
  private readonly doc: NotebookDoc;
  private readonly notebookFile: string;
  private readonly globalsFile: string;
  private readonly files = new Map<string, { version: number; snapshot: Snapshot; text: string }>();
  private readonly service: ts.LanguageService;
  /** Module resolutions of the current question's program (cleared by focus()). */
  private readonly resolutions: ts.ModuleResolutionCache;
  /** Files with an `npm:` import that resolved to nothing (not installed yet). */
  private readonly npmMissing = new Set<string>();

  constructor(private readonly options: ServiceOptions) {
    const js = options.language === "javascript";
    this.notebookFile = join(options.cwd, js ? "__notebook__.js" : "__notebook__.ts");
    this.globalsFile = join(options.cwd, "__kernel_globals__.d.ts");
    this.doc = new NotebookDoc(this.notebookFile);
    this.setFile(this.globalsFile, options.globalsDts);
    this.setFile(this.notebookFile, this.doc.compose("").text);
    const compilerOptions: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      // No DOM: cells run in Node; @types/node declares what Node has of it (fetch, URL, ...).
      lib: ["lib.es2023.d.ts"],
      allowJs: true,
      checkJs: false,
      strict: true,
      esModuleInterop: true,
      allowSyntheticDefaultImports: true,
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      noEmit: true,
      types: ["node"],
      typeRoots: typeRoots(options.cwd),
      paths: options.modulePaths,
      experimentalDecorators: options.decorators?.experimentalDecorators === true,
      emitDecoratorMetadata: options.decorators?.emitDecoratorMetadata === true,
    };
    // `hasInvalidatedResolutions` is read by createLanguageService although only ProgramHost declares it.
    const host: ts.LanguageServiceHost & { hasInvalidatedResolutions(path: ts.Path): boolean } = {
      getCompilationSettings: () => compilerOptions,
      getScriptFileNames: () => [this.globalsFile, this.notebookFile],
      getScriptVersion: (f) => String(this.files.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const own = this.files.get(f);
        if (own) return own.snapshot;
        const text = ts.sys.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => options.cwd,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => this.files.has(f) || ts.sys.fileExists(f),
      readFile: (f, enc) => this.files.get(f)?.text ?? ts.sys.readFile(f, enc),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      // The resolution cache lives for one question (focus() clears it): a package installed since
      // (by `npm install`, or a cell's `npm:` import) is found by the next completion.
      resolveModuleNameLiterals: (literals, containingFile, redirected, options, sourceFile) => {
        this.npmMissing.delete(canonicalPath(containingFile));
        return literals.map((literal) => {
          const mode = ts.getModeForUsageLocation(sourceFile, literal, options);
          const npm = isNpmSpecifier(literal.text) ? this.npmTarget(literal.text) : undefined;
          if (npm === null) {
            this.npmMissing.add(canonicalPath(containingFile));
            return { resolvedModule: undefined };
          }
          const [name, from] = npm ?? [literal.text, containingFile];
          return ts.resolveModuleName(name, from, options, host, this.resolutions, redirected, mode);
        });
      },
      // A file with an `npm:` import not installed yet is resolved again by the next question (a
      // cell's import may have installed it meanwhile), even when its text is the same.
      hasInvalidatedResolutions: (path) => this.npmMissing.has(path),
    };
    this.resolutions = ts.createModuleResolutionCache(options.cwd, canonicalPath, compilerOptions);
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** `npm:` specifier → the bare name and a file to resolve it from; null when it is not installed (or invalid). */
  private npmTarget(specifier: string): [string, string] | null {
    try {
      const spec = parseNpmSpecifier(specifier);
      const found = findInstalled(spec, this.options.cwd);
      return found ? [bareSpecifier(spec), join(found.from, "__npm_entry__.ts")] : null;
    } catch {
      return null;
    }
  }

  /** A cell that ran: its declarations are visible to the cells after it. */
  addCell(code: string): void {
    this.doc.addCell(code);
  }

  complete(code: string, cursor: number): Completion {
    const at = codePointToIndex(code, cursor);
    const offset = this.focus(code);
    const info = this.service.getCompletionsAtPosition(this.notebookFile, offset + at, {
      includeCompletionsWithInsertText: true,
      includeCompletionsForModuleExports: false,
      includeCompletionsWithSnippetText: false,
    });
    let start = at;
    while (start > 0 && IDENTIFIER_PART.test(code[start - 1]!)) start--;
    const end = at;
    // Matches replace the identifier before the cursor. Entries that would replace more (a
    // `[Symbol.iterator]` member rewriting the dot) cannot be said in one Jupyter reply: left out.
    const idStart = offset + start;
    const prefix = code.slice(start, at);
    const candidates = (info?.entries ?? [])
      .filter((e) => !e.replacementSpan || e.replacementSpan.start >= idStart)
      // In JavaScript, TypeScript adds every word of the file as a guess ("warning" kind): noise.
      .filter((e) => e.kind !== ts.ScriptElementKind.warning);
    // Smart case: exact-case prefix matches if there are any, else any case.
    let picked = candidates.filter((e) => e.name.startsWith(prefix));
    if (picked.length === 0) picked = candidates.filter((e) => e.name.toLowerCase().startsWith(prefix.toLowerCase()));
    picked = picked.sort((a, b) => a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name)).slice(0, MAX_MATCHES);
    const matches = picked.map((e) => e.insertText ?? e.name);
    return {
      matches,
      cursor_start: indexToCodePoint(code, start),
      cursor_end: indexToCodePoint(code, end),
      metadata: {
        _jupyter_types_experimental: picked.map((e, i) => ({
          text: matches[i],
          type: e.kind,
          start: indexToCodePoint(code, start),
          end: indexToCodePoint(code, end),
        })),
      },
    };
  }

  inspect(code: string, cursor: number, detail: number): Inspection {
    const at = codePointToIndex(code, cursor);
    const offset = this.focus(code);
    // Jupyter sends the cursor right after a name (`foo|`); TypeScript wants a position inside it.
    let pos = at;
    if (pos > 0 && !IDENTIFIER_PART.test(code[pos] ?? " ") && IDENTIFIER_PART.test(code[pos - 1]!)) pos--;
    let at2 = offset + pos;
    let info = this.service.getQuickInfoAtPosition(this.notebookFile, at2);
    // An unresolved name comes back as kind "" with type `any`. A name that is only a type
    // (an interface, a type alias) used where a value would be (`Point` alone, the pager's
    // `?Point`) is one: ask again with the name where a type goes.
    if (!info || info.kind === ts.ScriptElementKind.unknown) {
      const name = dottedNameAt(code, at);
      if (name !== undefined) {
        const probe = `type __tsak_inspect = ${name};`;
        at2 = this.focus(probe) + probe.indexOf(name) + name.length - 1;
        info = this.service.getQuickInfoAtPosition(this.notebookFile, at2);
        // a name that is no type either comes back as `type x = /*unresolved*/ any`
        if (info && ts.displayPartsToString(info.displayParts).includes("/*unresolved*/")) info = undefined;
      }
    }
    if (!info || info.kind === ts.ScriptElementKind.unknown) return { found: false, data: {}, metadata: {} };
    const signature = ts.displayPartsToString(info.displayParts);
    const docs = ts.displayPartsToString(info.documentation);
    const tags = (info.tags ?? []).map((t) => `@${t.name}${t.text ? ` ${ts.displayPartsToString(t.text)}` : ""}`);
    let source: string | undefined;
    if (detail > 0) source = this.definitionText(at2);
    const plain = [signature, docs, tags.join("\n"), source ? `Source:\n${source}` : ""].filter(Boolean).join("\n\n");
    const markdown = [
      `\`\`\`typescript\n${signature}\n\`\`\``,
      docs,
      tags.map((t) => `*${t}*`).join("  \n"),
      source ? `**Source:**\n\n\`\`\`typescript\n${source}\n\`\`\`` : "",
    ]
      .filter(Boolean)
      .join("\n\n");
    return { found: true, data: { "text/plain": plain, "text/markdown": markdown }, metadata: {} };
  }

  /** Type errors of `code` (after the cells so far), as lines `In[n]:line:col - message`. */
  diagnostics(code: string, cellName: string): string[] {
    const offset = this.focus(code);
    const end = offset + code.length;
    const text = this.files.get(this.notebookFile)!.text;
    const found = [...this.service.getSyntacticDiagnostics(this.notebookFile), ...this.service.getSemanticDiagnostics(this.notebookFile)];
    const lines: string[] = [];
    for (const d of found) {
      if (d.start === undefined || d.start < offset || d.start >= end) continue;
      // "Cannot find module 'npm:x'": the cell being checked installs it as it runs (or fails saying why).
      if (d.code === 2307 && /^["']npm:/.test(text.slice(d.start, d.start + 5))) continue;
      const before = text.slice(offset, d.start);
      const line = before.split("\n").length;
      const column = d.start - offset - before.lastIndexOf("\n");
      lines.push(`${cellName}:${line}:${column} - error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    }
    return lines;
  }

  /** Put `code` after the notebook's declarations; returns where it starts. */
  private focus(code: string): number {
    this.resolutions.clear();
    const { text, offset } = this.doc.compose(code);
    this.setFile(this.notebookFile, text);
    return offset;
  }

  private definitionText(position: number): string | undefined {
    const def = this.service.getDefinitionAtPosition(this.notebookFile, position)?.[0];
    if (!def) return undefined;
    const program = this.service.getProgram();
    const file = program?.getSourceFile(def.fileName);
    if (!file) return undefined;
    // The whole declaration around the name: walk up to the statement that holds it.
    let node: ts.Node | undefined = findNode(file, def.textSpan.start);
    while (node && !ts.isSourceFile(node.parent) && !ts.isModuleBlock(node.parent) && !ts.isClassLike(node.parent)) node = node.parent;
    if (!node) return undefined;
    const text = node.getText(file);
    return text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text;
  }

  private setFile(name: string, text: string): void {
    const prev = this.files.get(name);
    if (prev?.text === text) return;
    this.files.set(name, { version: (prev?.version ?? 0) + 1, snapshot: new Snapshot(text), text });
  }
}

/** A file name as TypeScript's `Path` writes it (forward slashes; lower case where names ignore case). */
function canonicalPath(file: string): string {
  const path = file.replace(/\\/g, "/");
  return ts.sys.useCaseSensitiveFileNames ? path : path.toLowerCase();
}

/** The dotted name the cursor is in or right after (`geo.Poi|nt` → `geo.Point`), if any. */
function dottedNameAt(code: string, cursor: number): string | undefined {
  let end = cursor;
  while (end < code.length && /[\w$]/.test(code[end]!)) end++;
  const m = /[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*$/.exec(code.slice(0, end));
  return m?.[0].replace(/\s+/g, "");
}

function findNode(file: ts.SourceFile, position: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (position >= node.getStart(file) && position < node.end) {
      found = node;
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(file, visit);
  return found;
}

/** @types of the notebook (if it has any) first, then the kernel's own (for @types/node). */
function typeRoots(cwd: string): string[] {
  const roots: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@types");
    if (existsSync(candidate)) roots.push(candidate);
    if (dirname(dir) === dir) break;
  }
  try {
    const own = dirname(dirname(createRequire(import.meta.url).resolve("@types/node/package.json")));
    if (!roots.includes(own)) roots.push(own);
  } catch {
    // No @types/node next to the kernel: Node's APIs complete as `any`.
  }
  return roots;
}
