/**
 * Linking attributes of two widgets. `jslink` / `jsdlink` make a Link model the frontend keeps
 * (the values follow each other in the browser, no kernel round trip, and the kernel hears of
 * the changes as of any frontend change); `link` / `dlink` do it in the kernel with observers
 * (also without a frontend, and with a transform).
 */
import { controlsSpec } from "./layout.js";
import { Widget, type SomeWidget, type Change } from "./widget.js";

/** A widget and the name of one of its attributes. */
export type Endpoint = readonly [SomeWidget, string];

function checkEndpoint(e: unknown, what: string): Endpoint {
  if (!Array.isArray(e) || e.length !== 2 || !(e[0] instanceof Widget) || typeof e[1] !== "string") {
    throw new TypeError(`${what} must be a [widget, "attribute"] pair`);
  }
  const [w, name] = e as [SomeWidget, string];
  if (!w.keys.includes(name)) throw new TypeError(`${w.constructor.name} has no attribute "${name}" (${what})`);
  return [w, name];
}

export interface LinkState {
  source: Endpoint | [];
  target: Endpoint | [];
}

class LinkBase extends Widget<LinkState> {
  protected override coerce(key: string, value: unknown): unknown {
    if (key === "source" || key === "target") return Array.isArray(value) && value.length === 0 ? [] : [...checkEndpoint(value, key)];
    return super.coerce(key, value);
  }
}

/** A two-way link kept by the frontend (see jslink). Close it to unlink. */
export interface Link extends LinkState {}
export class Link extends LinkBase {
  static override readonly spec = controlsSpec("Link", null, { source: [], target: [] }, { refs: ["source", "target"] });
}

/** A one-way link kept by the frontend (see jsdlink). Close it to unlink. */
export interface DirectionalLink extends LinkState {}
export class DirectionalLink extends LinkBase {
  static override readonly spec = controlsSpec("DirectionalLink", null, { source: [], target: [] }, { refs: ["source", "target"] });
}

/** Keep two attributes equal, in the frontend (both ways): `jslink([play, "value"], [slider, "value"])`. */
export function jslink(source: Endpoint, target: Endpoint): Link {
  return new Link({ source: checkEndpoint(source, "source"), target: checkEndpoint(target, "target") });
}

/** Copy `source` to `target` in the frontend whenever `source` changes. */
export function jsdlink(source: Endpoint, target: Endpoint): DirectionalLink {
  return new DirectionalLink({ source: checkEndpoint(source, "source"), target: checkEndpoint(target, "target") });
}

/** A link kept by the kernel; `unlink()` ends it. */
export interface KernelLink {
  unlink(): void;
}

/** Copy `source` to `target` in the kernel whenever `source` changes (through `transform` if given); starts by copying once. */
export function dlink(source: Endpoint, target: Endpoint, transform: (value: unknown) => unknown = (v) => v): KernelLink {
  const [sw, sn] = checkEndpoint(source, "source");
  const [tw, tn] = checkEndpoint(target, "target");
  tw.set(tn, transform(sw.get(sn)));
  const stop = sw.observe((c: Change) => tw.set(tn, transform(c.new)), sn);
  return { unlink: stop };
}

/** Keep two attributes equal in the kernel, both ways; the target takes the source's value first. */
export function link(source: Endpoint, target: Endpoint): KernelLink {
  const [sw, sn] = checkEndpoint(source, "source");
  const [tw, tn] = checkEndpoint(target, "target");
  let busy = false;
  const copy = (to: SomeWidget, name: string) => (c: Change) => {
    if (busy) return;
    busy = true;
    try {
      to.set(name, c.new);
    } finally {
      busy = false;
    }
  };
  tw.set(tn, sw.get(sn));
  const a = sw.observe(copy(tw, tn), sn);
  const b = tw.observe(copy(sw, sn), tn);
  return {
    unlink() {
      a();
      b();
    },
  };
}
