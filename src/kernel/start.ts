/**
 * Start a kernel process for a connection file: the main thread runs on a Host from src/event_loop.
 *
 * Start-up order matters for how soon the kernel answers: the I/O worker (a new isolate that loads
 * zeromq and binds the sockets, the longest step) is spawned first, and the main thread loads the
 * rest of the kernel while it boots.
 */
import process from "node:process";
import { readConnectionFile } from "./connection_file.js";
import { newAttention } from "../shell/attention.js";
import { spawnIoWorker } from "./io/spawn.js";
import { kernelInfo, type Language } from "./kernel_info.js";
import { createLogger, resolveLogLevel } from "./log.js";

export interface StartOptions {
  connectionFile: string;
  logLevel?: string;
  language?: Language;
  /** Event-loop settings for the main thread (backend, optional host loop). */
  backend?: string;
  loop?: string;
  cwd?: string;
  typeCheck?: boolean;
}

export async function startKernel(options: StartOptions): Promise<number> {
  const level = resolveLogLevel(options.logLevel);
  const log = createLogger(level, "ts-async-kernel");
  const connection = readConnectionFile(options.connectionFile);
  const language = options.language ?? "typescript";
  const info = kernelInfo(language);
  // Shared with the I/O worker and the SIGINT watcher, which stop cells by raising its flag.
  const attention = newAttention();
  const worker = spawnIoWorker({ connection, logLevel: level, kernelInfo: info, languageService: true, attention: attention.buffer as SharedArrayBuffer });
  const [{ run }, { Kernel }] = await Promise.all([import("../event_loop/run.js"), import("./kernel.js")]);
  const settings: { backend: string; loop?: string } = { backend: options.backend ?? "node" };
  if (options.loop) settings.loop = options.loop;
  return run(
    async () => {
      const kernel = new Kernel({ worker, attention, info, language, cwd: options.cwd ?? process.cwd(), log, typeCheck: options.typeCheck });
      const ports = await kernel.start();
      log.info({ ports, connectionFile: options.connectionFile }, "kernel started");
      return kernel.closed;
    },
    [],
    settings,
  );
}
