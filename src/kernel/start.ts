/**
 * Start a kernel process for a connection file: the main thread runs on a Host from src/event_loop.
 *
 * Start-up order matters for how soon the kernel answers: the I/O worker (a new isolate that loads
 * zeromq and binds the sockets, the longest step) is spawned first, and the main thread loads the
 * rest of the kernel while it boots.
 */
import process from "node:process";
import { ConnectionFileError, connectionFileExposure, readConnectionFile } from "../io/connection_file.js";
import { newAttention } from "../shell/attention.js";
import { spawnIoWorker } from "../io/spawn.js";
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
  /** A last expression ending in `;` shows no result (IPython's convention). */
  semicolonHidesResult?: boolean;
  /** Install `npm:` packages cells import that are not there (false: `--no-npm-install`). */
  npmInstall?: boolean;
  /** Refuse a connection file that others may read (by default a warning is logged). */
  privateConnectionFile?: boolean;
  /** Interrupts come as SIGINT (the kernelspec's `signal` mode: `--interrupt-mode signal`). */
  signalInterrupts?: boolean;
}

export async function startKernel(options: StartOptions): Promise<number> {
  const level = resolveLogLevel(options.logLevel);
  const log = createLogger(level, "ts-async-kernel");
  const connection = readConnectionFile(options.connectionFile);
  const exposure = connectionFileExposure(options.connectionFile);
  if (exposure && options.privateConnectionFile) throw new ConnectionFileError(`${exposure} (refused: --private-connection-file)`);
  if (exposure) log.warn(exposure);
  if (connection.key === "") {
    log.warn(
      { connectionFile: options.connectionFile },
      "the connection file has no key: messages are not signed, so anyone who can connect to the kernel's ports can run code in it",
    );
  }
  const language = options.language ?? "typescript";
  const info = kernelInfo(language);
  // Shared with the I/O worker and the SIGINT watcher, which stop cells by raising its flag.
  const attention = newAttention();
  const worker = spawnIoWorker({
    connection,
    logLevel: level,
    kernelInfo: info,
    languageService: true,
    attention: attention.buffer as SharedArrayBuffer,
  });
  const [{ run }, { Kernel }] = await Promise.all([import("../event_loop/run.js"), import("./kernel.js")]);
  const settings: { backend: string; loop?: string } = { backend: options.backend ?? "node" };
  if (options.loop) settings.loop = options.loop;
  return run(
    async () => {
      const kernel = new Kernel({
        worker,
        attention,
        info,
        language,
        cwd: options.cwd ?? process.cwd(),
        log,
        typeCheck: options.typeCheck,
        semicolonHidesResult: options.semicolonHidesResult,
        npmInstall: options.npmInstall,
        signalInterrupts: options.signalInterrupts,
      });
      const ports = await kernel.start();
      log.info({ ports, connectionFile: options.connectionFile }, "kernel started");
      return kernel.closed;
    },
    [],
    settings,
  );
}
