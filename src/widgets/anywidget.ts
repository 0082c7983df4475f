/**
 * anywidget: a widget whose frontend is an ES module the kernel sends in its state (`_esm`, with
 * optional `_css`), rendered by the `anywidget` frontend (JupyterLab, Notebook 7, VS Code, Colab,
 * marimo). The state is whatever attributes the cell gives it; they sync both ways as every
 * widget's do, and custom messages go both ways (`model.send` / `model.on("msg:custom")`).
 *
 * Facts from anywidget (manzt/anywidget, `anywidget/widget.py`, `_util.py`,
 * `packages/anywidget/src/widget.js`, 0.9 to 0.11):
 * - model `AnyModel` / view `AnyView` of module `anywidget`, a DOMWidget (so it has a layout);
 * - `_esm` is the module's source or an http(s) URL the frontend `import()`s; its default export
 *   is `{ initialize?, render? }` (or a function returning one); `_css` is CSS text or an http(s)
 *   URL; `_anywidget_id` names the `<style>` element, so a changed `_css` replaces it in place;
 * - changing `_esm` or `_css` re-renders the views (anywidget's hot reload);
 * - Python's AnyWidget reads a class's `_esm`/`_css` as a file when it is one line ending in a
 *   file extension (`[a-zA-Z0-9]\.[a-zA-Z0-9]+$`), not an http(s) URL; a missing file is an error.
 *
 * The kernel sends `_model_module_version` ">=0.9.0 <1.0.0": the default-export protocol of
 * anywidget 0.9 and later, which JupyterLab's widget manager matches against the version the
 * installed frontend registered (semver `maxSatisfying`).
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { comms, type BufferLike, type JsonObject } from "../comm/index.js";
import { DOM_DEFAULTS, DOMWidget, type DOMState } from "./layout.js";
import { toWire } from "./serialize.js";
import { isWidget, type ModelSpec, type WidgetOptions } from "./widget.js";

/** The frontend versions whose protocol the kernel speaks (a semver range). */
export const ANYWIDGET_VERSIONS = ">=0.9.0 <1.0.0";
const MODULE = { module: "anywidget", version: ANYWIDGET_VERSIONS } as const;

/** The attributes every anywidget has, besides a DOM widget's (`layout`, `_dom_classes`, `tooltip`). */
export interface AnyWidgetBaseState extends DOMState {
  /** The widget's ES module: its source, or an http(s) URL the frontend imports. Setting it re-renders the views. */
  _esm: string;
  /** CSS for the widget (text, or an http(s) URL); "" for none. */
  _css: string;
  /** Names the widget's `<style>` element in the page (by default its class name and a hash of its `_css`). */
  _anywidget_id: string;
}

/** `_esm` and `_css` as they may be given: source text, a file path, an http(s) URL, or a `URL` (file: or http(s):). */
export type ModuleSource = string | URL;

/** Options of `new AnyWidget(...)`: the module, its CSS, a DOM widget's attributes, and the state. */
export type AnyWidgetOptions<T extends object = {}> = Omit<WidgetOptions<AnyWidgetBaseState>, "_esm" | "_css"> & {
  /** The widget's ES module: source text, a `.js` file path (read now), an http(s) URL, or a `URL`. */
  _esm?: ModuleSource;
  /** CSS: text, a `.css` file path (read now), an http(s) URL, or a `URL`. */
  _css?: ModuleSource;
} & { [K in keyof T]?: T[K] };

/** Attributes of the base state that are not the cell's own (shown by toString, made accessors per instance). */
const BASE_KEYS = new Set([...Object.keys(DOM_DEFAULTS), "_esm", "_css", "_anywidget_id"]);

/** Fields every widget instance has (the prototype has the methods): no attribute may hide them. */
const INSTANCE_FIELDS = new Set(["comm", "values", "observers", "customHandlers", "owned", "lock", "pending"]);

/** The spec of the widget being constructed (read by the `spec` getter while Widget's constructor runs). */
let pendingSpec: ModelSpec | undefined;
const specs = new WeakMap<object, ModelSpec>();
/** Widgets of subclasses whose class fields have not been checked yet (see reclaimFields). */
const unsettled = new WeakSet<object>();

/**
 * Python's rule for "this string names a file": one line, ending in a file extension, not an
 * http(s) URL (anywidget `_util.py` `try_file_path`).
 */
function looksLikePath(s: string): boolean {
  return !/^https?:\/\//.test(s) && !/[\r\n]/.test(s) && /[a-zA-Z0-9]\.[a-zA-Z0-9]+$/.test(s);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") {
    const name = (v as object).constructor?.name;
    return !name || name === "Object" ? "an object" : `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
  }
  return typeof v === "string" ? `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}` : `${typeof v} ${String(v)}`;
}

/** The text to send for `_esm` / `_css`: a file's contents, a URL as it is, source text as it is. */
function moduleText(cls: string, key: string, value: unknown): string {
  const what =
    key === "_esm"
      ? "an ES module: its source, a .js file path, an http(s) URL or a URL"
      : "CSS: its text, a .css file path, an http(s) URL or a URL";
  if (value instanceof URL) {
    if (value.protocol === "http:" || value.protocol === "https:") return value.href;
    if (value.protocol === "file:") return readSource(cls, key, fileURLToPath(value));
    throw new TypeError(`${cls}.${key} must be ${what}; a ${value.protocol} URL cannot be loaded`);
  }
  if (typeof value !== "string") throw new TypeError(`${cls}.${key} must be ${what}, not ${describe(value)}`);
  return looksLikePath(value) ? readSource(cls, key, value) : value;
}

function readSource(cls: string, key: string, path: string): string {
  const file = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    // not there: said below
  }
  if (!isFile)
    throw new Error(
      `${cls}.${key}: file not found: ${file} (a one-line ${key} ending in a file extension is read as a file, relative to ${process.cwd()})`,
    );
  return readFileSync(file, "utf8");
}

/** A representative default for the kind of `v`: its kind is kept (a number stays a number); null or an object: any JSON. */
function kindOf(v: unknown): unknown {
  if (typeof v === "number") return 0;
  if (typeof v === "string") return "";
  if (typeof v === "boolean") return false;
  if (Array.isArray(v)) return [];
  return null;
}

/** Static members a subclass may declare. */
interface AnyWidgetStatics {
  prototype?: object;
  _esm?: ModuleSource;
  _css?: ModuleSource;
  defaults?: object;
  name: string;
}

/**
 * The kernel side of an anywidget. Its state is the attributes it is created with (and a
 * subclass's `static defaults`); each keeps the kind of its initial value (a number stays a
 * number; null or an object may become any JSON or bytes).
 *
 * ```ts
 * const counter = new widgets.AnyWidget({
 *   _esm: `export default { render({ model, el }) {
 *     const b = document.createElement("button");
 *     const show = () => (b.textContent = "count is " + model.get("value"));
 *     b.onclick = () => { model.set("value", model.get("value") + 1); model.save_changes(); };
 *     model.on("change:value", show); show(); el.append(b);
 *   } }`,
 *   value: 0,
 * });
 * counter.observe(({ new: v }) => console.log("clicked to", v), "value");
 * display(counter);
 * counter.value = 10; // the page's button shows 10
 * ```
 *
 * Or a class: `class Counter extends widgets.AnyWidget<{ value: number }> { static _esm = "./counter.js"; static defaults = { value: 0 }; }`.
 */
class AnyWidgetBase<T extends object = {}> extends DOMWidget<AnyWidgetBaseState & T> {
  static override readonly spec: ModelSpec = {
    model: { name: "AnyModel", ...MODULE },
    view: { name: "AnyView", ...MODULE },
    defaults: { ...DOM_DEFAULTS, _esm: "", _css: "", _anywidget_id: "" },
  };

  /** The module of every widget of the class (as the `_esm` option): source, a file path, an http(s) URL. */
  static _esm?: ModuleSource;
  /** The CSS of every widget of the class (as the `_css` option). */
  static _css?: ModuleSource;
  /** Initial values of the state of every widget of the class (options override them). */
  static defaults?: object;

  constructor(options: AnyWidgetOptions<T> = {} as AnyWidgetOptions<T>) {
    super(AnyWidgetBase.prepare(new.target as unknown as AnyWidgetStatics, options) as WidgetOptions<AnyWidgetBaseState & T>);
    pendingSpec = undefined;
    for (const key of this.stateKeys) {
      if (Object.hasOwn(this, key)) {
        this.close();
        throw new TypeError(
          `${this.constructor.name} cannot have an attribute "${key}": it is a member of the widget (name it differently)`,
        );
      }
      this.defineAccessor(key);
    }
    // A subclass's class fields are defined after this constructor returns, over the accessors:
    // taken back at the next get / set / setState, else right after the code that made it.
    if (new.target !== AnyWidgetBase) {
      unsettled.add(this);
      queueMicrotask(() => this.settle());
    }
  }

  protected override settle(): void {
    if (unsettled.delete(this)) this.reclaimFields();
  }

  private defineAccessor(key: string): void {
    Object.defineProperty(this, key, {
      configurable: true,
      enumerable: true,
      get: () => this.get(key as keyof (AnyWidgetBaseState & T) & string),
      set: (value: unknown) => this.setState({ [key]: value } as WidgetOptions<AnyWidgetBaseState & T>),
    });
  }

  /**
   * A subclass that declares its state as class fields (`value = 0;`, `value!: number;`) hides the
   * synced attributes behind plain properties (ES2022 fields are defined on the instance): they
   * become attributes again, a field's value (not undefined) set as a kernel-side change.
   */
  private reclaimFields(): void {
    const changes: Record<string, unknown> = {};
    for (const key of this.stateKeys) {
      const field = Object.getOwnPropertyDescriptor(this, key);
      if (!field || !("value" in field)) continue;
      this.defineAccessor(key);
      if (field.value !== undefined) changes[key] = field.value;
    }
    if (!Object.keys(changes).length || this.closed) return;
    try {
      this.setState(changes as WidgetOptions<AnyWidgetBaseState & T>);
    } catch (err) {
      comms.reportError(err, `the class fields of ${this.constructor.name}`);
    }
  }

  /** The options for Widget's constructor, and this widget's spec (its attributes are its own). */
  private static prepare(cls: AnyWidgetStatics, options: unknown): Record<string, unknown> {
    const name = cls.name || "AnyWidget";
    if (options === null || typeof options !== "object" || Array.isArray(options))
      throw new TypeError(`${name} options must be an object, not ${describe(options)}`);
    const defaults = cls.defaults ?? {};
    if (defaults === null || typeof defaults !== "object" || Array.isArray(defaults))
      throw new TypeError(`${name}.defaults must be an object of initial values`);
    // Each widget gets its own copy of the class's defaults (a widget in them is shared, not copied).
    const copy = (v: unknown) => {
      try {
        return isWidget(v) ? v : structuredClone(v);
      } catch {
        return v; // not cloneable (a function): coerce() says why it cannot be state
      }
    };
    const merged: Record<string, unknown> = { ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, copy(v)])), ...options };
    merged._esm ??= cls._esm;
    merged._css ??= cls._css ?? "";
    if (merged._esm === undefined) {
      throw new TypeError(
        `${name} needs _esm, the widget's ES module (source text, a .js file path or an http(s) URL): as an option or a static _esm of the class`,
      );
    }
    if (merged._anywidget_id === undefined) {
      const css = typeof merged._css === "string" ? merged._css : String(merged._css);
      merged._anywidget_id = css ? `${name}-${createHash("sha1").update(css).digest("hex").slice(0, 8)}` : name;
    }
    const base = (AnyWidgetBase.spec as ModelSpec).defaults;
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(merged)) {
      if (k in base) continue;
      if (k in (cls.prototype ?? AnyWidgetBase.prototype) || INSTANCE_FIELDS.has(k)) {
        throw new TypeError(`${name} cannot have an attribute "${k}": it is a member of the widget (name it differently)`);
      }
      if (v === undefined) merged[k] = null;
      own[k] = kindOf(v);
    }
    pendingSpec = { ...AnyWidgetBase.spec, defaults: { ...base, ...own }, refs: Object.keys(own) };
    return merged;
  }

  override get spec(): ModelSpec {
    let spec = specs.get(this);
    if (!spec) {
      // First read: inside Widget's constructor, right after prepare().
      if (!pendingSpec) return (this.constructor as typeof AnyWidgetBase).spec;
      spec = pendingSpec;
      specs.set(this, spec);
    }
    return spec;
  }

  /** The names of the cell's own attributes (the state besides `_esm`, `_css`, layout, ...). */
  get stateKeys(): string[] {
    return this.keys.filter((k) => !BASE_KEYS.has(k));
  }

  /** Send a custom message to the frontend (`model.on("msg:custom", (content, buffers) => ...)`, buffers as DataViews there). */
  override send(content: unknown, buffers?: BufferLike[]): void {
    // Checked here: JSON.stringify would drop a function silently, and bytes belong in `buffers`.
    let wire;
    try {
      wire = toWire({ content }, isWidget);
    } catch (err) {
      throw new TypeError(`${this.constructor.name}.send: ${(err as Error).message}`);
    }
    if (wire.buffers.length)
      throw new TypeError(
        `${this.constructor.name}.send: bytes in the content cannot be sent as JSON; pass them as buffers (the second argument)`,
      );
    this.comm.send({ method: "custom", content }, { buffers });
  }

  /**
   * Custom messages from the frontend (`model.send(content, callbacks, buffers)`): `handler(content,
   * buffers)` with the content as sent (any JSON; give its type as `M`). Returns a function that stops it.
   */
  override onMsg<M = JsonObject>(handler: (content: M, buffers: Uint8Array[]) => void | Promise<void>): () => void {
    return super.onMsg(handler as (content: JsonObject, buffers: Uint8Array[]) => void | Promise<void>);
  }

  override toString(): string {
    this.settle();
    const parts = this.stateKeys.map((k) => `${k}=${inspect(this.values[k], { depth: 1, breakLength: Infinity })}`);
    return `${this.constructor.name}(${parts.join(", ")})`;
  }

  protected override customContent(content: unknown): unknown {
    return content;
  }

  protected override coerce(key: string, value: unknown): unknown {
    const cls = this.constructor.name;
    if (key === "_esm" || key === "_css") {
      // From the page: text as it is. From the kernel: a path or URL is loaded (a file is read again: a reload).
      if (this.applyingFrontendUpdate) {
        if (typeof value !== "string") throw new TypeError(`${cls}.${key} must be a string, not ${describe(value)}`);
        return value;
      }
      const text = moduleText(cls, key, value);
      if (key === "_esm" && !text.trim())
        throw new TypeError(`${cls}._esm is empty: it must be an ES module (source, a .js file path or an http(s) URL)`);
      return text;
    }
    const out = super.coerce(key, value);
    // What the wire cannot carry is refused now, before the value is kept.
    if (!BASE_KEYS.has(key)) toWire({ [key]: out }, isWidget);
    return out;
  }
}

// The base state's attributes are accessors of every anywidget (as the other widget classes declare theirs).
// biome-ignore lint/correctness/noUnusedVariables: merges with the class, whose parameters it must repeat
interface AnyWidgetBase<T extends object = {}> extends AnyWidgetBaseState {}

/**
 * An anywidget with the state `T`, whose attributes are properties (`counter.value`). Without
 * `T`, any anywidget (as `SomeWidget` is any widget: widget types of different states are not
 * assignable to each other).
 */
// biome-ignore lint/suspicious/noExplicitAny: `any` state is how an untyped widget is spelled
export type AnyWidget<T extends object = any> = 0 extends 1 & T ? AnyWidgetBase<any> : AnyWidgetBase<T> & T;

/** The AnyWidget class: `new AnyWidget({ _esm, ...state })`, or `class C extends AnyWidget<State> { static _esm = ... }`. */
export interface AnyWidgetClass {
  new <T extends object = {}>(options?: AnyWidgetOptions<T>): AnyWidget<T>;
  // biome-ignore lint/suspicious/noExplicitAny: the prototype of every AnyWidget, whatever its state
  readonly prototype: AnyWidgetBase<any>;
  readonly spec: ModelSpec;
  /** The module of every widget of the class: source text, a `.js` file path (read when a widget is made), an http(s) URL, a `URL`. */
  _esm?: ModuleSource;
  /** The CSS of every widget of the class: text, a `.css` file path, an http(s) URL, a `URL`. */
  _css?: ModuleSource;
  /** Initial values of every widget's state (options given to the constructor override them). */
  defaults?: object;
}

/**
 * An anywidget (https://anywidget.dev): a widget whose view is the ES module in `_esm`, rendered
 * by the `anywidget` frontend (`pip install anywidget` next to JupyterLab). See docs/widgets.md.
 */
export const AnyWidget = AnyWidgetBase as unknown as AnyWidgetClass;
// Its name in messages and reprs is the one cells use.
Object.defineProperty(AnyWidgetBase, "name", { value: "AnyWidget" });
