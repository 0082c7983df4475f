import { getBackend, type GuestFunction } from "./backend.js";
import type { RunSettings } from "./host.js";

/**
 * Run `func(...args)` to completion in the current thread and return its result (or throw its
 * error).
 *
 * Without `settings.loop` the backend (`settings.backend`, default `"node"`) owns the thread. With
 * it, that loop's host mainloop runs with the backend as its guest (see `Host.run`); host and
 * guest stop once `func` has settled.
 */
export async function run<T, A extends unknown[]>(func: GuestFunction<T, A>, args: A, settings: RunSettings = {}): Promise<Awaited<T>> {
  // The host machinery (registry, cross-thread table) loads only when a host loop is asked for.
  if (settings.loop) return await (await import("./host.js")).Host.run(func, args, settings);
  return await getBackend(settings.backend ?? "node").run(func, args, settings.backendOptions ?? {});
}
