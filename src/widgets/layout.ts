/**
 * Layout and style models (each a widget of its own, referenced by the widget it styles), and
 * the bases of widgets with a view: DOMWidget (layout, CSS classes, tooltip) and
 * DescriptionWidget (a description label and a style). Attribute names and defaults are the
 * ipywidgets 8 model spec's (jupyterwidgetmodels.latest.md).
 */
import { BASE_MODULE, CONTROLS_MODULE, Widget, type SomeWidget, type ModelSpec, type WidgetOptions } from "./widget.js";

/** A spec of @jupyter-widgets/controls. */
export function controlsSpec(
  name: string,
  view: string | null,
  defaults: Record<string, unknown>,
  extra: Partial<ModelSpec> = {},
): ModelSpec {
  return {
    model: { name: `${name}Model`, module: CONTROLS_MODULE.module, version: CONTROLS_MODULE.version },
    view: { name: view === null ? null : `${view}View`, module: CONTROLS_MODULE.module, version: CONTROLS_MODULE.version },
    defaults,
    ...extra,
  };
}

/** A style model: its view is the base module's StyleView. */
function styleSpec(name: string, defaults: Record<string, unknown>): ModelSpec {
  return {
    model: { name: `${name}Model`, module: CONTROLS_MODULE.module, version: CONTROLS_MODULE.version },
    view: { name: "StyleView", module: BASE_MODULE.module, version: BASE_MODULE.version },
    defaults,
  };
}

/** CSS values: strings, or null for none. */
class CssWidget<S extends object> extends Widget<S> {
  protected override coerce(key: string, value: unknown): unknown {
    if (value !== null && typeof value !== "string")
      throw new TypeError(`${this.constructor.name}.${key} must be a string (a CSS value) or null`);
    return value;
  }
}

type Css = string | null;

export interface LayoutState {
  align_content: Css;
  align_items: Css;
  align_self: Css;
  border_bottom: Css;
  border_left: Css;
  border_right: Css;
  border_top: Css;
  bottom: Css;
  display: Css;
  flex: Css;
  flex_flow: Css;
  grid_area: Css;
  grid_auto_columns: Css;
  grid_auto_flow: Css;
  grid_auto_rows: Css;
  grid_column: Css;
  grid_gap: Css;
  grid_row: Css;
  grid_template_areas: Css;
  grid_template_columns: Css;
  grid_template_rows: Css;
  height: Css;
  justify_content: Css;
  justify_items: Css;
  left: Css;
  margin: Css;
  max_height: Css;
  max_width: Css;
  min_height: Css;
  min_width: Css;
  object_fit: Css;
  object_position: Css;
  order: Css;
  overflow: Css;
  padding: Css;
  right: Css;
  top: Css;
  visibility: Css;
  width: Css;
}

const LAYOUT_KEYS = [
  "align_content",
  "align_items",
  "align_self",
  "border_bottom",
  "border_left",
  "border_right",
  "border_top",
  "bottom",
  "display",
  "flex",
  "flex_flow",
  "grid_area",
  "grid_auto_columns",
  "grid_auto_flow",
  "grid_auto_rows",
  "grid_column",
  "grid_gap",
  "grid_row",
  "grid_template_areas",
  "grid_template_columns",
  "grid_template_rows",
  "height",
  "justify_content",
  "justify_items",
  "left",
  "margin",
  "max_height",
  "max_width",
  "min_height",
  "min_width",
  "object_fit",
  "object_position",
  "order",
  "overflow",
  "padding",
  "right",
  "top",
  "visibility",
  "width",
] as const;

/** CSS layout of a widget's view: `new IntSlider({ layout: { width: "300px" } })`. */
export interface Layout extends LayoutState {}
export class Layout extends CssWidget<LayoutState> {
  static override readonly spec: ModelSpec = {
    model: { name: "LayoutModel", module: BASE_MODULE.module, version: BASE_MODULE.version },
    view: { name: "LayoutView", module: BASE_MODULE.module, version: BASE_MODULE.version },
    defaults: Object.fromEntries(LAYOUT_KEYS.map((k) => [k, null])),
  };

  /** Also `border`: the four sides at once (as in ipywidgets; not an attribute of the model). */
  constructor({ border, ...options }: WidgetOptions<LayoutState> & { border?: Css } = {}) {
    super(border === undefined ? options : { ...sides(border), ...options });
  }

  /** The four borders, when they are the same (else null); setting it sets all four. */
  get border(): Css {
    const b = this.border_top;
    return b === this.border_right && b === this.border_bottom && b === this.border_left ? b : null;
  }

  set border(value: Css) {
    this.setState(sides(value));
  }
}

function sides(value: Css): Pick<LayoutState, "border_top" | "border_right" | "border_bottom" | "border_left"> {
  return { border_top: value, border_right: value, border_bottom: value, border_left: value };
}

export interface DescriptionStyleState {
  description_width: string;
}
export interface DescriptionStyle extends DescriptionStyleState {}
export class DescriptionStyle extends CssWidget<DescriptionStyleState> {
  static override readonly spec = styleSpec("DescriptionStyle", { description_width: "" });
}

export interface SliderStyleState extends DescriptionStyleState {
  handle_color: Css;
}
export interface SliderStyle extends SliderStyleState {}
export class SliderStyle extends CssWidget<SliderStyleState> {
  static override readonly spec = styleSpec("SliderStyle", { description_width: "", handle_color: null });
}

export interface CheckboxStyleState extends DescriptionStyleState {
  background: Css;
}
export interface CheckboxStyle extends CheckboxStyleState {}
export class CheckboxStyle extends CssWidget<CheckboxStyleState> {
  static override readonly spec = styleSpec("CheckboxStyle", { background: null, description_width: "" });
}

export interface TextStyleState extends DescriptionStyleState {
  background: Css;
  font_size: Css;
  text_color: Css;
}
export interface TextStyle extends TextStyleState {}
export class TextStyle extends CssWidget<TextStyleState> {
  static override readonly spec = styleSpec("TextStyle", { background: null, description_width: "", font_size: null, text_color: null });
}

export interface HTMLStyleState extends TextStyleState {}
export interface HTMLStyle extends HTMLStyleState {}
export class HTMLStyle extends CssWidget<HTMLStyleState> {
  static override readonly spec = styleSpec("HTMLStyle", { background: null, description_width: "", font_size: null, text_color: null });
}

interface FontState {
  font_family: Css;
  font_size: Css;
  font_style: Css;
  font_variant: Css;
  font_weight: Css;
  text_color: Css;
  text_decoration: Css;
}
const FONT = {
  font_family: null,
  font_size: null,
  font_style: null,
  font_variant: null,
  font_weight: null,
  text_color: null,
  text_decoration: null,
};

export interface LabelStyleState extends DescriptionStyleState, FontState {
  background: Css;
}
export interface LabelStyle extends LabelStyleState {}
export class LabelStyle extends CssWidget<LabelStyleState> {
  static override readonly spec = styleSpec("LabelStyle", { background: null, description_width: "", ...FONT });
}

export interface ButtonStyleState extends FontState {
  button_color: Css;
}
export interface ButtonStyle extends ButtonStyleState {}
export class ButtonStyle extends CssWidget<ButtonStyleState> {
  static override readonly spec = styleSpec("ButtonStyle", { button_color: null, ...FONT });
}

// -- bases of widgets with a view ----------------------------------------------------------------

export interface DOMState {
  /** CSS classes of the view's element. */
  _dom_classes: string[];
  layout: Layout;
  tabbable: boolean | null;
  tooltip: string | null;
}

export const DOM_DEFAULTS = { _dom_classes: [], layout: null, tabbable: null, tooltip: null };

/** A widget with a view: a layout (made for it unless given), CSS classes, a tooltip. */
export class DOMWidget<S extends DOMState, O extends object = S> extends Widget<S, O> {
  protected override coerce(key: string, value: unknown): unknown {
    if (key === "layout")
      return value instanceof Layout ? value : this.own(new Layout(plainOptions(value, "layout") as WidgetOptions<LayoutState>));
    if (key === "_dom_classes" && (!Array.isArray(value) || value.some((c) => typeof c !== "string"))) {
      throw new TypeError(`${this.constructor.name}._dom_classes must be an array of strings`);
    }
    if (
      (key === "tooltip" && value !== null && typeof value !== "string") ||
      (key === "tabbable" && value !== null && typeof value !== "boolean")
    ) {
      throw new TypeError(`${this.constructor.name}.${key} must be a ${key === "tooltip" ? "string" : "boolean"} or null`);
    }
    return super.coerce(key, value);
  }

  protected override defaultWidget(key: string): SomeWidget | undefined {
    return key === "layout" ? new Layout() : super.defaultWidget(key);
  }

  /** Add a CSS class to the view. */
  addClass(className: string): void {
    const list = this.values._dom_classes as string[];
    if (!list.includes(className)) this.setState({ _dom_classes: [...list, className] } as WidgetOptions<S>);
  }

  /** Remove a CSS class from the view. */
  removeClass(className: string): void {
    const list = this.values._dom_classes as string[];
    if (list.includes(className)) this.setState({ _dom_classes: list.filter((c) => c !== className) } as WidgetOptions<S>);
  }
}

export interface DescriptionState<Style extends SomeWidget = DescriptionStyle> extends DOMState {
  /** The label next to the control. */
  description: string;
  /** Render the description as HTML. */
  description_allow_html: boolean;
  style: Style;
}

export const DESCRIPTION_DEFAULTS = { ...DOM_DEFAULTS, description: "", description_allow_html: false, style: null };

type StyleClass = new (options?: Record<string, unknown>) => SomeWidget;

/** A widget with a description and a style (made for it unless given; its class is `styleClass`). */
export class DescriptionWidget<S extends DOMState & { style: SomeWidget }, O extends object = S> extends DOMWidget<S, O> {
  static readonly styleClass: StyleClass = DescriptionStyle;

  protected override coerce(key: string, value: unknown): unknown {
    if (key === "style") {
      const Style = (this.constructor as typeof DescriptionWidget).styleClass;
      return value instanceof Style ? value : this.own(new Style(plainOptions(value, "style")));
    }
    return super.coerce(key, value);
  }

  protected override defaultWidget(key: string): SomeWidget | undefined {
    return key === "style" ? new (this.constructor as typeof DescriptionWidget).styleClass() : super.defaultWidget(key);
  }
}

function plainOptions(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Widget) {
    throw new TypeError(`${what} must be a widget of the right kind or an object of its attributes`);
  }
  return value as Record<string, unknown>;
}
