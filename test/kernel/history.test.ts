import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { globToRegExp, History, historyFile, MAX_OUTPUT_CHARS, TRUNCATED, type HistoryOptions } from "../../src/kernel/history.js";

function filled(): History {
  const h = new History();
  ["a = 1", "b = 2", "a + b", "a = 1"].forEach((code, i) => h.add(i + 1, code));
  return h;
}

describe("History in memory", () => {
  it("answers tail with the last n entries as (session, line, input)", () => {
    expect(filled().request({ hist_access_type: "tail", n: 2 })).toEqual([
      [1, 3, "a + b"],
      [1, 4, "a = 1"],
    ]);
  });

  it("answers range with start inclusive and stop exclusive in the current session", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "range", session: 0, start: 1, stop: 2 })).toEqual([[1, 1, "a = 1"]]);
    expect(h.request({ hist_access_type: "range", session: 0, start: 2, stop: null })).toHaveLength(3);
    expect(h.request({ hist_access_type: "range", session: 7, start: 1, stop: 3 })).toEqual([]);
  });

  it("counts a stop of zero or below from the end of the session", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "range", session: 0, start: 1, stop: -1 }).map((e) => e[1])).toEqual([1, 2, 3]);
    expect(h.request({ hist_access_type: "range", session: 0, start: 3, stop: 0 }).map((e) => e[1])).toEqual([3, 4]);
    expect(h.request({ hist_access_type: "range", session: 0, start: 2 }).map((e) => e[1])).toEqual([2, 3, 4]);
  });

  it("searches with a glob pattern, optionally unique and limited to n", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "search", pattern: "a*" }).map((e) => e[1])).toEqual([1, 3, 4]);
    expect(h.request({ hist_access_type: "search", pattern: "a = ?", unique: true }).map((e) => e[1])).toEqual([4]);
    expect(h.request({ hist_access_type: "search", pattern: "*", n: 1 }).map((e) => e[1])).toEqual([4]);
  });

  it("returns (input, output) pairs when output is asked for", () => {
    const h = filled();
    h.setOutput(3, "3");
    expect(h.request({ hist_access_type: "tail", n: 2, output: true })).toEqual([
      [1, 3, ["a + b", "3"]],
      [1, 4, ["a = 1", null]],
    ]);
  });

  it("cuts very long outputs and ignores outputs for unknown lines", () => {
    const h = filled();
    h.setOutput(1, "x".repeat(MAX_OUTPUT_CHARS + 5));
    h.setOutput(99, "nobody's");
    const [[, , pair]] = h.request({ hist_access_type: "range", session: 0, start: 1, stop: 2, output: true }) as [
      [number, number, [string, string]],
    ];
    expect(pair[1]).toBe("x".repeat(MAX_OUTPUT_CHARS) + TRUNCATED);
    expect(h.request({ hist_access_type: "tail", n: 10 })).toHaveLength(4);
  });

  it("treats an unknown access type or ill-typed fields as an empty answer, not an error", () => {
    const h = filled();
    expect(h.request({ hist_access_type: "everything" })).toEqual([]);
    expect(h.request({ hist_access_type: "tail", n: "x" })).toHaveLength(4);
    expect(h.request({ hist_access_type: "search", pattern: "[z-a]" })).toEqual([]);
  });
});

describe("globToRegExp", () => {
  const matches = (pattern: string, text: string) => globToRegExp(pattern)!.test(text);

  it("reads *, ? and classes like SQLite's GLOB", () => {
    expect(matches("a*", "a\nb")).toBe(true);
    expect(matches("?", "é")).toBe(true);
    expect(matches("?", "😀")).toBe(true);
    expect(matches("[ab]x", "bx")).toBe(true);
    expect(matches("[a-c]", "d")).toBe(false);
    expect(matches("[!a]", "a")).toBe(false);
    expect(matches("[^a]", "b")).toBe(true);
    expect(matches("[]]", "]")).toBe(true);
    expect(matches("[a-]", "-")).toBe(true);
    expect(matches("A*", "a")).toBe(false);
  });

  it("takes everything else literally", () => {
    expect(matches("f(x).y+1 $", "f(x).y+1 $")).toBe(true);
    expect(matches("a.c", "abc")).toBe(false);
    expect(matches("[abc", "[abc")).toBe(true);
    expect(matches("\\d", "\\d")).toBe(true);
    expect(matches("[\\]", "\\")).toBe(true);
  });

  it("rejects an invalid class", () => {
    expect(globToRegExp("[z-a]")).toBeUndefined();
  });
});

describe("historyFile", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("defaults to ts-async-kernel/history.jsonl in the Jupyter data dir", () => {
    vi.stubEnv("JUPYTER_DATA_DIR", "/data/jupyter");
    expect(historyFile({})).toBe(join("/data/jupyter", "ts-async-kernel", "history.jsonl"));
    expect(historyFile({ TS_ASYNC_KERNEL_HISTORY: "" })).toBe(join("/data/jupyter", "ts-async-kernel", "history.jsonl"));
  });

  it("is off for off (any case) and a path otherwise", () => {
    expect(historyFile({ TS_ASYNC_KERNEL_HISTORY: "off" })).toBeUndefined();
    expect(historyFile({ TS_ASYNC_KERNEL_HISTORY: "OFF" })).toBeUndefined();
    expect(historyFile({ TS_ASYNC_KERNEL_HISTORY: "/x/h.jsonl" })).toBe("/x/h.jsonl");
    expect(historyFile({ TS_ASYNC_KERNEL_HISTORY: "rel/h.jsonl" })).toBe(join(process.cwd(), "rel/h.jsonl"));
  });
});

describe("History on a file", () => {
  let dir: string;
  let file: string;
  const open: History[] = [];
  const log = { warn: vi.fn(), debug: vi.fn() };

  /** A kernel start on `file`. */
  function start(options: Partial<HistoryOptions> = {}): History {
    const h = new History({ file, log, ...options });
    open.push(h);
    return h;
  }

  /** A kernel run: start, run cells, shut down. */
  function run(inputs: string[], options: Partial<HistoryOptions> = {}): History {
    const h = start(options);
    inputs.forEach((code, i) => h.add(i + 1, code));
    h.close();
    return h;
  }

  const records = () =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ts-async-kernel-history-"));
    file = join(dir, "sub", "history.jsonl");
    log.warn.mockClear();
  });

  afterEach(() => {
    for (const h of open.splice(0)) h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("touches no file until something is written, then creates its directory", async () => {
    const h = start();
    expect(existsSync(join(dir, "sub"))).toBe(false);
    h.add(1, "x");
    await h.flush();
    expect(records()).toEqual([
      expect.objectContaining({ kind: "session", session: 1 }),
      expect.objectContaining({ kind: "input", session: 1, line: 1, input: "x" }),
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("keeps history across a restart, in a new session numbered after the highest", () => {
    run(["a = 1", "a + 1"]);
    run(["b = 2"]);
    const h = start();
    expect(h.request({ hist_access_type: "tail", n: 10 })).toEqual([
      [1, 1, "a = 1"],
      [1, 2, "a + 1"],
      [2, 1, "b = 2"],
    ]);
    h.add(1, "c = 3");
    expect(h.request({ hist_access_type: "range", session: 0, start: 1 })).toEqual([[3, 1, "c = 3"]]);
    h.close();
    expect(start().request({ hist_access_type: "tail", n: 1 })).toEqual([[3, 1, "c = 3"]]);
  });

  it("reads the session in a range request as IPython does: >0 that one, 0 this one, <0 back from this one", () => {
    run(["one"]);
    run(["two", "two b"]);
    const h = start();
    h.add(1, "three");
    const range = (session: number) => h.request({ hist_access_type: "range", session, start: 1, stop: null });
    expect(range(0)).toEqual([[3, 1, "three"]]);
    expect(range(-1)).toEqual([
      [2, 1, "two"],
      [2, 2, "two b"],
    ]);
    expect(range(-2)).toEqual([[1, 1, "one"]]);
    expect(range(1)).toEqual([[1, 1, "one"]]);
    expect(range(3)).toEqual([[3, 1, "three"]]);
    expect(range(-3)).toEqual([]);
    expect(range(4)).toEqual([]);
    expect(h.request({ hist_access_type: "range", session: -1, start: 2, stop: 3 })).toEqual([[2, 2, "two b"]]);
  });

  it("answers a request before anything is added, counting this session after the stored ones", () => {
    run(["old"]);
    const h = start();
    expect(h.request({ hist_access_type: "range", session: 0 })).toEqual([]);
    h.add(1, "new");
    h.close();
    expect(start().request({ hist_access_type: "tail", n: 5 })).toEqual([
      [1, 1, "old"],
      [2, 1, "new"],
    ]);
  });

  it("searches across sessions, keeping the latest of identical inputs and the last n", () => {
    run(["x = 1", "print(x)", "y = 2"]);
    run(["x = 1", "x = 3"]);
    const h = start();
    h.add(1, "print(x)");
    const search = (content: Record<string, unknown>) => h.request({ hist_access_type: "search", ...content });
    expect(search({ pattern: "x = ?" })).toEqual([
      [1, 1, "x = 1"],
      [2, 1, "x = 1"],
      [2, 2, "x = 3"],
    ]);
    expect(search({ pattern: "x = ?", unique: true })).toEqual([
      [2, 1, "x = 1"],
      [2, 2, "x = 3"],
    ]);
    expect(search({ pattern: "*", unique: true, n: 2 })).toEqual([
      [2, 2, "x = 3"],
      [3, 1, "print(x)"],
    ]);
    expect(search({ pattern: "[xy] = [!1]" })).toEqual([
      [1, 3, "y = 2"],
      [2, 2, "x = 3"],
    ]);
  });

  it("stores outputs, whether known before or after the input was written", async () => {
    const h = start();
    h.add(1, "1 + 1");
    h.setOutput(1, "2");
    h.add(2, "2 + 2");
    await h.flush();
    h.setOutput(2, "4");
    h.add(3, "void 0");
    h.close();
    expect(records().filter((r) => r.kind === "output")).toEqual([expect.objectContaining({ line: 2, output: "4" })]);
    expect(start().request({ hist_access_type: "tail", n: 3, output: true })).toEqual([
      [1, 1, ["1 + 1", "2"]],
      [1, 2, ["2 + 2", "4"]],
      [1, 3, ["void 0", null]],
    ]);
  });

  it("skips corrupt lines, and starts its own records on a new line after a partial one", () => {
    run(["good 1"]);
    appendFileSync(
      file,
      [
        "not json",
        "[1, 2]",
        '{"kind":"input","session":1,"sid":"s","line":"2","input":"bad line"}',
        '{"kind":"input","session":-4,"sid":"s","line":2,"input":"bad session"}',
        '{"kind":"output","session":1,"sid":"nobody","line":9,"output":"orphan"}',
        '{"kind":"input","session":1,"sid":"',
      ].join("\n"),
    );
    const h = start();
    expect(h.request({ hist_access_type: "tail", n: 10 })).toEqual([[1, 1, "good 1"]]);
    h.add(1, "good 2");
    h.close();
    expect(start().request({ hist_access_type: "tail", n: 10 })).toEqual([
      [1, 1, "good 1"],
      [2, 1, "good 2"],
    ]);
    // Our session record was not glued to the partial line.
    expect(readFileSync(file, "utf8").split("\n")).toContainEqual(expect.stringMatching(/^\{"kind":"session","session":2,/));
    expect(log.warn).not.toHaveBeenCalled();
  });

  it("compacts the file past maxEntries, keeping the most recent inputs and their sessions", () => {
    run(["a1", "a2", "a3", "a4"], { maxEntries: 10 });
    run(["b1", "b2", "b3", "b4"], { maxEntries: 10 });
    run(["c1", "c2", "c3", "c4"], { maxEntries: 10 });
    const h = start({ maxEntries: 10 });
    h.request({ hist_access_type: "tail", n: 1 });
    // 12 > 10: keep 80% of 10, the latest 8.
    const kept = ["b1", "b2", "b3", "b4", "c1", "c2", "c3", "c4"];
    expect(
      records()
        .filter((r) => r.kind === "input")
        .map((r) => r.input),
    ).toEqual(kept);
    expect(
      records()
        .filter((r) => r.kind === "session")
        .map((r) => r.session),
    ).toEqual([2, 3]);
    h.add(1, "d1");
    h.close();
    const tail = start({ maxEntries: 10 }).request({ hist_access_type: "tail", n: 100 });
    expect(tail.map((e) => e[2])).toEqual([...kept, "d1"]);
    expect(tail.at(-1)?.[0]).toBe(4);
  });

  it("compacts a file past maxBytes, reading only its tail", () => {
    // Records of ~330 bytes: under maxBytes / 8 = 512, so they are written.
    const big = "x".repeat(300);
    let s = 0;
    while (!existsSync(file) || statSync(file).size <= 4096) run([`${s}:${big}`, `${s++}:${big}!`], { maxBytes: 4096 });
    const h = start({ maxBytes: 4096 });
    const tail = h.request({ hist_access_type: "tail", n: 100 });
    expect(statSync(file).size).toBeLessThanOrEqual(4096 * 0.8);
    expect(tail.length).toBeGreaterThan(4);
    expect(tail.at(-1)).toEqual([s, 2, `${s - 1}:${big}!`]);
    expect(
      records()
        .filter((r) => r.kind === "input")
        .map((r) => r.input),
    ).toEqual(tail.map((e) => e[2]));
    h.add(1, "next");
    h.close();
    expect(start({ maxBytes: 4096 }).request({ hist_access_type: "tail", n: 1 })).toEqual([[s + 1, 1, "next"]]);
  });

  it("keeps a cell too large for the file in memory only, and still claims its session", () => {
    run(["small"], { maxBytes: 2048 });
    const h = start({ maxBytes: 2048 });
    h.add(1, "y".repeat(300));
    h.add(2, "fits");
    h.setOutput(1, "its output");
    h.setOutput(2, "z".repeat(300));
    expect(h.request({ hist_access_type: "range", session: 0, output: true })).toEqual([
      [2, 1, ["y".repeat(300), "its output"]],
      [2, 2, ["fits", "z".repeat(300)]],
    ]);
    h.close();
    expect(start({ maxBytes: 2048 }).request({ hist_access_type: "tail", n: 10, output: true })).toEqual([
      [1, 1, ["small", null]],
      [2, 2, ["fits", null]],
    ]);
  });

  it("keeps the highest session number when compaction keeps none of its entries", () => {
    // Session 2 wrote only its record (its one cell was too large); session 1 went on appending.
    const rec = (r: object) => `${JSON.stringify(r)}\n`;
    mkdirSync(join(dir, "sub"));
    writeFileSync(file, rec({ kind: "session", session: 1, sid: "one" }) + rec({ kind: "session", session: 2, sid: "two" }));
    for (let line = 1; line <= 12; line++) appendFileSync(file, rec({ kind: "input", session: 1, sid: "one", line, input: `a${line}` }));
    const h = start({ maxEntries: 10 });
    expect(h.request({ hist_access_type: "tail", n: 100 }).map((e) => e[1])).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(
      records()
        .filter((r) => r.kind === "session")
        .map((r) => r.session),
    ).toEqual([1, 2]);
    h.close();
    const next = start({ maxEntries: 10 });
    next.add(1, "after");
    expect(next.request({ hist_access_type: "tail", n: 1 })).toEqual([[3, 1, "after"]]);
  });

  it("falls back to memory with a single warning when the file cannot be written", async () => {
    writeFileSync(join(dir, "sub"), "a file where a directory should be");
    const h = start();
    h.add(1, "first");
    await h.flush();
    h.add(2, "second");
    await h.flush();
    expect(() => h.close()).not.toThrow();
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(h.request({ hist_access_type: "tail", n: 5 })).toEqual([
      [1, 1, "first"],
      [1, 2, "second"],
    ]);
  });

  it("keeps two kernels' interleaved appends apart, even when both claimed the same session", async () => {
    const a = start();
    const b = start();
    // Both read the file before either wrote: both take session 1.
    expect(a.request({ hist_access_type: "tail", n: 1 })).toEqual([]);
    expect(b.request({ hist_access_type: "tail", n: 1 })).toEqual([]);
    a.add(1, "a1");
    b.add(1, "b1");
    await a.flush();
    await b.flush();
    a.add(2, "a2");
    b.add(2, "b2");
    b.setOutput(2, "B");
    await b.flush();
    await a.flush();
    // Each answers for itself under the number it took.
    expect(a.request({ hist_access_type: "range", session: 0 })).toEqual([
      [1, 1, "a1"],
      [1, 2, "a2"],
    ]);
    expect(b.request({ hist_access_type: "range", session: 0 })).toEqual([
      [1, 1, "b1"],
      [1, 2, "b2"],
    ]);
    const c = start();
    expect(c.request({ hist_access_type: "range", session: 1, output: true })).toEqual([
      [1, 1, ["a1", null]],
      [1, 2, ["a2", null]],
    ]);
    expect(c.request({ hist_access_type: "range", session: 2, output: true })).toEqual([
      [2, 1, ["b1", null]],
      [2, 2, ["b2", "B"]],
    ]);
    c.add(1, "c1");
    expect(c.request({ hist_access_type: "range", session: 0 })).toEqual([[3, 1, "c1"]]);
    expect(
      records()
        .filter((r) => r.kind === "input")
        .map((r) => r.input),
    ).toEqual(["a1", "b1", "b2", "a2"]);
  });

  it("keeps every line whole when two kernels' writes overlap", async () => {
    const a = start();
    const b = start();
    const text = (who: string, k: number) => `${who}${k}\n${"·".repeat(k * 40)}`;
    for (let k = 1; k <= 50; k++) {
      a.add(k, text("a", k));
      b.add(k, text("b", k));
      await Promise.all([a.flush(), b.flush()]);
    }
    const all = start().request({ hist_access_type: "tail", n: 1000 });
    expect(all).toHaveLength(100);
    const bySession = [1, 2].map((n) => all.filter((e) => e[0] === n).map((e) => e[2]));
    const expected = (who: string) => Array.from({ length: 50 }, (_, i) => text(who, i + 1));
    expect(bySession).toContainEqual(expected("a"));
    expect(bySession).toContainEqual(expected("b"));
  });

  it("writes nothing when persistence is off (no file given)", () => {
    const h = new History({ log });
    h.add(1, "x");
    h.close();
    expect(existsSync(join(dir, "sub"))).toBe(false);
    expect(h.request({ hist_access_type: "tail", n: 1 })).toEqual([[1, 1, "x"]]);
  });

  it("flushes on its own after an add, and closes on process exit until closed", async () => {
    const h = start();
    const before = process.listenerCount("exit");
    h.add(1, "x");
    expect(process.listenerCount("exit")).toBe(before + 1);
    await vi.waitFor(() => expect(existsSync(file) && records().some((r) => r.input === "x")).toBe(true));
    h.close();
    expect(process.listenerCount("exit")).toBe(before);
  });
});
