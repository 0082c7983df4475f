/** Start a kernel process of ours on free loopback ports with a fresh key (what jupyter_client's manager does). */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as zmq from "zeromq";
import { type ConnectionInfo, connectionFileText } from "../io/connection_file.js";
import { KERNEL_ENV } from "../kernelspec/kernel_env.js";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "..", "cli", "main.js");

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface LaunchedKernel {
  connection: ConnectionInfo;
  process: ChildProcess;
  /** Kill the process (if still running) and remove the connection file. */
  dispose(): void;
}

export interface LaunchOptions {
  cwd?: string;
  extraArgs?: string[];
  /** The kernel's CLI entry (default: this package's built dist/cli/main.js). */
  cli?: string;
  /** The kernel's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** CurveZMQ on every socket (default, when zeromq has it), or none. */
  encryption?: "curve" | "none";
}

export async function launchKernel(options: LaunchOptions = {}): Promise<LaunchedKernel> {
  const [shell, iopub, stdin, control, hb] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const connection: ConnectionInfo = {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    key: randomBytes(16).toString("hex"),
    signature_scheme: "hmac-sha256",
  };
  // as jupyter_client's transport_encryption "auto": encrypted whenever zeromq can
  if ((options.encryption ?? "curve") === "curve" && zmq.capability.curve) connection.curve = zmq.curveKeyPair();
  const dir = mkdtempSync(join(tmpdir(), "ts-async-kernel-"));
  const file = join(dir, "kernel.json");
  writeFileSync(file, connectionFileText(connection), { mode: 0o600 });
  const child = spawn(process.execPath, [options.cli ?? CLI, "start", "-f", file, ...(options.extraArgs ?? [])], {
    cwd: options.cwd ?? process.cwd(),
    // As jupyter_client does: the kernel shuts down if this process ends without disposing it.
    // KERNEL_ENV: as Jupyter sets it from kernel.json.
    env: { ...(options.env ?? process.env), ...KERNEL_ENV, JPY_PARENT_PID: String(process.pid) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  return {
    connection,
    process: child,
    dispose() {
      kill();
      process.off("exit", kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
