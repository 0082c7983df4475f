import { nodeBackend } from "./node_backend.js";
import type { Outcome } from "./outcome.js";

/** A function the host calls soon, on its own schedule. */
export type SyncCallback = () => void;

/** The async function a backend runs: `func(...args)`, returning a value or a promise. */
export type GuestFunction<T, A extends unknown[]> = (...args: A) => T | PromiseLike<T>;

/** Backend-specific options, passed through from `RunSettings.backendOptions`. */
export type BackendOptions = Record<string, unknown>;

/**
 * What a host gives a backend in `startGuestRun` (the trio guest-mode contract).
 *
 * - `runSyncSoonThreadsafe` (required): schedule `fn` to run soon on the host, callable at any
 *   time and from any context, re-entrantly too.
 * - `runSyncSoonNotThreadsafe` (optional speed-up): only called from the host's own thread; when
 *   absent the backend **must** fall back to `runSyncSoonThreadsafe`.
 * - `doneCallback` (required): receives the guest's `Outcome` exactly once; the host stops after it.
 * - `hostUsesSignalSetWakeupFd`: the host owns signal wake-ups, so the guest must not install its
 *   own (the default comes from `Host.hostUsesSignalSetWakeupFd`).
 * - any other key is a backend-specific option.
 */
export interface GuestRunOptions<T = unknown> {
  runSyncSoonThreadsafe: (fn: SyncCallback) => void;
  runSyncSoonNotThreadsafe?: ((fn: SyncCallback) => void) | undefined;
  doneCallback: (outcome: Outcome<T>) => void;
  hostUsesSignalSetWakeupFd?: boolean | undefined;
  [option: string]: unknown;
}

/** Returned by `startGuestRun` at once; a backend may extend it (e.g. with a cancel handle). */
export interface GuestInfo {
  readonly backend: string;
}

/**
 * An async runtime that can run a function either on its own (owning the thread) or as a guest
 * of a `Host` mainloop.
 *
 * **Errors:** a setup error (bad options, `func` not callable) throws out of `startGuestRun`; every
 * later error, including `func` throwing synchronously, **must** be delivered to `doneCallback`.
 * `startGuestRun` **must not** call `func` or `doneCallback` synchronously: the host decides when
 * guest work runs.
 */
export interface Backend {
  readonly name: string;
  /** Run `func(...args)` to completion with no host: the backend owns the thread. */
  run<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, options?: BackendOptions): Promise<Awaited<T>>;
  /** Start `func(...args)` as a guest of a host and return at once. */
  startGuestRun<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, options: GuestRunOptions<Awaited<T>>): GuestInfo;
}

// Keyed by name; a structured-concurrency backend (the trio analogue) registers itself here too.
const backends = new Map<string, Backend>();

/**
 * Make `backend` available under `name` for `run` and `Host.run`. Registering the same object
 * again is a no-op; registering a different backend under a taken name throws, because silently
 * replacing a runtime would change how already-configured kernels run.
 */
export function registerBackend(name: string, backend: Backend): void {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`Backend name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (backend?.name !== name) {
    throw new TypeError(`Backend registered as "${name}" reports name "${String(backend?.name)}"`);
  }
  if (typeof backend.run !== "function" || typeof backend.startGuestRun !== "function") {
    throw new TypeError(`Backend "${name}" must implement run() and startGuestRun()`);
  }
  const existing = backends.get(name);
  if (existing !== undefined && existing !== backend) {
    throw new Error(`A different backend is already registered as "${name}"`);
  }
  backends.set(name, backend);
}

/** The backend registered as `name`; throws an error listing the known names otherwise. */
export function getBackend(name: string): Backend {
  const backend = backends.get(name);
  if (backend === undefined) {
    const known = [...backends.keys()].map((n) => `"${n}"`).join(", ");
    throw Object.assign(new Error(`Unknown backend "${name}"; known backends: ${known}`), {
      code: "ERR_EVENT_LOOP_UNKNOWN_BACKEND",
    });
  }
  return backend;
}

/** Names of the registered backends, in registration order. */
export function backendNames(): string[] {
  return [...backends.keys()];
}

registerBackend(nodeBackend.name, nodeBackend);
