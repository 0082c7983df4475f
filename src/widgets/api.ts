/**
 * Jupyter widgets for TypeScript cells, speaking the widgets message protocol 2.1 that
 * JupyterLab's widget manager (jupyterlab_widgets 3, ipywidgets 8) renders. Cells get this
 * module as `widgets` (a global, and from the `ts-async-kernel` module), e.g.
 *
 * ```ts
 * const n = new widgets.IntSlider({ value: 5, max: 10, description: "n" });
 * n.observe(({ new: v }) => console.log("n is", v), "value");
 * display(n);
 * n.value = 7; // the frontend's slider moves
 * ```
 *
 * See docs/widgets.md.
 *
 * @module
 */
export { Widget, PROTOCOL_VERSION, widgetById, allWidgets } from "./widget.js";
export type { SomeWidget, Change, ModelSpec, Observer, WidgetOptions } from "./widget.js";
export {
  ButtonStyle,
  CheckboxStyle,
  DescriptionStyle,
  DescriptionWidget,
  DOMWidget,
  HTMLStyle,
  LabelStyle,
  Layout,
  SliderStyle,
  TextStyle,
} from "./layout.js";
export type {
  ButtonStyleState,
  CheckboxStyleState,
  DescriptionState,
  DescriptionStyleState,
  DOMState,
  HTMLStyleState,
  LabelStyleState,
  LayoutState,
  SliderStyleState,
  TextStyleState,
} from "./layout.js";
export {
  Box,
  Button,
  Checkbox,
  Dropdown,
  FloatSlider,
  HBox,
  HTML,
  Image,
  IntSlider,
  Label,
  Play,
  Text,
  Textarea,
  VBox,
} from "./controls.js";
export type {
  BoxState,
  ButtonState,
  CheckboxState,
  DropdownObserved,
  DropdownOption,
  DropdownOptions,
  DropdownState,
  FloatSliderState,
  HTMLState,
  ImageState,
  IntSliderState,
  LabelState,
  PlayState,
  SliderState,
  TextareaState,
  TextState,
} from "./controls.js";
export { AnyWidget, ANYWIDGET_VERSIONS } from "./anywidget.js";
export type { AnyWidgetBaseState, AnyWidgetClass, AnyWidgetOptions, ModuleSource } from "./anywidget.js";
export { Output } from "./output.js";
export type { OutputItem, OutputState } from "./output.js";
export { DirectionalLink, Link, dlink, jsdlink, jslink, link } from "./link.js";
export type { Endpoint, KernelLink, LinkState } from "./link.js";
