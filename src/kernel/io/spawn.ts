/** Spawning the I/O worker thread (io_worker.ts). */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { WorkerOptions } from "../bridge.js";

/**
 * `npm run build` bundles the worker into one file (rolldown.config.mjs): it answers the first
 * kernel_info_request, and one file loads ~18 ms sooner than its ~20 modules. Without the bundle
 * (a bare `tsc` build) the modules load one by one, to the same effect.
 */
const bundled = new URL("./io_worker.bundle.js", import.meta.url);
const entry = existsSync(bundled) ? bundled : new URL("./io_worker.js", import.meta.url);

export function spawnIoWorker(workerData: WorkerOptions): Worker {
  // stdout/stderr false: the worker writes through the main thread's streams (it logs to fd 2).
  return new Worker(entry, { workerData, stdout: false, stderr: false });
}
