/**
 * Top-level loops that keep the notebook's variables in locals while they run
 * (src/shell/transform/loop_locals.ts): what such a loop writes is seen after it and in later
 * cells however it ends, and a loop whose variables could be read by other code meanwhile runs as
 * it is written. The shell runs the cells as the kernel does; another thread raises the attention
 * flag for the interrupt.
 */
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";

import { Shell, type ExecuteOutcome } from "../../src/shell/shell.js";
import type { CellOutput } from "../../src/shell/output.js";
import { AttentionFlag, newAttention } from "../../src/shared_memory/layout.js";

const ATTENTION_INTERRUPT = AttentionFlag.INTERRUPT;
import { transformCell } from "../../src/shell/transform/index.js";

const quiet: CellOutput = { stream() {}, display() {}, clearOutput() {} };

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/** A notebook of one shell; `local(code)`: does the cell's script keep some loop's variables in locals? */
function notebook() {
  const flag = newAttention();
  const shell = new Shell({ cwd: process.cwd(), language: "typescript", attention: flag });
  let n = 0;
  const run = (code: string): Promise<ExecuteOutcome> => shell.execute(code, `In[${++n}]`, quiet);
  /** The cell's result as text (asserting it ran). */
  const value = async (code: string): Promise<string> => {
    const outcome = await run(code);
    if (outcome.status !== "ok") throw new Error(`cell failed: ${JSON.stringify(outcome)}`);
    return String(outcome.result?.data["text/plain"]);
  };
  const local = (code: string): boolean =>
    transformCell(code, { language: "typescript", interruptible: true, names: shell.names }).code.includes("__tsak_loc_");
  return { flag, shell, run, value, local };
}

describe("a top-level loop over the notebook's variables", () => {
  test("keeps them in locals; what it wrote is seen after it, in the same cell and the next", async () => {
    const nb = notebook();
    const cell = "let accA = 0;\nfor (let i = 0; i < 1000; i++) accA = (accA + i * 7) % 1003;\naccA";
    expect(nb.local(cell)).toBe(true);
    expect(await nb.value(cell)).toBe("42");
    expect(await nb.value("accA")).toBe("42");
    // a later cell's loop over an earlier cell's variables (a cell that declares nothing)
    const later = "outerA: for (let i = 0; i < 10; i++) { for (let j = 0; j < 3; j++) { if (j === 2) continue outerA; accA += j } }";
    expect(nb.local(later)).toBe(true);
    expect((await nb.run(later)).status).toBe("ok");
    expect(await nb.value("accA")).toBe("52");
  });

  test("that throws midway leaves what it wrote before the throw", async () => {
    const nb = notebook();
    await nb.value("let kB = 0; let bigB = 1n; 0");
    const cell = "for (let i = 0; i < 10; i++) { kB++; if (i === 4) bigB = bigB + 1 }";
    expect(nb.local(cell)).toBe(true);
    expect(await nb.run(cell)).toMatchObject({ status: "error", error: { ename: "TypeError" } });
    expect(await nb.value("kB")).toBe("5");
    // a constant it writes still throws where it did
    await nb.value("const constB = 1; let zB = 0; 0");
    expect(await nb.run("for (let i = 0; i < 3; i++) { zB++; if (i === 1) constB = 2 }")).toMatchObject({
      status: "error",
      error: { evalue: "Assignment to constant variable." },
    });
    expect(await nb.value("[zB, constB]")).toBe("[ 2, 1 ]");
  });

  test("that is interrupted midway leaves what it wrote", async () => {
    const nb = notebook();
    await nb.value("let spinsC = 0; 0");
    const cell = "while (true) spinsC++";
    expect(nb.local(cell)).toBe(true);
    workers.push(
      new Worker(
        `const { workerData } = require("node:worker_threads");
         setTimeout(() => Atomics.store(new Int32Array(workerData), 0, ${ATTENTION_INTERRUPT}), 50);`,
        { eval: true, workerData: nb.flag.buffer },
      ),
    );
    expect(await nb.run(cell)).toMatchObject({ status: "error", error: { ename: "KernelInterrupt" } });
    nb.shell.runtime.clearAttention();
    expect(Number(await nb.value("spinsC"))).toBeGreaterThan(0);
  });
});

describe("a loop that V8 may end by termination (no `finally` runs) works on the variables themselves", () => {
  test("in a cell with a timeout (the vm timeout may come before the deadline's guard)", async () => {
    const nb = notebook();
    await nb.value("let spinT = 0; 0");
    const outcome = await nb.shell.execute("while (true) spinT++", "In[9]", quiet, { timeoutSeconds: 0.05 });
    expect(outcome).toMatchObject({ status: "error", error: { ename: "TimeoutError" } });
    expect(Number(await nb.value("spinT"))).toBeGreaterThan(0);
    // after an await no termination can come (the vm timeout watches the synchronous part): its interrupt keeps what it wrote
    await nb.value("let spinU = 0; 0");
    workers.push(
      new Worker(
        `const { workerData } = require("node:worker_threads");
         setTimeout(() => Atomics.store(new Int32Array(workerData), 0, ${ATTENTION_INTERRUPT}), 50);`,
        { eval: true, workerData: nb.flag.buffer },
      ),
    );
    expect(await nb.shell.execute("await null;\nwhile (true) spinU++", "In[10]", quiet, { timeoutSeconds: 30 })).toMatchObject({
      status: "error",
      error: { ename: "KernelInterrupt" },
    });
    nb.shell.runtime.clearAttention();
    expect(Number(await nb.value("spinU"))).toBeGreaterThan(0);
  });
});

describe("a loop whose variables other code could read while it runs is run as written", () => {
  test("a function it calls sees the current value", async () => {
    const nb = notebook();
    await nb.value("let curD = 0; function peekD() { return curD }; const peekArrowD = () => curD; let seenD = 0; 0");
    for (const peek of ["peekD", "peekArrowD"]) {
      const cell = `for (let i = 0; i < 10; i++) { curD++; seenD = seenD + ${peek}() }`;
      expect(nb.local(cell), peek).toBe(false);
      await nb.run("curD = 0; seenD = 0");
      await nb.run(cell);
      expect(await nb.value("seenD"), peek).toBe("55");
    }
  });

  test("a getter, a constructor, an object it makes, a closure: no locals", async () => {
    const nb = notebook();
    await nb.value("let curE = 0; const objE = { get v() { return curE } }; let outE: unknown = 0; var varE = 1; 0");
    for (const cell of [
      "for (let i = 0; i < 3; i++) { curE++; outE = objE.v }",
      "for (let i = 0; i < 3; i++) { curE++; outE = new Number(curE) }",
      "for (let i = 0; i < 3; i++) { curE++; outE = { curE } }",
      "for (let i = 0; i < 3; i++) { curE++; outE = [curE] }",
      "for (let i = 0; i < 3; i++) { curE++; outE = () => curE }",
      "for (let i = 0; i < 3; i++) { curE++; outE = `${curE}` }",
      "for (let i = 0; i < 3; i++) { curE++; outE = /x/ }",
      "for (let i = 0; i < 3; i++) { curE++; outE = 'v' in objE }",
      "for (let i = 0; i < 3; i++) { curE++; outE = varE }", // a `var` is a property of the global object
      "for (let i = 0; i < 3; i++) { curE++; outE = Infinity2 }\nlet Infinity2 = 1", // declared after the loop
      "for (let i = 0; i < 3; i++) { curE++; var inLoopE = 1 }",
    ]) {
      expect(nb.local(cell), cell).toBe(false);
    }
    expect(await nb.value("for (let i = 0; i < 3; i++) { curE++; outE = objE.v }\noutE")).toBe("3");
  });

  test("a variable holding an object at the start (its valueOf could read the others) sends it to its written copy", async () => {
    const nb = notebook();
    await nb.value("let nF = 0; const oF = { valueOf() { return nF } }; let sF = 0; 0");
    const cell = "for (let i = 0; i < 5; i++) { nF++; sF = sF + oF }";
    expect(nb.local(cell)).toBe(true); // statically it qualifies: the check is at run time
    await nb.run(cell);
    expect(await nb.value("[nF, sF]")).toBe("[ 5, 15 ]");
  });

  test("a variable in its dead zone (its cell threw first) sends it to its written copy, which reads it only where the loop does", async () => {
    const nb = notebook();
    expect((await nb.run("let okG = 1; let deadG = (() => { throw new Error('x') })()")).status).toBe("error");
    const cell = "let countG = 0; for (let i = 0; i < 3; i++) { countG++; if (i > 5) countG = deadG }\ncountG";
    expect(nb.local(cell)).toBe(true);
    expect(await nb.value(cell)).toBe("3");
  });
});

describe("the copy a loop runs as written does what the loop does", () => {
  test("labels, switch, break and continue, do-while, nested loops: the same results either way", async () => {
    const nb = notebook();
    const cases: Array<[pre: string, loop: string]> = [
      [
        "",
        "outer: for (let i = 0; i < 6; i++) { for (let j = 0; j < 4; j++) { if (j === i) continue outer; if (i + j > 7) break outer; s += i * j } }",
      ],
      ["let i = 0;", "while (i < 20) { i++; switch (i % 4) { case 0: s += 1; break; case 1: s *= 2; default: s -= 1 } }"],
      ["let i = 0;", "do { s = (s % 97) + i ** 2; i += 3 } while (i < 30 && s !== 5)"],
      ["", "for (let i = 0, j = 10; i < j; i++, j--) if (i & 1) s += j; else s -= i"],
      [
        "",
        "for (let i = 0; i < 8; i++) { const t = typeof i === 'number' ? -s : 0; s = t > 0 ? t : (s || 3) + (void 0 === undefined ? 1 : 0) }",
      ],
      ["let label = '';", "for (let i = 0; i < 4; i++) label = label + (i % 2 ? 'b' : \"a\\n\\u2028\") + s"],
    ];
    for (const [pre, loop] of cases) {
      // `s` a number: locals; `s` a Number object at the start: the written copy, the same arithmetic
      const fast = `let s: any = 7; ${pre}\n${loop}\n;[+s, typeof label === 'string' ? label : 0]`;
      const copy = `let s: any = new Number(7); ${pre}\n${loop}\n;[+s, typeof label === 'string' ? label : 0]`;
      expect(nb.local(fast), loop).toBe(true);
      expect(await nb.value(copy), loop).toBe(await nb.value(fast));
    }
  });
});
