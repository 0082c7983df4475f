/**
 * GTK windows for cells (`ts-async-kernel/gtk`): a window, boxes, buttons and labels, on the GTK
 * host's loop (a kernel started with `--loop gtk`). A small, typed surface over the host's native
 * addon, enough for a window that a cell drives and that calls back into the notebook; not a
 * binding of the whole toolkit.
 *
 * Callbacks (`onClick`, `connect`) run in the async context of the code that registered them, so
 * what they print goes to that cell, as output of a timer the cell started does; what they throw
 * is reported there too. A window lives until it is closed (by the user or `close()`), whatever
 * becomes of the objects here.
 */
import { AsyncResource } from "node:async_hooks";

import { loadGtkAddon, type GtkAddon, type WidgetHandle } from "../event_loop/gtk_native.js";
import { Host } from "../event_loop/host.js";

function toolkit(): GtkAddon {
  const host = Host.current();
  if ((host?.constructor as { LOOP?: string } | undefined)?.LOOP !== "gtk") {
    throw new Error(
      "GTK windows need the kernel on the GTK host's loop, which runs GTK's events: start it with --loop gtk (ts-async-kernel install --loop gtk --name ts-async-gtk, then choose that kernel)",
    );
  }
  const gtk = loadGtkAddon();
  gtk.init();
  return gtk;
}

/** Position and size in pixels, relative to the widget's window. */
export interface Allocation {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What every widget can do. */
export abstract class Widget {
  /** @internal */
  readonly handle: WidgetHandle;
  protected readonly gtk: GtkAddon;

  protected constructor(create: (gtk: GtkAddon) => WidgetHandle) {
    this.gtk = toolkit();
    this.handle = create(this.gtk);
  }

  /** Call `handler` on the GTK signal `signal` (e.g. "clicked", "destroy"); returns a function that disconnects it. */
  connect(signal: string, handler: () => unknown): () => void {
    if (typeof handler !== "function") throw new TypeError("A signal handler must be a function");
    const id = this.gtk.connect(this.handle, String(signal), AsyncResource.bind(handler));
    return () => this.gtk.disconnect(this.handle, id);
  }

  /** Show the widget and everything in it. */
  show(): this {
    this.gtk.show(this.handle);
    return this;
  }

  /** Width, height and position in its window (known once shown and laid out). */
  get allocation(): Allocation {
    return this.gtk.allocation(this.handle);
  }

  /** A PNG of what GTK draws for the widget, once what is pending is laid out (null if it is not shown). */
  async snapshot(): Promise<Buffer | null> {
    await this.redrawn();
    return this.gtk.snapshot(this.handle);
  }

  /** Resolves once GTK has laid out and drawn what is pending (e.g. after a change of text). */
  redrawn(): Promise<void> {
    return new Promise((resolve) => this.gtk.afterRedraw(resolve));
  }
}

/** A top-level window holding one widget (a `Box` for several). */
export class Window extends Widget {
  constructor(options: { title?: string; width?: number; height?: number } | string = {}) {
    const { title = "ts-async-kernel", width, height } = typeof options === "string" ? { title: options } : options;
    super((gtk) => gtk.create("window", String(title)));
    if (width !== undefined || height !== undefined) this.gtk.setSize(this.handle, width ?? -1, height ?? -1);
  }

  get title(): string {
    return this.gtk.getText(this.handle);
  }

  set title(title: string) {
    this.gtk.setText(this.handle, String(title));
  }

  /** Put `child` in the window (it holds one). */
  add(child: Widget): this {
    this.gtk.add(this.handle, child.handle);
    return this;
  }

  /** The X11 window id once shown (for xdotool and screenshots), null on other displays. */
  get xid(): number | null {
    return this.gtk.xid(this.handle);
  }

  /** Call `handler` when the window is closed (by the user or by `close()`). */
  onClose(handler: () => unknown): () => void {
    return this.connect("destroy", handler);
  }

  /** Close the window. */
  close(): void {
    this.gtk.destroy(this.handle);
  }
}

/** Widgets in a column (or a row: `{ vertical: false }`). */
export class Box extends Widget {
  constructor(options: { vertical?: boolean } = {}, ...children: Widget[]) {
    super((gtk) => gtk.create("box", undefined, options.vertical !== false));
    this.add(...children);
  }

  add(...children: Widget[]): this {
    for (const child of children) this.gtk.add(this.handle, child.handle);
    return this;
  }
}

/** A push button. */
export class Button extends Widget {
  constructor(label = "") {
    super((gtk) => gtk.create("button", String(label)));
  }

  get label(): string {
    return this.gtk.getText(this.handle);
  }

  set label(label: string) {
    this.gtk.setText(this.handle, String(label));
  }

  /** Call `handler` on every click; returns a function that stops it. */
  onClick(handler: () => unknown): () => void {
    return this.connect("clicked", handler);
  }

  /** Click the button through the toolkit (its "clicked" signal), as a user would. */
  click(): void {
    this.gtk.click(this.handle);
  }
}

/** A line of text. */
export class Label extends Widget {
  constructor(text = "") {
    super((gtk) => gtk.create("label", String(text)));
  }

  get text(): string {
    return this.gtk.getText(this.handle);
  }

  set text(text: string) {
    this.gtk.setText(this.handle, String(text));
  }
}
