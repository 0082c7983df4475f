/**
 * The kernel on the main thread: starts the I/O worker, receives verified requests from it,
 * runs cells in the shell, and hands every output back to the worker through the outbox.
 *
 * Message flow of an execute_request:
 *   client → shell ROUTER (worker: verify, parse, remember identities; status busy when nothing
 *   else is in flight) → postMessage → main: execute_input → Shell.execute → execute_result /
 *   error, execute_reply, status idle (one batch) → worker: serialize, sign, send.
 *   When requests are pipelined the main thread publishes busy itself and flushes before the cell.
 *
 * Execute requests run one after another (queue); other shell requests are answered at once,
 * even while a cell awaits, so completion and inspection never wait behind a running cell.
 */
import type { Worker } from "node:worker_threads";
import type { Header } from "../messaging/index.js";
import type { CellOutput, DisplayOptions, MimeBundle } from "../shell/output.js";
import type { Shell } from "../shell/shell.js";
import type { InboundRequest, ToMain, ToWorker } from "./bridge.js";
import { History, historyFile } from "./history.js";
import type { LanguageClient } from "./language_client.js";
import type { Language } from "./kernel_info.js";
import type { Log } from "./log.js";
import { Outbox } from "./outbox.js";
import { watchSigint, type SigintWatch } from "./sigint_watch.js";

export interface KernelOptions {
  /** The I/O worker, spawned early by start.ts (spawn.ts) with the same kernel info. */
  worker: Worker;
  info: Record<string, unknown>;
  language: Language;
  cwd: string;
  log: Log;
  /** Report type errors of every cell on stderr (a cell's `// @ts-check` / `// @ts-nocheck` decides for itself). */
  typeCheck?: boolean;
}

/** A cell's own say on type checking: `// @ts-check` or `// @ts-nocheck` on its first line. */
const TS_CHECK = /^\s*\/\/\s*@ts-(no)?check\b/;
/** How long a cell's reply waits for its type diagnostics (they are computed while it runs). */
const CHECK_WAIT_MS = 2000;

interface Pending {
  req: InboundRequest;
  channel: "shell" | "control";
  receivedAt: number;
  /** The worker published status busy already. */
  busySent: boolean;
}

const PAGER = /^\s*(?:\?\s*([\w$.]+)|([\w$.]+)\s*\?)\s*$/;

export class Kernel {
  readonly closed: Promise<number>;
  private readonly worker: Worker;
  private readonly outbox: Outbox;
  private readonly history: History;
  private readonly info: Record<string, unknown>;
  private readonly log: Log;
  private shellModule?: Promise<Shell>;
  private executionCount = 0;
  private readonly queue: Pending[] = [];
  private draining = false;
  /**
   * Execute requests received before this moment (performance.now(), the same clock in every
   * thread) are aborted: stop_on_error after a failure. It is set before the error reply is
   * handed to the worker, so nothing sent after the client saw that reply is aborted.
   */
  private abortUntil = -1;
  private ports: Record<string, number> = {};
  private shuttingDown = false;
  private resolveClosed!: (code: number) => void;
  private sigint?: SigintWatch;
  private language?: LanguageClient;
  private languageStart?: Promise<LanguageClient | undefined>;
  private preloading = false;

  constructor(private readonly options: KernelOptions) {
    this.log = options.log;
    this.info = options.info;
    // No I/O here: the history file is read on the first history request or write.
    this.history = new History({ file: historyFile(), log: options.log });
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.worker = options.worker;
    this.outbox = new Outbox((m: ToWorker) => this.worker.postMessage(m));
  }

  /** Resolves with the bound ports once every socket is bound; rejects on a bind failure. */
  start(): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      this.worker.on("message", (m: ToMain) => {
        switch (m.type) {
          case "ready":
            this.ports = m.ports;
            resolve(m.ports);
            setTimeout(() => this.preloadShell(), 500).unref();
            break;
          case "fatal":
            reject(new Error(m.message));
            break;
          default:
            this.onWorkerMessage(m);
        }
      });
      this.worker.on("error", (err) => {
        this.log.fatal({ err }, "I/O worker failed");
        reject(err);
        this.resolveClosed(1);
      });
      this.worker.on("exit", (code) => {
        if (!this.shuttingDown) {
          this.log.fatal({ code }, "I/O worker exited unexpectedly");
          this.resolveClosed(1);
        }
      });
      // Until the SIGINT watching thread arms (it starts with the shell, off the start-up path),
      // this listener keeps SIGINT from ending the process.
      process.on("SIGINT", this.sigintListener);
      // A cell's stray error (a throw in its timer, an unhandled rejection) must never end the
      // kernel: report it on the stderr of the cell that is current, and carry on.
      process.on("uncaughtException", (err) => this.onStrayError(err, "Uncaught exception"));
      process.on("unhandledRejection", (err) => this.onStrayError(err, "Unhandled promise rejection"));
      process.on("SIGTERM", () => void this.shutdown(false));
    });
  }

  /**
   * Load the shell (transpiler, vm context) off the start-up path but before it is needed: after
   * the first reply has gone out (clients start with kernel_info), or after a quiet moment.
   */
  private preloadShell(): void {
    if (this.preloading) return;
    this.preloading = true;
    setImmediate(() => void this.getShell().then(() => void this.startLanguage()));
  }

  /**
   * The TypeScript language service, in its own thread (see language_client.ts); started once,
   * after the shell. Resolves undefined if it cannot start (completion then stays runtime-only).
   */
  private startLanguage(): Promise<LanguageClient | undefined> {
    this.languageStart ??= (async () => {
      try {
        const [{ LanguageClient }, { GLOBALS_DTS }] = await Promise.all([import("./language_client.js"), import("../shell/globals_dts.js")]);
        if (this.shuttingDown) return undefined;
        return (this.language = new LanguageClient({
          cwd: this.options.cwd,
          language: this.options.language,
          globalsDts: GLOBALS_DTS,
          log: this.log,
          attachIo: (port) => this.worker.postMessage({ type: "language", port } satisfies ToWorker, [port]),
        }));
      } catch (err) {
        this.log.error({ err }, "cannot start the language service");
        this.worker.postMessage({ type: "language", port: null } satisfies ToWorker);
        return undefined;
      }
    })();
    return this.languageStart;
  }

  private readonly sigintListener = (): void => this.onSigint();

  /** The listener goes right before the watcher arms (see sigint_worker.ts for why). */
  private startSigintWatch(): SigintWatch {
    const listener = this.sigintListener;
    this.sigint ??= watchSigint(listener, () => process.off("SIGINT", listener), (err) => {
      this.log.error({ err }, "SIGINT watcher failed; falling back to a SIGINT listener");
      if (!process.listeners("SIGINT").includes(listener)) process.on("SIGINT", listener);
    });
    return this.sigint;
  }

  private getShell(): Promise<Shell> {
    this.shellModule ??= import("../shell/shell.js").then(async ({ Shell }) => {
      // No cell before the SIGINT watcher is armed: one arming during a cell's busy loop would
      // take the signal meant for that cell.
      await this.startSigintWatch().armed;
      const { captureProcessStreams } = await import("../shell/output.js");
      captureProcessStreams();
      return new Shell({ cwd: this.options.cwd, language: this.options.language });
    });
    return this.shellModule;
  }

  private onWorkerMessage(m: ToMain): void {
    switch (m.type) {
      case "request":
        if (m.msg.header.msg_type === "execute_request") {
          this.queue.push({ req: m.msg, channel: m.channel, receivedAt: m.receivedAt, busySent: m.busySent });
          void this.drain();
        } else {
          void this.handleOther(m.msg, m.channel, m.busySent);
        }
        break;
      case "shutdown":
        void this.shutdown(m.restart);
        break;
      case "stdin":
        this.log.debug({ msgType: m.msg.header.msg_type }, "stdin message with no pending input request");
        break;
      case "closed":
        break;
    }
  }

  private onSigint(): void {
    // During shutdown a SIGINT only serves to break a stuck cell (vm breakOnSigint); the shutdown
    // itself goes on and exits once the worker has closed its sockets. Exiting here instead would
    // end the process under live zeromq sockets (jupyter_client interrupts right before shutdown).
    if (this.shuttingDown) return;
    void this.shellModule?.then((shell) => {
      const n = shell.interrupt();
      this.log.info({ interrupted: n }, "interrupt");
    });
  }

  private onStrayError(err: unknown, kind: string): void {
    this.log.warn({ err }, kind);
    // the shell names cell frames `In[n]:line:column`, if it is loaded (cells ran in it)
    void Promise.all([import("../shell/output.js"), this.shellModule?.catch(() => undefined)]).then(([{ currentOutput }, shell]) => {
      const e = err as { stack?: unknown } | null;
      const text = shell ? shell.errorText(err) : typeof e?.stack === "string" ? e.stack : String(err);
      currentOutput()?.stream("stderr", `${kind}: ${text}\n`);
    });
  }

  private busy(parent: Header, alreadySent: boolean): void {
    if (!alreadySent) this.outbox.publish("status", { execution_state: "busy" }, parent);
  }

  /** The last message of every request: the worker then forgets the request. */
  private idle(parent: Header): void {
    this.outbox.push({ channel: "iopub", msgType: "status", content: { execution_state: "idle" }, parent, release: true });
  }

  private reply(req: InboundRequest, channel: "shell" | "control", msgType: string, content: unknown, metadata?: Record<string, unknown>): void {
    this.outbox.push({ channel, msgType, content, parent: req.header, metadata });
  }

  private output(parent: Header, silent: boolean): CellOutput {
    const outbox = this.outbox;
    return {
      stream(name, text) {
        if (!silent) outbox.stream(parent, name, text);
      },
      display(data: MimeBundle, opts: DisplayOptions = {}) {
        if (silent) return;
        const content: Record<string, unknown> = { data, metadata: opts.metadata ?? {}, transient: {} };
        if (opts.displayId) content.transient = { display_id: opts.displayId };
        outbox.publish(opts.update ? "update_display_data" : "display_data", content, parent);
      },
      clearOutput(wait) {
        if (!silent) outbox.publish("clear_output", { wait }, parent);
      },
    };
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          await this.execute(next);
        } catch (err) {
          // A kernel bug, not the cell's error: still answer, so no client waits forever.
          this.log.error({ err }, "execute failed inside the kernel");
          const e = err as Error | null;
          this.reply(next.req, next.channel, "execute_reply", {
            status: "error",
            execution_count: this.executionCount,
            ename: "KernelError",
            evalue: `internal error: ${String(e?.message ?? err)}`,
            traceback: [],
          });
          this.idle(next.req.header);
          this.outbox.flush();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async execute({ req, channel, receivedAt, busySent }: Pending): Promise<void> {
    const parent = req.header;
    const c = req.content;
    const silent = c.silent === true;
    const storeHistory = !silent && c.store_history !== false;
    const stopOnError = c.stop_on_error !== false;
    this.busy(parent, busySent);
    if (typeof c.code !== "string") {
      const error = { ename: "TypeError", evalue: "execute_request content.code must be a string", traceback: [] };
      this.reply(req, channel, "execute_reply", { status: "error", execution_count: this.executionCount, ...error });
      this.idle(parent);
      this.outbox.flush();
      return;
    }
    if (receivedAt < this.abortUntil) {
      // Sent before the client could see the earlier error: aborted, as stop_on_error asks.
      // status "error" rather than the deprecated "aborted" (messaging spec 5.1).
      this.reply(req, channel, "execute_reply", {
        status: "error",
        execution_count: this.executionCount,
        ename: "ExecutionAborted",
        evalue: "Aborted because an earlier cell failed (stop_on_error)",
        traceback: [],
      });
      this.idle(parent);
      this.outbox.flush();
      return;
    }
    const code = c.code;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) this.outbox.publish("execute_input", { code, execution_count: count }, parent);
    // The frontend must see busy before user code that may never yield: flush now, unless the
    // worker published busy already (then everything of a quick cell goes in one batch).
    if (!busySent) this.outbox.flush();
    const started = new Date().toISOString();
    if (storeHistory) this.history.add(count, code);
    const shell = await this.getShell();
    const out = this.output(parent, silent);
    const payload: unknown[] = [];
    const pager = PAGER.exec(code);
    let outcome: Awaited<ReturnType<Shell["execute"]>>;
    // Asked before the cell joins the service's notebook, so the check sees the cells before it.
    let diagnostics: Promise<string[]> | undefined;
    if (!pager) {
      const language = this.startLanguage();
      if (this.wantsCheck(code)) diagnostics = language.then((l) => l?.check(code, `In[${count}]`, CHECK_WAIT_MS) ?? []);
      void language.then((l) => l?.addCell(code));
    }
    if (pager) {
      const name = (pager[1] ?? pager[2])!;
      const found = shell.inspect(name, [...name].length, 1);
      payload.push({ source: "page", data: found.found ? found.data : { "text/plain": `Object \`${name}\` not found.` }, start: 0 });
      outcome = { status: "ok" };
    } else {
      outcome = await shell.execute(code, `In[${count}]`, out);
    }
    const typeErrors = await diagnostics;
    if (typeErrors?.length && !silent) out.stream("stderr", `Type errors (the cell ran anyway):\n${typeErrors.join("\n")}\n`);
    const metadata = { started, status: outcome.status };
    if (outcome.status === "ok") {
      if (outcome.result && !silent) {
        this.outbox.publish("execute_result", { execution_count: count, data: outcome.result.data, metadata: outcome.result.metadata }, parent);
      }
      const text = outcome.result?.data["text/plain"];
      if (storeHistory && typeof text === "string") this.history.setOutput(count, text);
      const user_expressions: Record<string, unknown> = {};
      const exprs = c.user_expressions;
      if (exprs && typeof exprs === "object") {
        for (const [k, v] of Object.entries(exprs as Record<string, unknown>)) {
          user_expressions[k] = typeof v === "string"
            ? await shell.userExpression(v, out)
            : { status: "error", ename: "TypeError", evalue: "user expression must be a string", traceback: [] };
        }
      }
      this.reply(req, channel, "execute_reply", { status: "ok", execution_count: count, payload, user_expressions }, metadata);
    } else {
      if (!silent) this.outbox.publish("error", outcome.error, parent);
      this.reply(req, channel, "execute_reply", { status: "error", execution_count: count, ...outcome.error }, metadata);
      if (stopOnError && !silent) this.abortUntil = performance.now();
    }
    this.idle(parent);
    this.outbox.flush();
  }

  private wantsCheck(code: string): boolean {
    const m = TS_CHECK.exec(code);
    return m ? m[1] === undefined : this.options.typeCheck === true;
  }

  private async handleOther(req: InboundRequest, channel: "shell" | "control", busySent: boolean): Promise<void> {
    const parent = req.header;
    const type = parent.msg_type as string;
    const c = req.content;
    this.busy(parent, busySent);
    try {
      switch (type) {
        case "kernel_info_request":
          this.reply(req, channel, "kernel_info_reply", this.info);
          break;
        case "complete_request":
        case "inspect_request":
        case "is_complete_request": {
          const shell = await this.getShell();
          const code = typeof c.code === "string" ? c.code : "";
          const cursor = typeof c.cursor_pos === "number" ? c.cursor_pos : [...code].length;
          if (type === "complete_request") {
            this.reply(req, channel, "complete_reply", { status: "ok", ...shell.complete(code, cursor) });
          } else if (type === "inspect_request") {
            const detail = typeof c.detail_level === "number" ? c.detail_level : 0;
            this.reply(req, channel, "inspect_reply", { status: "ok", ...shell.inspect(code, cursor, detail) });
          } else {
            this.reply(req, channel, "is_complete_reply", shell.isComplete(code));
          }
          break;
        }
        case "history_request":
          this.reply(req, channel, "history_reply", { status: "ok", history: this.history.request(c) });
          break;
        case "comm_info_request":
          this.reply(req, channel, "comm_info_reply", { status: "ok", comms: {} });
          break;
        case "comm_open":
          // No comm targets yet: the spec asks us to close what we cannot open.
          this.outbox.publish("comm_close", { comm_id: c.comm_id, data: {} }, parent);
          break;
        case "comm_msg":
        case "comm_close":
          this.log.debug({ type, comm_id: c.comm_id }, "message for an unknown comm");
          break;
        case "connect_request": {
          const p = this.ports;
          this.reply(req, channel, "connect_reply", {
            status: "ok", shell_port: p.shell_port, iopub_port: p.iopub_port, stdin_port: p.stdin_port,
            hb_port: p.hb_port, control_port: p.control_port,
          });
          break;
        }
        case "shutdown_request": {
          // Deprecated on shell since 5.4, still honoured.
          const restart = c.restart === true;
          this.reply(req, channel, "shutdown_reply", { status: "ok", restart });
          this.outbox.publish("shutdown_reply", { status: "ok", restart }, parent);
          this.idle(parent);
          this.outbox.flush();
          void this.shutdown(restart);
          return;
        }
        default:
          this.log.warn({ msgType: type, channel }, "unknown message type; ignored");
      }
    } catch (err) {
      this.log.error({ err, msgType: type }, "request failed");
      const reply = type.endsWith("_request") ? type.replace(/_request$/, "_reply") : undefined;
      if (reply) {
        this.reply(req, channel, reply, { status: "error", ename: (err as Error).name ?? "Error", evalue: String((err as Error).message ?? err), traceback: [] });
      }
    }
    this.idle(parent);
    this.outbox.flush();
    this.preloadShell();
  }

  /** Close the sockets (the worker must close them before the process ends), then exit. */
  async shutdown(restart: boolean): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info({ restart }, "shutting down");
    this.outbox.flush();
    // Wait for the worker to end on its own after closing its sockets.
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.postMessage({ type: "close" } satisfies ToWorker);
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 3000).unref())]);
    if (timedOut) this.log.error("I/O worker did not end after closing its sockets");
    this.exit(0);
  }

  private exit(code: number): void {
    this.sigint?.stop();
    this.history.close();
    void this.language?.stop();
    this.resolveClosed(code);
    process.exit(code);
  }
}
