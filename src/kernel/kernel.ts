/**
 * The kernel on the main thread: starts the I/O worker, receives verified requests from it,
 * runs cells in the shell, and hands every output back to the worker through the outbox.
 *
 * Message flow of an execute_request:
 *   client → shell ROUTER (worker: verify, parse, remember identities; status busy when nothing
 *   else is in flight) → postMessage → main: the scheduler of its subshell → execute_input →
 *   Shell.execute (or a call of runCell in a Caller thread) → execute_result / error, execute_reply, status idle
 *   (one batch) → worker: serialize, sign, send.
 *   When requests are pipelined the main thread publishes busy itself and flushes before the cell.
 *
 * Execute requests go to the scheduler of their shell or subshell (execute_scheduler.ts: run
 * modes, queue, stop_on_error); other shell requests are answered at once, even while a cell
 * awaits, so completion and inspection never wait behind a running cell.
 */
import process from "node:process";
import type { Worker } from "node:worker_threads";
import type { Header } from "../messaging/index.js";
import type { Shell } from "../shell/shell.js";
import type { CellOutput } from "../shell/output.js";
import type { InboundRequest, ToMain, ToWorker } from "../io/bridge.js";
import { Envelope } from "../io/envelope.js";
import { answeredBy, type QueuedType } from "../io/routes.js";
import type { IoWorker } from "../io/spawn.js";
import type { KernelComms } from "./comms.js";
import { ExecuteScheduler, type SchedulerHost } from "./execute_scheduler.js";
import { History, historyFile } from "./history.js";
import type { LanguageClient } from "./language_client.js";
import type { Language } from "./kernel_info.js";
import type { Log } from "./log.js";
import { Outbox } from "./outbox.js";
import { watchSigint, type SigintWatch } from "./sigint_watch.js";
import { InterruptLedger, sigintCaught } from "./interrupts.js";
import { lowerDeadline, setRunningTimeout } from "../shell/attention.js";
import { StdinRequests } from "./stdin.js";
import { endChildren } from "./children.js";
import type { ThreadCells } from "./thread_cells/threads.js";
import { setImmediate, setTimeout } from "node:timers";
import { formatError } from "../shell/errors.js";

export interface KernelOptions {
  /** The I/O worker, spawned early by start.ts (spawn.ts) with the same kernel info; what it said meanwhile is held for `start`. */
  worker: IoWorker;
  /** The shell's attention memory, shared with the I/O worker (src/kernel/interrupts.ts). */
  attention: Int32Array;
  info: Record<string, unknown>;
  language: Language;
  cwd: string;
  log: Log;
  /** Report type errors of every cell on stderr (a cell's `// @ts-check` / `// @ts-nocheck` decides for itself). */
  typeCheck?: boolean;
  /** A last expression ending in `;` shows no result (IPython's convention). */
  semicolonHidesResult?: boolean;
  /** Install `npm:` packages cells import that are not there (false: `--no-npm-install`). */
  npmInstall?: boolean;
  /** Interrupts come as SIGINT (the kernelspec's `signal` mode; Shell `signalInterrupts`). */
  signalInterrupts?: boolean;
}

/** A cell's own say on type checking: `// @ts-check` or `// @ts-nocheck` on its first line. */
const TS_CHECK = /^\s*\/\/\s*@ts-(no)?check\b/;
/** How long a cell's reply waits for its type diagnostics (they are computed while it runs). */
const CHECK_WAIT_MS = 2000;
/** How long the pager waits for the language service before it answers from the live value. */
const PAGER_WAIT_MS = 2000;

export class Kernel {
  readonly closed: Promise<number>;
  private readonly worker: Worker;
  private readonly io: IoWorker;
  private readonly outbox: Outbox;
  private readonly stdin: StdinRequests;
  private readonly history: History;
  private readonly info: Record<string, unknown>;
  private readonly log: Log;
  private shellModule?: Promise<Shell>;
  private shell?: Shell;
  private readonly interrupts: InterruptLedger;
  /** Comms of the main thread and routing to threads' comms; made with the shell. */
  private comms?: KernelComms;
  /** The main shell's scheduler, and each subshell's by id (the I/O worker says which exist). */
  private readonly mainScheduler: ExecuteScheduler;
  private readonly subshells = new Map<string, ExecuteScheduler>();
  /** Subshells created so far: their short labels in cell names (`In[s2:1]`). */
  private subshellsCreated = 0;
  private threadCells?: ThreadCells;
  /** The comms of Caller threads (thread_cells/thread_comms.ts), loaded with the shell. */
  private threadComms?: typeof import("./thread_cells/thread_comms.js");
  private ports: Record<string, number> = {};
  private shuttingDown = false;
  private startFailed = false;
  private resolveClosed!: (code: number) => void;
  private sigint?: SigintWatch;
  private language?: LanguageClient;
  private languageStart?: Promise<LanguageClient | undefined>;
  private preloading = false;
  /** The real process.exit, once cells have their guarded one (src/shell/process_exit.ts). */
  private exitProcess: (code: number) => never = (code) => process.exit(code);
  /** The output of the cell that is current (shell/output.js), once the shell is loaded. */
  private currentOutput?: () => CellOutput | undefined;

  constructor(private readonly options: KernelOptions) {
    this.log = options.log;
    this.info = options.info;
    // No I/O here: the history file is read on the first history request or write.
    this.history = new History({ file: historyFile(), log: options.log });
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.io = options.worker;
    this.worker = options.worker.worker;
    this.interrupts = new InterruptLedger(options.attention);
    this.outbox = new Outbox((m: ToWorker) => this.worker.postMessage(m), options.attention);
    this.stdin = new StdinRequests({ post: (m, transfer) => this.worker.postMessage(m, transfer), flushOutput: this.outbox.flush });
    this.mainScheduler = new ExecuteScheduler(this.schedulerHost(true));
  }

  private schedulerHost(main: boolean): SchedulerHost {
    const host: SchedulerHost = {
      outbox: this.outbox,
      stdin: this.stdin,
      log: this.log,
      shell: () => this.getShell(),
      threads: () => this.threads(),
      beforeCell: (code, cellName, inNamespace) => {
        const language = this.startLanguage();
        const diagnostics = this.wantsCheck(code) ? language.then((l) => l?.check(code, cellName, CHECK_WAIT_MS) ?? []) : undefined;
        // Thread cells run in another namespace: their declarations are not the notebook's.
        if (inNamespace) void language.then((l) => l?.addCell(code));
        return diagnostics;
      },
      deadline: this.deadlines,
      inspectTypes: async (name) => (await this.language?.inspect(name, [...name].length, 1, PAGER_WAIT_MS)) ?? undefined,
    };
    if (main) host.history = this.history;
    return host;
  }

  /** The thread cells (on Caller threads), made on the first `// thread` cell. */
  private async threads(): Promise<ThreadCells> {
    if (!this.threadCells) {
      // The shell first: with it come the comms that thread cells' comms are routed through.
      const [{ ThreadCells }] = await Promise.all([import("./thread_cells/threads.js"), this.getShell()]);
      if (this.shuttingDown) throw new Error("the kernel is shutting down");
      // (the Caller threads they run in were configured with the shell)
      this.threadCells ??= new ThreadCells();
    }
    return this.threadCells;
  }

  /** Resolves with the bound ports once every socket is bound; rejects on a bind failure. */
  start(): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      this.io.listen({
        message: (m: ToMain) => {
          switch (m.type) {
            case "ready":
              this.ports = m.ports;
              resolve(m.ports);
              setTimeout(() => this.preloadShell(), 500).unref();
              break;
            case "fatal":
              // The worker ends after this: its exit is the start's failure, not news.
              this.startFailed = true;
              reject(new Error(m.message));
              break;
            default:
              this.onWorkerMessage(m);
          }
        },
        error: (err) => {
          this.log.fatal({ err }, "I/O worker failed");
          reject(err);
          this.resolveClosed(1);
        },
        exit: (code) => {
          if (!this.shuttingDown && !this.startFailed) {
            this.log.fatal({ code }, "I/O worker exited unexpectedly");
            reject(new Error(`the I/O worker exited (code ${code}) before the kernel started`));
            this.resolveClosed(1);
          }
        },
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
        const [{ LanguageClient }, { GLOBALS_DTS, KERNEL_TYPE_PATHS }] = await Promise.all([
          import("./language_client.js"),
          import("../shell/globals_dts.js"),
        ]);
        if (this.shuttingDown) return undefined;
        return (this.language = new LanguageClient({
          cwd: this.options.cwd,
          language: this.options.language,
          globalsDts: GLOBALS_DTS,
          modulePaths: KERNEL_TYPE_PATHS,
          decorators: this.shell?.decorators,
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

  /** Main-thread cells' deadlines: the I/O worker keeps the time (see bridge.ts `deadline`). */
  private readonly deadlines = {
    start: (token: number, ms: number): void => this.worker.postMessage({ type: "deadline", token, ms } satisfies ToWorker),
    end: (token: number): void => {
      lowerDeadline(this.options.attention, token);
      this.worker.postMessage({ type: "deadline", token, ms: null } satisfies ToWorker);
    },
    after: (ms: number, fn: () => void) => setRunningTimeout(this.options.attention, ms, fn),
  };

  /** A SIGINT caught on this thread (a process listener, or a cell's evaluation it stopped). */
  private readonly sigintListener = (): void => {
    sigintCaught(this.options.attention);
    this.onInterrupt();
  };

  /** The listener goes right before the watcher arms (see sigint_worker.ts for why). */
  private startSigintWatch(): SigintWatch {
    const listener = this.sigintListener;
    // The watcher counts the signals it catches itself (interrupts.ts): it only tells us.
    this.sigint ??= watchSigint(
      this.options.attention,
      () => this.onInterrupt(),
      () => process.off("SIGINT", listener),
      this.stdin.wakeBuffer,
      (err) => {
        this.log.error({ err }, "SIGINT watcher failed; falling back to a SIGINT listener");
        if (!process.listeners("SIGINT").includes(listener)) process.on("SIGINT", listener);
      },
    );
    return this.sigint;
  }

  private getShell(): Promise<Shell> {
    // The SIGINT watcher's thread boots (~50 ms) while the shell's modules load (~80 ms): the
    // first completion after a start is answered by the shell, as soon as it is there.
    if (!this.shellModule) this.startSigintWatch();
    this.shellModule ??= import("../shell/shell.js").then(async ({ Shell }) => {
      // No cell before the SIGINT watcher is armed: one arming during a cell's busy loop would
      // take the signal meant for that cell.
      await this.startSigintWatch().armed;
      const [output, { guardProcessExit }, { configureCallerThreads, useMainThreadEnvironment }] = await Promise.all([
        import("../shell/output.js"),
        import("../shell/process_exit.js"),
        import("./caller_env.js"),
      ]);
      output.captureProcessStreams();
      this.currentOutput = output.currentOutput;
      this.exitProcess = guardProcessExit();
      const shell = new Shell({
        cwd: this.options.cwd,
        language: this.options.language,
        attention: this.options.attention,
        onSigint: this.sigintListener,
        flushOutput: this.outbox.flush,
        semicolonHidesResult: this.options.semicolonHidesResult,
        npmInstall: this.options.npmInstall,
        signalInterrupts: this.options.signalInterrupts,
      });
      // Before any cell runs: cells may open comms (widgets) at once.
      const [{ KernelComms }, { comms }, threadComms] = await Promise.all([
        import("./comms.js"),
        import("../comm/index.js"),
        import("./thread_cells/thread_comms.js"),
      ]);
      this.comms = new KernelComms({
        outbox: this.outbox,
        log: this.log,
        local: comms,
        currentOutput: output.currentOutput,
        routeOutput: output.routeOutput,
        errorText: (err) => shell.errorText(err),
      });
      // Comms of Caller threads (thread cells' among them) are routed through the main thread's.
      threadComms.useThreadComms(this.comms);
      this.threadComms = threadComms;
      // Cells may start Caller threads (src/caller): they run the kernel's thread setup.
      configureCallerThreads(
        this.options.cwd,
        this.options.language,
        this.options.semicolonHidesResult === true,
        this.options.npmInstall !== false,
      );
      useMainThreadEnvironment(shell, this.options.cwd, this.options.language, {
        outbound: threadComms.commOutbound,
        targets: threadComms.commTargets,
      });
      this.shell = shell;
      return shell;
    });
    return this.shellModule;
  }

  private onWorkerMessage(m: ToMain): void {
    // An interrupt asked for before this message came (the SIGINT watcher's notice travels on
    // another port and may be behind it) is acted on first: it must stop the cells that ran
    // then, and its raised flag must not stop a cell that starts now.
    this.onInterrupt();
    switch (m.type) {
      case "request":
        if (answeredBy(m.msg.msgType, m.channel) === "main-queued") {
          this.schedulerOf(m.msg.header).submit({
            req: m.msg as InboundRequest<QueuedType>,
            channel: m.channel,
            receivedAt: m.receivedAt,
            busySent: m.busySent,
            aborted: m.aborted,
            interrupted: m.execute !== undefined && this.interrupts.covered(m.execute),
          });
        } else {
          void this.handleNow(m.msg, m.channel, m.busySent, m.handBack === true);
        }
        break;
      case "abort_window":
        (m.subshell === null ? this.mainScheduler : this.subshells.get(m.subshell))?.windowOpened(m.openedAt);
        break;
      case "shutdown":
        void this.shutdown(m.restart);
        break;
      case "interrupt":
        this.onInterrupt();
        break;
      case "subshell":
        if (m.event === "created") {
          this.subshells.set(m.id, new ExecuteScheduler(this.schedulerHost(false), `s${++this.subshellsCreated}`));
        } else {
          this.subshells.get(m.id)?.close("The subshell was deleted");
          this.subshells.delete(m.id);
        }
        break;
      case "closed":
        break;
    }
  }

  /**
   * The scheduler of a request's subshell. The I/O worker answers requests for unknown subshells
   * itself, so an unknown id here is one deleted since: a closed scheduler answers it with an error.
   */
  private schedulerOf(header: Header): ExecuteScheduler {
    const id = header.subshell_id;
    if (typeof id !== "string") return this.mainScheduler;
    let s = this.subshells.get(id);
    if (!s) {
      s = new ExecuteScheduler(this.schedulerHost(false), "?");
      s.close(`There is no subshell with id ${JSON.stringify(id)}`);
    }
    return s;
  }

  /**
   * A notice of an interrupt request (from the I/O worker, the SIGINT watcher, or a signal caught
   * here): acts once per request, however many notices it gets (interrupts.ts).
   */
  private onInterrupt(): void {
    // During shutdown an interrupt only serves to stop a stuck cell (the raised flag, vm
    // breakOnSigint); the shutdown itself goes on and exits once the worker has closed its
    // sockets. Exiting here instead would end the process under live zeromq sockets
    // (jupyter_client interrupts right before shutdown).
    if (this.shuttingDown) return;
    if (!this.interrupts.takeNew()) return;
    // Thread cells too (their threads never see the signal), as async-kernel cancels every running cell.
    const threads = (this.threadCells?.interrupt() ?? 0) + (this.threadComms?.interruptThreadComms() ?? 0);
    this.stdin.interrupt();
    const cells = this.shell?.interrupt() ?? 0;
    // cells taken but not yet running in the shell or a thread (one waits for the shell to load)
    const starting = [this.mainScheduler, ...this.subshells.values()].reduce((n, s) => n + s.interruptStarting(), 0);
    // it stopped nothing: it was meant for a cell this thread has not seen yet (interrupts.ts)
    if (cells + threads + starting === 0) this.interrupts.coverUnseen();
    this.log.info({ interrupted: cells, threads, starting }, "interrupt");
  }

  /**
   * Runs inside Node's `uncaughtException` / `unhandledRejection` handlers, where a throw would end
   * the process. What a cell threw may be hostile (throwing getters, a Proxy) and a cell may have
   * replaced globals this code would use (`Promise`), so it is synchronous, reads the error only
   * through `formatError` / `Shell.errorText` (which never throw), and guards every step.
   */
  private onStrayError(err: unknown, kind: string): void {
    try {
      // No shell yet: no cell has run, so there is no cell to show it on.
      const out = this.shell && this.currentOutput?.();
      // the shell names cell frames `In[n]:line:column`
      if (this.shell && out) out.stream("stderr", `${kind}: ${this.shell.errorText(err)}\n`);
      // Shown to the user as their cell's output, it is no kernel warning: the kernel's stderr is
      // what jupyter console, `run` and CI logs show. Shown nowhere, it is logged for someone to
      // see, unless a callback was stopped by an interrupt (what the user asked for).
      const text = strayErrorText(err);
      if (out || text.startsWith("KernelInterrupt")) this.log.debug({ error: text }, kind);
      else this.log.warn({ error: text }, kind);
    } catch {
      // reporting must not be what ends the kernel
    }
  }

  private wantsCheck(code: string): boolean {
    const m = TS_CHECK.exec(code);
    return m ? m[1] === undefined : this.options.typeCheck === true;
  }

  /** A request the routing table gives the main thread at once (routes.ts `main-now`, and the runtime's completion). */
  private async handleNow(req: InboundRequest, channel: "shell" | "control", busySent: boolean, handBack = false): Promise<void> {
    const envelope = new Envelope((item) => this.outbox.push(item), req.header, channel, busySent);
    envelope.busy();
    try {
      switch (req.msgType) {
        case "kernel_info_request":
          envelope.reply(this.info);
          break;
        case "complete_request": {
          const { code, cursor_pos } = req.content;
          const completion = (await this.getShell()).complete(code, cursor_pos ?? [...code].length);
          if (handBack && completion.matches.length === 0) return this.handBack(req);
          envelope.reply({ status: "ok", ...completion });
          break;
        }
        case "inspect_request": {
          const { code, cursor_pos, detail_level } = req.content;
          const inspection = (await this.getShell()).inspect(code, cursor_pos ?? [...code].length, detail_level ?? 0);
          if (handBack && !inspection.found) return this.handBack(req);
          envelope.reply({ status: "ok", ...inspection });
          break;
        }
        case "is_complete_request":
          envelope.reply((await this.getShell()).isComplete(req.content.code));
          break;
        case "history_request":
          envelope.reply({ status: "ok", history: this.history.request(req.content) });
          break;
        case "comm_info_request":
          // No shell yet, no comm yet: nothing to load for that answer.
          envelope.reply({ status: "ok", comms: this.comms?.info(req.content.target_name ?? undefined) ?? {} });
          break;
        case "comm_open":
        case "comm_msg":
        case "comm_close":
          // Handled as they come, beside running cells (never queued behind them).
          await this.getShell();
          await this.comms!.receive(req);
          break;
        case "connect_request": {
          const p = this.ports;
          envelope.reply({
            status: "ok",
            shell_port: p.shell_port,
            iopub_port: p.iopub_port,
            stdin_port: p.stdin_port,
            hb_port: p.hb_port,
            control_port: p.control_port,
          });
          break;
        }
        case "execute_request":
          // the routing table queues these (onWorkerMessage): never here
          break;
      }
    } catch (err) {
      this.log.error({ err, msgType: req.msgType }, "request failed");
      if (req.msgType.endsWith("_request")) envelope.error((err as Error).name ?? "Error", String((err as Error).message ?? err));
    }
    envelope.idle();
    this.outbox.flush();
    this.preloadShell();
  }

  /**
   * A completion or inspection the runtime has nothing for, while the language service warms up:
   * the I/O worker asks the service and answers (busy went out, in order, before this notice).
   */
  private handBack(req: InboundRequest): void {
    this.outbox.flush();
    this.worker.postMessage({ type: "to_language", msgId: req.header.msg_id } satisfies ToWorker);
  }

  /** Close the sockets (the worker must close them before the process ends), then exit. */
  /**
   * Wind down (nothing new starts; thread cells and the processes cells started end), then have
   * the worker close the sockets, then exit. A failure of the graceful part (a cell may have broken
   * what it uses, e.g. replaced `Promise`) does not keep the process alive: the sockets are closed
   * and the process ends regardless, by callbacks alone.
   */
  async shutdown(restart: boolean): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    try {
      this.log.info({ restart }, "shutting down");
      await this.windDown();
    } catch (err) {
      try {
        this.log.error({ err }, "shutdown: winding down failed; closing the sockets regardless");
      } catch {
        // nothing more to do
      }
    }
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      if (timedOut) this.log.error("I/O worker did not end after closing its sockets");
      this.exit(0);
    };
    // The worker closes every socket and ends by itself: the process must not exit before.
    this.worker.once("exit", () => finish(false));
    setTimeout(() => finish(true), 3000).unref();
    this.worker.postMessage({ type: "close" } satisfies ToWorker);
  }

  private async windDown(): Promise<void> {
    // Queued requests get their (aborted) replies, running cells are cancelled: nothing new starts.
    const reason = "The kernel is shutting down";
    this.mainScheduler.close(reason);
    for (const s of this.subshells.values()) s.close(reason);
    this.outbox.flush();
    // Caller threads (thread cells' and those cells started) hold no sockets: end them at once
    // (terminate stops even a busy loop). The Caller is loaded if a cell or a thread ran.
    this.threadCells?.close();
    const threads =
      this.shellModule || this.threadCells
        ? Promise.race([
            import("../caller/index.js").then(({ stopAllThreads }) => stopAllThreads()),
            new Promise((r) => setTimeout(r, 1000).unref()),
          ])
        : undefined;
    // The cancelled cells' replies, before the sockets close (bounded: a cell stuck in a
    // synchronous loop is the I/O worker's to stop).
    const answered = Promise.race([
      Promise.all([this.mainScheduler, ...this.subshells.values()].map((s) => s.settled())),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    await Promise.all([
      threads,
      answered,
      // Processes cells started must not outlive the kernel (children.ts).
      endChildren().then(
        (n) => n > 0 && this.log.info({ processes: n }, "ended the processes cells started"),
        (err: unknown) => this.log.warn({ err }, "cannot end the processes cells started"),
      ),
    ]);
    this.outbox.flush();
  }

  /** Ends the process whatever state cells left the realm in: each step is guarded. */
  private exit(code: number): void {
    for (const step of [
      () => this.sigint?.stop(),
      () => this.history.close(),
      () => void this.language?.stop(),
      () => this.resolveClosed(code),
    ]) {
      try {
        step();
      } catch {
        // on the way out: the next step, and the exit, still happen
      }
    }
    try {
      this.exitProcess(code);
    } catch {
      // Node's exit() runs 'exit' listeners through process.emit, which a cell may have replaced
      reallyExit(code);
    }
  }
}

/** Taken at load, before any cell runs: ends the process without `exit` listeners. */
const reallyExit: (code: number) => never = (process as unknown as { reallyExit: (code: number) => never }).reallyExit.bind(process);

/** A stray error as text (name, message, frames), for a value of any kind, however hostile. */
function strayErrorText(err: unknown): string {
  const [first = "", ...frames] = formatError(err).traceback;
  return [first.replace(/\u001b\[[0-9;]*m/g, ""), ...frames].join("\n");
}
