import { Host } from "./host.js";
import { loadTkAddon } from "./tk_native.js";
import { ToolkitHost, type ToolkitHostOptions } from "./toolkit_host.js";

// At import, so that `Host.run` reports a missing toolkit or build as the reason the loop is unavailable.
const tk = loadTkAddon();

export type TkHostOptions = ToolkitHostOptions;

/**
 * The Tk host (loop `"tk"`): Tcl's event loop, which Tk's windows run on, owns the thread, and
 * Node's libuv loop runs inside it as a guest (native/tk/ts_async_tk.c: how libuv is polled, how
 * wakeups cross; ToolkitHost: the queue; docs/event_loop.md). async-kernel's `tk_host` runs its
 * guest inside Tk's mainloop the same way. Cells' Tcl and Tk: `ts-async-kernel/tk` (src/tk/tk.ts).
 */
export class TkHost<T = unknown> extends ToolkitHost<T> {
  static override LOOP = "tk";
  static override GUIS = ["tk"];
  static {
    Host.register(this);
  }

  constructor(options: TkHostOptions = {}) {
    super(tk, options);
  }
}
