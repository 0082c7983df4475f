import { statSync } from "node:fs";

/**
 * What says a user's file changed since it was loaded: its mtime and size ("missing" once gone).
 * Used by the import hooks' thread and the main thread's require cache alike.
 */
export function stampOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return "missing";
  }
}
