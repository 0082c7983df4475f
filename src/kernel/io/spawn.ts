/** Spawning the I/O worker thread (io_worker.ts). */
import { Worker } from "node:worker_threads";
import type { WorkerOptions } from "../bridge.js";

export function spawnIoWorker(workerData: WorkerOptions): Worker {
  // stdout/stderr false: the worker writes through the main thread's streams (it logs to fd 2).
  return new Worker(new URL("./io_worker.js", import.meta.url), { workerData, stdout: false, stderr: false });
}
