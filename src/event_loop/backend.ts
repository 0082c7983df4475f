/**
 * The registry of backends by name (`node` is always there). What a backend is: contract.ts.
 */
import type { Backend } from "./contract.js";
import { nodeBackend } from "./node_backend.js";

export type { Backend, BackendOptions, GuestFunction, GuestInfo, GuestRunOptions, SyncCallback } from "./contract.js";

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
