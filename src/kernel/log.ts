/**
 * Kernel logging: pino, synchronous, to stderr (fd 2). Never to stdout: not every launcher reads
 * the kernel's stdout, and a full pipe would block the kernel.
 *
 * pino is loaded on the first record at an enabled level: a kernel at the default level logs
 * nothing in normal operation, and loading pino in each thread would add ~40 ms to start-up.
 */
import process from "node:process";
import { createRequire } from "node:module";

export const LOG_LEVEL_ENV = "TS_ASYNC_KERNEL_LOG_LEVEL";
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
type Level = keyof typeof LEVELS;

type LogFn = (objOrMsg: unknown, msg?: string) => void;
export interface Log {
  readonly level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

/** Level from the CLI flag, else the environment, else "warn". Unknown names fail loudly. */
export function resolveLogLevel(flag?: string): string {
  const level = (flag ?? process.env[LOG_LEVEL_ENV] ?? "warn").toLowerCase();
  if (!(level in LEVELS)) {
    throw new Error(`unknown log level "${level}": expected one of ${Object.keys(LEVELS).join(", ")}`);
  }
  return level;
}

const require = createRequire(import.meta.url);

export function createLogger(level: string, name: string): Log {
  const threshold = LEVELS[level as Level] ?? LEVELS.warn;
  let pino: Record<Level, LogFn> | undefined;
  const load = (): Record<Level, LogFn> => {
    if (!pino) {
      const mod = require("pino") as typeof import("pino");
      pino = mod.pino({ name, level }, mod.pino.destination({ fd: 2, sync: true })) as unknown as Record<Level, LogFn>;
    }
    return pino;
  };
  const at =
    (l: Exclude<Level, "silent">): LogFn =>
    (objOrMsg, msg) => {
      if (LEVELS[l] < threshold) return;
      const logger = load();
      if (msg === undefined) logger[l].call(logger, objOrMsg);
      else logger[l].call(logger, objOrMsg, msg);
    };
  return { level, trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), fatal: at("fatal") };
}
