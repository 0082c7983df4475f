/**
 * Loads a toolkit host's native addon (native/<loop>, built by scripts/build_addons.mjs) and types
 * what every one of them has: the loop's entry and wakeups (native/common/node_guest.h). Loading
 * is the step that fails where a toolkit or the build is missing, so its errors say what to
 * install and how to build, by name.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The loop functions every toolkit host's addon has. */
export interface HostAddon {
  /** Run the toolkit's loop from libuv's next I/O phase until `quit()`; `onInvoke` runs one queued callback and says whether more wait. */
  enter(onInvoke: () => boolean, onExit: () => void): void;
  /** Have the toolkit call `onInvoke` soon. */
  wake(): void;
  quit(): void;
  state(): "idle" | "armed" | "running";
}

/** How to find, and how to get, one toolkit's addon. */
export interface AddonSpec {
  loop: string;
  /** The toolkit's name in messages, e.g. "GTK 3". */
  toolkit: string;
  /** The addon's file name under native/<loop>/build/Release. */
  file: string;
  /** Environment variable naming another build of the addon. */
  envVar: string;
  /** Debian/Ubuntu packages that build it, and that run it. */
  buildPackages: string;
  runtimePackages: string;
}

const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where `spec`'s addon is: its environment variable, else native/<loop>'s build in this package. */
export function addonPath(spec: AddonSpec): string {
  return process.env[spec.envVar] || fileURLToPath(new URL(`../../native/${spec.loop}/build/Release/${spec.file}`, import.meta.url));
}

const loaded = new Map<string, unknown>();

/** The addon of `spec`, loaded once; throws an error that names the packages to install when it cannot be. */
export function loadHostAddon<A extends HostAddon>(spec: AddonSpec): A {
  const known = loaded.get(spec.loop);
  if (known) return known as A;
  const path = addonPath(spec);
  const build = `npm run build:${spec.loop} in ${PACKAGE_ROOT} (or node ${PACKAGE_ROOT}scripts/build_addons.mjs ${spec.loop})`;
  const code = `ERR_${spec.loop.toUpperCase()}_ADDON`;
  if (!existsSync(path)) {
    throw Object.assign(
      new Error(
        `The ${spec.toolkit} host (loop "${spec.loop}") needs its native addon, which is not built (${path} does not exist). ` +
          `Install ${spec.toolkit}'s headers and a C toolchain (Debian/Ubuntu: sudo apt-get install ${spec.buildPackages}), then build it: ${build}.`,
      ),
      { code: `${code}_MISSING` },
    );
  }
  try {
    const addon = createRequire(import.meta.url)(path) as A;
    loaded.set(spec.loop, addon);
    return addon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw Object.assign(
      new Error(
        `The ${spec.toolkit} host's native addon ${path} did not load: ${reason}. It needs ${spec.toolkit}'s libraries ` +
          `(Debian/Ubuntu: sudo apt-get install ${spec.runtimePackages}); after a Node.js upgrade, rebuild it: ${build}.`,
        { cause: error },
      ),
      { code: `${code}_LOAD` },
    );
  }
}
