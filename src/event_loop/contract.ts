/**
 * The contract between a host mainloop and a backend (the trio guest-mode contract): what a
 * backend is and what a host hands it. Types only, so that a backend's module and the registry
 * (backend.ts) both use them without importing each other.
 */
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
