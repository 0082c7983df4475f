/**
 * Kernel logging: pino, synchronous, to stderr (fd 2). Never to stdout: not every launcher reads
 * the kernel's stdout, and a full pipe would block the kernel.
 */
import { pino, type Logger } from "pino";

export const LOG_LEVEL_ENV = "TS_ASYNC_KERNEL_LOG_LEVEL";
const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Level from the CLI flag, else the environment, else "warn". Unknown names fail loudly. */
export function resolveLogLevel(flag?: string): string {
  const level = (flag ?? process.env[LOG_LEVEL_ENV] ?? "warn").toLowerCase();
  if (!LEVELS.includes(level)) {
    throw new Error(`unknown log level "${level}": expected one of ${LEVELS.join(", ")}`);
  }
  return level;
}

export function createLogger(level: string, name: string): Logger {
  return pino({ name, level }, pino.destination({ fd: 2, sync: true }));
}
