/**
 * Starts the SIGINT watching thread (see sigint_worker.ts) and reports each SIGINT it catches;
 * the thread itself raises the attention flag first (interrupts.ts), so a cell stuck after an
 * `await` is stopped although the main thread cannot hear about it yet.
 */
import { URL } from "node:url";
import { Worker } from "node:worker_threads";
import { newSigintControl, SigintControl, SigintControlWord } from "../shared_memory/layout.js";

export interface SigintWorkerData {
  /** The SigintControlWord words: end, arm. */
  control: SharedArrayBuffer;
  /** The main shell's attention memory. */
  attention: SharedArrayBuffer;
  /** stdin_wake.ts words, bumped on each SIGINT (a blocked prompt() then looks again). */
  wake: SharedArrayBuffer;
}

export interface SigintWatch {
  /** Resolves once the thread watches; from then on `process.on("SIGINT")` must stay unused. */
  readonly armed: Promise<void>;
  stop(): void;
}

/**
 * @param beforeArming - called right before the thread arms: drop every `process.on("SIGINT")`
 *   listener there (see sigint_worker.ts for why the order matters).
 * @param wake - the words a blocked prompt() waits on (stdin_wake.ts): the thread wakes it on
 *   each SIGINT, since the main thread cannot take the report while it waits.
 * @param onFailure - the thread failed: SIGINT handling falls back to a process listener (cells
 *   then pay for Node's per-run watchdog), and `armed` resolves so that nothing waits forever.
 */
export function watchSigint(
  attention: Int32Array,
  onSigint: () => void,
  beforeArming: () => void,
  wake: SharedArrayBuffer,
  onFailure: (err: unknown) => void,
): SigintWatch {
  const shared = newSigintControl();
  const flag = new Int32Array(shared);
  const raise = (word: number) => {
    Atomics.store(flag, word, SigintControl.RAISED);
    Atomics.notify(flag, word);
  };
  const workerData: SigintWorkerData = { control: shared, attention: attention.buffer as SharedArrayBuffer, wake };
  const worker = new Worker(new URL("./sigint_worker.js", import.meta.url), { workerData, stdout: false, stderr: false });
  worker.unref();
  let armedResolve!: () => void;
  const armed = new Promise<void>((r) => (armedResolve = r));
  let stopped = false;
  worker.on("message", (m: string) => (m === "armed" ? armedResolve() : onSigint()));
  worker.on("error", (err) => {
    onFailure(err);
    armedResolve();
  });
  worker.on("exit", (code) => {
    if (stopped) return;
    onFailure(new Error(`SIGINT watcher thread exited with code ${code}`));
    armedResolve();
  });
  worker.once("online", () => {
    beforeArming();
    raise(SigintControlWord.ARM);
  });
  return {
    armed,
    stop() {
      stopped = true;
      raise(SigintControlWord.END);
      raise(SigintControlWord.ARM);
    },
  };
}
