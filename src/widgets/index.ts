/**
 * The widgets library: the cell API (api.ts) and what the kernel wires up (the output routing
 * Output.capture uses, the comm targets of the main thread, other threads' widget states).
 *
 * @module
 */
import {
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
import { registerWidgetClasses } from "./control.js";
import { ButtonStyle, CheckboxStyle, DescriptionStyle, HTMLStyle, LabelStyle, Layout, SliderStyle, TextStyle } from "./layout.js";
import { DirectionalLink, Link } from "./link.js";
import { Output } from "./output.js";

export * from "./api.js";
export { WIDGET_TARGET as WIDGET_TARGET_NAME } from "./widget.js";
export { CONTROL_TARGET, localWidgetStates, registerWidgetTargets, useRemoteWidgetStates, type ManagerState } from "./control.js";
export { useOutputRouting, type OutputRouting, type OutputSink } from "./output.js";

registerWidgetClasses([
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
  Output,
  Link,
  DirectionalLink,
  ButtonStyle,
  CheckboxStyle,
  DescriptionStyle,
  HTMLStyle,
  LabelStyle,
  Layout,
  SliderStyle,
  TextStyle,
] as unknown as Parameters<typeof registerWidgetClasses>[0]);
