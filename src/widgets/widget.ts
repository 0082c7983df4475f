/**
 * The kernel side of a Jupyter widget (widgets message protocol 2.1, as JupyterLab's widget
 * manager from jupyterlab_widgets 3 and ipywidgets 8 speak it): a model whose synced attributes
 * live here and in the frontend, kept in step over one comm with target "jupyter.widget".
 *
 * - Creating a widget opens its comm with the full state (`data: {state, buffer_paths}`,
 *   metadata `{version: "2.1.0"}`); the widgets it references (layout, style, children) are
 *   opened before it, as the frontend needs them first.
 * - Setting an attribute sends `{method: "update", state: {key: value}}`, then calls the
 *   observers. Setting it to the value it has sends nothing.
 * - An `update` from the frontend is echoed to every frontend (`echo_update`, protocol 2.1;
 *   `JUPYTER_WIDGETS_ECHO=0` turns it off as in ipywidgets), applied, and observed; it is not
 *   sent back unless an observer or a bound changes it (ipywidgets' property lock).
 * - `request_state` is answered with the whole state; `custom` messages go to `onMsg` handlers.
 *
 * Attribute names are the protocol's (snake_case), the same in `observe`, `jslink` and state.
 *
 * @see https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/messages.md
 * @see https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/jupyterwidgetmodels.latest.md
 */
import { inspect } from "node:util";
import { Comm, comms, freshJson, type BufferLike, type CommMessage, type JsonObject } from "../comm/index.js";
import { fromWireRefs, putBuffers, sameWire, toWire, type WireState } from "./serialize.js";

/** The widgets message protocol version (comm_open metadata). */
export const PROTOCOL_VERSION = "2.1.0";
export const WIDGET_TARGET = "jupyter.widget";
/** The mime type of a widget view in display_data. */
export const VIEW_MIME = "application/vnd.jupyter.widget-view+json";

export const BASE_MODULE = { module: "@jupyter-widgets/base", version: "2.0.0" } as const;
export const CONTROLS_MODULE = { module: "@jupyter-widgets/controls", version: "2.0.0" } as const;
export const OUTPUT_MODULE = { module: "@jupyter-widgets/output", version: "1.0.0" } as const;

/** What the frontend instantiates for a widget, and the attributes it syncs. */
export interface ModelSpec {
  model: { name: string; module: string; version: string };
  view: { name: string | null; module: string; version: string };
  /** Every synced attribute (but the `_model_*` / `_view_*` ones) and its default, as JSON. */
  defaults: Readonly<Record<string, unknown>>;
  /** Attributes that hold widgets (sent as `IPY_MODEL_<id>`). */
  refs?: readonly string[];
  /** Attributes whose default is not null that may still be set to null. */
  nullable?: readonly string[];
}

/** Any widget, whatever its attributes. */
// biome-ignore lint/suspicious/noExplicitAny: whatever its attributes
export type SomeWidget = Widget<any, any>;

/** One change of one attribute, as observers get it (traitlets' change dict). */
export interface Change<T = Record<string, unknown>, K extends keyof T = keyof T> {
  name: K;
  old: T[K];
  new: T[K];
  owner: SomeWidget;
  type: "change";
}

export type Observer<T, K extends keyof T = keyof T> = (change: Change<T, K>) => void | Promise<void>;
type AnyObserver = (change: Change) => unknown;

/** Options a widget is created with: its attributes; widget-valued ones also as plain attributes of a new widget. */
export type WidgetOptions<S> = { [K in keyof S]?: S[K] extends Widget<infer W> ? S[K] | Partial<W> : S[K] };

/** The widgets of this thread, by model id (they stay until closed, as in ipywidgets). */
const registry = new Map<string, SomeWidget>();
/** Set while a widget is made for a comm the frontend opened (jupyter.widget target). */
let adopting: Comm | undefined;
/** Classes whose prototype has the attribute accessors. */
const withAccessors = new WeakSet<object>();

export function widgetById(modelId: string): SomeWidget | undefined {
  return registry.get(modelId);
}

export function allWidgets(): SomeWidget[] {
  return [...registry.values()];
}

/** Build a widget for a comm the frontend opened: `make()` runs with that comm adopted. */
export function adoptingComm<T>(comm: Comm, make: () => T): T {
  adopting = comm;
  try {
    return make();
  } finally {
    adopting = undefined;
  }
}

function echoEnabled(): boolean {
  const v = process.env.JUPYTER_WIDGETS_ECHO;
  return v === undefined || !["0", "no", "n", "false", "off", ""].includes(v.trim().toLowerCase());
}

/** Frontend updates being applied: their wire values (ipywidgets' property lock). */
type Lock = Map<string, WireState>;

export class Widget<S extends object = Record<string, unknown>, O extends object = S> {
  /** Set by each widget class. */
  static readonly spec: ModelSpec;

  /** The comm the widget syncs over; its id is the model id. */
  readonly comm: Comm;
  /** The attributes' current values (widgets as widgets, buffers as buffers). */
  protected readonly values: Record<string, unknown> = {};
  /** Untyped here: typed fields in the generics would make every widget class invariant. */
  private readonly observers: { handler: AnyObserver; names: ReadonlySet<string> | undefined }[] = [];
  private readonly customHandlers = new Set<(content: never, buffers: Uint8Array[]) => void | Promise<void>>();
  /** Widgets this one made for itself (its layout and style): closed with it. */
  private readonly owned: SomeWidget[] = [];
  private lock: Lock | undefined;
  /** Promises of async observers while a frontend message is handled (it settles after them). */
  private pending: Promise<unknown>[] | undefined;

  constructor(options: WidgetOptions<S> = {}) {
    const spec = this.spec;
    installAccessors(this.constructor as typeof Widget);
    const adopted = adopting;
    adopting = undefined;
    for (const [k, v] of Object.entries(spec.defaults)) this.values[k] = structuredClone(v);
    if (options === null || typeof options !== "object") throw new TypeError(`${this.constructor.name} options must be an object`);
    for (const [k, v] of Object.entries(options)) {
      if (v === undefined) continue;
      if (!(k in spec.defaults)) throw new TypeError(`${this.constructor.name} has no attribute "${k}"`);
      this.values[k] = this.coerce(k, v);
    }
    for (const k of Object.keys(spec.defaults)) {
      if (k in options && (options as Record<string, unknown>)[k] !== undefined) continue;
      const made = this.defaultWidget(k);
      if (made) this.values[k] = this.own(made);
    }
    this.validate();
    if (adopted) {
      this.comm = adopted;
    } else {
      const wire = this.wire(Object.keys(this.values), true);
      this.comm = new Comm(WIDGET_TARGET, {
        data: { state: wire.state, buffer_paths: wire.buffer_paths },
        metadata: { version: PROTOCOL_VERSION },
        buffers: wire.buffers,
      });
    }
    registry.set(this.comm.commId, this);
    this.comm.onMsg((msg) => this.handleMsg(msg));
    this.comm.onClose(() => void registry.delete(this.modelId));
  }

  /** The model id: the widget's comm id, as display_data and references name it. */
  get modelId(): string {
    return this.comm.commId;
  }

  get spec(): ModelSpec {
    return (this.constructor as typeof Widget).spec;
  }

  /** The synced attribute names. */
  get keys(): string[] {
    return Object.keys(this.spec.defaults);
  }

  get closed(): boolean {
    return this.comm.closed;
  }

  /** An attribute's value. */
  get<K extends keyof S & string>(key: K): S[K] {
    this.settle();
    this.checkKey(key);
    return this.values[key] as S[K];
  }

  /** Set one attribute (as `widget.key = value` does). */
  set<K extends keyof S & string>(key: K, value: S[K]): void {
    this.setState({ [key]: value } as unknown as WidgetOptions<S>);
  }

  /** Set several attributes at once: one update message, then the observers, in order. */
  setState(changes: WidgetOptions<S>): void {
    this.settle();
    const keys = Object.keys(changes);
    for (const k of keys) this.checkKey(k);
    const old = { ...this.values };
    for (const k of keys) this.values[k] = this.coerce(k, (changes as Record<string, unknown>)[k]);
    try {
      this.validate();
    } catch (err) {
      Object.assign(this.values, old);
      throw err;
    }
    this.commit(old);
  }

  /** The whole synced state in wire form (for request_state and update_states). */
  getState(): WireState {
    return this.wire(this.keys, true);
  }

  /**
   * Call `handler` on every change of the named attributes (all of them without `names`).
   * Returns a function that stops it. A handler's error goes to whoever set the value: the cell,
   * or for a change from the frontend, that message's stderr.
   */
  observe<K extends keyof O & string>(handler: Observer<O, K>, names?: K | readonly K[]): () => void {
    if (typeof handler !== "function") throw new TypeError("observe() needs a function");
    const list = names === undefined ? undefined : new Set<string>(typeof names === "string" ? [names] : names);
    for (const n of list ?? []) this.checkObservable(n);
    this.observers.push({ handler: handler as unknown as AnyObserver, names: list });
    return () => this.unobserve(handler as unknown as Observer<O>);
  }

  /** Stop `handler` (everywhere it observes). */
  unobserve(handler: Observer<O>): void {
    for (let i = this.observers.length - 1; i >= 0; i--)
      if (this.observers[i]!.handler === (handler as unknown)) this.observers.splice(i, 1);
  }

  /** The next change of `name` (any attribute without one), for `await`. */
  nextChange<K extends keyof O & string>(name?: K): Promise<Change<O, K>> {
    return new Promise((resolve) => {
      const stop = this.observe((c) => {
        stop();
        resolve(c as Change<O, K>);
      }, name as K);
    });
  }

  /** Send a custom message to the frontend model (`{method: "custom", content}`). */
  send(content: JsonObject, buffers?: BufferLike[]): void {
    this.comm.send({ method: "custom", content }, { buffers });
  }

  /** Custom messages from the frontend model; returns a function that stops `handler`. */
  onMsg(handler: (content: JsonObject, buffers: Uint8Array[]) => void | Promise<void>): () => void {
    if (typeof handler !== "function") throw new TypeError("onMsg() needs a function");
    this.customHandlers.add(handler);
    return () => void this.customHandlers.delete(handler);
  }

  /** Close the widget (and the layout and style it made for itself): its views go away. */
  close(): void {
    if (this.comm.closed) return;
    this.comm.close();
    registry.delete(this.modelId);
    for (const w of this.owned) w.close();
  }

  /** `display(widget)` shows a view of it; each display is another view of the same model. */
  [Symbol.for("jupyter.mimebundle")](): Record<string, unknown> {
    const bundle: Record<string, unknown> = { "text/plain": this.toString() };
    if (this.spec.view.name !== null && !this.closed) bundle[VIEW_MIME] = { version_major: 2, version_minor: 0, model_id: this.modelId };
    return bundle;
  }

  toString(): string {
    const parts: string[] = [];
    // `value` first: what one wants to see of most widgets.
    const keys = Object.keys(this.values).sort((a, b) => Number(b === "value") - Number(a === "value"));
    for (const k of keys) {
      const v = this.values[k];
      if (k.startsWith("_") || JSON.stringify(this.plain(v)) === JSON.stringify(this.plain(this.spec.defaults[k]))) continue;
      if (v instanceof Widget && this.owned.includes(v)) continue;
      parts.push(`${k}=${short(v)}`);
    }
    return `${this.constructor.name}(${parts.join(", ")})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  // -- for widget classes -----------------------------------------------------------------------

  /** Check and convert a value before it is stored (subclasses add their own checks). */
  protected coerce(key: string, value: unknown): unknown {
    const def = this.spec.defaults[key];
    if (value === null) {
      if (def === null || this.spec.nullable?.includes(key)) return null;
      throw new TypeError(`${this.constructor.name}.${key} cannot be null`);
    }
    if (def !== null && (typeof def === "boolean" || typeof def === "string" || typeof def === "number") && typeof value !== typeof def) {
      throw new TypeError(`${this.constructor.name}.${key} must be a ${typeof def}, not ${describe(value)}`);
    }
    if (typeof value === "number" && !Number.isFinite(value))
      throw new TypeError(`${this.constructor.name}.${key} must be a finite number, not ${value}`);
    if (Array.isArray(def) && !Array.isArray(value))
      throw new TypeError(`${this.constructor.name}.${key} must be an array, not ${describe(value)}`);
    return value;
  }

  /** The widget to make when `key` is not given (a new Layout, a new style); none by default. */
  protected defaultWidget(_key: string): SomeWidget | undefined {
    return undefined;
  }

  /** A widget this one made for itself: it is closed with this one. */
  protected own<W extends SomeWidget>(w: W): W {
    this.owned.push(w);
    return w;
  }

  /** Check the attributes together (bounds); may adjust them. Runs before anything is sent. */
  protected validate(): void {}

  /** Extra changes observers see for a change of `key` (derived attributes, e.g. a Dropdown's value). */
  protected derivedChanges(_key: string, _old: Record<string, unknown>): Change<O, keyof O>[] {
    return [];
  }

  /** Runs before an attribute is read or set (a class may have work left from its construction). */
  protected settle(): void {}

  /** What `onMsg` handlers get of a custom message's content: an object (else `{}`). */
  protected customContent(content: unknown): unknown {
    return content !== null && typeof content === "object" && !Array.isArray(content) ? content : {};
  }

  /** Whether the values being set come from the frontend (an `update` being applied). */
  protected get applyingFrontendUpdate(): boolean {
    return this.lock !== undefined;
  }

  /** Whether `name` can be observed (synced attributes, and a class's derived ones). */
  protected isObservable(name: string): boolean {
    return name in this.spec.defaults;
  }

  // -- internals --------------------------------------------------------------------------------

  private checkKey(key: string): void {
    if (!(key in this.spec.defaults)) throw new TypeError(`${this.constructor.name} has no attribute "${key}"`);
  }

  private checkObservable(name: string): void {
    if (!this.isObservable(name)) throw new TypeError(`${this.constructor.name} has no attribute "${name}" to observe`);
  }

  /** The wire state of `keys` (with the `_model_*` / `_view_*` attributes when `identity`). */
  private wire(keys: string[], identity: boolean): WireState {
    const state: Record<string, unknown> = {};
    if (identity) {
      const { model, view } = this.spec;
      Object.assign(state, {
        _model_module: model.module,
        _model_module_version: model.version,
        _model_name: model.name,
        _view_module: view.module,
        _view_module_version: view.version,
        _view_name: view.name,
      });
    }
    for (const k of keys) state[k] = this.values[k];
    return toWire(state, isWidget);
  }

  private plain(v: unknown): unknown {
    return toWire({ v }, isWidget).state.v;
  }

  /** Send what changed since `old` (but values the frontend just sent), then tell observers. */
  private commit(old: Record<string, unknown>): void {
    // Cheap first: most attributes are untouched (same value) or primitives; only objects are compared as JSON.
    const changed = Object.keys(this.values).filter((k) => {
      const a = old[k];
      const b = this.values[k];
      if (a === b) return false;
      if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return !Object.is(a, b);
      return !sameWire(toWire({ [k]: a }, isWidget), toWire({ [k]: b }, isWidget));
    });
    if (changed.length === 0) return;
    const toSend = changed.filter((k) => {
      const locked = this.lock?.get(k);
      return !locked || !sameWire(locked, toWire({ [k]: this.values[k] }, isWidget));
    });
    if (toSend.length && !this.comm.closed) {
      const wire = this.wire(toSend, false);
      this.comm.send(freshJson({ method: "update", state: wire.state, buffer_paths: wire.buffer_paths }), { buffers: wire.buffers });
    }
    const changes: Change<O, keyof O>[] = [];
    for (const k of changed) {
      changes.push({ name: k as keyof O, old: old[k] as O[keyof O], new: this.values[k] as O[keyof O], owner: this, type: "change" });
      changes.push(...this.derivedChanges(k, old));
    }
    this.notify(changes);
  }

  private notify(changes: Change<O, keyof O>[]): void {
    let first: unknown;
    let failed = false;
    for (const change of changes) {
      for (const { handler, names } of [...this.observers]) {
        if (names && !names.has(change.name as string)) continue;
        try {
          const r = handler(change as unknown as Change);
          if (r && typeof (r as Promise<void>).then === "function") {
            const p = (r as Promise<void>).catch((err: unknown) =>
              comms.reportError(err, `observer of ${this.constructor.name}.${String(change.name)}`),
            );
            this.pending?.push(p);
          }
        } catch (err) {
          if (!failed) first = err;
          failed = true;
        }
      }
    }
    if (failed) throw first;
  }

  private async handleMsg(msg: CommMessage): Promise<void> {
    const data = msg.content.data;
    switch (data.method) {
      case "update": {
        const state =
          data.state !== null && typeof data.state === "object" && !Array.isArray(data.state)
            ? (data.state as Record<string, unknown>)
            : {};
        putBuffers(state, data.buffer_paths, msg.buffers);
        const known = Object.fromEntries(Object.entries(state).filter(([k]) => k in this.spec.defaults));
        const wire = toWire(known, isWidget);
        if (echoEnabled() && Object.keys(known).length) {
          this.comm.send({ method: "echo_update", state: wire.state, buffer_paths: wire.buffer_paths }, { buffers: wire.buffers });
        }
        const values: Record<string, unknown> = {};
        this.lock = new Map();
        for (const [k, v] of Object.entries(known)) {
          values[k] = this.spec.refs?.includes(k) ? fromWireRefs(v, widgetById) : v;
          this.lock.set(k, toWire({ [k]: v }, isWidget));
        }
        await this.collect(() => {
          try {
            this.setState(values as WidgetOptions<S>);
          } catch (err) {
            // Refused: the frontend goes back to the kernel's values.
            const back = this.wire(Object.keys(values), false);
            this.comm.send({ method: "update", state: back.state, buffer_paths: back.buffer_paths }, { buffers: back.buffers });
            throw err;
          } finally {
            this.lock = undefined;
          }
        });
        return;
      }
      case "request_state": {
        const wire = this.getState();
        this.comm.send({ method: "update", state: wire.state, buffer_paths: wire.buffer_paths }, { buffers: wire.buffers });
        return;
      }
      case "custom": {
        const content = this.customContent(data.content);
        await this.collect(() => {
          for (const h of [...this.customHandlers]) {
            const r = h(content as never, msg.buffers);
            if (r && typeof (r as Promise<void>).then === "function") this.pending!.push(r as Promise<void>);
          }
        });
        return;
      }
      default:
        throw new Error(`${this.constructor.name} got a message with unknown method ${JSON.stringify(data.method)}`);
    }
  }

  /** Run `fn`; settle after the async observers and handlers it started. */
  private async collect(fn: () => void): Promise<void> {
    const outer = this.pending;
    const pending: Promise<unknown>[] = [];
    this.pending = pending;
    try {
      fn();
    } finally {
      this.pending = outer;
    }
    if (pending.length) await Promise.all(pending);
  }
}

export function isWidget(v: unknown): v is SomeWidget {
  return v instanceof Widget;
}

/** A value in a widget's repr: other widgets by class only (a box's children would be long). */
function short(v: unknown): string {
  if (v instanceof Widget) return `${v.constructor.name}(…)`;
  if (Array.isArray(v) && v.some((x) => x instanceof Widget)) return `[${v.map(short).join(", ")}]`;
  return inspect(v, { depth: 1, breakLength: Infinity });
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  return typeof v === "object" ? `a ${(v as object).constructor?.name ?? "object"}` : `${typeof v} ${JSON.stringify(v)}`;
}

/** Accessors `widget.key` / `widget.key = value` for every synced attribute, once per class. */
function installAccessors(cls: { spec: ModelSpec; prototype: object }): void {
  if (withAccessors.has(cls)) return;
  withAccessors.add(cls);
  for (const key of Object.keys(cls.spec.defaults)) {
    if (Object.getOwnPropertyDescriptor(cls.prototype, key)) continue;
    Object.defineProperty(cls.prototype, key, {
      configurable: true,
      enumerable: false,
      get(this: SomeWidget) {
        return this.get(key);
      },
      set(this: SomeWidget, value: unknown) {
        this.setState({ [key]: value });
      },
    });
  }
}
