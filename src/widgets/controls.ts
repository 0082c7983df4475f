/**
 * The controls of @jupyter-widgets/controls 2.0.0 this kernel offers: sliders, text, checkbox,
 * dropdown, button, label, HTML, play, and the boxes. Attribute names and defaults are the
 * ipywidgets 8 model spec's; bounds are kept as ipywidgets keeps them (a value outside
 * [min, max] is clamped, min > max is refused).
 */
import { types } from "node:util";
import type { JsonObject } from "../comm/index.js";
import {
  ButtonStyle,
  CheckboxStyle,
  DESCRIPTION_DEFAULTS,
  DOM_DEFAULTS,
  type DescriptionStyle,
  DescriptionWidget,
  DOMWidget,
  HTMLStyle,
  LabelStyle,
  SliderStyle,
  TextStyle,
  controlsSpec,
  type DescriptionState,
  type DOMState,
} from "./layout.js";
import { Widget, type SomeWidget, type Change, type WidgetOptions } from "./widget.js";

// -- numbers ---------------------------------------------------------------------------------------

interface Bounded {
  value: number;
  min: number;
  max: number;
  step: number | null;
}

/** Number checks and bounds shared by the sliders and Play. */
function numberCoerce(w: SomeWidget, key: string, value: unknown, integer: boolean): unknown {
  if (!["value", "min", "max", "step"].includes(key) || value === null) return value;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new TypeError(`${w.constructor.name}.${key} must be a finite number, not ${String(value)}`);
  if (integer && !Number.isInteger(value)) throw new TypeError(`${w.constructor.name}.${key} must be an integer, not ${value}`);
  return value;
}

/** min ≤ max, else refused; the value is clamped into [min, max]. */
function clampValue(w: SomeWidget, values: Record<string, unknown>): void {
  const v = values as unknown as Bounded;
  if (v.min > v.max) throw new RangeError(`${w.constructor.name}: min (${v.min}) is greater than max (${v.max})`);
  if (v.value < v.min) values.value = v.min;
  else if (v.value > v.max) values.value = v.max;
}

export interface SliderState extends DescriptionState<SliderStyle>, Bounded {
  step: number;
  disabled: boolean;
  orientation: "horizontal" | "vertical";
  /** Show the value next to the slider. */
  readout: boolean;
  /** d3-format of the readout. */
  readout_format: string;
  /** Send values while dragging (not only on release). */
  continuous_update: boolean;
  behavior: "drag-tap" | "drag-snap" | "tap" | "drag" | "snap";
}

const SLIDER_DEFAULTS = {
  ...DESCRIPTION_DEFAULTS,
  disabled: false,
  orientation: "horizontal",
  readout: true,
  continuous_update: true,
  behavior: "drag-tap",
  min: 0,
  max: 100,
};

export interface IntSliderState extends SliderState {}
/** A slider over integers: `new IntSlider({ value: 5, min: 0, max: 10, description: "n" })`. */
export interface IntSlider extends IntSliderState {}
export class IntSlider extends DescriptionWidget<IntSliderState> {
  static override readonly spec = controlsSpec("IntSlider", "IntSlider", { ...SLIDER_DEFAULTS, value: 0, step: 1, readout_format: "d" });
  static override readonly styleClass = SliderStyle;
  protected override coerce(key: string, value: unknown): unknown {
    return super.coerce(key, numberCoerce(this, key, value, true));
  }
  protected override validate(): void {
    clampValue(this, this.values);
  }
}

export interface FloatSliderState extends Omit<SliderState, "step"> {
  step: number | null;
}
/** A slider over numbers: `new FloatSlider({ value: 0.5, min: 0, max: 1, step: 0.01 })`. */
export interface FloatSlider extends FloatSliderState {}
export class FloatSlider extends DescriptionWidget<FloatSliderState> {
  static override readonly spec = controlsSpec(
    "FloatSlider",
    "FloatSlider",
    { ...SLIDER_DEFAULTS, value: 0, step: 0.1, readout_format: ".2f" },
    { nullable: ["step"] },
  );
  static override readonly styleClass = SliderStyle;
  protected override coerce(key: string, value: unknown): unknown {
    return super.coerce(key, numberCoerce(this, key, value, false));
  }
  protected override validate(): void {
    clampValue(this, this.values);
  }
}

export interface PlayState extends DescriptionState<DescriptionStyle>, Bounded {
  step: number;
  disabled: boolean;
  /** Milliseconds between two steps. */
  interval: number;
  playing: boolean;
  repeat: boolean;
  show_repeat: boolean;
}
/** Play / pause / stop buttons that step `value` from min to max in the frontend (link it to a slider with jslink). */
export interface Play extends PlayState {}
export class Play extends DescriptionWidget<PlayState> {
  static override readonly spec = controlsSpec("Play", "Play", {
    ...DESCRIPTION_DEFAULTS,
    value: 0,
    min: 0,
    max: 100,
    step: 1,
    disabled: false,
    interval: 100,
    playing: false,
    repeat: false,
    show_repeat: true,
  });
  protected override coerce(key: string, value: unknown): unknown {
    if (key === "interval") numberCoerce(this, "value", value, true);
    return super.coerce(key, numberCoerce(this, key, value, true));
  }
  protected override validate(): void {
    clampValue(this, this.values);
  }
}

// -- text and flags --------------------------------------------------------------------------------

export interface TextState extends DescriptionState<TextStyle> {
  value: string;
  placeholder: string;
  disabled: boolean;
  /** Send the value as the user types (else on Enter or leaving the field). */
  continuous_update: boolean;
}
const TEXT_DEFAULTS = { ...DESCRIPTION_DEFAULTS, value: "", placeholder: "\u200b", disabled: false, continuous_update: true };

/** A one-line text field. */
export interface Text extends TextState {}
export class Text extends DescriptionWidget<TextState> {
  static override readonly spec = controlsSpec("Text", "Text", TEXT_DEFAULTS);
  static override readonly styleClass = TextStyle;
}

export interface TextareaState extends TextState {
  rows: number | null;
}
/** A multi-line text field. */
export interface Textarea extends TextareaState {}
export class Textarea extends DescriptionWidget<TextareaState> {
  static override readonly spec = controlsSpec("Textarea", "Textarea", { ...TEXT_DEFAULTS, rows: null });
  static override readonly styleClass = TextStyle;
  protected override coerce(key: string, value: unknown): unknown {
    if (key === "rows" && value !== null && !(typeof value === "number" && Number.isInteger(value) && value > 0)) {
      throw new TypeError(`Textarea.rows must be a positive integer or null, not ${String(value)}`);
    }
    return super.coerce(key, value);
  }
}

export interface CheckboxState extends DescriptionState<CheckboxStyle> {
  value: boolean;
  disabled: boolean;
  /** Indent the box to line up with controls that have a description. */
  indent: boolean;
}
export interface Checkbox extends CheckboxState {}
export class Checkbox extends DescriptionWidget<CheckboxState> {
  static override readonly spec = controlsSpec("Checkbox", "Checkbox", {
    ...DESCRIPTION_DEFAULTS,
    value: false,
    disabled: false,
    indent: true,
  });
  static override readonly styleClass = CheckboxStyle;
}

export interface LabelState extends DescriptionState<LabelStyle> {
  value: string;
  placeholder: string;
}
/** Text (not editable). */
export interface Label extends LabelState {}
export class Label extends DescriptionWidget<LabelState> {
  static override readonly spec = controlsSpec("Label", "Label", { ...DESCRIPTION_DEFAULTS, value: "", placeholder: "\u200b" });
  static override readonly styleClass = LabelStyle;
}

export interface HTMLState extends DescriptionState<HTMLStyle> {
  value: string;
  placeholder: string;
}
/** HTML (as the frontend sanitizes it). */
export interface HTML extends HTMLState {}
export class HTML extends DescriptionWidget<HTMLState> {
  static override readonly spec = controlsSpec("HTML", "HTML", { ...DESCRIPTION_DEFAULTS, value: "", placeholder: "\u200b" });
  static override readonly styleClass = HTMLStyle;
}

// -- image -----------------------------------------------------------------------------------------

export interface ImageState extends DOMState {
  /** The image's bytes (sent as a binary buffer). */
  value: Uint8Array;
  /** "png", "jpeg", "gif", "svg+xml", ... (the image/ mime subtype). */
  format: string;
  /** In pixels, e.g. "200" (use layout.width to style the view). */
  width: string;
  height: string;
}
/** An image from bytes: `new Image({ value: readFileSync("plot.png"), format: "png" })`. */
export interface Image extends ImageState {}
export class Image extends DOMWidget<ImageState> {
  static override readonly spec = controlsSpec("Image", "Image", {
    ...DOM_DEFAULTS,
    value: new Uint8Array(0),
    format: "png",
    width: "",
    height: "",
  });
  protected override coerce(key: string, value: unknown): unknown {
    if (key === "value") {
      if (!(value instanceof Uint8Array || types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value))) {
        throw new TypeError(`Image.value must be bytes (a Uint8Array, ArrayBuffer or DataView), not ${typeof value}`);
      }
      const v = value as ArrayBuffer | ArrayBufferView;
      return ArrayBuffer.isView(v)
        ? new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
        : new Uint8Array((v as ArrayBuffer).slice(0));
    }
    return super.coerce(key, value);
  }
}

// -- button ----------------------------------------------------------------------------------------

export interface ButtonState extends DOMState {
  /** The button's label. */
  description: string;
  disabled: boolean;
  /** A Font Awesome icon name, without "fa-". */
  icon: string;
  button_style: "primary" | "success" | "info" | "warning" | "danger" | "";
  style: ButtonStyle;
}
/** A button: `button.onClick(() => ...)`. */
export interface Button extends ButtonState {}
export class Button extends DOMWidget<ButtonState> {
  static override readonly spec = controlsSpec("Button", "Button", {
    ...DOM_DEFAULTS,
    description: "",
    disabled: false,
    icon: "",
    button_style: "",
    style: null,
  });
  private readonly clickHandlers = new Set<(button: Button) => void | Promise<void>>();

  constructor(options: WidgetOptions<ButtonState> = {}) {
    super(options);
    // The frontend sends a click as the custom message {event: "click"}.
    this.onMsg((content: JsonObject) => (content.event === "click" ? this.click() : undefined));
  }

  /** Call `handler` on every click; returns a function that stops it. */
  onClick(handler: (button: Button) => void | Promise<void>): () => void {
    if (typeof handler !== "function") throw new TypeError("onClick() needs a function");
    this.clickHandlers.add(handler);
    return () => void this.clickHandlers.delete(handler);
  }

  /** Click it from the kernel: the handlers run as for a click in the frontend. */
  click(): Promise<void> | undefined {
    const pending: Promise<void>[] = [];
    for (const h of [...this.clickHandlers]) {
      const r = h(this);
      if (r && typeof (r as Promise<void>).then === "function") pending.push(r as Promise<void>);
    }
    return pending.length ? Promise.all(pending).then(() => undefined) : undefined;
  }

  protected override coerce(key: string, value: unknown): unknown {
    if (key === "style") return value instanceof ButtonStyle ? value : this.own(new ButtonStyle(value as Record<string, unknown>));
    return super.coerce(key, value);
  }

  protected override defaultWidget(key: string): SomeWidget | undefined {
    return key === "style" ? new ButtonStyle() : super.defaultWidget(key);
  }
}

// -- dropdown --------------------------------------------------------------------------------------

/** A choice: its label alone (the value is the label), or `[label, value]`. */
export type DropdownOption<V> = string | readonly [string, V];

export interface DropdownState extends DescriptionState<DescriptionStyle> {
  /** The labels the frontend shows (from `options`). */
  _options_labels: string[];
  /** The selected option, or null for none. */
  index: number | null;
  disabled: boolean;
}

/** What observers of a Dropdown see: the synced attributes, and `value` and `label` of the selection. */
export interface DropdownObserved<V> extends DropdownState {
  value: V | null;
  label: string | null;
}

export interface DropdownOptions<V> extends WidgetOptions<DropdownState> {
  options?: readonly DropdownOption<V>[];
  /** The value to select (else `label`, else `index`, else the first option). */
  value?: V | null;
  label?: string | null;
}

function choicesOf<V>(options: readonly DropdownOption<V>[]): [string, V][] {
  if (!Array.isArray(options)) throw new TypeError("Dropdown options must be an array of labels or [label, value] pairs");
  return options.map((o) => {
    if (typeof o === "string") return [o, o as unknown as V];
    if (Array.isArray(o) && o.length === 2 && typeof o[0] === "string") return [o[0], o[1] as V];
    throw new TypeError(`a Dropdown option must be a label or a [label, value] pair, not ${JSON.stringify(o)}`);
  });
}

/** One choice out of a list: `new Dropdown({ options: ["a", "b"], value: "b" })`; `options` may be `[label, value]` pairs. */
// biome-ignore lint/correctness/noUnusedVariables: merges with the class, whose parameters it must repeat
export interface Dropdown<V = string> extends DropdownState {}
export class Dropdown<V = string> extends DescriptionWidget<DropdownState, DropdownObserved<V>> {
  static override readonly spec = controlsSpec("Dropdown", "Dropdown", {
    ...DESCRIPTION_DEFAULTS,
    _options_labels: [],
    index: null,
    disabled: false,
  });
  private choices: [string, V][];
  /** The choices before an options change, for the value/label changes observers see. */
  private previousChoices?: [string, V][];

  constructor({ options = [], value, label, ...rest }: DropdownOptions<V> = {}) {
    const choices = choicesOf(options);
    let index = rest.index ?? (choices.length ? 0 : null);
    if (value !== undefined) index = value === null ? null : indexOf(choices, (c) => Object.is(c[1], value), `value ${String(value)}`);
    else if (label !== undefined) index = label === null ? null : indexOf(choices, (c) => c[0] === label, `label ${JSON.stringify(label)}`);
    super({ ...rest, _options_labels: choices.map((c) => c[0]), index });
    this.choices = choices;
  }

  /** The choices, as `[label, value]` pairs. Setting them keeps the value selected if it is still there. */
  get options(): [string, V][] {
    return this.choices.map(([l, v]) => [l, v]);
  }

  set options(options: readonly DropdownOption<V>[]) {
    const choices = choicesOf(options);
    const current = this.value;
    const kept = this.index === null ? -1 : choices.findIndex((c) => Object.is(c[1], current));
    this.previousChoices = this.choices;
    this.choices = choices;
    try {
      this.setState({ _options_labels: choices.map((c) => c[0]), index: kept >= 0 ? kept : choices.length ? 0 : null });
    } finally {
      this.previousChoices = undefined;
    }
  }

  /** The selected value, or null. */
  get value(): V | null {
    const i = this.index;
    return i === null ? null : (this.choices[i]?.[1] ?? null);
  }

  set value(value: V | null) {
    this.index = value === null ? null : indexOf(this.choices, (c) => Object.is(c[1], value), `value ${String(value)}`);
  }

  /** The selected label, or null. */
  get label(): string | null {
    const i = this.index;
    return i === null ? null : (this.choices[i]?.[0] ?? null);
  }

  set label(label: string | null) {
    this.index = label === null ? null : indexOf(this.choices, (c) => c[0] === label, `label ${JSON.stringify(label)}`);
  }

  protected override coerce(key: string, value: unknown): unknown {
    if (key === "index" && value !== null) {
      const n = (this.values._options_labels as string[] | undefined)?.length ?? 0;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
        throw new TypeError(`Dropdown.index must be an integer ≥ 0 or null, not ${String(value)}`);
      if (value >= n) throw new RangeError(`Dropdown.index ${value} is out of range (${n} options)`);
    }
    if (key === "_options_labels" && (!Array.isArray(value) || value.some((l) => typeof l !== "string"))) {
      throw new TypeError("Dropdown._options_labels must be an array of strings");
    }
    return super.coerce(key, value);
  }

  protected override validate(): void {
    const n = (this.values._options_labels as string[]).length;
    const i = this.values.index as number | null;
    if (i !== null && i >= n) this.values.index = n ? 0 : null;
  }

  protected override isObservable(name: string): boolean {
    return name === "value" || name === "label" || super.isObservable(name);
  }

  protected override derivedChanges(key: string, old: Record<string, unknown>): Change<DropdownObserved<V>, keyof DropdownObserved<V>>[] {
    if (key !== "index" && key !== "_options_labels") return [];
    // Once per update: after the last of index / _options_labels that changed.
    if (key === "_options_labels" && old.index !== this.values.index) return [];
    const before = this.previousChoices ?? this.choices;
    const oldIndex = old.index as number | null;
    const oldPick = oldIndex === null ? undefined : before[oldIndex];
    const out: Change<DropdownObserved<V>, keyof DropdownObserved<V>>[] = [];
    const oldValue = oldPick?.[1] ?? null;
    const oldLabel = oldPick?.[0] ?? null;
    if (!Object.is(oldValue, this.value)) out.push({ name: "value", old: oldValue, new: this.value, owner: this, type: "change" });
    if (oldLabel !== this.label) out.push({ name: "label", old: oldLabel, new: this.label, owner: this, type: "change" });
    return out;
  }
}

function indexOf<V>(choices: [string, V][], match: (c: [string, V]) => boolean, what: string): number {
  const i = choices.findIndex(match);
  if (i < 0) throw new RangeError(`Dropdown: no option has ${what}`);
  return i;
}

// -- boxes -----------------------------------------------------------------------------------------

export interface BoxState extends DOMState {
  children: SomeWidget[];
  box_style: "success" | "info" | "warning" | "danger" | "";
}
const BOX_DEFAULTS = { ...DOM_DEFAULTS, children: [], box_style: "" };

class BoxBase extends DOMWidget<BoxState> {
  protected override coerce(key: string, value: unknown): unknown {
    if (key === "children") {
      if (!Array.isArray(value) || value.some((c) => !(c instanceof Widget)))
        throw new TypeError(`${this.constructor.name}.children must be an array of widgets`);
      return [...value];
    }
    return super.coerce(key, value);
  }
}

/** Widgets side by side. */
export interface HBox extends BoxState {}
export class HBox extends BoxBase {
  static override readonly spec = controlsSpec("HBox", "HBox", BOX_DEFAULTS, { refs: ["children", "layout"] });
}

/** Widgets one above the other. */
export interface VBox extends BoxState {}
export class VBox extends BoxBase {
  static override readonly spec = controlsSpec("VBox", "VBox", BOX_DEFAULTS, { refs: ["children", "layout"] });
}

/** A box whose layout you set (flex by default). */
export interface Box extends BoxState {}
export class Box extends BoxBase {
  static override readonly spec = controlsSpec("Box", "Box", BOX_DEFAULTS, { refs: ["children", "layout"] });
}
