/**
 * A caller thread: runs its event-loop layer (`run` from src/event_loop with the thread's backend
 * and host loop), imports the embedding program's setup module, then serves calls until the
 * root thread stops it.
 *
 * An error that escapes its call (a throw in a timer, a rejection nobody handled) must not end
 * the thread (a worker ends on an uncaught exception): it is reported (by the environment: in the
 * kernel, on the stderr of the cell that made the latest call) and the thread goes on.
 */
import process from "node:process";
import { parentPort, workerData } from "node:worker_threads";
import { run } from "../event_loop/run.js";
import { threadEnvironment } from "./environment.js";
import type { ToRoot, WorkerBoot } from "./protocol.js";
import { stackOf } from "./server.js";
import { bootWorker, listenToRoot, tellRoot } from "./thread.js";

const boot = (workerData as { caller: WorkerBoot }).caller;
bootWorker(boot);

const stray = (kind: string) => (err: unknown) => {
  const report = threadEnvironment().strayError;
  if (report) report(err, kind);
  else process.stderr.write(`${kind}: ${stackOf(err)}\n`);
};
process.on("uncaughtException", stray("Uncaught exception"));
process.on("unhandledRejection", stray("Unhandled promise rejection"));

async function main(): Promise<void> {
  if (boot.setup) {
    const module = (await import(boot.setup.module)) as Record<string, unknown>;
    const setup = module[boot.setup.export ?? "setup"];
    if (typeof setup !== "function")
      throw new Error(`the setup module ${boot.setup.module} has no function "${boot.setup.export ?? "setup"}"`);
    await (setup as (data: unknown) => unknown)(boot.setup.data);
  }
  listenToRoot();
  tellRoot({ type: "ready" });
  // Serves until the root thread terminates it.
  await new Promise<never>(() => {});
}

const settings: { backend: string; loop?: string } = { backend: boot.info.backend };
if (boot.info.loop) settings.loop = boot.info.loop;
run(main, [], settings).catch((err: unknown) => {
  // No loop or no setup: the root fails this thread's calls with this message; closing the
  // port lets the thread end.
  parentPort!.postMessage({ type: "failed", message: String((err as Error)?.message ?? err) } satisfies ToRoot);
  parentPort!.close();
});
