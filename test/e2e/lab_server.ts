/**
 * vitest globalSetup for the browser suite: one `jupyter lab` (from the harness venv) on loopback
 * with a random token, seeing only a private Jupyter tree where our CLI installed the kernelspec.
 * Stopped in teardown, and on any exit of this process, with every kernel it launched.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

export interface LabServer {
  /** http://127.0.0.1:<port>/ */
  baseUrl: string;
  token: string;
  /** The server's root: notebooks created from the page land here. */
  rootDir: string;
  /** Where failure screenshots and (unless redirected) the README screenshots go. */
  outputDir: string;
  /** Set when the README's screenshots should be written (npm run screenshots). */
  screenshotDir: string | null;
  chromium: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    lab: LabServer;
  }
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(REPO, "dist", "cli", "main.js");
const JUPYTER = join(REPO, "pyproject-test-harness", ".venv", "bin", "jupyter");
export const KERNEL_NAME = "ts-async";

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

/** Processes whose command line names our temp tree: the kernels jupyter lab started for us. */
function processesUnder(root: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(root)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The process's group when it leads one (jupyter lab, kernels), else the process alone. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // no such group (or already gone): try the process itself
    }
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function waitForServer(child: ChildProcess, url: string, log: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`jupyter lab exited (${child.exitCode ?? child.signalCode}) before serving:\n${tail(log)}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`jupyter lab did not answer ${url} within ${ms / 1000} s (${last}):\n${tail(log)}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(CLI)) throw new Error(`build the kernel first (npm run build): ${CLI} is missing`);
  if (!existsSync(JUPYTER)) throw new Error(`${JUPYTER} is missing: run through test/e2e/run.sh (it makes the venv)`);
  const chromium = process.env.TS_ASYNC_E2E_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(chromium)) throw new Error(`${chromium} is missing: run through test/e2e/run.sh (it installs chromium)`);

  const root = mkdtempSync(join(tmpdir(), "ts-async-e2e-"));
  const dirs = {
    JUPYTER_PATH: join(root, "share", "jupyter"),
    JUPYTER_DATA_DIR: join(root, "data"),
    JUPYTER_RUNTIME_DIR: join(root, "runtime"),
    JUPYTER_CONFIG_DIR: join(root, "config"),
    IPYTHONDIR: join(root, "ipython"),
  };
  const rootDir = join(root, "notebooks");
  for (const dir of [...Object.values(dirs), rootDir]) mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...dirs, JUPYTER_PLATFORM_DIRS: "1", TMPDIR: root };

  // Our own CLI installs the kernelspec, as a user would.
  execFileSync(process.execPath, [CLI, "install", "--prefix", root], { env, stdio: ["ignore", "pipe", "pipe"] });

  const userSettings = (plugin: string, values: object) => {
    const dir = join(dirs.JUPYTER_CONFIG_DIR, "lab", "user-settings", "@jupyterlab", plugin.split(":")[0]!);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${plugin.split(":")[1]}.jupyterlab-settings`), JSON.stringify(values));
  };
  // No news and update toasts over the notebook (and no request to the internet for them).
  userSettings("apputils-extension:notification", { fetchNews: "false", checkForUpdates: false });
  // JupyterLab drops a completion reply after 1 s. While a fresh kernel's language service warms
  // up (~2 s of CPU) the runtime answers at once, but what only the types know waits for the
  // service, and on 2 shared cores anything may take longer. The suite checks what the popup
  // shows; how fast is bench/'s business (its `completion` phase).
  userSettings("completer-extension:manager", { providerTimeout: 10_000 });

  const token = randomBytes(24).toString("hex");
  const port = await freePort();
  const log = join(root, "jupyter-lab.log");
  const logFd = openSync(log, "a");
  const args = [
    "lab",
    "--no-browser",
    "--allow-root",
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${rootDir}`,
    // Only our kernel in the launcher (the venv also carries ipykernel).
    `--KernelSpecManager.allowed_kernelspecs=${KERNEL_NAME}`,
    "--LabApp.extension_manager=readonly",
  ];
  // Its own process group: teardown stops jupyter lab and whatever it spawned at once.
  const child = spawn(JUPYTER, args, { env, cwd: rootDir, detached: true, stdio: ["ignore", logFd, logFd] });
  const stopNow = () => {
    killGroup(child.pid!, "SIGKILL");
    for (const pid of processesUnder(root)) killGroup(pid, "SIGKILL");
  };
  process.once("exit", stopNow);

  const baseUrl = `http://127.0.0.1:${port}/`;
  try {
    await waitForServer(child, `${baseUrl}api/status?token=${token}`, log, 60_000);
  } catch (err) {
    stopNow();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }

  const outputDir = join(REPO, "test", "e2e", "output");
  mkdirSync(outputDir, { recursive: true });
  const screenshotDir = process.env.TS_ASYNC_E2E_SCREENSHOTS ? resolve(process.env.TS_ASYNC_E2E_SCREENSHOTS) : null;
  project.provide("lab", { baseUrl, token, rootDir, outputDir, screenshotDir, chromium });

  return async () => {
    process.removeListener("exit", stopNow);
    // SIGTERM: jupyter server shuts its kernels down (they run in sessions of their own).
    killGroup(child.pid!, "SIGTERM");
    if (!(await waitForExit(child, 15_000))) killGroup(child.pid!, "SIGKILL");
    const leftovers = processesUnder(root);
    for (const pid of leftovers) killGroup(pid, "SIGKILL");
    if (process.env.TS_ASYNC_E2E_KEEP_TMP) console.log(`e2e: kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    if (leftovers.length) throw new Error(`processes left running after jupyter lab stopped (killed): ${leftovers.join(", ")}`);
  };
}
