/**
 * The files cells are shown as in the debugger. JupyterLab names a cell by its text alone:
 * `tmpFilePrefix + murmur2(code, hashSeed) + tmpFileSuffix` (debugInfo gives the three), so a
 * breakpoint set in a cell's gutter arrives as a path the kernel can compute too, and a stack
 * frame's path leads the frontend back to its cell. `dumpCell` writes the cell's TypeScript
 * there, so a source view shows the text the user wrote (as ipykernel does, in a directory of the
 * kernel's own under the temporary directory).
 *
 * Each dumped cell's text also gives the file name its script runs under (shell/script_name.ts),
 * which is where the adapter sets its breakpoints, before the cell has ever run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { scriptName } from "../../shell/script_name.js";
import { murmur2 } from "./murmur2.js";

/**
 * The folder cells are written to, inside the kernel's own directory. JupyterLab names a cell
 * `Cell [n]` in its Callstack and Breakpoints panels only when the path contains `ipykernel_`
 * (the notebook display provider of @jupyterlab/debugger-extension, src/index.ts, 4.6): other
 * paths show as they are, a temporary file's path with a hash for a name.
 */
const CELLS_FOLDER = "ipykernel_cells";

/** ipykernel's seed (compiler.py); any seed works, the frontend takes it from debugInfo. */
export const HASH_SEED = 0xc70f6907;

export interface CellFile {
  /** The cell's script URL (what V8 knows it by). */
  url: string;
  /** How many lines the cell has. */
  lines: number;
}

export class CellFiles {
  /** Where the cells are: `<root>/ipykernel_cells/`. */
  readonly dir: string;
  readonly prefix: string;
  /** Paths dumped or shown, and their cells. */
  private readonly cells = new Map<string, CellFile>();

  /** @param root - the kernel's own directory, removed when it ends. */
  constructor(
    readonly suffix: string,
    private readonly root = join(tmpdir(), `ts-async-kernel_${process.pid}`),
  ) {
    this.dir = join(root, CELLS_FOLDER);
    this.prefix = this.dir + sep;
  }

  /** The path JupyterLab computes for a cell with this text. */
  pathOf(code: string): string {
    return `${this.prefix}${murmur2(code, HASH_SEED)}${this.suffix}`;
  }

  /** Write the cell's text to its path (dumpCell); the path. */
  dump(code: string): string {
    const path = this.pathOf(code);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, code);
    this.cells.set(path, { url: scriptName(code), lines: countLines(code) });
    return path;
  }

  /** The path of a cell seen in a stack frame, written if it was not (its source view needs the file). */
  shown(code: string): string {
    const path = this.pathOf(code);
    if (!this.cells.has(path) || !existsSync(path)) return this.dump(code);
    return path;
  }

  /**
   * The cell a path names: one dumped here, or a file under this kernel's directory (dumped
   * before this adapter knew it, e.g. by an earlier session of the frontend). undefined for
   * any other path.
   */
  cellAt(path: string): CellFile | undefined {
    const known = this.cells.get(path);
    if (known) return known;
    if (!path.startsWith(this.prefix) || !path.endsWith(this.suffix)) return undefined;
    try {
      const code = readFileSync(path, "utf8");
      if (this.pathOf(code) !== path) return undefined;
      const cell = { url: scriptName(code), lines: countLines(code) };
      this.cells.set(path, cell);
      return cell;
    } catch {
      return undefined;
    }
  }

  /** Remove the directory (the kernel ends). */
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Lines as V8 counts them (ECMAScript's line terminators). */
function countLines(text: string): number {
  const m = text.match(/\r\n?|[\n\u2028\u2029]/g);
  return (m === null ? 0 : m.length) + 1;
}
