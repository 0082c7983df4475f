/**
 * Start a kernel process for a connection file: the main thread runs on a Host from src/event_loop.
 *
 * Start-up order matters for how soon the kernel answers: the I/O worker (a new isolate that loads
 * zeromq and binds the sockets, the longest step) is spawned first, and the main thread loads the
 * rest of the kernel while it boots.
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import type { Announce } from "../io/announce.js";
import {
  ConnectionFileError,
  type ConnectionInfo,
  connectionFileExposure,
  connectionFileText,
  readConnectionFile,
} from "../io/connection_file.js";
import { readRegistrationFile, registrationTimeout } from "../io/registration.js";
import { newAttention } from "../shared_memory/layout.js";
import { spawnIoWorker } from "../io/spawn.js";
import { kernelInfo, type Language } from "./kernel_info.js";
import { createLogger, resolveLogLevel } from "./log.js";

export interface StartOptions {
  /** A connection file, or a JEP 66 registration file (the kernel picks its ports and registers them). */
  connectionFile?: string;
  /** `launch` (a gateway): the connection the launcher made, and whom to tell. */
  launch?: { connection: ConnectionInfo; announce: Announce; warnings: string[] };
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
  const { connection, announce, writeTo } = kernelFile(options);
  if (options.connectionFile) {
    const exposure = connectionFileExposure(options.connectionFile);
    if (exposure && options.privateConnectionFile) throw new ConnectionFileError(`${exposure} (refused: --private-connection-file)`);
    if (exposure) log.warn(exposure);
  }
  for (const warning of options.launch?.warnings ?? []) log.warn(warning);
  if (connection.key === "") {
    log.warn(
      { connectionFile: options.connectionFile },
      "the connection file has no key: messages are not signed, so anyone who can connect to the kernel's ports can run code in it",
    );
  }
  const language = options.language ?? "typescript";
  const info = kernelInfo(language);
  // A host loop that cannot load (a GUI toolkit or its build missing) fails here, with its reason,
  // before the I/O worker holds sockets that would keep the process alive after the error.
  if (options.loop) await (await import("../event_loop/host.js")).Host.load(options.loop);
  // Shared with the I/O worker and the SIGINT watcher, which stop cells by raising its flag.
  const attention = newAttention();
  const worker = spawnIoWorker({
    connection,
    logLevel: level,
    kernelInfo: info,
    languageService: true,
    attention: attention.buffer as SharedArrayBuffer,
    ...(announce ? { announce } : {}),
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
      // JEP 66: the kernel writes its connection info for other clients (readable by its owner only)
      if (writeTo) writeFileSync(writeTo, connectionFileText({ ...connection, ...ports }), { mode: 0o600 });
      log.info({ ports, connectionFile: options.connectionFile, wrote: writeTo }, "kernel started");
      return kernel.closed;
    },
    [],
    settings,
  );
}

/** The connection to bind, whom to announce it to, and where to write it once bound. */
function kernelFile(options: StartOptions): { connection: ConnectionInfo; announce?: Announce; writeTo?: string } {
  if (options.launch) return { connection: options.launch.connection, announce: options.launch.announce };
  const file = options.connectionFile;
  if (!file) throw new ConnectionFileError("no connection file given");
  const registration = readRegistrationFile(file);
  if (!registration) return { connection: readConnectionFile(file) };
  return {
    connection: registration.connection,
    announce: { registration: registration.registration, timeoutMs: registrationTimeout() },
    writeTo: registeredConnectionFile(file),
  };
}

/** Where a registered kernel writes its connection file: beside the registration file. */
export function registeredConnectionFile(registrationFile: string): string {
  return `${registrationFile.replace(/\.json$/i, "")}-connection.json`;
}
