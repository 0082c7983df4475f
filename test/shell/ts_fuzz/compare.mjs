/**
 * Runs prepared cases (cases.mjs) both ways and compares: tsc's output as sloppy scripts in a
 * fresh worker per case (the reference), and the cells through a real Shell in kernel workers
 * that take several cases each. A case whose kernel run differs is run again alone in a fresh
 * kernel worker, and only what differs there counts (an earlier case of the batch may have left
 * globals behind). Differences are then put into classes (classify.mjs).
 */
import { Worker } from "node:worker_threads";
import { isHelperName } from "./cases.mjs";

const WORKER = new URL("./worker.mjs", import.meta.url);

/**
 * @param {Array} cases prepared cases (no `skip`)
 * @param {{ shell: string, cwd: string, concurrency?: number, batch?: number, timeoutMs?: number, progress?: (text: string) => void }} options
 *   `shell`: the build folder whose shell/shell.js the kernel workers import.
 * @returns {Promise<Array<{ name: string, differences: Array, reference: object, kernel: object }>>}
 */
export async function compareCases(cases, options) {
  const { concurrency = 2, timeoutMs = 2000, progress } = options;
  const references = await pool(cases, concurrency, (c, k) => {
    if (k % 500 === 0) progress?.(`reference ${k}/${cases.length}`);
    return runReference(c, timeoutMs);
  });
  progress?.("kernel");
  const kernels = await runKernels(cases, references, { ...options, timeoutMs });
  const differences = cases.map((c, k) => diff(c, references[k], kernels[k]));
  // What differs is run again alone, in fresh workers, with more time: on a loaded machine a case
  // may outlast the timeout on one side only (a timeout is a verdict only when it is one on both).
  const again = cases.flatMap((_c, k) => (differences[k].length > 0 && options.batch !== 1 ? [k] : []));
  if (again.length > 0) {
    progress?.(`again alone: ${again.length}`);
    const patient = timeoutMs * 5;
    for (const k of again) if (references[k].stopped === "timeout") references[k] = await runReference(cases[k], patient);
    const rerun = await runKernels(
      again.map((k) => cases[k]),
      again.map((k) => references[k]),
      { ...options, timeoutMs: patient, batch: 1 },
    );
    again.forEach((k, j) => {
      kernels[k] = rerun[j];
      differences[k] = diff(cases[k], references[k], kernels[k]);
    });
  }
  return cases.map((c, k) => ({ name: c.name, differences: differences[k], reference: references[k], kernel: kernels[k] }));
}

/** Run `fn` over `items`, `n` at a time; results in order. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k], k);
      }
    }),
  );
  return out;
}

function spawn(workerData) {
  const worker = new Worker(WORKER, { workerData, stdout: true, stderr: true });
  worker.stdout.resume();
  worker.stderr.resume();
  return worker;
}

function runReference(c, timeoutMs) {
  return new Promise((resolve) => {
    const worker = spawn({ mode: "reference", timeoutMs });
    const done = (result) => {
      clearTimeout(timer);
      worker.removeAllListeners();
      worker.on("error", () => {});
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => done({ stopped: "timeout" }), timeoutMs + 2000);
    worker.on("message", (result) => done(result));
    worker.on("error", (err) => done({ stopped: err?.code === "ERR_WORKER_OUT_OF_MEMORY" ? "timeout" : `worker error: ${err?.message}` }));
    worker.on("exit", (code) => done({ stopped: `exited (${code})` }));
    worker.postMessage({ cells: c.cells.map(({ file, js, hasResult }) => ({ file, js, hasResult })), names: c.names });
  });
}

/** The kernel runs: `concurrency` workers, each taking up to `batch` cases before a fresh one. */
async function runKernels(cases, references, options) {
  const { concurrency = 2, batch = 100, timeoutMs } = options;
  const out = new Array(cases.length);
  let next = 0;
  const lane = async () => {
    let worker;
    let used = 0;
    try {
      while (next < cases.length) {
        const k = next++;
        if (k % 500 === 0) options.progress?.(`kernel ${k}/${cases.length}`);
        if (!worker || used >= batch) {
          await worker?.terminate();
          worker = undefined;
          try {
            worker = await startKernel(options);
          } catch (err) {
            out[k] = { stopped: String(err?.message ?? err) };
            continue;
          }
          used = 0;
        }
        used++;
        const c = cases[k];
        const names = [...c.names, ...(references[k].names ?? [])];
        out[k] = await kernelCase(worker, k, c, names, timeoutMs);
        if (out[k].stopped) {
          void worker.terminate();
          worker = undefined;
        }
      }
    } finally {
      await worker?.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, lane));
  return out;
}

function startKernel(options) {
  return new Promise((resolve, reject) => {
    // the Shell's attention flag: raised, it stops the cell's code in its next loop or call
    const attention = new Int32Array(new SharedArrayBuffer(8 * Int32Array.BYTES_PER_ELEMENT));
    const worker = spawn({ mode: "kernel", shell: options.shell, cwd: options.cwd, attention });
    worker.attention = attention;
    const timer = setTimeout(() => fail(new Error("a kernel worker did not start in 60 s")), 60_000);
    const fail = (err) => {
      clearTimeout(timer);
      void worker.terminate();
      reject(err);
    };
    worker.once("message", () => {
      clearTimeout(timer);
      worker.removeAllListeners("error");
      worker.removeAllListeners("exit");
      resolve(worker);
    });
    worker.once("error", fail);
    worker.once("exit", (code) => fail(new Error(`a kernel worker exited before it started (${code})`)));
  });
}

const ATTENTION_INTERRUPT = 1; // src/shared_memory/layout.ts AttentionFlag.INTERRUPT

function kernelCase(worker, id, c, names, timeoutMs) {
  return new Promise((resolve) => {
    let interrupted = false;
    // a cell still running after its timeout is interrupted (before an endless spread fills the heap, which ends the process)
    const runaway = setTimeout(() => {
      interrupted = true;
      Atomics.store(worker.attention, 0, ATTENTION_INTERRUPT);
    }, timeoutMs * c.cells.length);
    const done = (result) => {
      clearTimeout(timer);
      clearTimeout(runaway);
      if (interrupted && result.outcomes?.some((o) => !o.ok && o.error?.name === "KernelInterrupt")) result = { stopped: "timeout" };
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      worker.off("error", onError);
      resolve(result);
    };
    const onMessage = (m) => m.id === id && done(m.result);
    const onExit = (code) => done({ stopped: `exited (${code})` });
    // out of memory: a runaway, as a timeout is
    const onError = (err) => done({ stopped: err?.code === "ERR_WORKER_OUT_OF_MEMORY" ? "timeout" : `worker error: ${err?.message}` });
    const timer = setTimeout(() => done({ stopped: "timeout" }), timeoutMs * c.cells.length + 2000);
    worker.on("message", onMessage);
    worker.on("exit", onExit);
    worker.on("error", onError);
    worker.postMessage({ id, cells: c.cells.map(({ language, source }) => ({ language, source })), names });
  });
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
/** No result and a result of undefined show alike (nothing). */
const isUndefined = (outcome) => !outcome.hasResult || outcome.value?.t === "undefined";

/** The differences between a reference run and a kernel run: `{ what, reference, kernel }`. */
export function diff(c, ref, kernel) {
  const out = [];
  // a cell that runs forever: vm's timeout ends the reference's synchronous part, the worker's watchdog the kernel's
  if (!ref.stopped && ref.outcomes.some((o) => !o.ok && /^Script execution timed out/.test(o.error?.message ?? "")))
    ref = { stopped: "timeout" };
  if (ref.stopped || kernel.stopped) {
    if (ref.stopped !== kernel.stopped)
      out.push({ what: "run", reference: ref.stopped ?? "completed", kernel: kernel.stopped ?? "completed" });
    return out;
  }
  ref.outcomes.forEach((r, k) => {
    const m = kernel.outcomes[k];
    const where = c.cells.length > 1 ? `cell ${k}: ` : "";
    if (r.ok !== m.ok) {
      out.push({
        what: `${where}outcome`,
        reference: r.ok ? "ok" : r.error,
        kernel: m.ok ? "ok" : { ...m.error, ...(m.refused ? { refused: m.refused } : {}) },
      });
    } else if (!r.ok) {
      if (!same(r.error, m.error))
        out.push({ what: `${where}error`, reference: r.error, kernel: { ...m.error, ...(m.refused ? { refused: m.refused } : {}) } });
    } else if (isUndefined(r) && isUndefined(m)) {
      // nothing to show either way
    } else if (r.hasResult !== m.hasResult) {
      out.push({ what: `${where}result`, reference: r.hasResult ? r.value : "no result", kernel: m.hasResult ? m.value : "no result" });
    } else if (!same(r.value, m.value)) {
      out.push({ what: `${where}value`, reference: r.value, kernel: m.value });
    }
  });
  // the case's own names: not tsc's helpers (`__decorate`) nor its temporaries (`var _a` for a class alias)
  const written = (name) => c.cells.some((cell) => new RegExp(`(^|[^\\w$])${name.replace(/\$/g, "\\$")}([^\\w$]|$)`).test(cell.source));
  const refNames = new Set(ref.names.filter((n) => !isHelperName(n) && written(n)));
  const kernelNames = new Set(kernel.names.filter((n) => written(n)));
  const missing = [...refNames].filter((n) => !kernelNames.has(n));
  const extra = [...kernelNames].filter((n) => !refNames.has(n));
  if (missing.length > 0 || extra.length > 0) out.push({ what: "names", reference: missing, kernel: extra });
  for (const name of refNames) {
    if (kernelNames.has(name) && !same(ref.values[name], kernel.values[name])) {
      out.push({ what: `value of ${name}`, reference: ref.values[name], kernel: kernel.values[name] });
    }
  }
  // stack frames name the script (a file of the case's, or the cell `In[...]`) and the runner
  const output = (o) => o.map(([stream, text]) => [stream, text.replace(/^ +at .*\n?/gm, "")]);
  if (!same(output(ref.output), output(kernel.output))) out.push({ what: "output", reference: ref.output, kernel: kernel.output });
  return out;
}
