/**
 * Tcl and Tk for cells (`ts-async-kernel/tk`), on the Tk host's loop (a kernel started with
 * `--loop tk`): the interpreter that Tk's windows live in, as Python's tkinter gives it
 * (`Tk().eval`, `Tk().call`, `createcommand`), not a class per widget.
 *
 *     // tk, imported from ts-async-kernel/tk
 *     tk.command("count", () => console.log("clicked"));
 *     tk.call("button", ".b", "-text", "Count", "-command", "count");
 *     tk.eval("pack .b");
 *
 * Commands (`command`) run in the async context of the code that made them, so what they print
 * goes to that cell, as output of a timer the cell started does; what they throw is reported
 * there too (and the Tcl command returns normally: a Tcl error would open Tk's error dialog).
 * Tcl's `exit` is not there: it would end the kernel.
 */
import { AsyncResource } from "node:async_hooks";

import { Host } from "../event_loop/host.js";
import { loadTkAddon, type TkAddon } from "../event_loop/tk_native.js";

function toolkit(): TkAddon {
  const host = Host.current();
  if ((host?.constructor as { LOOP?: string } | undefined)?.LOOP !== "tk") {
    throw new Error(
      "Tk windows need the kernel on the Tk host's loop, which runs Tk's events: start it with --loop tk (ts-async-kernel install --loop tk --name ts-async-tk, then choose that kernel)",
    );
  }
  const addon = loadTkAddon();
  addon.init();
  return addon;
}

/** The Tcl interpreter with Tk, in the kernel's main thread. */
export const tk = {
  /** Tk's patch level (opens Tk on the display the first time). */
  get version(): string {
    return toolkit().init();
  },

  /** Evaluate a Tcl script at global level and return its result; a Tcl error throws (code `ERR_TCL`, `tclErrorInfo`). */
  eval(script: string): string {
    return toolkit().eval(String(script));
  },

  /** Run one Tcl command, each word as given: no quoting to get right (`tk.call("wm", "title", ".", title)`). */
  call(...words: unknown[]): string {
    return toolkit().call(words.map(String));
  },

  /** Make a Tcl command `name` that calls `handler` with its words; its result is what `handler` returns. */
  command(name: string, handler: (...words: string[]) => unknown): void {
    if (typeof handler !== "function") throw new TypeError("A Tcl command's handler must be a function");
    toolkit().command(String(name), AsyncResource.bind(handler));
  },

  /** The X11 window id of the Tk window `path` (for xdotool and screenshots). */
  windowId(path = "."): number {
    return Number.parseInt(toolkit().call(["winfo", "id", path]), 16);
  },
};
