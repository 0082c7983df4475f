/**
 * `ts-async-kernel console [FILE]`: a console on a new kernel of ours, over ZeroMQ. On a terminal
 * it is interactive (console_tty.ts); from a pipe or a file it runs the cells it reads and exits
 * (console_script.ts). Both make cells of lines by the same rule (cell_lines.ts).
 */
import { createReadStream } from "node:fs";
import { KernelClient } from "../client/kernel_client.js";
import { launchKernel } from "../client/launcher.js";
import { CellLines } from "./cell_lines.js";
import { runScript } from "./console_script.js";
import { runInteractive } from "./console_tty.js";

export async function runConsole(file?: string): Promise<number> {
  const input = file && file !== "-" ? createReadStream(file) : process.stdin;
  // A missing file is said before a kernel is started for it.
  if (input !== process.stdin) await new Promise<void>((resolve, reject) => input.once("open", () => resolve()).once("error", reject));
  const kernel = await launchKernel();
  const client = new KernelClient(kernel.connection);
  try {
    client.connect();
    const info = await client.waitForReady();
    const cells = new CellLines(
      async (code) => (await client.request("is_complete_request", { code })).reply.content as { status: string },
    );
    if (input === process.stdin && process.stdin.isTTY) {
      const banner = String((info.content as { banner?: string }).banner);
      return await runInteractive(client, cells, banner);
    }
    return await runScript(client, cells, input);
  } finally {
    const shutdown = client.request("shutdown_request", { restart: false }, "control");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([shutdown, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    client.close();
    kernel.dispose();
  }
}
