/**
 * The kernel's side of every Caller thread (src/caller): its setup (the Caller environment, the
 * process streams routed to the current call, the thread's attention memory) and its Shell, made
 * on first need, where `// thread` cells run and `{source}` calls are evaluated, so both see the
 * same globals (the thread's own realm).
 *
 * A thread cell is a Caller call of `runCell` from the main thread (threads.ts): its output goes
 * back to its cell as any call's output does, its outcome is the call's result, and cancelling
 * the call cancels the cell (its awaits are rejected, and so are the calls it made). The main
 * thread raises this thread's attention flag (interrupt, deadline) to stop the cell's code even
 * where this thread is stuck in it.
 */
import { Caller, cancelCalls, setThreadEnvironment } from "../../caller/index.js";
import { lowerDeadline } from "../../shell/attention.js";
import { newAttention } from "../../shared_memory/layout.js";
import { captureProcessStreams, currentOutput, type CellOutput } from "../../shell/output.js";
import type { Shell } from "../../shell/shell.js";
import { refusingStdin } from "../../shell/stdin.js";
import type { CommInbound } from "../../comm/index.js";
import type { ManagerState } from "../../widgets/index.js";
import { announceCommTargets, callerEnvironment } from "../caller_env.js";
import type { Language } from "../kernel_info.js";
import type { RunCellRequest, ThreadResult } from "./protocol.js";

let settings: { cwd: string; language: Language; semicolonHidesResult?: boolean; npmInstall?: boolean } | undefined;
let shell: Promise<Shell> | undefined;
let loaded: Shell | undefined;
/** Read by the guards of this thread's cells; raised by the main thread (threads.ts). */
let attention: Int32Array | undefined;

/** Input requests belong to the main thread's cells (docs/stdin.md says why). */
const threadStdin = refusingStdin("thread cells cannot ask for input: run the cell on the main thread (without `// thread`)");

function threadShell(): Promise<Shell> {
  shell ??= import("../../shell/shell.js").then(({ Shell }) => {
    // A worker's breakOnSigint would take the SIGINT meant for the main thread's cell.
    loaded = new Shell({
      cwd: settings!.cwd,
      language: settings!.language,
      breakOnSigint: false,
      attention: attention!,
      semicolonHidesResult: settings!.semicolonHidesResult === true,
      npmInstall: settings!.npmInstall,
    });
    return loaded;
  });
  return shell;
}

/** The thread's setup (configured by caller_env.ts), before it serves any call. */
export async function setup(data: {
  cwd: string;
  language: Language;
  semicolonHidesResult?: boolean;
  npmInstall?: boolean;
}): Promise<void> {
  settings = data;
  attention = newAttention();
  captureProcessStreams();
  setThreadEnvironment(callerEnvironment({ ...data, shell: threadShell, loadedShell: () => loaded, main: false }));
  // This thread's comms publish through the output of the code that runs (a cell, a call, a
  // comm handler), which carries them to the main thread (thread_comms.ts).
  const { comms } = await import("../../comm/index.js");
  comms.connect({
    send: (msg) => currentOutput()?.comm?.(msg),
    reportError: (err, context) =>
      currentOutput()?.stream("stderr", `${context}: ${loaded?.errorText(err) ?? String((err as Error)?.stack ?? err)}\n`),
  });
  comms.onTargetsChanged((names) => announceCommTargets(names));
}

/** A frontend message for a comm (or a target) of this thread; settles once its handlers have. */
export async function receiveComm(msg: CommInbound): Promise<void> {
  const { comms } = await import("../../comm/index.js");
  await comms.receive(msg);
}

/** The state of this thread's widgets (for a frontend that restores them). */
export async function widgetStates(): Promise<ManagerState> {
  const { localWidgetStates } = await import("../../widgets/index.js");
  return localWidgetStates();
}

/** This thread's attention memory, shared with the main thread, which raises it. */
export function attentionMemory(): SharedArrayBuffer {
  return attention!.buffer as SharedArrayBuffer;
}

/** Run a `// thread` cell here; never throws (a failure is the outcome). */
export async function runCell(request: RunCellRequest): Promise<ThreadResult> {
  const relay = currentOutput();
  if (!relay) throw new Error("runCell is a call from the kernel's main thread");
  // the call's relay (its comm messages and custom events included), asking no input
  const out: CellOutput = { ...relay, stdin: threadStdin };
  const signal = Caller.currentPending()?.signal;
  // The cell is cancelled: so are the calls it made that are still in flight.
  signal?.addEventListener("abort", () => cancelCalls(() => currentOutput() === out, signal.reason as Error), { once: true });
  const sh = await threadShell();
  try {
    const outcome = await sh.execute(request.code, request.cellName, out, {
      signal,
      timeoutSeconds: request.timeoutSeconds,
      deadlineToken: request.deadlineToken,
    });
    if (outcome.status !== "ok" || !request.userExpressions) return { outcome };
    const userExpressions: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(request.userExpressions)) {
      userExpressions[k] =
        typeof v === "string"
          ? await sh.userExpression(v, out)
          : { status: "error", ename: "TypeError", evalue: "user expression must be a string", traceback: [] };
    }
    return { outcome, userExpressions };
  } finally {
    if (request.deadlineToken !== undefined) lowerDeadline(attention!, request.deadlineToken);
  }
}
