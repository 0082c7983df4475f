/**
 * The Tk host's native addon (native/tk), typed: the loop's functions (host_addon.ts) and the Tcl
 * interpreter's (src/tk/tk.ts).
 */
import { type AddonSpec, addonPath, type HostAddon, loadHostAddon } from "./host_addon.js";

/** The addon's functions (native/tk/ts_async_tk.c says what each does). */
export interface TkAddon extends HostAddon {
  /** Open Tk on the display (once); returns Tk's patch level. */
  init(): string;
  /** Evaluate a Tcl script at global level; its result, or a thrown Error (code ERR_TCL). */
  eval(script: string): string;
  /** One Tcl command, each word as given (no quoting). */
  call(words: string[]): string;
  /** A Tcl command `name` that calls `handler` with its words and returns what it returns. */
  command(name: string, handler: (...words: string[]) => unknown): void;
}

const TK: AddonSpec = {
  loop: "tk",
  toolkit: "Tk",
  file: "ts_async_tk.node",
  envVar: "TS_ASYNC_KERNEL_TK_ADDON",
  buildPackages: "tk-dev build-essential python3",
  runtimePackages: "libtk8.6",
};

/** Where the addon is: `TS_ASYNC_KERNEL_TK_ADDON`, else native/tk's build in this package. */
export function tkAddonPath(): string {
  return addonPath(TK);
}

/** The addon, loaded once; throws an error that names the packages to install when it cannot be. */
export function loadTkAddon(): TkAddon {
  return loadHostAddon<TkAddon>(TK);
}
