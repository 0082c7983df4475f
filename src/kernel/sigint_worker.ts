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
 * On a SIGINT it raises the main shell's attention flag (unless the kernel sent that signal
 * itself, see interrupts.ts): the main thread may be stuck in a cell's code after an `await`,
 * which only the flag can stop.
 *
 * Control words (src/shared_memory/layout.ts SigintControlWord): END raised asks this thread to
 * end; ARM raised lets it arm (the main thread first drops its own SIGINT listener: libuv resets
 * SIGINT to its default when the last listener goes, which would undo the watchdog's handler if
 * that came after).
 *
 * Each SIGINT also bumps the stdin wake words (stdin_wake.ts): a cell blocked in prompt() takes no
 * messages, so the report alone would never reach it.
 */
import vm from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { SigintControl, SigintControlWord } from "../shared_memory/layout.js";
import { sigintCaught } from "./interrupts.js";
import type { SigintWorkerData } from "./sigint_watch.js";
import { countSigint } from "./stdin_wake.js";

const data = workerData as SigintWorkerData;
const flag = new Int32Array(data.control);
const attention = new Int32Array(data.attention);
const wake = new Int32Array(data.wake);
const port = parentPort!;
const interrupted = (err: unknown) => (err as { code?: string }).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";

/** Run `script` under breakOnSigint again and again, reporting each SIGINT, until asked to end. */
function watch(script: vm.Script, context: vm.Context): void {
  while (Atomics.load(flag, SigintControlWord.END) === SigintControl.LOWERED) {
    try {
      script.runInContext(context, { breakOnSigint: true });
    } catch (err) {
      if (!interrupted(err)) throw err;
      sigintCaught(attention);
      countSigint(wake);
      port.postMessage("sigint");
    }
  }
}

const inner = vm.createContext({ Atomics, flag });
const wait = new vm.Script(`Atomics.wait(flag, ${SigintControlWord.END}, ${SigintControl.LOWERED})`);
// The outer watch runs the inner one: while the inner one is re-armed, the outer one watches.
const outer = vm.createContext({
  watchInner: () => {
    port.postMessage("armed");
    watch(wait, inner);
  },
});

Atomics.wait(flag, SigintControlWord.ARM, SigintControl.LOWERED);
watch(new vm.Script("watchInner()"), outer);
