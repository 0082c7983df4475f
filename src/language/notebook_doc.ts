/**
 * The notebook as one TypeScript module for the language service: the declarations of every
 * executed cell, then the cell being edited.
 *
 * Cells re-declare names freely (re-running `const x = 1` is normal in a notebook), which one
 * TypeScript file cannot: for each name only the statements of the latest cell that declares it
 * are kept. Non-declaration statements of earlier cells (expressions, loops, ...) are dropped:
 * they add no names, only errors and checking time. The text of the kept statements is copied
 * verbatim, so JSDoc and types read as the user wrote them.
 */
import ts from "typescript";

interface Kept {
  /** Index of the cell the statement comes from. */
  cell: number;
  names: string[];
  text: string;
}

/** Names a top-level statement declares (values and types alike), or undefined if none. */
export function declaredNames(statement: ts.Statement): string[] | undefined {
  if (ts.isVariableStatement(statement)) {
    const names: string[] = [];
    for (const d of statement.declarationList.declarations) bindingNames(d.name, names);
    return names;
  }
  if (
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement)
  ) {
    return statement.name ? [statement.name.text] : undefined;
  }
  if (ts.isModuleDeclaration(statement)) return ts.isIdentifier(statement.name) ? [statement.name.text] : undefined;
  if (ts.isImportEqualsDeclaration(statement)) return [statement.name.text];
  if (ts.isImportDeclaration(statement)) {
    const clause = statement.importClause;
    if (!clause) return undefined;
    const names: string[] = [];
    if (clause.name) names.push(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.push(e.name.text);
    return names;
  }
  return undefined;
}

function bindingNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) {
    out.push(name.text);
    return;
  }
  for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(element.name, out);
}

export function parseCell(code: string, fileName: string): ts.SourceFile {
  return ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, false, fileName.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS);
}

export class NotebookDoc {
  /** Kept statements in cell order; superseded ones are removed when a later cell arrives. */
  private kept: Kept[] = [];
  /** Name → index of the latest cell declaring it. */
  private readonly owner = new Map<string, number>();
  private cells = 0;
  private prefixCache: string | undefined;

  constructor(private readonly fileName: string) {}

  /** Record an executed cell. */
  addCell(code: string): void {
    const cell = this.cells++;
    const source = parseCell(code, this.fileName);
    const fresh: Kept[] = [];
    for (const statement of source.statements) {
      const names = declaredNames(statement);
      if (!names || names.length === 0) continue;
      fresh.push({ cell, names, text: code.slice(statement.getFullStart(), statement.end) });
    }
    this.supersede(
      fresh.flatMap((k) => k.names),
      cell,
    );
    this.kept.push(...fresh);
    this.prefixCache = undefined;
  }

  get cellCount(): number {
    return this.cells;
  }

  /**
   * The module text with `current` (the cell being edited) appended, and where it starts.
   * Declarations of the current cell hide earlier ones of the same name.
   */
  compose(current: string): { text: string; offset: number } {
    const names = new Set<string>();
    for (const statement of parseCell(current, this.fileName).statements) {
      for (const n of declaredNames(statement) ?? []) names.add(n);
    }
    const prefix =
      names.size > 0 && [...names].some((n) => this.owner.has(n))
        ? this.render((k) => !k.names.some((n) => names.has(n)))
        : (this.prefixCache ??= this.render(() => true));
    // `export {}` makes the text a module whatever the cells contain: top-level await is legal.
    const text = `${prefix}\n${current}\nexport {};\n`;
    return { text, offset: prefix.length + 1 };
  }

  private render(keep: (k: Kept) => boolean): string {
    let out = "";
    for (const k of this.kept) if (keep(k)) out += `${k.text}\n`;
    return out;
  }

  private supersede(names: string[], cell: number): void {
    let stale = false;
    for (const n of names) {
      const prev = this.owner.get(n);
      if (prev !== undefined && prev !== cell) stale = true;
      this.owner.set(n, cell);
    }
    if (!stale) return;
    // Drop earlier statements that declare a re-declared name; one declaring several names goes
    // as a whole (rare, and the cost is only a name missing from completion until re-run).
    const declared = new Set(names);
    this.kept = this.kept.filter((k) => !k.names.some((n) => declared.has(n)));
  }
}
