/**
 * Interrupting cells in the shell (src/shell: cell_runtime.ts, cell_scope.ts, the guards of
 * rewrite.ts `instrument`), without the kernel around it: another thread raises the attention
 * flag as the I/O worker does, and `Shell.interrupt()` is what the kernel calls once it hears.
 * The kernel process and both interrupt modes are tested in the harness (test_interrupt.py).
 */
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";

import { Shell, type ExecuteOutcome } from "../../src/shell/shell.js";
import type { CellOutput } from "../../src/shell/output.js";
import { lowerDeadline } from "../../src/shell/attention.js";
import { AttentionFlag, AttentionWord, newAttention } from "../../src/shared_memory/layout.js";

/** A cell output that keeps what the cell prints. */
function recorder() {
  const text: string[] = [];
  const output: CellOutput = { stream: (_name, t) => void text.push(t), display() {}, clearOutput() {} };
  return { output, text: () => text.join("") };
}

/** Raise `flag` from another thread after `ms` (this thread may be stuck in a loop by then). */
function raiseFromAnotherThread(flag: Int32Array, ms: number): Worker {
  return new Worker(
    `const { workerData } = require("node:worker_threads");
     setTimeout(() => Atomics.store(new Int32Array(workerData), ${AttentionWord.FLAG}, ${AttentionFlag.INTERRUPT}), ${ms});`,
    { eval: true, workerData: flag.buffer },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function shellWithFlag() {
  const flag = newAttention();
  const shell = new Shell({ cwd: process.cwd(), language: "typescript", attention: flag });
  let n = 0;
  const run = (code: string, output: CellOutput = recorder().output): Promise<ExecuteOutcome> => shell.execute(code, `In[${++n}]`, output);
  return { flag, shell, run };
}

describe("the attention flag stops a cell's own code wherever it runs", () => {
  test("a busy loop after an await (no vm evaluation is watching there)", async () => {
    const { flag, shell, run } = shellWithFlag();
    await run("const before = 'kept'");
    workers.push(raiseFromAnotherThread(flag, 100));
    const outcome = await run("await new Promise((r) => setTimeout(r, 5));\nlet spins = 0;\nwhile (true) { spins++ }");
    expect(outcome).toMatchObject({ status: "error", interrupted: true, error: { ename: "KernelInterrupt" } });
    if (outcome.status === "error") expect(outcome.error.traceback.join("\n")).toContain("In[2]:3:");
    // the flag stays up until whoever handles the interrupt lowers it
    expect(shell.runtime.attention).toBe(AttentionFlag.INTERRUPT);
    shell.runtime.clearAttention();
    expect(await run("before")).toMatchObject({ status: "ok", result: { data: { "text/plain": "'kept'" } } });
  });

  test("an endless recursion with no loop in it", async () => {
    const { flag, shell, run } = shellWithFlag();
    workers.push(raiseFromAnotherThread(flag, 100));
    const outcome = await run("function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2) }\nawait null;\nfib(200)");
    expect(outcome).toMatchObject({ status: "error", error: { ename: "KernelInterrupt" } });
    shell.runtime.clearAttention();
  });

  test("a loop inside a callback, and in a function of an earlier cell", async () => {
    const { flag, shell, run } = shellWithFlag();
    await run("function spin() { for (;;) {} }");
    workers.push(raiseFromAnotherThread(flag, 100));
    const outcome = await run("await new Promise((resolve, reject) => setTimeout(() => { try { spin() } catch (e) { reject(e) } }, 5))");
    expect(outcome).toMatchObject({ status: "error", error: { ename: "KernelInterrupt" } });
    shell.runtime.clearAttention();
  });
});

describe("a deadline raised from another thread (the `timeout` tag)", () => {
  test("stops the code of the cell it names, even in a loop after an await, and only that cell", async () => {
    const { flag, shell, run } = shellWithFlag();
    const other = shell.execute("await new Promise((r) => setTimeout(r, 150)); 'other finished'", "In[1]", recorder().output);
    const worker = new Worker(
      `const { workerData } = require("node:worker_threads");
       const words = new Int32Array(workerData);
       setTimeout(() => { Atomics.store(words, ${AttentionWord.DEADLINE_TOKEN}, 7); Atomics.compareExchange(words, ${AttentionWord.FLAG}, ${AttentionFlag.NONE}, ${AttentionFlag.DEADLINE}) }, 100);`,
      { eval: true, workerData: flag.buffer },
    );
    workers.push(worker);
    const timed = await shell.execute("await null;\nwhile (true) {}", "In[2]", recorder().output, {
      timeoutSeconds: 0.1,
      deadlineToken: 7,
    });
    expect(timed).toMatchObject({
      status: "error",
      error: { ename: "TimeoutError", evalue: "The cell did not finish within its timeout of 0.1 s" },
    });
    // while the deadline is still up, other cells' guarded code runs on
    expect(shell.runtime.attention).toBe(AttentionFlag.DEADLINE);
    expect(await run("let total = 0; for (let i = 0; i < 1000; i++) total += i; total")).toMatchObject({
      result: { data: { "text/plain": "499500" } },
    });
    lowerDeadline(flag, 7);
    expect(shell.runtime.attention).toBe(0);
    expect(await other).toMatchObject({ status: "ok", result: { data: { "text/plain": "'other finished'" } } });
    expect(await run("1 + 1")).toMatchObject({ status: "ok" });
  });
});

describe("Shell.interrupt()", () => {
  test("rejects a running cell's pending await with KernelInterrupt; its catch and finally run", async () => {
    const { shell, run } = shellWithFlag();
    const rec = recorder();
    const cell = run(
      "try { await new Promise(() => {}) } catch (e) { console.log('caught', (e as Error).name); throw e } finally { console.log('finally') }",
      rec.output,
    );
    await sleep(20);
    expect(shell.interrupt()).toBe(1);
    expect(await cell).toMatchObject({ status: "error", interrupted: true, error: { ename: "KernelInterrupt" } });
    await sleep(0);
    expect(rec.text()).toBe("caught KernelInterrupt\nfinally\n");
  });

  test("cancels a `for await` waiting for its next value", async () => {
    const { shell, run } = shellWithFlag();
    const cell = run(
      "async function* never() { yield 1; await new Promise(() => {}) }\nlet got = 0;\nfor await (const v of never()) got += v;",
    );
    await sleep(20);
    shell.interrupt();
    expect(await cell).toMatchObject({ status: "error", error: { ename: "KernelInterrupt" } });
    expect(await run("got")).toMatchObject({ result: { data: { "text/plain": "1" } } });
  });

  test("clears the running cells' timers and intervals, and leaves finished cells' alone", async () => {
    const { shell, run } = shellWithFlag();
    await run("globalThis.bg = 0; globalThis.bgTimer = setInterval(() => bg++, 5)");
    // the timeout is far off: whether it was cleared is read from the timer, not raced against a clock
    const cell = run(
      "globalThis.own = 0; setInterval(() => own++, 5); globalThis.lateTimer = setTimeout(() => { globalThis.late = true }, 60_000); await new Promise(() => {})",
    );
    await sleep(30);
    shell.interrupt();
    await cell;
    const g = globalThis as Record<string, unknown>;
    const [own, bg] = [g.own as number, g.bg as number];
    expect(own).toBeGreaterThan(0);
    expect((g.lateTimer as { _destroyed?: boolean })._destroyed).toBe(true);
    await sleep(100);
    expect(g.own).toBe(own);
    expect(g.late).toBeUndefined();
    expect(g.bg as number).toBeGreaterThan(bg);
    clearInterval(g.bgTimer as NodeJS.Timeout);
  });

  test("with no cell running, stops what earlier cells left going: intervals and pending awaits", async () => {
    const { shell, run } = shellWithFlag();
    const rec = recorder();
    await run(
      "globalThis.ticks = 0; setInterval(() => ticks++, 5);\n(async () => { try { await new Promise(() => {}) } catch (e) { console.log('background saw', (e as Error).name) } })(); 'started'",
      rec.output,
    );
    await sleep(30);
    expect(shell.interrupt()).toBe(0);
    const g = globalThis as Record<string, unknown>;
    const ticks = g.ticks as number;
    await sleep(50);
    expect(g.ticks).toBe(ticks);
    expect(rec.text()).toBe("background saw KernelInterrupt\n");
  });

  test("a caught cancellation is an event, not a state: a cell that handles it and finishes at once is ok", async () => {
    const { shell, run } = shellWithFlag();
    const cell = run("try { await new Promise(() => {}) } catch {}\nglobalThis.after = await Promise.resolve('resumed')\n'handled'");
    await sleep(20);
    shell.interrupt();
    // as a Python cell that catches KeyboardInterrupt: its own outcome counts
    expect(await cell).toMatchObject({ status: "ok", result: { data: { "text/plain": "'handled'" } } });
    expect((globalThis as Record<string, unknown>).after).toBe("resumed");
  });

  test("a cell that goes on awaiting after it caught the cancellation still ends now; its code goes on", async () => {
    const { shell, run } = shellWithFlag();
    const cell = run("try { await new Promise(() => {}) } catch {}\nawait new Promise((r) => setTimeout(r, 30))\nglobalThis.later = 'ran'");
    await sleep(20);
    shell.interrupt();
    expect(await cell).toMatchObject({ status: "error", error: { ename: "KernelInterrupt" } });
    expect((globalThis as Record<string, unknown>).later).toBeUndefined();
    await sleep(60);
    expect((globalThis as Record<string, unknown>).later).toBe("ran");
  });
});

describe("cells run in this realm", () => {
  test("values from Node's APIs are instances of the cells' built-ins", async () => {
    const { run } = shellWithFlag();
    const outcome = await run(
      '[require("node:fs").readdirSync(".") instanceof Array, Buffer.from("x") instanceof Uint8Array, (() => { try { require("node:fs").readFileSync("/nonexistent") } catch (e) { return e instanceof Error } })()]',
    );
    expect(outcome).toMatchObject({ result: { data: { "text/plain": "[ true, true, true ]" } } });
  });

  test("require and module are the cell's, not globals; a cell's own `require` persists", async () => {
    const { run } = shellWithFlag();
    expect(await run("[typeof require, typeof module, 'require' in globalThis, 'module' in globalThis]")).toMatchObject({
      result: { data: { "text/plain": "[ 'function', 'object', false, false ]" } },
    });
    await run("const require = (id: string) => `mine: ${id}`");
    expect(await run("require('x')")).toMatchObject({ result: { data: { "text/plain": "'mine: x'" } } });
  });

  test("a notebook name that a global has is the notebook's; globalThis and packages keep Node's, silently", async () => {
    const { run } = shellWithFlag();
    const original = globalThis.btoa;
    // what a package does: its code is not the cell's, it reads the global
    (globalThis as Record<string, unknown>).packageBtoa = (s: string) => btoa(s);
    const out = recorder();
    await run("const btoa = (s: string) => `mine: ${s}`", out.output);
    expect(out.text()).toBe("");
    expect(await run("[btoa('x'), packageBtoa('x'), globalThis.btoa('x'), globalThis.btoa === btoa]")).toMatchObject({
      result: { data: { "text/plain": "[ 'mine: x', 'eA==', 'eA==', false ]" } },
    });
    // declared again, also with another kind of declaration, and used by later cells' functions
    await run("let btoa = (s: string) => `again: ${s}`");
    expect(await run("function enc(s: string) { return btoa(s) }\n[enc('y'), btoa.name]")).toMatchObject({
      result: { data: { "text/plain": "[ 'again: y', 'btoa' ]" } },
    });
    expect(globalThis.btoa).toBe(original);
  });
});

describe("timers the cell's code starts, and only those, belong to the cell", () => {
  test("a timer a package starts for the cell survives the cell's interrupt; the cell's own is cleared", async () => {
    const { shell, run } = shellWithFlag();
    // what a package does: its code is not the cell's, it calls the global setTimeout
    (globalThis as Record<string, unknown>).packageLike = (ms: number, fn: () => void) => globalThis.setTimeout(fn, ms);
    const cell = run(
      "packageLike(60, () => { globalThis.packageTimerFired = true });\nsetTimeout(() => { globalThis.cellTimerFired = true }, 60);\nawait new Promise(() => {})",
    );
    await sleep(10);
    shell.interrupt();
    await cell;
    await sleep(120);
    const g = globalThis as Record<string, unknown>;
    expect(g.packageTimerFired).toBe(true);
    expect(g.cellTimerFired).toBeUndefined();
    expect(globalThis.setTimeout).toBe((await import("node:timers")).setTimeout);
  });
});
