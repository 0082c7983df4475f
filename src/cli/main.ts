#!/usr/bin/env node
/** The `ts-async-kernel` command: install / remove / list the kernelspec, start a kernel, console, run. */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { sysPrefix, systemDataDirs, userDataDir } from "../kernelspec/paths.js";
import { LAUNCH_OPTIONS } from "./launch_options.js";

// Only `start` is on a kernel's start-up path: everything else is imported when its command runs.
const DEFAULT_NAME = "ts-async";
const specs = () => import("../kernelspec/kernelspec.js");

const USAGE = `Usage: ts-async-kernel <command> [options]

Commands:
  install   Register the kernel with Jupyter (kernel.json + logos); no Python needed
            --user (default) | --sys-prefix | --prefix <dir>   where to install
            --name <name> (default ${DEFAULT_NAME})  --display-name <text>
            --interrupt-mode message|signal  --language typescript|javascript
            --log-level <level>  --backend <name>  --loop <name>   passed to the kernel
                           (--loop gtk / tk: GTK's or Tk's loop owns the kernel's thread; windows
                           for cells from ts-async-kernel/gtk or /tk; docs/event_loop.md)
            --type-check   report every cell's type errors on stderr (the cell still runs)
            --semicolon-hides-result   a last expression ending in ";" shows no result (IPython's
                           convention; by default it does, as in Deno and tslab)
            --private-connection-file   refuse a connection file others may read (else a warning)
            --no-npm-install   an import of an npm: package that is not installed fails (saying how
                           to install it) instead of installing it into the kernel's cache
            --gateway   a kernelspec for Jupyter Enterprise Gateway / gateway_provisioners (named
                           <name>-eg): its argv is \`launch\` with the gateway's placeholders
            --provisioner <name> (default distributed-provisioner)  --provisioner-config <json>
                           the gateway provisioner it selects, and that provisioner's config
  remove    Remove an installed kernelspec (same location options, --name)
  list      List installed kernelspecs of this kernel
  start     Run a kernel: start -f <connection_file> [--log-level L] [--backend B] [--loop L] [--type-check]
            [--semicolon-hides-result] [--private-connection-file] [--no-npm-install]
            [--interrupt-mode message|signal] (how the kernelspec says interrupts come)
            -f may name a JEP 66 registration file: the kernel picks its ports, registers them
            and writes <file>-connection.json (TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS, default 30000)
  launch    Run a kernel for a gateway (what an --gateway kernelspec runs; docs/remote.md):
            --kernel-id <id> --response-address <ip:port> --public-key <base64 RSA>
            [--port-range <lower>..<upper>] [--transport-encryption auto|required] [--ip <address>]
            (each also as --RemoteProcessProxy.<name>); binds on all interfaces (--ip: one), sends its
            connection info to the response address, serves the gateway's comm port; kernel options as start
  console   A console on a new kernel: console [FILE]
            On a terminal it is interactive (Tab completes, Ctrl-C interrupts, Ctrl-D exits).
            From a pipe or FILE it runs the cells it reads, prints their output and exits (1 if
            a cell failed). A cell ends at the first line where its code is complete, as when
            typed; comment lines at its start (// task, // timeout=5) stay with it.
  run       Execute a notebook: run <notebook.ipynb> [--output <file>] [--quiet]
            (writes the outputs back; stops at a failing cell unless its tags or first line say
            stop-on-error=false or timeout=...; exits 1 if a cell failed)

Options: --version (-V) prints the version, also after a command; --help (-h) this text.
Log level: --log-level, else TS_ASYNC_KERNEL_LOG_LEVEL, else "warn" (logs go to stderr).
npm: imports install into TS_ASYNC_KERNEL_CACHE_DIR (default: $XDG_CACHE_HOME or ~/.cache, then
ts-async-kernel)/npm; TS_ASYNC_KERNEL_NPM_INSTALL=off turns installing off as --no-npm-install does.`;

/** `--provisioner-config`: a JSON object (e.g. {"remote_hosts": ["host1"], "launch_timeout": 60}). */
function provisionerConfig(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`--provisioner-config must be a JSON object: ${(err as Error).message}`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error("--provisioner-config must be a JSON object");
  return config as Record<string, unknown>;
}

function dataDir(values: Record<string, unknown>): string {
  if (typeof values.prefix === "string") return join(values.prefix, "share", "jupyter");
  if (values["sys-prefix"]) {
    const prefix = sysPrefix();
    if (!prefix) throw new Error("--sys-prefix: no active Python environment (VIRTUAL_ENV / CONDA_PREFIX unset); use --prefix");
    return join(prefix, "share", "jupyter");
  }
  if (values.system) return systemDataDirs()[0]!;
  return userDataDir();
}

async function main(argv: string[]): Promise<number> {
  const [command, ...given] = argv;
  const rest = command === "launch" ? (await import("./launch.js")).withoutProxyPrefix(given) : given;
  const common = {
    user: { type: "boolean" },
    "sys-prefix": { type: "boolean" },
    system: { type: "boolean" },
    prefix: { type: "string" },
    name: { type: "string" },
    "display-name": { type: "string" },
    "interrupt-mode": { type: "string" },
    language: { type: "string" },
    "log-level": { type: "string" },
    backend: { type: "string" },
    loop: { type: "string" },
    "type-check": { type: "boolean" },
    "semicolon-hides-result": { type: "boolean" },
    "private-connection-file": { type: "boolean" },
    "no-npm-install": { type: "boolean" },
    gateway: { type: "boolean" },
    provisioner: { type: "string" },
    "provisioner-config": { type: "string" },
    ...LAUNCH_OPTIONS,
    f: { type: "string", short: "f" },
    output: { type: "string", short: "o" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
  } as const;
  const printVersion = async () => {
    const { IMPLEMENTATION, KERNEL_VERSION } = await import("../kernel/kernel_info.js");
    process.stdout.write(`${IMPLEMENTATION} ${KERNEL_VERSION}\n`);
    return 0;
  };
  if (command === "--version" || command === "-V" || command === "version") return printVersion();
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const { values, positionals } = parseArgs({ args: rest, options: common, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) return printVersion();
  const language = values.language;
  if (language !== undefined && language !== "typescript" && language !== "javascript") {
    throw new Error(`--language must be typescript or javascript, got "${language}"`);
  }
  const mode = values["interrupt-mode"];
  if (mode !== undefined && mode !== "message" && mode !== "signal") {
    throw new Error(`--interrupt-mode must be message or signal, got "${mode}"`);
  }
  switch (command) {
    case "install": {
      const { installSpec } = await specs();
      const gateway = values.gateway
        ? { provisioner: values.provisioner, config: provisionerConfig(values["provisioner-config"]) }
        : undefined;
      if (!gateway && (values.provisioner || values["provisioner-config"]))
        throw new Error("--provisioner and --provisioner-config go with --gateway");
      const name = values.name ?? (gateway ? `${DEFAULT_NAME}-eg` : DEFAULT_NAME);
      const dir = installSpec(dataDir(values), {
        gateway,
        name,
        displayName: values["display-name"],
        interruptMode: mode,
        language,
        logLevel: values["log-level"],
        backend: values.backend,
        loop: values.loop,
        typeCheck: values["type-check"],
        privateConnectionFile: values["private-connection-file"],
        semicolonHidesResult: values["semicolon-hides-result"],
        noNpmInstall: values["no-npm-install"],
      });
      process.stdout.write(`Installed kernelspec ${name} in ${dir}\n`);
      if (values.loop) {
        // Installed all the same (the kernel may run elsewhere), but said now rather than at the first start.
        const { Host } = await import("../event_loop/host.js");
        await Host.load(values.loop).catch((err: Error) => {
          process.stderr.write(`warning: the kernel cannot start here until loop "${values.loop}" is available: ${err.message}\n`);
        });
      }
      return 0;
    }
    case "remove": {
      const name = values.name ?? positionals[0] ?? DEFAULT_NAME;
      const { removeSpec } = await specs();
      const dir = removeSpec(dataDir(values), name);
      if (!dir) {
        process.stderr.write(`No kernelspec named ${name} in ${join(dataDir(values), "kernels")}\n`);
        return 1;
      }
      process.stdout.write(`Removed ${dir}\n`);
      return 0;
    }
    case "list": {
      const found = (await specs()).listSpecs();
      if (found.length === 0) process.stdout.write("No ts-async-kernel kernelspecs installed.\n");
      for (const s of found) process.stdout.write(`  ${s.name.padEnd(20)} ${s.dir}  (${s.displayName})\n`);
      return 0;
    }
    case "start": {
      const file = values.f ?? positionals[0];
      if (!file) throw new Error("start needs a connection file: start -f <connection_file>");
      const { startKernel } = await import("../kernel/start.js");
      return startKernel({
        connectionFile: file,
        logLevel: values["log-level"],
        language,
        backend: values.backend,
        loop: values.loop,
        typeCheck: values["type-check"],
        privateConnectionFile: values["private-connection-file"],
        semicolonHidesResult: values["semicolon-hides-result"],
        npmInstall: values["no-npm-install"] ? false : undefined,
        signalInterrupts: mode === "signal",
      });
    }
    case "launch": {
      const { planLaunch } = await import("./launch.js");
      const plan = await planLaunch(values);
      const { startKernel } = await import("../kernel/start.js");
      return startKernel({
        launch: { connection: plan.connection, announce: { gateway: plan.gateway }, warnings: plan.warnings },
        logLevel: values["log-level"],
        language,
        backend: values.backend,
        loop: values.loop,
        typeCheck: values["type-check"],
        semicolonHidesResult: values["semicolon-hides-result"],
        npmInstall: values["no-npm-install"] ? false : undefined,
      });
    }
    case "console": {
      const { runConsole } = await import("./console.js");
      return runConsole(positionals[0]);
    }
    case "run": {
      const nb = positionals[0];
      if (!nb) throw new Error("run needs a notebook: run <notebook.ipynb>");
      const { runNotebook } = await import("./run.js");
      return runNotebook(nb, { output: values.output, quiet: values.quiet });
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ts-async-kernel: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
