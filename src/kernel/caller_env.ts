/**
 * What the kernel lends the Caller (src/caller) in each of its threads, the main one and every
 * Caller thread (where `// thread` cells run too):
 * - `{module}` functions are imported as cells import (notebook-relative, `.ts` files included);
 * - `{source}` text is evaluated as cell code of the thread (its realm is the cells' namespace:
 *   the main thread's is the notebook's, a Caller thread's that of its `// thread` cells), so a
 *   name in it means the global a cell of that thread declared, and its awaits are cancellable;
 * - a call from another thread runs in a cell scope of its own (src/shell/cell_scope.ts), whose
 *   output goes back to the cell that made the call, and which cancelling the call cancels (its
 *   awaits rejected, its timers cleared);
 * - errors crossing back name cell frames `In[n]`, as tracebacks do;
 * - comm messages of a thread's code travel with the output of the call that sent them, to the
 *   main thread, which publishes them and routes the frontend's answers back (thread_comms.ts,
 *   handed to the main thread's environment as its `threadComms`).
 */
import process from "node:process";
import { threadId } from "node:worker_threads";
import { configureThreads, setThreadEnvironment, type OutputEvent, type ThreadEnvironment } from "../caller/index.js";
import { CellScope } from "../shell/cell_scope.js";
import { currentOutput, setLatestOutput, type CellOutput, type DisplayOptions } from "../shell/output.js";
import type { CommOutbound } from "../comm/index.js";
import type { Importer } from "../shell/modules.js";
import type { Shell } from "../shell/shell.js";
import { refusingStdin } from "../shell/stdin.js";
import type { Language } from "./kernel_info.js";

/** On the main thread: where the comm messages and comm targets of Caller threads go (thread_cells/thread_comms.ts). */
export interface ThreadCommSink {
  /** A comm message of thread `threadId`, with the output of the call that sent it (none: forgotten). */
  outbound(threadId: number, msg: CommOutbound, out: CellOutput | undefined): void;
  /** The comm targets thread `threadId` serves now. */
  targets(threadId: number, names: readonly string[]): void;
}

export type CallerEnvironmentOptions = {
  cwd: string;
  language: Language;
  /** The thread's Shell, made if need be (source text is cell code: it needs the cells' runtime). */
  shell(): Promise<Shell>;
  /** The Shell if there is one already (for error frames; never makes one). */
  loadedShell(): Shell | undefined;
} & (
  | { main: false }
  /** The main thread: calls from other threads do not become the destination of stray output; threads' comms go to `threadComms`. */
  | { main: true; threadComms: ThreadCommSink }
);

/** Input requests belong to the main thread's cells (docs/stdin.md). */
const callStdin = refusingStdin("code called from another thread cannot ask for input");

export function callerEnvironment(options: CallerEnvironmentOptions): ThreadEnvironment {
  let importer: Promise<Importer> | undefined;
  return {
    importModule: async (specifier) => {
      importer ??= import("../shell/modules.js").then(({ createImporter }) => createImporter(options.cwd).importModule);
      return (await importer)(specifier);
    },
    // `{source}` is an expression of cell code (shell.ts evaluateSource)
    evaluate: async (source) => (await options.shell()).evaluateSource(source),
    runCall: (fn, call) => {
      const scope = new CellScope(relayOutput(call.emit));
      call.whenCancelled((reason) => scope.cancel(reason));
      // In a Caller thread the latest call is where stray output goes (as the latest cell is on the main thread).
      if (!options.main) setLatestOutput(scope.output);
      return scope.run(fn);
    },
    deliverOutput: (event, routed) => {
      const out = currentOutput();
      if (event.kind === "custom") {
        // comm messages are never dropped; on the main thread they are published, elsewhere
        // passed on with the output of the call that runs here (to end on the main thread)
        if (options.main) deliverCustom(options.threadComms, event, routed ? out : undefined);
        else forwardOf(out)?.(event);
        return;
      }
      if (!routed) return;
      if (out) replay(out, event);
      else if (event.kind === "stream") process[event.name].write(event.text);
    },
    describeError: (err) => options.loadedShell()?.errorText(err),
    strayError: (err, kind) => {
      const text = options.loadedShell()?.errorText(err) ?? String((err as Error)?.stack ?? err);
      currentOutput()?.stream("stderr", `${kind}: ${text}\n`);
    },
  };
}

/** The main thread's environment, once its Shell exists. */
export function useMainThreadEnvironment(shell: Shell, cwd: string, language: Language, threadComms: ThreadCommSink): void {
  setThreadEnvironment(callerEnvironment({ cwd, language, shell: async () => shell, loadedShell: () => shell, main: true, threadComms }));
}

/** Every Caller thread starts with thread_cells/thread_shell.ts as its setup (its environment, its Shell). */
export function configureCallerThreads(cwd: string, language: Language, semicolonHidesResult: boolean, npmInstall = true): void {
  configureThreads({
    setup: {
      module: new URL("./thread_cells/thread_shell.js", import.meta.url).href,
      data: { cwd, language, semicolonHidesResult, npmInstall },
    },
  });
}

/** Cancel the Caller calls a cell made (in its output's context) that have not settled: the cell was cancelled. */
export async function cancelCallsOfCell(output: CellOutput, reason: Error): Promise<number> {
  const { cancelCalls } = await import("../caller/index.js");
  return cancelCalls(() => currentOutput() === output, reason);
}

/** Passes a custom event on to the thread that made the call (a relay's own; see relayOutput). */
const FORWARD = Symbol("forward custom events");
type Relay = CellOutput & { [FORWARD]?: (event: OutputEvent) => void };

function forwardOf(out: CellOutput | undefined): ((event: OutputEvent) => void) | undefined {
  return (out as Relay | undefined)?.[FORWARD];
}

/**
 * A CellOutput that sends what a call emits back to the thread that made the call. Comm messages
 * go as custom events naming this thread, which owns the comm (thread_comms.ts).
 */
function relayOutput(emit: (event: OutputEvent) => void): CellOutput {
  const relay: Relay = {
    stream: (name, text) => emit({ kind: "stream", name, text }),
    display: (data, options = {}) => emit({ kind: "display", data, options: options as Record<string, unknown> }),
    clearOutput: (wait) => emit({ kind: "clear", wait }),
    stdin: callStdin,
    comm: (msg) => emit({ kind: "custom", name: "comm", data: { owner: threadId, msg } satisfies CommEvent }),
    [FORWARD]: emit,
  };
  return relay;
}

interface CommEvent {
  owner: number;
  msg: CommOutbound;
}

interface TargetsEvent {
  owner: number;
  names: string[];
}

/** This thread's comm targets changed: the main thread learns it with the current call's output. */
export function announceCommTargets(names: string[]): void {
  forwardOf(currentOutput())?.({ kind: "custom", name: "comm_targets", data: { owner: threadId, names } satisfies TargetsEvent });
}

function deliverCustom(sink: ThreadCommSink, event: Extract<OutputEvent, { kind: "custom" }>, out: CellOutput | undefined): void {
  if (event.name === "comm") {
    const { owner, msg } = event.data as CommEvent;
    sink.outbound(owner, msg, out);
  } else if (event.name === "comm_targets") {
    const { owner, names } = event.data as TargetsEvent;
    sink.targets(owner, names);
  }
}

function replay(out: CellOutput, event: Exclude<OutputEvent, { kind: "custom" }>): void {
  if (event.kind === "stream") out.stream(event.name, event.text);
  else if (event.kind === "display") out.display(event.data, event.options as DisplayOptions);
  else out.clearOutput(event.wait);
}
