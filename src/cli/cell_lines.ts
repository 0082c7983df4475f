/**
 * How the console makes cells of lines, typed or read from a pipe or file (the same rule for
 * both, so a script runs as it would if typed):
 * - a cell ends at the first line where its code is complete, as the kernel's is_complete_request
 *   says (`const a = 1` is a cell; `function f() {` goes on until its `}`);
 * - comment lines at a cell's start stay with the code after them (`// task`, `// timeout=5` are
 *   the cell's settings), and a blank line ends such a block when no code came;
 * - blank lines between cells are skipped.
 */

export interface Completeness {
  status: string;
  indent?: string;
}

export type Step = { kind: "cell"; code: string } | { kind: "more"; indent: string } | { kind: "nothing" };

const onlyComments = (lines: string[]) => lines.every((l) => !l.trim() || l.trimStart().startsWith("//"));

export class CellLines {
  private lines: string[] = [];

  constructor(private readonly isComplete: (code: string) => Promise<Completeness>) {}

  /** The lines so far of the cell being made (what completion sees before the current line). */
  get pending(): readonly string[] {
    return this.lines;
  }

  async add(line: string): Promise<Step> {
    if (this.lines.length === 0 && !line.trim()) return { kind: "nothing" };
    this.lines.push(line);
    if (onlyComments(this.lines)) {
      if (line.trim()) return { kind: "more", indent: "" };
      this.lines = [];
      return { kind: "nothing" };
    }
    const code = this.lines.join("\n");
    const answer = await this.isComplete(code);
    if (answer.status === "incomplete") return { kind: "more", indent: answer.indent ?? "" };
    this.lines = [];
    return { kind: "cell", code };
  }

  /** At the end of input: what is left, if it has code (the kernel then reports what is missing). */
  finish(): string | undefined {
    const lines = this.lines;
    this.lines = [];
    return onlyComments(lines) ? undefined : lines.join("\n");
  }

  /** Drop the cell being typed (Ctrl-C at the prompt). */
  discard(): void {
    this.lines = [];
  }
}
