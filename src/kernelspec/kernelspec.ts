/** Writing, finding and removing our kernelspec (kernel.json + logos). */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION } from "../messaging/messages.js";
import { KERNEL_ENV } from "./kernel_env.js";
import { jupyterPath } from "./paths.js";

export const DEFAULT_NAME = "ts-async";
export const DEFAULT_DISPLAY_NAME = "TypeScript (async)";

/** The repository/package root (holds kernelspec/ with the logos). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(PACKAGE_ROOT, "dist", "cli", "main.js");

export interface SpecOptions {
  name?: string;
  displayName?: string;
  interruptMode?: "message" | "signal";
  language?: "typescript" | "javascript";
  logLevel?: string;
  loop?: string;
  backend?: string;
  /** Report type errors of every cell on stderr (off by default; a cell's `// @ts-check` asks for itself). */
  typeCheck?: boolean;
  /** The kernel refuses a connection file others may read (`--private-connection-file`). */
  privateConnectionFile?: boolean;
  /** IPython's convention: a last expression ending in `;` shows no result (`--semicolon-hides-result`). */
  semicolonHidesResult?: boolean;
  /** Cells' `npm:` imports never install (`--no-npm-install`; also `TS_ASYNC_KERNEL_NPM_INSTALL=off`). */
  noNpmInstall?: boolean;
  /**
   * A kernelspec for Jupyter Enterprise Gateway / gateway_provisioners (`install --gateway`): the
   * argv is our `launch` with the gateway's placeholders, the metadata names the provisioner.
   */
  gateway?: { provisioner?: string; config?: Record<string, unknown> };
}

/** The provisioner of `install --gateway` unless told otherwise: kernels on hosts reached over SSH (or this one). */
export const DEFAULT_PROVISIONER = "distributed-provisioner";

/**
 * The gateway's placeholders (gateway_provisioners `remote_provisioner.py` `pre_launch`; Enterprise
 * Gateway substitutes the first four, and leaves `{transport_encryption}` as it is, which `launch`
 * reads as no encryption asked).
 */
const GATEWAY_ARGV = [
  "--kernel-id",
  "{kernel_id}",
  "--port-range",
  "{port_range}",
  "--response-address",
  "{response_address}",
  "--public-key",
  "{public_key}",
  "--transport-encryption",
  "{transport_encryption}",
];

export function validateName(name: string): string {
  if (!/^[a-z0-9._-]+$/i.test(name)) {
    throw new Error(`invalid kernel name "${name}": use ASCII letters, digits, "-", "." and "_"`);
  }
  return name.toLowerCase();
}

export function kernelJson(options: SpecOptions): Record<string, unknown> {
  const argv = options.gateway
    ? [process.execPath, CLI, "launch", ...GATEWAY_ARGV]
    : [process.execPath, CLI, "start", "-f", "{connection_file}"];
  if (options.language && options.language !== "typescript") argv.push("--language", options.language);
  if (options.logLevel) argv.push("--log-level", options.logLevel);
  if (options.backend) argv.push("--backend", options.backend);
  if (options.loop) argv.push("--loop", options.loop);
  if (options.typeCheck) argv.push("--type-check");
  if (options.privateConnectionFile) argv.push("--private-connection-file");
  if (options.semicolonHidesResult) argv.push("--semicolon-hides-result");
  if (options.noNpmInstall) argv.push("--no-npm-install");
  const language = options.language ?? "typescript";
  return {
    argv,
    display_name:
      options.displayName ??
      `${language === "typescript" ? DEFAULT_DISPLAY_NAME : "JavaScript (async)"}${options.gateway ? " on a gateway" : ""}`,
    language,
    // message mode works everywhere (no process-group signals needed); SIGINT is handled too.
    interrupt_mode: options.interruptMode ?? "message",
    env: { ...KERNEL_ENV },
    metadata: {
      // JupyterLab offers its debugger panel for kernels whose kernelspec says so (debugger service isAvailable)
      debugger: true,
      // jupyter_client 8.9+ provisions CurveZMQ keys for kernels that say they take them
      // (gateway_provisioners 0.5+ asks the launcher for them: `--transport-encryption`)
      supported_encryption: ["curve"],
      ...(options.gateway
        ? {
            // selects the gateway's provisioner (jupyter_client kernel_provisioner, an entry point of gateway_provisioners)
            kernel_provisioner: {
              provisioner_name: options.gateway.provisioner ?? DEFAULT_PROVISIONER,
              config: options.gateway.config ?? {},
            },
          }
        : {}),
      ts_async_kernel: {
        backend: options.backend ?? "node",
        loop: options.loop ?? null,
        type_check: options.typeCheck === true,
        semicolon_hides_result: options.semicolonHidesResult === true,
        npm_install: options.noNpmInstall !== true,
      },
    },
    kernel_protocol_version: PROTOCOL_VERSION,
  };
}

/** Write `<dataDir>/kernels/<name>/` and return that directory. */
export function installSpec(dataDir: string, options: SpecOptions): string {
  const name = validateName(options.name ?? DEFAULT_NAME);
  const dir = join(dataDir, "kernels", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), `${JSON.stringify(kernelJson(options), null, 2)}\n`);
  for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) {
    const src = join(PACKAGE_ROOT, "kernelspec", logo);
    if (existsSync(src)) copyFileSync(src, join(dir, logo));
  }
  return dir;
}

export function removeSpec(dataDir: string, name: string): string | undefined {
  const dir = join(dataDir, "kernels", validateName(name));
  if (!existsSync(join(dir, "kernel.json"))) return undefined;
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Our kernelspecs on the Jupyter path (first match of a name wins, as in jupyter_client). */
export function listSpecs(): { name: string; dir: string; displayName: string }[] {
  const found = new Map<string, { name: string; dir: string; displayName: string }>();
  for (const base of jupyterPath()) {
    const kernels = join(base, "kernels");
    if (!existsSync(kernels)) continue;
    for (const name of readdirSync(kernels)) {
      const file = join(kernels, name, "kernel.json");
      if (found.has(name.toLowerCase()) || !existsSync(file)) continue;
      try {
        const spec = JSON.parse(readFileSync(file, "utf8")) as { metadata?: Record<string, unknown>; display_name?: string };
        if (spec.metadata && "ts_async_kernel" in spec.metadata) {
          found.set(name.toLowerCase(), { name, dir: join(kernels, name), displayName: spec.display_name ?? name });
        }
      } catch {
        // An unreadable kernel.json is not ours to judge.
      }
    }
  }
  return [...found.values()];
}
