/**
 * A thread that sits inside a `breakOnSigint` evaluation for the kernel's whole life.
 *
 * Why: Node's SIGINT watchdog (what `vm` `breakOnSigint` uses) starts and joins a helper thread
 * around every evaluation unless some evaluation is already watching; that cost about 100 µs per
 * cell here. While this thread watches, the main thread's `breakOnSigint` runs cost about 2 µs.
 * Node hands a SIGINT to the most recent watcher only: a cell in a busy loop on the main thread is
 * stopped there; when no cell is running, this thread is woken and tells the main thread, which
 * cancels the cells that are awaiting.
 *
 * Two nested watches: the inner one is woken by a SIGINT and re-armed while the outer one keeps
 * watching, so there is no moment without a watcher (then Node's default SIGINT action, ending
 * the process, would apply again).
 *
 * Shared flags: [0] = 1 asks this thread to end; [1] = 1 lets it arm (the main thread first drops
 * its own SIGINT listener: libuv resets SIGINT to its default when the last listener goes, which
 * would undo the watchdog's handler if that came after).
 */
import vm from "node:vm";
import { parentPort, workerData } from "node:worker_threads";

const flag = new Int32Array(workerData as SharedArrayBuffer);
const port = parentPort!;
const interrupted = (err: unknown) => (err as { code?: string }).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";

const inner = vm.createContext({ Atomics, flag });
const wait = new vm.Script("Atomics.wait(flag, 0, 0)");

/** Runs inside the outer watch: watch, report, re-arm, until asked to end. */
function watchInner(): void {
  port.postMessage("armed");
  while (Atomics.load(flag, 0) === 0) {
    try {
      wait.runInContext(inner, { breakOnSigint: true });
    } catch (err) {
      if (!interrupted(err)) throw err;
      port.postMessage("sigint");
    }
  }
}

const outer = vm.createContext({ watchInner });
const watch = new vm.Script("watchInner()");

Atomics.wait(flag, 1, 0);
while (Atomics.load(flag, 0) === 0) {
  try {
    watch.runInContext(outer, { breakOnSigint: true });
  } catch (err) {
    if (!interrupted(err)) throw err;
    port.postMessage("sigint");
  }
}
