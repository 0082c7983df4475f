/**
 * A Shell in a child process, built from src/shell. Module loading is what the tests using this
 * are about, and inside vitest the shell's `import()` would go through vitest's own module runner
 * (which loads .ts files by itself, and more): a child process runs the shell on Node's loader,
 * as the kernel does. The build is src/shell transpiled by sucrase into a temp folder (type
 * checking is `npm run build`'s job), so it is never stale.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "sucrase";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const DRIVER = join(here, "..", "fixtures", "shell_driver.mjs");

/**
 * Transpile src/shell and what it imports from src (messaging, comm, widgets, caller, event_loop, npm, shared_memory) into a fresh temp folder, keeping
 * the layout; returns the folder (remove it with `rmSync`). The shell is in its `shell/`.
 */
export function buildShell(): string {
  const out = mkdtempSync(join(tmpdir(), "tsak-shell-build-"));
  const srcRoot = join(repo, "src");
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        const target = join(out, relative(srcRoot, path)).replace(/\.ts$/, ".js");
        mkdirSync(dirname(target), { recursive: true });
        const js = transform(readFileSync(path, "utf8"), { transforms: ["typescript"], disableESTransforms: true, filePath: path }).code;
        writeFileSync(target, js);
      }
    }
  };
  for (const folder of ["shell", "messaging", "comm", "widgets", "caller", "event_loop", "npm", "shared_memory"])
    walk(join(srcRoot, folder));
  // The folder lies outside the package: it needs its own ESM marker and the kernel's dependencies.
  writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
  symlinkSync(join(repo, "node_modules"), join(out, "node_modules"), "dir");
  return out;
}

export interface CellRun {
  status: "ok" | "error";
  /** text/plain of the result, if any. */
  result?: string;
  data?: Record<string, unknown>;
  error?: { ename: string; evalue: string; traceback: string[] };
  outputs: Array<{ type: string; name?: string; text?: string; data?: Record<string, unknown> }>;
}

interface Reply {
  id?: number;
  ready?: boolean;
  hooksRegistered?: boolean;
  outcome?: { status: "ok" | "error"; result?: { data: Record<string, unknown> }; error?: CellRun["error"] };
  outputs?: CellRun["outputs"];
}

export class ShellProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (reply: Reply) => {
      if (reply.id !== undefined) this.waiting.get(reply.id)?.(reply);
    });
    child.on("exit", (code, signal) => {
      this.exited = new Error(`shell process exited (${code ?? signal})`);
      for (const [, resolve] of this.waiting) resolve({});
    });
  }

  static async start(build: string, cwd: string): Promise<ShellProcess> {
    const child = fork(DRIVER, [build, cwd], { cwd, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`shell process exited early (${code})`)));
    });
    return new ShellProcess(child);
  }

  /** Run a cell; resolves with its outcome and outputs. */
  async run(code: string): Promise<CellRun> {
    const reply = await this.send({ code });
    const outcome = reply.outcome!;
    const data = outcome.result?.data;
    return {
      status: outcome.status,
      result: data?.["text/plain"] as string | undefined,
      data,
      error: outcome.error,
      outputs: reply.outputs ?? [],
    };
  }

  /** Run a cell that must succeed; its result's text/plain. */
  async value(code: string): Promise<string | undefined> {
    const run = await this.run(code);
    if (run.status !== "ok") throw new Error(`cell failed: ${run.error?.ename}: ${run.error?.evalue}\n${run.error?.traceback.join("\n")}`);
    return run.result;
  }

  async hooksRegistered(): Promise<boolean> {
    return (await this.send({ probe: "hooks" })).hooksRegistered === true;
  }

  close(): void {
    this.child.kill();
  }

  private send(message: Record<string, unknown>): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, (reply) => {
        this.waiting.delete(id);
        if (reply.id === undefined) reject(this.exited);
        else resolve(reply);
      });
      this.child.send({ ...message, id });
    });
  }
}
