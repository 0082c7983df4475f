/**
 * The Output widget (@jupyter-widgets/output 1.0.0): a view of outputs, filled by the kernel.
 *
 * `out.capture(fn)` runs `fn` with its output (console, display, clearOutput) routed into the
 * widget's `outputs` state instead of the cell, also for what `fn` schedules (timers, promises),
 * and also when `fn` runs for a button click or an observer. The widget's outputs are synced as
 * state, so they show wherever the widget is displayed, in a notebook saved with widget state
 * too. (ipywidgets instead sets `msg_id` and lets the frontend catch the output messages of that
 * parent; the result on screen is the same.) An error thrown by `fn` is shown in the widget and
 * not thrown further, as ipywidgets does.
 */
import { inspect } from "node:util";
import type { CommOutbound } from "../comm/index.js";
import { DOM_DEFAULTS, DOMWidget, type DOMState } from "./layout.js";
import { OUTPUT_MODULE, type ModelSpec } from "./widget.js";

/** Where output goes (the shell's CellOutput has this shape). */
export interface OutputSink {
  stream(name: "stdout" | "stderr", text: string): void;
  display(data: Record<string, unknown>, options?: { metadata?: Record<string, unknown>; displayId?: string; update?: boolean }): void;
  clearOutput(wait: boolean): void;
  comm?(msg: CommOutbound): void;
}

/** The kernel's output routing (shell/output.ts), given to this module by the kernel module. */
export interface OutputRouting {
  current(): OutputSink | undefined;
  run<T>(sink: OutputSink, fn: () => T): T;
  /**
   * A value's MIME bundle as a cell's display shows it (shell/display.ts; a promise when the
   * value's display method returns one; never rejects); `complain` says why its own failed.
   */
  show(value: unknown, complain: (text: string) => void): { data: Record<string, unknown> } | Promise<{ data: Record<string, unknown> }>;
  /** A thrown value as a cell's traceback shows it (cell frames as `In[n]`, none of the kernel's). */
  describeError(err: unknown): { ename: string; evalue: string; traceback: string[] };
}

let routing: OutputRouting | undefined;

export function useOutputRouting(r: OutputRouting): void {
  routing = r;
}

/** One output, as nbformat and the frontend's output area have it. */
export type OutputItem = Record<string, unknown> & { output_type: "stream" | "display_data" | "execute_result" | "error" };

export interface OutputState extends DOMState {
  /** Parent message id of output the frontend captures itself (ipywidgets' way; unused here). */
  msg_id: string;
  outputs: OutputItem[];
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";

export interface Output extends OutputState {}
export class Output extends DOMWidget<OutputState> {
  static override readonly spec: ModelSpec = {
    model: { name: "OutputModel", module: OUTPUT_MODULE.module, version: OUTPUT_MODULE.version },
    view: { name: "OutputView", module: OUTPUT_MODULE.module, version: OUTPUT_MODULE.version },
    defaults: { ...DOM_DEFAULTS, msg_id: "", outputs: [] },
  };
  /** clear({wait: true}): clear when the next output comes. */
  private clearOnNext = false;
  private readonly displayIds = new Map<string, number[]>();

  /**
   * Run `fn` with its output going into this widget. Returns what `fn` returns (a promise for an
   * async `fn`); if `fn` throws, the error is shown in the widget and undefined is returned.
   */
  capture<T>(fn: () => Promise<T>): Promise<T | undefined>;
  capture<T>(fn: () => T): T | undefined;
  capture<T>(fn: () => T): T | Promise<unknown> | undefined {
    if (typeof fn !== "function") throw new TypeError("capture() needs a function");
    if (!routing) throw new Error("Output.capture needs a running kernel");
    const outer = routing.current();
    const sink: OutputSink = {
      stream: (name, text) => this.appendStream(name, text),
      display: (data, options = {}) => this.appendDisplay(data, options),
      clearOutput: (wait) => this.clear({ wait }),
      // Comm messages (widgets made inside) still go to the frontend, with the outer parent.
      comm: (msg) => outer?.comm?.(msg),
    };
    const failed = (err: unknown): undefined => {
      this.appendError(err);
      return undefined;
    };
    try {
      const result = routing.run(sink, fn);
      return isThenable(result) ? Promise.resolve(result).catch(failed) : result;
    } catch (err) {
      return failed(err);
    }
  }

  /** Remove the outputs; with `{wait: true}` only once the next output comes (no flicker). */
  clear(options: { wait?: boolean } = {}): void {
    if (options.wait) {
      this.clearOnNext = true;
      return;
    }
    this.clearOnNext = false;
    this.displayIds.clear();
    if (this.outputs.length) this.outputs = [];
  }

  appendStdout(text: string): void {
    this.appendStream("stdout", String(text));
  }

  appendStderr(text: string): void {
    this.appendStream("stderr", String(text));
  }

  /**
   * Show a value as display() would: its own bundle (`Symbol.for("Jupyter.display")`, or
   * `Symbol.for("jupyter.mimebundle")`), what it looks like (a chart, a table, an image), else its
   * text. At once when its bundle is ready; the promise resolves once it is in the widget, and
   * never rejects (a failing display method is noted on the widget's stderr, the value shown as text).
   */
  appendDisplayData(value: unknown, metadata: Record<string, unknown> = {}): Promise<void> {
    const complain = (text: string) => this.appendStream("stderr", `${text}\n`);
    const shown = routing ? routing.show(value, complain) : { data: { "text/plain": inspect(value, { depth: 4 }) } };
    if (!isThenable(shown)) {
      this.appendDisplay(shown.data, { metadata });
      return Promise.resolve();
    }
    return Promise.resolve(shown).then((s) => this.appendDisplay(s.data, { metadata }));
  }

  private add(item: OutputItem): void {
    const base = this.clearOnNext ? [] : this.outputs;
    if (this.clearOnNext) this.displayIds.clear();
    this.clearOnNext = false;
    this.outputs = [...base, item];
  }

  private appendStream(name: "stdout" | "stderr", text: string): void {
    const list = this.outputs;
    const last = list[list.length - 1];
    if (!this.clearOnNext && last?.output_type === "stream" && last.name === name) {
      this.outputs = [...list.slice(0, -1), { ...last, text: String(last.text) + text }];
    } else {
      this.add({ output_type: "stream", name, text });
    }
  }

  private appendDisplay(
    data: Record<string, unknown>,
    options: { metadata?: Record<string, unknown>; displayId?: string; update?: boolean },
  ): void {
    const item: OutputItem = { output_type: "display_data", data, metadata: options.metadata ?? {} };
    const id = options.displayId;
    if (options.update) {
      if (!id) return;
      const at = this.displayIds.get(id) ?? [];
      if (at.length) this.outputs = this.outputs.map((o, i) => (at.includes(i) ? item : o));
      return;
    }
    this.add(item);
    if (id) this.displayIds.set(id, [...(this.displayIds.get(id) ?? []), this.outputs.length - 1]);
  }

  /** As a cell's error shows (the kernel's formatting never throws, also for hostile values). */
  private appendError(err: unknown): void {
    const { ename, evalue, traceback } = routing
      ? routing.describeError(err)
      : { ename: "Error", evalue: String(err), traceback: [String(err)] };
    this.add({ output_type: "error", ename, evalue, traceback });
  }
}
