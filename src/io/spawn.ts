/** Spawning the I/O worker thread (worker.ts). */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { ToMain, WorkerOptions } from "./bridge.js";

/**
 * `npm run build` bundles the worker into one file (rolldown.config.mjs): it answers the first
 * kernel_info_request, and one file loads ~18 ms sooner than its ~20 modules. Without the bundle
 * (a bare `tsc` build) the modules load one by one, to the same effect.
 */
const bundled = new URL("./worker.bundle.js", import.meta.url);
const entry = existsSync(bundled) ? bundled : new URL("./worker.js", import.meta.url);

export interface WorkerListener {
  message(m: ToMain): void;
  error(err: Error): void;
  exit(code: number): void;
}

/** The I/O worker, with what it said before anyone listened. */
export interface IoWorker {
  readonly worker: Worker;
  /** Hands over what came so far (in order), then every message, error and exit as they come. */
  listen(listener: WorkerListener): void;
}

export function spawnIoWorker(workerData: WorkerOptions): IoWorker {
  // stdout/stderr false: the worker writes through the main thread's streams (it logs to fd 2).
  return holdUntilListened(new Worker(entry, { workerData, stdout: false, stderr: false }));
}

/**
 * The worker starts while the main thread still loads the kernel, and a Worker drops the events
 * nobody listens to: a bind failure ("fatal", then "exit") that came first was lost, and the
 * process, left with nothing to wait for, exited 0 without a word. So everything is listened to
 * from the spawn on, and kept until the kernel listens.
 */
export function holdUntilListened(worker: Worker): IoWorker {
  const held: { [K in keyof WorkerListener]: [K, Parameters<WorkerListener[K]>[0]] }[keyof WorkerListener][] = [];
  let listener: WorkerListener | undefined;
  worker.on("message", (m: ToMain) => (listener ? listener.message(m) : held.push(["message", m])));
  worker.on("error", (err: Error) => (listener ? listener.error(err) : held.push(["error", err])));
  worker.on("exit", (code: number) => (listener ? listener.exit(code) : held.push(["exit", code])));
  return {
    worker,
    listen(l) {
      listener = l;
      for (const [kind, value] of held.splice(0)) (l[kind] as (v: typeof value) => void)(value);
    },
  };
}
