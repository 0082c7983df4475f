/**
 * The declarations of what the kernel gives cells beyond Node, as one `.d.ts` text for a
 * TypeScript language service to load as a file of its program (e.g. "ts-async-kernel.d.ts"):
 * the `ts-async-kernel` module (kernel_module.ts; also as "ts-async-kernel/display") and the
 * globals every cell sees, `display`, `updateDisplay`, `clearOutput`, `input`, `prompt` and `confirm`. Node's own globals
 * (`require`, `module`, `__filename`, `__dirname`, `process`...) come from @types/node; the
 * kernel's `__tsak_*` internals are left out on purpose.
 *
 * The comm and widget APIs are declared by their own compiled declarations: the module names
 * "ts-async-kernel/comm" and "ts-async-kernel/widgets" lead there through KERNEL_TYPE_PATHS (the
 * language service's `paths`), so completion knows every widget class and attribute.
 *
 * It is a script (no top-level import or export), so its top-level `declare`s are globals; the
 * `widgets` global is declared inside the module (a global augmentation), so that it is a
 * namespace of types as well as a value.
 * test/shell/globals_dts.test.ts checks it against the implementation (display.ts, stdin.ts).
 */
import { fileURLToPath } from "node:url";

/** Where the declarations of the kernel's comm and widget modules are (next to this file's, in dist/ or src/). */
export const KERNEL_TYPE_PATHS: Record<string, string[]> = {
  "ts-async-kernel/comm": [fileURLToPath(new URL("../comm/api.js", import.meta.url))],
  "ts-async-kernel/widgets": [fileURLToPath(new URL("../widgets/api.js", import.meta.url))],
};

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
     * Show a value in the cell's output: the bundle of its Symbol.for("jupyter.mimebundle")
     * method if it has one, else its text/plain as the REPL shows it.
     */
    (value: unknown, options?: DisplayCallOptions): void;
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
  export function updateDisplay(displayId: string, value: unknown, options?: DisplayCallOptions): void;
  /** Clear the cell's output; with {wait: true}, only once the next output comes. */
  export function clearOutput(options?: { wait?: boolean }): void;

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
  /** Ask a yes/no question (" [y/N] " is appended) and wait: true for "y" or "yes", any case. */
  export function confirm(message?: string): boolean;
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

/** The cell globals: the same objects as the "ts-async-kernel" module's. */
declare const display: import("ts-async-kernel").Display;
declare const updateDisplay: typeof import("ts-async-kernel").updateDisplay;
declare const clearOutput: typeof import("ts-async-kernel").clearOutput;
// Functions rather than consts: they merge with lib.dom's prompt and confirm where that is loaded.
/** Ask the frontend for a line of input; resolves with the answer (see the "ts-async-kernel" module). */
declare function input(prompt?: string, options?: import("ts-async-kernel").InputOptions): Promise<string>;
/** Ask for a line of input and wait for it, blocking the kernel; an empty answer gives defaultValue. */
declare function prompt(message?: string, defaultValue?: string): string;
/** Ask a yes/no question (" [y/N] " is appended) and wait: true for "y" or "yes", any case. */
declare function confirm(message?: string): boolean;
`;
