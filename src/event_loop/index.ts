/**
 * The event-loop layer: run async functions on a backend, optionally as the guest of a host
 * mainloop, one host per thread. Port of async-kernel's `event_loop` contract; it knows nothing
 * of Jupyter.
 *
 * Host implementations (`pure_host.js`, and the toolkit hosts `gtk_host.js` and `tk_host.js`) are
 * deliberately not re-exported as values: `Host.run` imports `<loop>_host.js` lazily by loop name,
 * so importing this index never loads a host (or the native toolkit a GUI host needs). Import them from their own module
 * when you need the class itself.
 */
export {
  backendNames,
  getBackend,
  registerBackend,
  type Backend,
  type BackendOptions,
  type GuestFunction,
  type GuestInfo,
  type GuestRunOptions,
  type SyncCallback,
} from "./backend.js";
export { Host, type HostClass, type HostDescription, type HostOptions, type RunSettings } from "./host.js";
export { nodeBackend } from "./node_backend.js";
export { Outcome } from "./outcome.js";
export type { PureHost, PureHostOptions } from "./pure_host.js";
export { run } from "./run.js";
