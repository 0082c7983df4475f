/** `ts-async-kernel console`: an interactive REPL on a kernel of ours, over ZeroMQ. */
import { createInterface } from "node:readline/promises";
import { KernelClient } from "../client/kernel_client.js";
import { launchKernel } from "../client/launcher.js";
import { toTerminal } from "./render.js";

export async function runConsole(): Promise<number> {
  const kernel = await launchKernel();
  const client = new KernelClient(kernel.connection);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  try {
    client.connect();
    const info = await client.waitForReady();
    process.stdout.write(`${String((info.content as { banner?: string }).banner)}\nCtrl-C interrupts, Ctrl-D exits.\n`);
    let running = false;
    rl.on("SIGINT", () => {
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
        onInput: (p, password) => rl.question(password ? `${p}(hidden) ` : p),
      });
      running = false;
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
