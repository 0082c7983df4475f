import { describe, expect, it } from "vitest";
import { CellLines, type Step } from "../../src/cli/cell_lines.js";

/** A stand-in for is_complete_request: incomplete while braces are open (indent 2 per level). */
const braces = async (code: string) => {
  const depth = [...code].reduce((d, c) => d + (c === "{" ? 1 : c === "}" ? -1 : 0), 0);
  return depth > 0 ? { status: "incomplete", indent: "  ".repeat(depth) } : { status: "complete" };
};

async function feed(lines: string[]): Promise<{ steps: Step[]; rest: string | undefined }> {
  const cells = new CellLines(braces);
  const steps: Step[] = [];
  for (const line of lines) steps.push(await cells.add(line));
  return { steps, rest: cells.finish() };
}

const cellsOf = (steps: Step[]) => steps.flatMap((s) => (s.kind === "cell" ? [s.code] : []));

describe("CellLines", () => {
  it("ends a cell at the first line where its code is complete", async () => {
    const { steps, rest } = await feed(["const a = 20", "a * 2", "function f() {", "  return 1", "}"]);
    expect(cellsOf(steps)).toEqual(["const a = 20", "a * 2", "function f() {\n  return 1\n}"]);
    expect(steps[2]).toEqual({ kind: "more", indent: "  " });
    expect(rest).toBeUndefined();
  });

  it("keeps comment lines with the code after them, and skips blank lines between cells", async () => {
    const { steps } = await feed(["", "// task", "// timeout=5", "await x", "", "", "1"]);
    expect(cellsOf(steps)).toEqual(["// task\n// timeout=5\nawait x", "1"]);
  });

  it("drops a block of comments that a blank line ends, and keeps blank lines inside a cell", async () => {
    const { steps } = await feed(["// a header", "", "f({", "", "})"]);
    expect(cellsOf(steps)).toEqual(["f({\n\n})"]);
  });

  it("gives what is left at the end of input if it has code, and can discard a cell", async () => {
    expect((await feed(["function f() {", "  return 1"])).rest).toBe("function f() {\n  return 1");
    expect((await feed(["// only a comment"])).rest).toBeUndefined();
    const cells = new CellLines(braces);
    await cells.add("if (x) {");
    expect(cells.pending).toEqual(["if (x) {"]);
    cells.discard();
    expect(cells.pending).toEqual([]);
    expect(await cells.add("2")).toEqual({ kind: "cell", code: "2" });
  });
});
