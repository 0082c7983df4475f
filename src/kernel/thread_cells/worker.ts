/**
 * A thread-cell worker: `// thread` cells run here, in this thread's own `vm` context and Shell
 * (same cell transform, display API and output routing as the main thread's), on its own
 * event-loop layer (`run` from src/event_loop with the thread's backend and host loop).
 *
 * It owns no socket: what a cell emits is posted to the main thread as plain events, which the
 * main thread turns into messages with the cell's parent (through its Outbox), and each cell ends
 * with a `done` carrying its outcome. Several cells may run here at once (a named thread given a
 * second cell while the first awaits); each has its own id, output and cancel.
 *
 * Comms opened here live here (this thread's CommManager): their messages go out as output
 * events, in order with the rest of the output, and the frontend's messages for them come in as
 * `comm` messages, whose handlers' output goes under an id of their own (see threads.ts).
 */
import { performance } from "node:perf_hooks";
import process from "node:process";
import { parentPort, workerData } from "node:worker_threads";
import { run } from "../../event_loop/run.js";
import { comms } from "../../comm/index.js";
import { localWidgetStates } from "../../widgets/index.js";
import { captureProcessStreams, currentOutput, routeOutput, type CellOutput } from "../../shell/output.js";
import { lowerDeadline } from "../../shell/attention.js";
import { Shell, type ExecuteOutcome } from "../../shell/shell.js";
import { refusingStdin } from "../../shell/stdin.js";
import { cancelError } from "../cancel.js";
import type { FromThread, OutputEvent, ThreadWorkerData, ToThread } from "./protocol.js";
import { setImmediate } from "node:timers";

const data = workerData as ThreadWorkerData;
const port = parentPort!;

/** While a cell keeps this thread busy, its output still goes out at least this often. */
const FLUSH_INTERVAL_MS = 10;

/**
 * Batches output events: one postMessage per turn of the event loop, except that the first
 * event of a turn goes at once, and later ones at least every FLUSH_INTERVAL_MS (a cell that
 * prints and then computes shows its output while it computes).
 */
class Relay {
  private events: { id: number; event: OutputEvent }[] = [];
  private scheduled = false;
  private postedThisTurn = false;
  private lastPost = 0;

  add(id: number, event: OutputEvent): void {
    const last = this.events[this.events.length - 1];
    if (event.kind === "stream" && last?.id === id && last.event.kind === "stream" && last.event.name === event.name) {
      last.event.text += event.text;
    } else {
      this.events.push({ id, event });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endOfTurn);
    }
    if (!this.postedThisTurn) {
      this.postedThisTurn = true;
      this.flush();
    } else if (performance.now() - this.lastPost >= FLUSH_INTERVAL_MS) {
      this.flush();
    }
  }

  flush(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    this.lastPost = performance.now();
    try {
      port.postMessage({ type: "output", events } satisfies FromThread);
    } catch {
      // Something in it cannot be cloned (a function in display metadata): send it as JSON would
      // carry it from the main thread (functions dropped), or say it could not be sent.
      for (const e of events) {
        try {
          port.postMessage({ type: "output", events: [e] } satisfies FromThread);
        } catch (err) {
          try {
            port.postMessage({ type: "output", events: [JSON.parse(JSON.stringify(e)) as typeof e] } satisfies FromThread);
            continue;
          } catch {
            // not JSON either: reported below
          }
          const text = `[${e.event.kind} output of this thread cell could not be sent to the kernel: ${(err as Error).message}]\n`;
          port.postMessage({ type: "output", events: [{ id: e.id, event: { kind: "stream", name: "stderr", text } }] } satisfies FromThread);
        }
      }
    }
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.postedThisTurn = false;
    this.flush();
  };
}

/** Input requests belong to the main thread's cells (docs/stdin.md says why). */
const threadStdin = refusingStdin("thread cells cannot ask for input: run the cell on the main thread (without `// thread`)");

function outputOf(relay: Relay, id: number): CellOutput {
  return {
    stream: (name, text) => relay.add(id, { kind: "stream", name, text }),
    display: (data, options = {}) => relay.add(id, { kind: "display", data, options }),
    clearOutput: (wait) => relay.add(id, { kind: "clear", wait }),
    stdin: threadStdin,
    comm: (msg) => relay.add(id, { kind: "comm", msg }),
  };
}

async function main(): Promise<void> {
  captureProcessStreams();
  const relay = new Relay();
  const shell = new Shell({ cwd: data.cwd, language: data.language, breakOnSigint: false, attention: new Int32Array(data.attention) });
  const cancels = new Map<number, AbortController>();

  // A throw in a cell's timer or an unhandled rejection must not end the thread (a worker ends on
  // an uncaught exception): it goes to the stderr of the cell that is current, as on the main thread.
  const stray = (kind: string) => (err: unknown) => currentOutput()?.stream("stderr", `${kind}: ${shell.errorText(err)}\n`);
  process.on("uncaughtException", stray("Uncaught exception"));
  process.on("unhandledRejection", stray("Unhandled promise rejection"));

  // This thread's comms publish through the output of the code that runs (cell or comm handler).
  comms.connect({
    send: (msg) => currentOutput()?.comm?.(msg),
    reportError: (err, context) => currentOutput()?.stream("stderr", `${context}: ${shell.errorText(err)}\n`),
  });
  comms.onTargetsChanged((names) => port.postMessage({ type: "comm_targets", names } satisfies FromThread));
  if (comms.targetNames().length) port.postMessage({ type: "comm_targets", names: comms.targetNames() } satisfies FromThread);
  const handleComm = async (m: Extract<ToThread, { type: "comm" }>): Promise<void> => {
    try {
      await routeOutput(outputOf(relay, m.id), () => comms.receive(m.msg));
    } finally {
      relay.flush();
      port.postMessage({ type: "comm_done", id: m.id } satisfies FromThread);
    }
  };

  const finish = (id: number, outcome: ExecuteOutcome, userExpressions?: Record<string, unknown>): void => {
    relay.flush();
    try {
      port.postMessage({ type: "done", id, outcome, userExpressions } satisfies FromThread);
    } catch (err) {
      const error = { ename: "DataCloneError", evalue: `the cell's result could not be sent to the kernel: ${(err as Error).message}`, traceback: [] };
      port.postMessage({ type: "done", id, outcome: { status: "error", error, interrupted: false } } satisfies FromThread);
    }
  };

  const runCell = async (m: Extract<ToThread, { type: "run" }>): Promise<void> => {
    const control = new AbortController();
    cancels.set(m.id, control);
    const out = outputOf(relay, m.id);
    try {
      // the main thread keeps the time; it raises this cell's deadline by its id (threads.ts)
      const outcome = await shell.execute(m.code, m.cellName, out, { signal: control.signal, timeoutSeconds: m.timeoutSeconds, deadlineToken: m.id });
      let userExpressions: Record<string, unknown> | undefined;
      if (outcome.status === "ok" && m.userExpressions) {
        userExpressions = {};
        for (const [k, v] of Object.entries(m.userExpressions)) {
          userExpressions[k] = typeof v === "string"
            ? await shell.userExpression(v, out)
            : { status: "error", ename: "TypeError", evalue: "user expression must be a string", traceback: [] };
        }
      }
      finish(m.id, outcome, userExpressions);
    } catch (err) {
      finish(m.id, { status: "error", error: { ename: "KernelError", evalue: `internal error in the thread: ${String((err as Error)?.message ?? err)}`, traceback: [] }, interrupted: false });
    } finally {
      cancels.delete(m.id);
      lowerDeadline(shell.runtime.flag, m.id);
    }
  };

  port.on("message", (m: ToThread) => {
    if (m.type === "run") void runCell(m);
    else if (m.type === "cancel") {
      cancels.get(m.id)?.abort(cancelError(m.reason));
      // the main thread raised the flag before asking: the guards have done their part
      if (m.reason.kind === "interrupt") shell.runtime.clearAttention();
    } else if (m.type === "comm") void handleComm(m);
    else if (m.type === "interrupted") shell.runtime.clearAttention();
    else if (m.type === "widget_states") port.postMessage({ type: "widget_states", id: m.id, states: localWidgetStates() } satisfies FromThread);
  });
  // Lives until the main thread terminates it.
  await new Promise<never>(() => {});
}

const settings: { backend: string; loop?: string } = { backend: data.backend };
if (data.loop) settings.loop = data.loop;
run(main, [], settings).catch((err: unknown) => {
  // No Shell (a host loop that does not exist, say): the main thread fails this thread's cells
  // with this message; closing the port lets the thread end.
  port.postMessage({ type: "failed", message: String((err as Error)?.message ?? err) } satisfies FromThread);
  port.close();
});
