/** Start a kernel process for a connection file: the main thread runs on a Host from src/event_loop. */
import { v4 as uuid } from "uuid";
import { run, type RunSettings } from "../event_loop/index.js";
import { readConnectionFile } from "./connection_file.js";
import { Kernel } from "./kernel.js";
import type { Language } from "./kernel_info.js";
import { createLogger, resolveLogLevel } from "./log.js";

export interface StartOptions {
  connectionFile: string;
  logLevel?: string;
  language?: Language;
  /** Event-loop settings for the main thread (backend, optional host loop). */
  backend?: string;
  loop?: string;
  cwd?: string;
}

export async function startKernel(options: StartOptions): Promise<number> {
  const level = resolveLogLevel(options.logLevel);
  const log = createLogger(level, "ts-async-kernel");
  const connection = readConnectionFile(options.connectionFile);
  const settings: RunSettings = { backend: options.backend ?? "node" };
  if (options.loop) settings.loop = options.loop;
  return run(
    async () => {
      const kernel = new Kernel({
        connection,
        logLevel: level,
        language: options.language ?? "typescript",
        cwd: options.cwd ?? process.cwd(),
        sessionId: uuid(),
        log,
      });
      const ports = await kernel.start();
      log.info({ ports, connectionFile: options.connectionFile }, "kernel started");
      return kernel.closed;
    },
    [],
    settings,
  );
}
