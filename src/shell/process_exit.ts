/**
 * `process.exit()` in a cell must not end the kernel: its frontend would only see a dead kernel
 * and every variable would be lost. Cells (and the packages they import) on the main thread share
 * the kernel's `process`, so its `exit`, `reallyExit` (what `exit` calls in the end; reachable
 * too) and `abort` are replaced by functions that throw `ProcessExit`, an error that says the
 * kernel keeps running and how to end it. A cell that does not catch it fails with it; from a
 * timer it is a stray error, shown on the stderr of the current cell.
 *
 * The kernel's own exit goes through the function `guardProcessExit` returns. In a thread cell,
 * `process` is its worker's: `process.exit()` there ends that thread only (thread_cells/threads.ts
 * reports it on the cell).
 */

/** What a cell gets for process.exit(), process.reallyExit() or process.abort(). */
export class ProcessExit extends Error {
  override name = "ProcessExit";
}

type Exit = (code?: number | string | null) => never;
type GuardedProcess = NodeJS.Process & { reallyExit: (code?: number) => never };

let exitProcess: Exit | undefined;

/** Install the guard (once); returns the original `process.exit`, for the kernel's own exit. */
export function guardProcessExit(): Exit {
  if (exitProcess) return exitProcess;
  const proc = process as GuardedProcess;
  const original = { exit: proc.exit, reallyExit: proc.reallyExit, abort: proc.abort };
  /** Set while the kernel itself exits: Node's exit() calls process.reallyExit(). */
  let leaving = false;
  const refuse = (call: string): never => {
    throw new ProcessExit(
      `${call} was called, but the kernel keeps running (with every variable). To end it, shut the kernel down or restart it from the frontend.`,
    );
  };
  const codeText = (code: unknown) => (code === undefined ? "" : (JSON.stringify(code) ?? String(code)));
  proc.exit = function exit(code) {
    return leaving ? original.exit.call(proc, code) : refuse(`process.exit(${codeText(code)})`);
  } as Exit;
  proc.reallyExit = function reallyExit(code) {
    return leaving ? original.reallyExit.call(proc, code) : refuse(`process.reallyExit(${codeText(code)})`);
  };
  proc.abort = function abort() {
    return leaving ? original.abort.call(proc) : refuse("process.abort()");
  };
  exitProcess = (code) => {
    leaving = true;
    return original.exit.call(proc, code);
  };
  return exitProcess;
}
