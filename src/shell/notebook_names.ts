/**
 * The notebook's top-level names and the identifier each is bound under in the realm's global
 * scope (cells run as REPL-mode scripts: transform/rewrite.ts). A name is its own identifier,
 * except:
 *
 * - a name the realm had before any cell ran (`fetch`, `process`, `Buffer`, the kernel's `display`)
 *   or a cell's own name (`require`, `setTimeout`: rewrite.ts CELL_LOCALS): a global-scope binding
 *   of that name would shadow it for every package too, so the notebook's is declared as
 *   `__tsak_<kind>_<name>` and cell code is renamed to match; packages keep Node's;
 * - a name declared again with another kind of declaration: V8's REPL mode lets `let` follow
 *   `let` or `class`, `const` follow `const`, `function` follow `var`, but nothing else, so each
 *   kind has an identifier of its own (the first kind the name had keeps the plain one), and the
 *   latest declaration is what later cells mean by the name. (Functions of earlier cells keep the
 *   binding they were compiled against.)
 *
 * Until the notebook declares a cell-local name, cells read the kernel's `__tsak_cell_<name>`.
 */
import type { Binding, Family, NameScope } from "./transform/index.js";

const CELL_PREFIX = "__tsak_cell_";

let realmNames: NotebookNames | undefined;

export class NotebookNames implements NameScope {
  version = 0;
  readonly renamed = new Map<string, string>();
  /** Per name, the identifier of each kind it was declared with. */
  private readonly ids = new Map<string, Partial<Record<Family, string>>>();
  private readonly guarded: ReadonlySet<string>;

  /**
   * @param guarded - names a notebook binding must not take from the global scope (the realm's
   *   globals, the cell-local names).
   * @param cellLocals - names each cell has of its own (read as `__tsak_cell_<name>`).
   */
  constructor(guarded: Iterable<string>, cellLocals: readonly string[]) {
    this.guarded = new Set([...guarded, ...cellLocals]);
    for (const name of cellLocals) this.renamed.set(name, CELL_PREFIX + name);
  }

  idFor(name: string, family: Family): string {
    const known = this.ids.get(name);
    const id = known?.[family];
    if (id !== undefined) return id;
    if (this.guarded.has(name) || known !== undefined) return `__tsak_${family}_${name}`;
    return name;
  }

  /**
   * The bindings of a cell that runs: later cells mean these by their names. Returns what undoes
   * it, for a cell that V8 refused to compile (it declared nothing).
   */
  commit(bindings: readonly Binding[]): () => void {
    const changes = bindings.filter(
      ({ name, family, id }) => this.ids.get(name)?.[family] !== id || (this.renamed.get(name) ?? name) !== id,
    );
    if (changes.length === 0) return () => {};
    const undo = changes.map(({ name }) => ({ name, ids: this.ids.get(name), renamed: this.renamed.get(name) }));
    for (const { name, family, id } of changes) {
      this.ids.set(name, { ...this.ids.get(name), [family]: id });
      if (id === name) this.renamed.delete(name);
      else this.renamed.set(name, id);
    }
    this.version++;
    return () => {
      for (const { name, ids, renamed } of undo.reverse()) {
        if (ids === undefined) this.ids.delete(name);
        else this.ids.set(name, ids);
        if (renamed === undefined) this.renamed.delete(name);
        else this.renamed.set(name, renamed);
      }
      this.version++; // not back: results cached under the undone version are stale
    };
  }

  /** Is the name's current binding a `const` (or an import)? */
  constant(name: string): boolean {
    const id = this.ids.get(name)?.const;
    return id !== undefined && (this.renamed.get(name) ?? name) === id;
  }

  /** The kind of the name's current binding (the latest declaration's); undefined if never declared. */
  family(name: string): Family | undefined {
    const known = this.ids.get(name);
    if (known === undefined) return undefined;
    const id = this.renamed.get(name) ?? name;
    for (const family of ["let", "const", "var"] as const) if (known[family] === id) return family;
    return undefined;
  }

  /** Is this a name the notebook must not take from the global scope (a realm global, a cell-local name)? */
  guards(name: string): boolean {
    return this.guarded.has(name);
  }

  /** Has the notebook declared this name? */
  declares(name: string): boolean {
    return this.ids.has(name);
  }

  /** Every name the notebook declared, with the identifier later cells mean by it. */
  *declared(): IterableIterator<[name: string, id: string]> {
    for (const name of this.ids.keys()) yield [name, this.renamed.get(name) ?? name];
  }

  /**
   * The names of this thread's realm: every shell of the realm shares its global scope, so they
   * share this. Made on first use, with the realm's globals of that moment as guarded names.
   */
  static realm(cellLocals: readonly string[]): NotebookNames {
    return (realmNames ??= new NotebookNames(Object.getOwnPropertyNames(globalThis), cellLocals));
  }

  /** The identifier cell code reads for a cell-local name the notebook has not declared. */
  static cellLocal(name: string): string {
    return CELL_PREFIX + name;
  }
}

const MANGLED = /__tsak_(?:let|const|var|cell)_([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)/gu;

/** Text that may show renamed identifiers (an error message, a stack frame) as the user wrote them. */
export function demangle(text: string): string {
  return text.includes("__tsak_") ? text.replace(MANGLED, "$1") : text;
}
