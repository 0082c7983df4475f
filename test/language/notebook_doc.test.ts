/** The notebook as one module: which statements of which cells the language service sees. */
import { describe, expect, it } from "vitest";
import { NotebookDoc, declaredNames, parseCell } from "../../src/language/notebook_doc.js";

const names = (code: string) => parseCell(code, "/nb/__notebook__.ts").statements.map((s) => declaredNames(s) ?? null);

describe("declaredNames", () => {
  it("names what each kind of top-level statement declares", () => {
    expect(names("const a = 1, { b, c: [d, , e] } = o;")).toEqual([["a", "b", "d", "e"]]);
    expect(names("function f() {}\nclass C {}\ninterface I {}\ntype T = 1;\nenum E { A }\nnamespace N {}")).toEqual([
      ["f"],
      ["C"],
      ["I"],
      ["T"],
      ["E"],
      ["N"],
    ]);
    expect(names('import d, * as ns from "x";\nimport { a, b as c } from "y";\nimport "side";\nimport q = require("q");')).toEqual([
      ["d", "ns"],
      ["a", "c"],
      null,
      ["q"],
    ]);
    expect(names("x = 1;\nfor (;;) {}\nconsole.log(1);")).toEqual([null, null, null]);
  });
});

describe("NotebookDoc", () => {
  it("keeps only declarations of earlier cells, then the current cell, as a module", () => {
    const doc = new NotebookDoc("/nb/__notebook__.ts");
    doc.addCell("const a = 1;\nconsole.log(a);\nfunction f() { return a }");
    const { text, offset } = doc.compose("f().");
    expect(text).toContain("const a = 1;");
    expect(text).toContain("function f()");
    expect(text).not.toContain("console.log");
    expect(text.slice(offset, offset + 4)).toBe("f().");
    expect(text.trimEnd().endsWith("export {};")).toBe(true);
  });

  it("lets a later cell's declaration replace an earlier one of the same name", () => {
    const doc = new NotebookDoc("/nb/__notebook__.ts");
    doc.addCell("const x: number = 1;");
    doc.addCell("const y = 2;");
    doc.addCell("const x: string = 'a';");
    const { text } = doc.compose("");
    expect(text).not.toContain("const x: number");
    expect(text).toContain("const x: string");
    expect(text).toContain("const y = 2;");
  });

  it("keeps every statement of the cell that declares a name (overloads)", () => {
    const doc = new NotebookDoc("/nb/__notebook__.ts");
    doc.addCell("function g(a: string): string;\nfunction g(a: number): number;\nfunction g(a: any) { return a }");
    expect(doc.compose("").text.match(/function g/g)).toHaveLength(3);
  });

  it("hides earlier declarations of names the current cell declares, without forgetting them", () => {
    const doc = new NotebookDoc("/nb/__notebook__.ts");
    doc.addCell("let z = 1;");
    expect(doc.compose("let z = 'now a string'; z.").text).not.toContain("let z = 1;");
    expect(doc.compose("z.").text).toContain("let z = 1;");
  });

  it("keeps JSDoc above a declaration", () => {
    const doc = new NotebookDoc("/nb/__notebook__.ts");
    doc.addCell("/** Documented. */\nconst d = 1;");
    expect(doc.compose("").text).toContain("/** Documented. */");
  });
});
