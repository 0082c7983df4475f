/**
 * The requests the I/O worker answers itself (routes.ts: `io`), at once, even while a cell keeps
 * the main thread busy (or paused at a breakpoint): kernel_info, interrupt, shutdown,
 * create/delete/list of subshells, and debug requests (the debug adapter, debugger/adapter.ts).
 * Also the shutdown's escalation: however stuck the main thread is, the process ends within
 * seconds of a shutdown request, or of the end of the process that launched the kernel.
 */
import type { Message } from "../messaging/index.js";
import { evaluationNow } from "../shell/attention.js";
import { interruptHandled, requestInterrupt, sendSelfSigint } from "../kernel/interrupts.js";
import type { ToMain } from "./bridge.js";
import { Envelope, type Sink } from "./envelope.js";
import type { Subshells } from "./subshells.js";

/** How long the main thread has to act on an interrupt before it is sent a SIGINT. */
export const SELF_SIGINT_AFTER_MS = 30;
/** After a shutdown request: when a stuck cell is interrupted, and when the process is ended. */
export const SHUTDOWN_INTERRUPT_MS = 1500;
export const SHUTDOWN_KILL_MS = 4000;
/** How often the launcher named in JPY_PARENT_PID is looked for. */
const PARENT_POLL_MS = 1000;

export interface ControlOptions {
  /** Sends one message (requests.ts). */
  send: Sink;
  post(msg: ToMain): void;
  kernelInfo: Record<string, unknown>;
  /** The main shell's attention words (src/shell/attention.ts, src/kernel/interrupts.ts). */
  attention: Int32Array;
  subshells: Subshells;
  /** Input requests: an interrupt or a shutdown ends a blocked prompt(). */
  stdin: { interrupted(): void; failAll(reason: string): void };
  /** stop_on_error's windows: a deleted subshell's is forgotten. */
  abortWindows: { forget(subshell: string): void };
  /** The sockets are closing: nothing more is sent. */
  closing(): boolean;
  /** The last resort of a shutdown the main thread does not carry out: close, end children, kill. */
  exitNow(): void;
  log: { warn(fields: object, message: string): void; error(message: string): void };
  /** The debug adapter (debugger/adapter.ts): debug requests, and a paused cell let go on interrupt and shutdown. */
  debugger?: {
    request(content: unknown): Promise<unknown>;
    interrupted(request: number): void;
    shutdown(): void;
  };
}

export class Control {
  private shutdownRequested = false;

  constructor(private readonly options: ControlOptions) {}

  /** Answer a request the routing table gives this thread (`msg` is checked already). */
  handle(msg: Message, channel: "shell" | "control"): void {
    const envelope = new Envelope(this.options.send, msg.header, channel);
    switch (msg.header.msg_type as string) {
      case "kernel_info_request":
        envelope.answer(this.options.kernelInfo);
        break;
      case "interrupt_request":
        envelope.busy();
        this.interrupt();
        envelope.reply({ status: "ok" });
        envelope.idle();
        break;
      case "shutdown_request": {
        const restart = (msg.content as { restart?: unknown }).restart === true;
        const reply = { status: "ok" as const, restart };
        envelope.busy();
        envelope.reply(reply);
        // ipykernel re-broadcasts the reply on iopub so every client learns the kernel is going away.
        envelope.publish("shutdown_reply", reply);
        this.shutdown(restart);
        envelope.idle();
        break;
      }
      case "list_subshell_request":
        envelope.answer({ status: "ok", subshell_id: this.options.subshells.list() });
        break;
      case "create_subshell_request":
      case "delete_subshell_request":
        this.subshell(msg, envelope);
        break;
      case "debug_request":
        this.debug(msg, envelope);
        break;
    }
  }

  /**
   * The main thread may be stuck in a cell: the raised flag stops the cell's own code wherever
   * it runs (and a blocked prompt()), and the notice has the main thread cancel every running
   * cell. Only if it has not acted soon after is the process sent a SIGINT, which stops a
   * package's loop in a cell's synchronous part (vm breakOnSigint) but ends that evaluation
   * wherever it is, with no `finally` run. The signal helps only the evaluation running now (a
   * signal outside one stops nothing), and must not reach a later cell's: it is sent only while
   * that evaluation still runs. Also what the gateway's comm port asks for (gateway_listener.ts).
   */
  interrupt(): void {
    const { attention } = this.options;
    const evaluation = evaluationNow(attention);
    const request = requestInterrupt(attention);
    // a cell paused at a breakpoint runs on, to its next guard (the flag is up already)
    this.options.debugger?.interrupted(request);
    this.options.stdin.interrupted();
    this.options.post({ type: "interrupt" });
    setTimeout(() => {
      const stillRunning = evaluation % 2 === 1 && evaluationNow(attention) === evaluation;
      if (!interruptHandled(attention, request) && !this.options.closing() && stillRunning) sendSelfSigint(attention);
    }, SELF_SIGINT_AFTER_MS);
  }

  /** A DAP request: its response is the reply's content (no Jupyter `status`; DAP's `success`). */
  private debug(msg: Message, envelope: Envelope): void {
    envelope.busy();
    const adapter = this.options.debugger;
    const done = adapter
      ? adapter.request(msg.content)
      : Promise.resolve({ type: "response", request_seq: 0, success: false, command: "", message: "this kernel has no debugger" });
    void done.then((response) => {
      envelope.reply(response);
      envelope.idle();
    });
  }

  private subshell(msg: Message, envelope: Envelope): void {
    const create = msg.header.msg_type === "create_subshell_request";
    const { subshells } = this.options;
    const done = create ? subshells.create() : subshells.delete(msg.content);
    if ("error" in done) {
      envelope.answer(done.error);
      return;
    }
    // Before the reply: the main thread learns of a new subshell before any request for it.
    this.options.post({ type: "subshell", event: create ? "created" : "deleted", id: done.id });
    if (!create) this.options.abortWindows.forget(done.id);
    envelope.answer(create ? { status: "ok", subshell_id: done.id } : { status: "ok" });
  }

  /** Shut the kernel down; however stuck the main thread is, the process ends within seconds. */
  shutdown(restart: boolean): void {
    if (this.shutdownRequested) return;
    this.shutdownRequested = true;
    // A cell blocked in prompt() would hold the main thread: its wait ends with this error.
    this.options.stdin.failAll("the kernel is shutting down");
    // a main thread paused at a breakpoint must run again to shut down
    this.options.debugger?.shutdown();
    this.options.post({ type: "shutdown", restart });
    // If the main thread is stuck in user code it cannot exit: stop its cell as an interrupt
    // does, and as a last resort end the process, so a shutdown is never ignored.
    setTimeout(() => {
      requestInterrupt(this.options.attention);
      sendSelfSigint(this.options.attention);
    }, SHUTDOWN_INTERRUPT_MS).unref();
    setTimeout(() => {
      this.options.log.error("main thread did not shut down; exiting");
      this.options.exitNow();
    }, SHUTDOWN_KILL_MS).unref();
  }

  /**
   * A launcher that names itself in `JPY_PARENT_PID` (jupyter_client does; so does ours) expects
   * the kernel to end with it, as ipykernel's parent poller does: a kernel whose launcher died
   * (reparented) shuts down instead of living on as an orphan. Watched here, where a cell stuck
   * on the main thread cannot stop the watch.
   */
  watchParent(): void {
    const parent = Number(process.env["JPY_PARENT_PID"]);
    if (!Number.isInteger(parent) || parent <= 1 || process.ppid !== parent) return;
    setInterval(() => {
      if (process.ppid === parent || this.shutdownRequested) return;
      this.options.log.warn({ parent }, "the process that launched the kernel has ended; shutting down");
      this.shutdown(false);
    }, PARENT_POLL_MS).unref();
  }
}
