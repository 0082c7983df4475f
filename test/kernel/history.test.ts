import { describe, expect, it } from "vitest";
import { History } from "../../src/kernel/history.js";

function filled(): History {
  const h = new History();
  ["a = 1", "b = 2", "a + b", "a = 1"].forEach((code, i) => h.add(i + 1, code));
  return h;
}

describe("History", () => {
  it("answers tail with the last n entries as (session, line, input)", () => {
    expect(filled().request({ hist_access_type: "tail", n: 2 })).toEqual([[1, 3, "a + b"], [1, 4, "a = 1"]]);
  });

  it("answers range with start inclusive and stop exclusive in the current session", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "range", session: 0, start: 1, stop: 2 })).toEqual([[1, 1, "a = 1"]]);
    expect(h.request({ hist_access_type: "range", session: 0, start: 2, stop: null })).toHaveLength(3);
    expect(h.request({ hist_access_type: "range", session: 7, start: 1, stop: 3 })).toEqual([]);
  });

  it("searches with a glob pattern, optionally unique and limited to n", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "search", pattern: "a*" }).map((e) => e[1])).toEqual([1, 3, 4]);
    expect(h.request({ hist_access_type: "search", pattern: "a = ?", unique: true }).map((e) => e[1])).toEqual([4]);
    expect(h.request({ hist_access_type: "search", pattern: "*", n: 1 }).map((e) => e[1])).toEqual([4]);
  });

  it("returns (input, output) pairs when output is asked for", () => {
    expect(filled().request({ hist_access_type: "tail", n: 1, output: true })).toEqual([[1, 4, ["a = 1", null]]]);
  });

  it("treats an unknown access type or ill-typed fields as an empty answer, not an error", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "everything" })).toEqual([]);
    expect(h.request({ hist_access_type: "tail", n: "x" })).toHaveLength(4);
  });
});
