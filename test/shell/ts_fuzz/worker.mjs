/**
 * A realm that runs cases (a worker thread; compare.mjs starts them), in one of two modes:
 *
 * - `reference`: tsc's JavaScript of each cell as a sloppy script (`vm.runInThisContext`), in a
 *   worker of its own per case (the case's `let`s would clash with the next case's).
 * - `kernel`: the cells as the kernel runs them, `Shell.evaluateCell` of a real Shell (from the
 *   build folder `workerData.shell`), several cases one after the other: REPL-mode scripts may
 *   declare a name again, so a case runs like a notebook's next cells (compare.mjs runs a case
 *   that differs again in a fresh worker before it counts as a difference).
 *
 * Both capture alike (snapshot.mjs): per cell, the completion value or what it threw; the console
 * output (a `Console` over the same writable in both, as the kernel's own is made); errors that
 * escaped; and the top-level names the case declares with their values.
 */
import vm from "node:vm";
import { Console } from "node:console";
import { Writable } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import process from "node:process";
import { describe, describeThrown, settle, timers, OutputLog } from "./snapshot.mjs";

const { Object, Set, JSON, String } = globalThis;

let log = new OutputLog();
const writable = (stream) =>
  new Writable({
    write(chunk, _encoding, done) {
      log.write(stream, String(chunk));
      done();
    },
  });
const escaped = (kind) => (err) => log.write("escaped", `${kind}: ${JSON.stringify(describeThrown(err))}\n`);
process.on("unhandledRejection", escaped("unhandledRejection"));
process.on("uncaughtException", escaped("uncaughtException"));

/** Names on globalThis (var, function, implicit globals), less the kernel's own. */
const globalNames = () => Object.getOwnPropertyNames(globalThis).filter((n) => !n.startsWith("__tsak_"));

function newGlobals(before) {
  const had = new Set(before);
  return globalNames().filter((n) => !had.has(n));
}

if (workerData.mode === "reference") {
  const console = new Console({ stdout: writable("stdout"), stderr: writable("stderr"), colorMode: false });
  Object.defineProperty(globalThis, "console", { value: console, writable: true, configurable: true, enumerable: false });
  parentPort.once("message", async ({ cells, names }) => {
    const before = globalNames();
    const baseline = timers();
    const outcomes = [];
    for (const cell of cells) {
      try {
        const value = vm.runInThisContext(cell.js, { filename: cell.file, timeout: workerData.timeoutMs });
        outcomes.push({ ok: true, value, hasResult: cell.hasResult });
      } catch (err) {
        outcomes.push({ ok: false, error: describeThrown(err) });
      }
    }
    await settle(baseline);
    // described once what they scheduled has run (a promise's state, as the kernel's below)
    for (const o of outcomes) if (o.ok) o.value = o.hasResult ? describe(o.value) : undefined;
    const all = [...new Set([...names, ...newGlobals(before)])];
    const values = {};
    for (const name of all) {
      let value;
      try {
        value = vm.runInThisContext(name);
      } catch {
        value = undefined; // in its TDZ: the kernel's namespace() reads it as undefined too
      }
      values[name] = describe(value);
    }
    parentPort.postMessage({ outcomes, names: all, values, output: log.entries });
  });
} else {
  const shellDir = workerData.shell;
  const { Shell } = await import(pathToFileURL(join(shellDir, "shell", "shell.js")).href);
  const { CellScope } = await import(pathToFileURL(join(shellDir, "shell", "cell_scope.js")).href);
  const { CELL_LOCALS } = await import(pathToFileURL(join(shellDir, "shell", "transform", "rewrite.js")).href);
  const shells = {};
  const { attention } = workerData;
  const shellFor = (language) => (shells[language] ??= new Shell({ cwd: workerData.cwd, language, breakOnSigint: false, attention }));
  shellFor("typescript");
  const output = {
    stream: (name, text) => log.write(name, text),
    display: () => log.write("display", "<display>\n"),
    clearOutput: () => {},
  };
  /** The notebook's names as namespace() lists them (a cell-local name only once the notebook declares it). */
  const notebookNames = () => {
    const shell = shellFor("typescript");
    return Object.keys(shell.namespace()).filter((n) => !CELL_LOCALS.includes(n) || shell.names.declares(n));
  };
  parentPort.on("message", async ({ id, cells, names }) => {
    Atomics.store(attention, 0, 0); // an interrupt of the last case is over
    log = new OutputLog();
    const before = globalNames();
    const declaredBefore = new Set(notebookNames());
    const baseline = timers();
    const outcomes = [];
    for (const [k, cell] of cells.entries()) {
      const shell = shellFor(cell.language);
      try {
        const { value, hasResult } = await new CellScope(output).run(() => shell.evaluateCell(cell.source, `In[${id}.${k}]`));
        outcomes.push({ ok: true, value, hasResult });
      } catch (err) {
        // what the transform refused, and where (line of the cell)
        const syntax = err?.constructor?.name === "CellSyntaxError";
        outcomes.push({ ok: false, error: describeThrown(err), ...(syntax ? { refused: err.line } : {}) });
      }
    }
    await settle(baseline);
    for (const o of outcomes) if (o.ok) o.value = o.hasResult ? describe(o.value) : undefined;
    const declared = notebookNames().filter((n) => !declaredBefore.has(n));
    const all = [...new Set([...declared, ...names.filter((n) => declaredBefore.has(n)), ...newGlobals(before)])];
    const namespace = shellFor("typescript").namespace();
    const values = {};
    for (const name of all) {
      let value;
      try {
        value = name in namespace ? namespace[name] : vm.runInThisContext(name);
      } catch {
        value = undefined;
      }
      values[name] = describe(value);
    }
    parentPort.postMessage({ id, result: { outcomes, names: all, values, output: log.entries } });
  });
  parentPort.postMessage({ ready: true });
}
