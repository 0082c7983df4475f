/**
 * The GTK host's native addon (native/gtk), typed: the loop's functions (host_addon.ts) and the
 * widgets' (src/gtk/widgets.ts).
 */
import { type AddonSpec, addonPath, type HostAddon, loadHostAddon } from "./host_addon.js";

/** An opaque handle of a GTK widget (a reference the addon drops when the handle is collected). */
export type WidgetHandle = { readonly __gtkWidget: never };

/** The addon's functions (native/gtk/ts_async_gtk.c says what each does). */
export interface GtkAddon extends HostAddon {
  /** Open the display (once); returns GTK's version. */
  init(): string;
  create(kind: "window" | "button" | "label", text: string): WidgetHandle;
  create(kind: "box", text: undefined, vertical: boolean): WidgetHandle;
  add(parent: WidgetHandle, child: WidgetHandle): void;
  setText(widget: WidgetHandle, text: string): void;
  getText(widget: WidgetHandle): string;
  setSize(widget: WidgetHandle, width: number, height: number): void;
  show(widget: WidgetHandle): void;
  destroy(widget: WidgetHandle): void;
  click(button: WidgetHandle): void;
  connect(widget: WidgetHandle, signal: string, handler: () => unknown): number;
  disconnect(widget: WidgetHandle, handler: number): void;
  allocation(widget: WidgetHandle): { x: number; y: number; width: number; height: number };
  xid(window: WidgetHandle): number | null;
  snapshot(widget: WidgetHandle): Buffer | null;
  /** Call `fn` once GTK has laid out and drawn what is pending. */
  afterRedraw(fn: () => void): void;
}

const GTK: AddonSpec = {
  loop: "gtk",
  toolkit: "GTK 3",
  file: "ts_async_gtk.node",
  envVar: "TS_ASYNC_KERNEL_GTK_ADDON",
  buildPackages: "libgtk-3-dev build-essential python3",
  runtimePackages: "libgtk-3-0",
};

/** Where the addon is: `TS_ASYNC_KERNEL_GTK_ADDON`, else native/gtk's build in this package. */
export function gtkAddonPath(): string {
  return addonPath(GTK);
}

/** The addon, loaded once; throws an error that names the packages to install when it cannot be. */
export function loadGtkAddon(): GtkAddon {
  return loadHostAddon<GtkAddon>(GTK);
}
