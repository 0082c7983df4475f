/**
 * One thread the debug adapter debugs (a DAP thread): the main thread, through the I/O worker's
 * session to it, or a worker it started (a `// thread` cell's, a Caller thread), through that
 * session's NodeWorker domain (worker_cdp.ts). Holds what belongs to the thread's own V8: its
 * scripts, the breakpoints placed in it, whether it is paused and the stop the frontend was told
 * of. The adapter (adapter.ts) does the work and routes requests here by thread and frame id.
 */
import type { Debugger, Runtime } from "node:inspector";
import type { DebugProtocol as DAP } from "@vscode/debugprotocol";
import type { Cdp } from "./cdp.js";
import type { TryMap } from "./catch_scan.js";

/** What a `variablesReference` stands for while the thread is paused. */
export type Ref = { kind: "scopes"; objectIds: string[]; notebook: boolean } | { kind: "object"; objectId: string };

export interface Frame {
  callFrameId: string;
  name: string;
  source: DAP.Source | undefined;
  line: number;
  column: number;
  scopeChain: Debugger.Scope[];
  topLevel: boolean;
}

/** A stop the frontend was told of. */
export interface Paused {
  frames: Frame[];
  /** The DAP id of frames[0]; the others follow (ids are unique across threads and stops). */
  firstFrameId: number;
  refs: Map<number, Ref>;
}

export class ThreadTarget {
  /** The URLs of the user's scripts (cells, the notebook's files) by V8's script id (CallFrame.url is empty in Node 20). */
  readonly urls = new Map<string, string>();
  /**
   * Cells whose scripts have lines of their own (tsc compiled them), by script URL: the latest
   * script and, for each cell line, its line there (0: none). Their breakpoints go by script id.
   */
  readonly moved = new Map<string, { scriptId: string; lines: number[] }>();
  /** The try blocks of scripts by id, for the "uncaught" filter. */
  readonly tryMaps = new Map<string, TryMap>();
  /** Cell scripts' sources by script id, for the inserted-statement check. */
  readonly sources = new Map<string, string[]>();
  /** V8's ids of the breakpoints placed in this thread, by the source path the frontend set them in. */
  readonly placed = new Map<string, string[]>();
  /** Stopped, and told the frontend so. */
  paused: Paused | undefined;
  /** V8 has paused the thread (told or not yet: between Debugger.paused and Debugger.resumed). */
  threadPaused = false;
  /** Bumped at every pause and resume: work for a pause that has ended is dropped. */
  generation = 0;
  /** A step the frontend asked for is under way (the next stop is reason "step"). */
  stepping = false;
  /** A pause the frontend asked for is under way (the next stop is reason "pause"). */
  pauseAsked = false;
  /** Steps past inserted statements since the last stop, and the reason that began them. */
  autoSteps = 0;
  firstReason: string | undefined;
  /** The session has ended (disconnect, or the worker ended). */
  closed = false;

  /** A stop was marked with `onStop(true)` and not yet ended. */
  private stopMarked = false;

  /**
   * A worker the notebook's code started (`new Worker(...)` in a cell or a package): no shell and
   * no cells, only its files; the kernel's debug view (shell/debug_view.ts) is not there.
   */
  readonly plain: boolean;
  /**
   * Told when the thread stops and, before it goes on, that the stop ends: its cells' timeouts do
   * not count the stops (shell/attention.ts `stopBegins`, `stopEnds`).
   */
  private readonly onStop: (stopped: boolean) => void;

  constructor(
    /** The DAP thread id (1: the main thread). */
    readonly id: number,
    readonly name: string,
    readonly cdp: Cdp,
    options: { plain?: boolean; onStop?: (stopped: boolean) => void } = {},
  ) {
    this.plain = options.plain === true;
    this.onStop = options.onStop ?? (() => {});
  }

  /** V8 has paused the thread (Debugger.paused). */
  threadStopped(): void {
    this.threadPaused = true;
    if (this.stopMarked) return;
    this.stopMarked = true;
    this.onStop(true);
  }

  /** Evaluate an expression of this thread's debug view (shell/debug_view.ts); its value. */
  async view<T>(expression: string): Promise<T> {
    const r = await this.cdp.post<{ result: Runtime.RemoteObject; exceptionDetails?: Runtime.ExceptionDetails }>("Runtime.evaluate", {
      expression,
      returnByValue: true,
      silent: true,
    });
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  }

  /** Forget how the last stop came about (a new one begins from nothing). */
  resetStop(): void {
    this.stepping = false;
    this.pauseAsked = false;
    this.autoSteps = 0;
    this.firstReason = undefined;
  }

  /** The thread runs again (or is about to): what belonged to the pause goes. */
  leavePause(): void {
    this.generation++;
    // ended before the thread runs (a step or continue is posted next), or as it is seen to run
    if (this.stopMarked) {
      this.stopMarked = false;
      this.onStop(false);
    }
    if (this.paused === undefined) return;
    this.paused = undefined;
    if (!this.closed) void this.cdp.post("Runtime.releaseObjectGroup", { objectGroup: "dap" }).catch(() => {});
  }

  /** The frame of DAP id `id` in this thread's stop, if it is there. */
  frame(id: number): Frame | undefined {
    const p = this.paused;
    return p !== undefined && id >= p.firstFrameId ? p.frames[id - p.firstFrameId] : undefined;
  }
}
