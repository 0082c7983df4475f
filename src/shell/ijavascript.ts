/**
 * IJavascript's `$$`: the running cell's execution context, as IJavascript's evaluation loop (npm
 * `nel`, lib/server/context.js) gives it to each execution. Facts taken from there:
 *
 * - `$$.sendResult(value, keepAlive)`, `$$.mime(bundle)`, `$$.text`, `$$.html`, `$$.svg`, `$$.png`,
 *   `$$.jpeg`, `$$.json`: the cell's result, which ends the cell; its own last expression is then
 *   dropped. A promise is waited for first. With `keepAlive` the cell goes on (async).
 * - `$$.sendError(error, keepAlive)`: the cell fails with that error.
 * - `$$.async()`: the cell's reply waits until `$$.done()` (or a result, or an error); `$$.done(value?)`
 *   ends it.
 * - `$$.display(id?)`: a display of its own (`mime`, `text`, `html`, ... and `close`); with an id,
 *   what it shows after the first time replaces that output (without, each output is a new one).
 * - `$$.input({prompt, password}, callback?)`: asks the frontend (and makes the cell async).
 * - Anything sent once the cell has ended is dropped (here with a note on the cell's stderr).
 *
 * Here `$$` is a global whose value depends on where it is read: the `$$` of the cell whose code
 * (or whose timer or promise callback) runs, found through the cell's scope (cell_scope.ts). Code
 * running for no cell (a comm handler, a widget's capture) gets a `$$` whose results are displays.
 * Packages that look for `$$` to detect IJavascript find it, and their `$$.html(...)` works.
 * Shell.execute asks `cellEnd` how the cell's `$$` ended it.
 */
import { types } from "node:util";
import { type CellScope, currentScope } from "./cell_scope.js";
import { checkBundle, complainTo, showValue } from "./display.js";
import { currentOutput, type CellOutput, type MimeBundle } from "./output.js";
import { input } from "./stdin.js";

/** How a cell's `$$` ended it. */
export type CellEnd =
  | { kind: "result"; value: unknown }
  | { kind: "bundle"; data: MimeBundle }
  | { kind: "error"; error: unknown }
  | { kind: "none" };

/** What one of `$$`'s result methods sends: a value to show, a ready bundle, or an error. */
type Sent = Exclude<CellEnd, { kind: "none" }>;

export interface DollarDisplay {
  mime(bundle: MimeBundle): void;
  text(text: string): void;
  html(html: string): void;
  svg(svg: string): void;
  png(base64: string): void;
  jpeg(base64: string): void;
  json(value: unknown): void;
  close(): void;
}

/** IJavascript's `$$`. */
export interface Dollar {
  async(value?: boolean): boolean;
  done(result?: unknown): void;
  sendResult(result: unknown, keepAlive?: boolean): void;
  sendError(error: unknown, keepAlive?: boolean): void;
  mime(bundle: MimeBundle, keepAlive?: boolean): void;
  text(text: string, keepAlive?: boolean): void;
  html(html: string, keepAlive?: boolean): void;
  svg(svg: string, keepAlive?: boolean): void;
  png(base64: string, keepAlive?: boolean): void;
  jpeg(base64: string, keepAlive?: boolean): void;
  json(value: unknown, keepAlive?: boolean): void;
  display(id?: string): DollarDisplay;
  input(options: { prompt?: string; password?: boolean } | string, callback?: (error: unknown, answer?: string) => void): Promise<string>;
}

/** One cell's `$$` and what it did: async or not, how it ended, whether its cell is over. */
class CellContext {
  isAsync = false;
  ended: CellEnd | undefined;
  /** The cell's reply is out: what is sent now is dropped. */
  finished = false;
  private endWaiters: ((end: CellEnd) => void)[] = [];
  readonly api: Dollar;

  /** `cellName` undefined: code running for no cell, whose results are displays. */
  constructor(
    private readonly output: CellOutput,
    private readonly cellName: string | undefined,
  ) {
    this.api = this.makeApi();
  }

  /** Resolves when `$$` ends the cell (now if it has). */
  whenEnded(): Promise<CellEnd> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  private note(text: string): void {
    complainTo(this.output)(text);
  }

  /** A result or an error: ends the cell (unless keepAlive), or is shown now. */
  private send(what: string, sent: Sent, keepAlive: boolean): void {
    if (this.cellName === undefined) return this.showNow(sent);
    if (this.finished || this.ended) {
      const state = this.finished ? "has finished" : "has already sent its result";
      this.note(`$$.${what}(): ${this.cellName} ${state}, so this is dropped (as IJavascript drops it).`);
      return;
    }
    if (keepAlive) {
      this.isAsync = true;
      this.showNow(sent);
      return;
    }
    this.end(sent);
  }

  private end(end: CellEnd): void {
    this.ended = end;
    this.isAsync = false;
    for (const resolve of this.endWaiters.splice(0)) resolve(end);
  }

  /** A result shown at once (a keepAlive result, or `$$` outside a cell): as display_data. */
  private showNow(sent: Sent): void {
    const out = this.output;
    if (sent.kind === "bundle") return out.display(sent.data);
    if (sent.kind === "error") {
      const err = sent.error as { stack?: unknown } | null;
      out.stream("stderr", `${typeof err?.stack === "string" ? err.stack : String(sent.error)}\n`);
      return;
    }
    const shown = showValue(sent.value, complainTo(out));
    if (types.isPromise(shown)) void shown.then((s) => out.display(s.data, { metadata: s.metadata }));
    else out.display(shown.data, { metadata: shown.metadata });
  }

  /** A result that may be a promise: the cell waits for it (nel's resolvePromise). */
  private sendValue(what: string, value: unknown, keepAlive: boolean, toSent: (v: unknown) => Sent): void {
    if (!types.isPromise(value)) return this.send(what, toSent(value), keepAlive);
    if (this.cellName !== undefined && !this.finished && !this.ended) this.isAsync = true;
    (value as Promise<unknown>).then(
      (v) => this.send(what, toSent(v), keepAlive),
      (err: unknown) => this.send(what, { kind: "error", error: err }, false),
    );
  }

  private bundle(what: string, data: unknown): Sent {
    const checked = checkBundle(data, `$$.${what}()`, complainTo(this.output));
    return { kind: "bundle", data: checked ?? {} };
  }

  private makeApi(): Dollar {
    const typed = (what: string, mime: string) => (v: unknown, keepAlive?: boolean) =>
      this.sendValue(what, v, keepAlive === true, (x) => this.bundle(what, { [mime]: x }));
    const self = this;
    return {
      async(value?: boolean): boolean {
        if (self.cellName === undefined) return false;
        if (self.finished || self.ended) {
          self.note(
            `$$.async(): ${self.cellName} ${self.finished ? "has finished" : "has already sent its result"}; nothing is waited for any more.`,
          );
          return self.isAsync;
        }
        self.isAsync = arguments.length === 0 ? true : !!value;
        // turning async off while the reply waits for it ends the cell
        if (!self.isAsync && self.endWaiters.length > 0) self.end({ kind: "none" });
        return self.isAsync;
      },
      done(result?: unknown): void {
        if (arguments.length === 0) {
          if (self.cellName === undefined) return;
          if (self.finished || self.ended)
            return self.note(
              `$$.done(): ${self.cellName} ${self.finished ? "has finished" : "has already sent its result"}; nothing to end.`,
            );
          return self.end({ kind: "none" });
        }
        self.sendValue("done", result, false, (v) => ({ kind: "result", value: v }));
      },
      sendResult: (result: unknown, keepAlive?: boolean) =>
        this.sendValue("sendResult", result, keepAlive === true, (v) => ({ kind: "result", value: v })),
      sendError: (error: unknown, keepAlive?: boolean) =>
        this.sendValue("sendError", error, keepAlive === true, (e) => ({ kind: "error", error: e })),
      mime: (bundle: MimeBundle, keepAlive?: boolean) => this.sendValue("mime", bundle, keepAlive === true, (b) => this.bundle("mime", b)),
      text: typed("text", "text/plain"),
      html: typed("html", "text/html"),
      svg: typed("svg", "image/svg+xml"),
      png: typed("png", "image/png"),
      jpeg: typed("jpeg", "image/jpeg"),
      json: typed("json", "application/json"),
      display: (id?: string) => this.display(id),
      input: (options, callback) => {
        const opts = typeof options === "string" ? { prompt: options } : (options ?? {});
        if (this.cellName !== undefined && !this.finished && !this.ended) this.isAsync = true;
        const answer = input(opts.prompt ?? "", { password: opts.password === true });
        if (typeof callback === "function")
          answer.then(
            (a) => callback(undefined, a),
            (err: unknown) => callback(err),
          );
        return answer;
      },
    };
  }

  /** nel's Display: with an id, the first output shows and later ones replace it; without, each shows anew. */
  private display(id: string | undefined): DollarDisplay {
    if (id !== undefined && typeof id !== "string") throw new TypeError(`$$.display(id): the id must be a string, got ${typeof id}`);
    let shown = false;
    let closed = false;
    const out = this.output;
    const show = (what: string, data: unknown): void => {
      if (closed)
        return this.note(`$$.display(${id === undefined ? "" : JSON.stringify(id)}).${what}(): the display is closed, so this is dropped.`);
      const bundle = checkBundle(data, `$$.display().${what}()`, complainTo(out));
      if (bundle === undefined) return;
      out.display(bundle, id === undefined ? {} : { displayId: id, update: shown });
      shown = true;
    };
    return {
      mime: (bundle) => show("mime", bundle),
      text: (text) => show("text", { "text/plain": text }),
      html: (html) => show("html", { "text/html": html }),
      svg: (svg) => show("svg", { "image/svg+xml": svg }),
      png: (png) => show("png", { "image/png": png }),
      jpeg: (jpeg) => show("jpeg", { "image/jpeg": jpeg }),
      json: (json) => show("json", { "application/json": json }),
      close: () => void (closed = true),
    };
  }
}

/** The contexts of cells that Shell.execute runs (null until the cell reads `$$`). */
const cells = new WeakMap<CellScope, { cellName: string; context: CellContext | undefined }>();
/** Contexts of scopes that are no cell's run (comm handlers, widget captures). */
const loose = new WeakMap<CellScope, CellContext>();

/** Shell.execute runs a cell in `scope`: its `$$` carries the cell's result. */
export function beginCell(scope: CellScope, cellName: string): void {
  cells.set(scope, { cellName, context: undefined });
}

/** The `$$` of the code that runs now. */
export function currentDollar(): Dollar | undefined {
  const scope = currentScope();
  if (scope === undefined) {
    const out = currentOutput();
    return out === undefined ? undefined : new CellContext(out, undefined).api;
  }
  const cell = cells.get(scope);
  if (cell) return (cell.context ??= new CellContext(scope.output, cell.cellName)).api;
  let context = loose.get(scope);
  if (!context) loose.set(scope, (context = new CellContext(scope.output, undefined)));
  return context.api;
}

/**
 * How the cell's `$$` ends it, once its code has run: undefined when the cell did not use `$$` to
 * end it (its own result stands), else the end, or a promise of it when the cell made itself
 * async (no promise, and no extra turn, for a cell that did not).
 */
export function cellEnd(scope: CellScope): CellEnd | Promise<CellEnd> | undefined {
  const context = cells.get(scope)?.context;
  if (!context) return undefined;
  if (context.ended) return context.ended;
  return context.isAsync ? context.whenEnded() : undefined;
}

/** The cell's reply is out: its `$$` can no longer change it. */
export function finishCell(scope: CellScope): void {
  const cell = cells.get(scope);
  if (cell?.context) cell.context.finished = true;
}

/**
 * The global `$$`: an accessor whose value is the running cell's `$$`. Setting it (`$$ = x`, a
 * package that defines its own) replaces it with a plain property holding that value.
 */
export function installDollar(global: typeof globalThis): void {
  Object.defineProperty(global, "$$", {
    get: currentDollar,
    set(value: unknown) {
      Object.defineProperty(global, "$$", { value, writable: true, configurable: true, enumerable: false });
    },
    configurable: true,
    enumerable: false,
  });
}
