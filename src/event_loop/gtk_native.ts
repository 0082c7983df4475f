/**
 * Loads the GTK host's native addon (native/gtk, built by scripts/build_gtk.mjs) and types it.
 * Loading is the step that fails where GTK or the build is missing, so its errors say what to
 * install and how to build, by name.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** An opaque handle of a GTK widget (a reference the addon drops when the handle is collected). */
export type WidgetHandle = { readonly __gtkWidget: never };

/** The addon's functions (native/gtk/ts_async_gtk.c says what each does). */
export interface GtkAddon {
  /** Run GLib's main loop from libuv's next I/O phase until `quit()`; `onInvoke` runs one queued callback and says whether more wait. */
  enter(onInvoke: () => boolean, onExit: () => void): void;
  /** Have GLib call `onInvoke` soon (an idle source). */
  wake(): void;
  quit(): void;
  state(): "idle" | "armed" | "running";
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

/** What Debian/Ubuntu need to build and run the addon. */
export const GTK_BUILD_PACKAGES = "libgtk-3-dev build-essential python3";

const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where the addon is: `TS_ASYNC_KERNEL_GTK_ADDON`, else native/gtk's build in this package. */
export function gtkAddonPath(): string {
  return (
    process.env.TS_ASYNC_KERNEL_GTK_ADDON || fileURLToPath(new URL("../../native/gtk/build/Release/ts_async_gtk.node", import.meta.url))
  );
}

let addon: GtkAddon | undefined;

/** The addon, loaded once; throws an error that names the packages to install when it cannot be. */
export function loadGtkAddon(): GtkAddon {
  if (addon) return addon;
  const path = gtkAddonPath();
  const build = `npm run build:gtk in ${PACKAGE_ROOT} (or node ${PACKAGE_ROOT}scripts/build_gtk.mjs)`;
  if (!existsSync(path)) {
    throw Object.assign(
      new Error(
        `The GTK host (loop "gtk") needs its native addon, which is not built (${path} does not exist). ` +
          `Install GTK 3's headers and a C toolchain (Debian/Ubuntu: sudo apt-get install ${GTK_BUILD_PACKAGES}), then build it: ${build}.`,
      ),
      { code: "ERR_GTK_ADDON_MISSING" },
    );
  }
  try {
    addon = createRequire(import.meta.url)(path) as GtkAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw Object.assign(
      new Error(
        `The GTK host's native addon ${path} did not load: ${reason}. It needs GTK 3's libraries (Debian/Ubuntu: sudo apt-get install libgtk-3-0); ` +
          `after a Node.js upgrade, rebuild it: ${build}.`,
        { cause: error },
      ),
      { code: "ERR_GTK_ADDON_LOAD" },
    );
  }
  return addon;
}
