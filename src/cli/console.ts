/**
 * `ts-async-kernel console`: an interactive REPL on a kernel of ours, over ZeroMQ. It answers the
 * cells' input requests (`input()`, `prompt()`, `confirm()`) from the terminal, a password
 * without echo; Ctrl-C at such a prompt interrupts the cell.
 */
import { createInterface } from "node:readline/promises";
import { KernelClient } from "../client/kernel_client.js";
import { launchKernel } from "../client/launcher.js";
import { MutedOutput } from "./muted_output.js";
import { toTerminal } from "./render.js";

export async function runConsole(): Promise<number> {
  const kernel = await launchKernel();
  const client = new KernelClient(kernel.connection);
  const output = new MutedOutput(process.stdout);
  const rl = createInterface({ input: process.stdin, output, terminal: process.stdin.isTTY });
  /** The input request being answered: Ctrl-C gives it up. */
  let asking: AbortController | undefined;
  const answer = async (prompt: string, password: boolean): Promise<string> => {
    asking = new AbortController();
    const question = rl.question(prompt, { signal: asking.signal });
    // After the prompt is written: readline's echo of the keys (and its redraws) stay hidden.
    output.muted = password;
    try {
      return await question;
    } finally {
      if (password || asking.signal.aborted) process.stdout.write("\n");
      output.muted = false;
      asking = undefined;
    }
  };
  try {
    client.connect();
    const info = await client.waitForReady();
    process.stdout.write(`${String((info.content as { banner?: string }).banner)}\nCtrl-C interrupts, Ctrl-D exits.\n`);
    let running = false;
    rl.on("SIGINT", () => {
      asking?.abort();
      if (running) void client.request("interrupt_request", {}, "control");
      else rl.write("\n");
    });
    for (let n = 1; ; n++) {
      let code = "";
      let prompt = `In [${n}]: `;
      for (;;) {
        let line: string;
        try {
          line = await rl.question(prompt);
        } catch {
          return 0; // input closed (Ctrl-D)
        }
        code += (code ? "\n" : "") + line;
        const { reply } = await client.request("is_complete_request", { code });
        const c = reply.content as { status?: string; indent?: string };
        if (c.status !== "incomplete") break;
        prompt = "...: ".padStart(prompt.length) + (c.indent ?? "");
      }
      if (!code.trim()) {
        n--;
        continue;
      }

      running = true;
      const { reply } = await client.execute(code, {
        onIopub(msg) {
          const t = toTerminal(msg);
          if (t) process[t.stream].write(t.text);
        },
        onInput: answer,
      });
      running = false;
      // The cell ended without its answer (interrupted elsewhere, timed out): stop asking.
      asking?.abort();
      // Prompts follow the kernel's execution count, as in jupyter console.
      const count = (reply.content as { execution_count?: unknown }).execution_count;
      if (typeof count === "number") n = count;
    }
  } finally {
    rl.close();
    await Promise.race([client.request("shutdown_request", { restart: false }, "control"), new Promise((r) => setTimeout(r, 2000))]);
    client.close();
    kernel.dispose();
  }
}
