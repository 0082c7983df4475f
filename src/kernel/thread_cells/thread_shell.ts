/**
 * The kernel's side of every caller thread (src/caller): its setup (the Caller environment, the
 * process streams routed to the current call) and its Shell, made on first need, where
 * `// thread` cells run and `{source}` calls are evaluated, so both see the same globals.
 *
 * A thread cell is a Caller call of `runCell` from the main thread (threads.ts): its output goes
 * back to its cell as any call's output does, its outcome is the call's result, and cancelling
 * the call cancels the cell (its awaits are rejected, and so are the calls it made).
 */
import { Caller, cancelCalls, setThreadEnvironment } from "../../caller/index.js";
import { captureProcessStreams, currentOutput } from "../../shell/output.js";
import type { Shell } from "../../shell/shell.js";
import { callerEnvironment } from "../caller_env.js";
import type { Language } from "../kernel_info.js";
import type { RunCellRequest, ThreadResult } from "./protocol.js";

let settings: { cwd: string; language: Language } | undefined;
let shell: Promise<Shell> | undefined;
let loaded: Shell | undefined;

function threadShell(): Promise<Shell> {
  shell ??= import("../../shell/shell.js").then(({ Shell }) => {
    // A worker's breakOnSigint would take the SIGINT meant for the main thread's cell.
    loaded = new Shell({ cwd: settings!.cwd, language: settings!.language, breakOnSigint: false });
    return loaded;
  });
  return shell;
}

/** The thread's setup (configured by caller_env.ts), before it serves any call. */
export function setup(data: { cwd: string; language: Language }): void {
  settings = data;
  captureProcessStreams();
  setThreadEnvironment(callerEnvironment({ ...data, shell: threadShell, loadedShell: () => loaded, main: false }));
}

/** Run a `// thread` cell here; never throws (a failure is the outcome). */
export async function runCell(request: RunCellRequest): Promise<ThreadResult> {
  const out = currentOutput();
  if (!out) throw new Error("runCell is a call from the kernel's main thread");
  const signal = Caller.currentPending()?.signal;
  // The cell is cancelled: so are the calls it made that are still in flight.
  signal?.addEventListener("abort", () => cancelCalls(() => currentOutput() === out, signal.reason as Error), { once: true });
  const sh = await threadShell();
  const outcome = await sh.execute(request.code, request.cellName, out, { signal, timeoutSeconds: request.timeoutSeconds });
  if (outcome.status !== "ok" || !request.userExpressions) return { outcome };
  const userExpressions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request.userExpressions)) {
    userExpressions[k] = typeof v === "string"
      ? await sh.userExpression(v, out)
      : { status: "error", ename: "TypeError", evalue: "user expression must be a string", traceback: [] };
  }
  return { outcome, userExpressions };
}
