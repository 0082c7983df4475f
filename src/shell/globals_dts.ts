/**
 * The declarations of what the kernel gives cells beyond Node, as one `.d.ts` text for a
 * TypeScript language service to load as a file of its program (e.g. "ts-async-kernel.d.ts"):
 * the `ts-async-kernel` module (kernel_module.ts: the display API, stdin and the Caller; also as
 * "ts-async-kernel/display") and the globals every cell sees, `display`, `updateDisplay`,
 * `clearOutput`, `input`, `prompt` and `confirm`; Deno's `Deno.jupyter` (a name cells have,
 * declared as a global namespace, which merges with any other), IJavascript's `$$`, and the
 * `tslab` module the kernel gives (tslab.ts). Node's own globals
 * (`require`, `module`, `__filename`, `__dirname`, `process`...) come from @types/node; the
 * kernel's `__tsak_*` internals are left out on purpose.
 *
 * The comm and widget APIs, the Caller's and the event loop's are declared by their own compiled
 * declarations: the module names "ts-async-kernel/comm", "/widgets", "/caller" and "/event_loop"
 * lead there through KERNEL_TYPE_PATHS (the language service's `paths`), so completion knows
 * every widget class and attribute.
 *
 * It is a script (no top-level import or export), so its top-level `declare`s are globals; the
 * `widgets` global is declared inside the module (a global augmentation), so that it is a
 * namespace of types as well as a value.
 * test/shell/globals_dts.test.ts checks it against the implementation (display.ts, stdin.ts).
 */
import { fileURLToPath } from "node:url";
import { KERNEL_MODULES } from "./loader_protocol.js";

/** The modules declared in GLOBALS_DTS itself. */
const DECLARED_HERE = new Set(["ts-async-kernel", "ts-async-kernel/display"]);

/** Where the declarations of the kernel's other public modules are (next to this file's, in dist/ or src/). */
export const KERNEL_TYPE_PATHS: Record<string, string[]> = Object.fromEntries(
  [...KERNEL_MODULES]
    .filter(([name]) => !DECLARED_HERE.has(name))
    .map(([name, path]) => [name, [fileURLToPath(new URL(`../${path}`, import.meta.url))]]),
);

export const GLOBALS_DTS = `declare module "ts-async-kernel" {
  /** Options of display() and of its helpers. */
  export interface DisplayCallOptions {
    /** The value is a ready mime bundle, e.g. {"text/html": "<b>hi</b>", "text/plain": "hi"}. */
    raw?: boolean;
    /** Names the output, so that updateDisplay(displayId, ...) can replace it later. */
    displayId?: string;
    /** Replace the output named displayId instead of adding one. */
    update?: boolean;
    /** Output metadata, by mime type. */
    metadata?: Record<string, unknown>;
  }

  export interface Display {
    /**
     * Show a value in the cell's output: the MIME bundle its [Symbol.for("Jupyter.display")]()
     * (or [Symbol.for("jupyter.mimebundle")]()) method returns, or a promise of one; else what it
     * looks like (a canvas, a Vega chart, a DataFrame, PNG/JPEG bytes, an element's outerHTML);
     * else its text/plain as the REPL shows it. Shown at once when the bundle is ready; the promise
     * resolves once it is shown (await it when the display method is async) and never rejects.
     */
    (value: unknown, options?: DisplayCallOptions): Promise<void>;
    html(html: string, options?: DisplayCallOptions): void;
    markdown(markdown: string, options?: DisplayCallOptions): void;
    svg(svg: string, options?: DisplayCallOptions): void;
    latex(latex: string, options?: DisplayCallOptions): void;
    /** PNG as base64 text or as bytes. */
    png(data: string | Uint8Array, options?: DisplayCallOptions): void;
    /** JPEG as base64 text or as bytes. */
    jpeg(data: string | Uint8Array, options?: DisplayCallOptions): void;
    json(value: unknown, options?: DisplayCallOptions): void;
    /** A Plotly figure: {data, layout}. */
    plotly(figure: unknown, options?: DisplayCallOptions): void;
    /** A Vega-Lite (v5) specification. */
    vegalite(spec: unknown, options?: DisplayCallOptions): void;
  }

  /** Show values in the output of the cell that runs (or of the latest cell, from a timer). */
  export const display: Display;
  /** Replace the output shown earlier with options {displayId}. */
  export function updateDisplay(displayId: string, value: unknown, options?: DisplayCallOptions): Promise<void>;
  /** Clear the cell's output; with {wait: true}, only once the next output comes. */
  export function clearOutput(options?: { wait?: boolean }): void;

  /**
   * A function that another thread finds itself (functions cannot cross threads): an export of a
   * module, imported there as a cell imports ("./work.ts" is next to the notebook), or source
   * text evaluated there, in that thread's cell globals (it cannot use variables from outside it).
   */
  export type FunctionRef = { module: string; export?: string } | { source: string };
  /** A function of the calling thread (for its own Caller), or a FunctionRef. */
  export type Callable<A extends unknown[] = unknown[], R = unknown> = ((...args: A) => R) | FunctionRef;

  export interface CallerOptions {
    /** The thread's name: the same thread for everyone who asks by it ("main": the main thread). */
    name?: string;
    /** Its src/event_loop backend (default "node"). */
    backend?: string;
    /** Its host loop, e.g. "pure". */
    loop?: string;
  }

  /** The promise of a call through a Caller, which can also be cancelled. */
  export class Pending<T> extends Promise<T> {
    /** Aborted when the pending is cancelled (the called function sees it as Caller.currentPending().signal). */
    readonly signal: AbortSignal;
    /** Settled (or settling). */
    readonly done: boolean;
    /** Cancel the call (a string: a PendingCancelled with that message); false if it had settled. */
    cancel(reason?: string | Error): boolean;
    /** Cancel with a TimeoutError unless it settles within seconds. */
    timeout(seconds: number): this;
  }

  /** A call was cancelled without an Error of its own as the reason. */
  export class PendingCancelled extends Error {
    constructor(message?: string);
  }
  /** The thread of a call ended before the call settled. */
  export class ThreadEnded extends Error {
    constructor(message: string, exit?: { code?: number; failure?: string; stopped?: boolean });
    readonly exit: { code?: number; failure?: string; stopped?: boolean };
  }
  /**
   * Resolves once the thread running the call has let it go: its function settled, it took the
   * cancel, or it ended (a thread stuck in synchronous code never does).
   */
  export function untilFinished(pending: Pending<unknown>): Promise<void>;
  /** A call ran past its pending.timeout(seconds). */
  export class CallTimeout extends Error {
    constructor(seconds: number);
  }

  /**
   * Calls functions in a thread (one Caller per thread) and gives their results, errors and
   * output back here. Within its own thread it runs any function; into another thread, a
   * FunctionRef with arguments that structuredClone can copy.
   */
  export class Caller {
    private constructor();
    /** The Caller of the thread this code runs in. */
    static current(): Caller;
    /** The Caller of the kernel's main thread (where the notebook's cells run). */
    static mainThread(): Caller;
    /** The thread named options.name, started if there is none (also a "// thread name=..." cell's); without a name, a new thread. */
    static get(options?: CallerOptions): Caller;
    /** Call fn(...args) in a pooled thread. */
    static toThread<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<Awaited<R>>;
    /** The pending of the call whose function runs here, if any. */
    static currentPending(): Pending<unknown> | undefined;
    /** The Caller of the running thread with that id (node:worker_threads threadId), if known here. */
    static ofThread(threadId: number): Caller | undefined;
    /** Resolves once the thread serves calls; rejects if it could not start. */
    readonly ready: Promise<void>;
    /** Resolves once the thread has ended (never for this thread's own Caller). */
    readonly ended: Promise<void>;
    readonly threadId: number;
    readonly name: string | undefined;
    readonly backend: string;
    readonly loop: string | undefined;
    /** This code runs in the Caller's thread. */
    readonly isCurrent: boolean;
    /** Run fn(...args) in the thread now; resolves with its result. */
    call<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<Awaited<R>>;
    /** As call, on a later turn of the thread's event loop. */
    callSoon<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<Awaited<R>>;
    /** As call, after at least delaySeconds. */
    callLater<A extends unknown[], R>(delaySeconds: number, fn: Callable<A, R>, ...args: A): Pending<Awaited<R>>;
    /** Queue fn(...args) behind the earlier queued calls of fn; a failure is logged, not raised. */
    queueCall<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Pending<void>;
    /** Drop the queue of fn: its calls not started yet are cancelled. */
    queueClose(fn: Callable): void;
    /** End the thread; its calls in flight reject with ThreadEnded. */
    stop(): Promise<void>;
  }

  /** Options of input(). */
  export interface InputOptions {
    /** The frontend hides what is typed (a password field). */
    password?: boolean;
  }
  /**
   * Ask the frontend for a line of input; resolves with the answer. Needs a frontend that
   * accepts input requests (else a StdinUnavailable error); an interrupt rejects it.
   */
  export function input(prompt?: string, options?: InputOptions): Promise<string>;
  /**
   * Ask for a line of input and wait for it, blocking the kernel until the answer comes (an
   * interrupt stops the wait). An empty answer gives defaultValue when there is one.
   */
  export function prompt(message?: string, defaultValue?: string): string;
  /** Ask a yes/no question (" [y/N]" is added to it) and wait: true for "y" or "yes", any case. */
  export function confirm(message?: string): boolean;
  /** A MIME bundle: MIME type → data (text, base64 for binary, JSON for +json types). */
  export type MediaBundle = { [mime: string]: unknown };
  /** Deno's Jupyter API (docs/compat.md), as Deno's lib.deno.unstable.d.ts declares it. */
  namespace denoJupyter {
    interface DisplayOptions {
      /** The value is a ready MIME bundle. */
      raw?: boolean;
      /** Replace the output named display_id. */
      update?: boolean;
      display_id?: string;
    }
    /** Symbol.for("Jupyter.display"): an object's method returning its MediaBundle (or a promise of one). */
    const $display: unique symbol;
    interface Displayable {
      [$display]: () => MediaBundle | Promise<MediaBundle>;
    }
    /** Show a value (its Jupyter.display bundle, or as the kernel shows values); resolves once shown. */
    function display(obj: unknown, options?: DisplayOptions): Promise<void>;
    /** Markdown from a tagged template: md\`# Title\`. */
    function md(strings: TemplateStringsArray | string, ...values: unknown[]): Displayable;
    /** HTML from a tagged template. */
    function html(strings: TemplateStringsArray | string, ...values: unknown[]): Displayable;
    /** SVG from a tagged template. */
    function svg(strings: TemplateStringsArray | string, ...values: unknown[]): Displayable;
    /** A JPEG or PNG image, from a path or its bytes. */
    function image(pathOrBytes: string | Uint8Array): Displayable;
    /** The MIME bundle a value is shown with. */
    function format(obj: unknown): Promise<MediaBundle>;
    /**
     * Publish display_data, update_display_data, stream, clear_output, comm_open, comm_msg or
     * comm_close with the calling cell as parent; comms opened so are the kernel's (openComms()).
     */
    function broadcast(msgType: string, content: Record<string, unknown>, extra?: { metadata?: Record<string, unknown>; buffers?: Uint8Array[] }): Promise<void>;
  }
  /** Deno's \`Deno.jupyter\`; every other Deno API throws an error naming the Node equivalent. */
  export namespace Deno {
    export import jupyter = denoJupyter;
  }
  /** A Deno API this kernel does not have (the message names the Node equivalent). */
  export class DenoApiUnavailable extends Error {
    constructor(message: string);
  }
  export type DenoDisplayOptions = denoJupyter.DisplayOptions;
  export type Displayable = denoJupyter.Displayable;
  global {
    /** Deno's API for cells written for Deno's kernel: only \`Deno.jupyter\` (never a global for packages). */
    namespace Deno {
      export import jupyter = denoJupyter;
    }
  }

  /** A display of IJavascript's \`$$.display(id?)\`: with an id, later outputs replace the first. */
  export interface IJavascriptDisplay {
    mime(bundle: MediaBundle): void;
    text(text: string): void;
    html(html: string): void;
    svg(svg: string): void;
    png(base64: string): void;
    jpeg(base64: string): void;
    json(value: unknown): void;
    close(): void;
  }
  /** IJavascript's \`$$\`: the running cell's execution context (docs/compat.md). */
  export interface IJavascriptContext {
    /** The cell's reply waits for $$.done() or a result (false: it does not); returns the setting. */
    async(value?: boolean): boolean;
    /** End the cell, with result as its result if given. */
    done(result?: unknown): void;
    /** The cell's result (a promise: its value); ends the cell unless keepAlive. */
    sendResult(result: unknown, keepAlive?: boolean): void;
    /** The cell fails with this error; ends the cell unless keepAlive. */
    sendError(error: unknown, keepAlive?: boolean): void;
    mime(bundle: MediaBundle, keepAlive?: boolean): void;
    text(text: string, keepAlive?: boolean): void;
    html(html: string, keepAlive?: boolean): void;
    svg(svg: string, keepAlive?: boolean): void;
    png(base64: string, keepAlive?: boolean): void;
    jpeg(base64: string, keepAlive?: boolean): void;
    json(value: unknown, keepAlive?: boolean): void;
    display(id?: string): IJavascriptDisplay;
    input(options: { prompt?: string; password?: boolean } | string, callback?: (error: unknown, answer?: string) => void): Promise<string>;
  }

  /** Comms: \`new Comm(target)\`, \`registerCommTarget(name, handler)\` (docs/widgets.md). */
  export * from "ts-async-kernel/comm";
  /** Jupyter widgets, by name and as \`widgets\` (docs/widgets.md). */
  export * from "ts-async-kernel/widgets";
  export * as widgets from "ts-async-kernel/widgets";

  import * as widgetsModule from "ts-async-kernel/widgets";
  global {
    /** Jupyter widgets: \`display(new widgets.IntSlider({ value: 5 }))\`; also their types (\`let s: widgets.IntSlider\`). */
    export import widgets = widgetsModule;
  }
}

declare module "ts-async-kernel/display" {
  export * from "ts-async-kernel";
}

/** tslab's module, as the kernel gives it to cells and their files (tslab's dist/public.d.ts). */
declare module "tslab" {
  interface Versions {
    tslab: string;
    typescript: string;
    node: string;
  }
  /** The version strings (tslab: ts-async-kernel's, which serves tslab's API here). */
  export const versions: Versions;
  export interface Display {
    javascript(s: string): void;
    html(s: string): void;
    markdown(s: string): void;
    latex(s: string): void;
    svg(s: string): void;
    png(b: Uint8Array): void;
    jpeg(b: Uint8Array): void;
    gif(b: Uint8Array): void;
    pdf(b: Uint8Array): void;
    text(s: string): void;
    raw(contentType: string, b: string | Uint8Array): void;
  }
  /** A Display that shows once and then replaces its own output. */
  export function newDisplay(): Display;
  /** Rich output in the running cell. */
  export const display: Display;
  const tslab: { versions: Versions; newDisplay: typeof newDisplay; display: Display };
  export default tslab;
}

/** The cell globals: the same objects as the "ts-async-kernel" module's. */
declare const display: import("ts-async-kernel").Display;
declare const updateDisplay: typeof import("ts-async-kernel").updateDisplay;
declare const clearOutput: typeof import("ts-async-kernel").clearOutput;
// Functions rather than consts: they merge with lib.dom's prompt and confirm where that is loaded.
/** Ask the frontend for a line of input; resolves with the answer (see the "ts-async-kernel" module). */
declare function input(prompt?: string, options?: import("ts-async-kernel").InputOptions): Promise<string>;
/** Ask for a line of input and wait for it, blocking the kernel; an empty answer gives defaultValue. */
declare function prompt(message?: string, defaultValue?: string): string;
/** Ask a yes/no question (" [y/N]" is added to it) and wait: true for "y" or "yes", any case. */
declare function confirm(message?: string): boolean;
/** IJavascript's \`$$\`: the running cell's execution context. */
declare var $$: import("ts-async-kernel").IJavascriptContext;
`;
