import { loadGtkAddon } from "./gtk_native.js";
import { Host } from "./host.js";
import { ToolkitHost, type ToolkitHostOptions } from "./toolkit_host.js";

// At import, so that `Host.run` reports a missing toolkit or build as the reason the loop is unavailable.
const gtk = loadGtkAddon();

export type GtkHostOptions = ToolkitHostOptions;

/**
 * The GTK host (loop `"gtk"`): GLib's main loop, which GTK's windows run on, owns the thread, and
 * Node's libuv loop runs inside it as a guest (native/gtk/ts_async_gtk.c: how libuv is polled,
 * how wakeups cross; ToolkitHost: the queue; docs/event_loop.md). Cells' windows:
 * `ts-async-kernel/gtk` (src/gtk/widgets.ts).
 */
export class GtkHost<T = unknown> extends ToolkitHost<T> {
  static override LOOP = "gtk";
  static override GUIS = ["gtk", "gtk3"];
  static {
    Host.register(this);
  }

  constructor(options: GtkHostOptions = {}) {
    super(gtk, options);
  }
}
