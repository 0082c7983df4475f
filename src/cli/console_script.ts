/**
 * The console reading a pipe or a file (`printf 'const a = 20\na * 2\n' | ts-async-kernel console`):
 * the cells (cell_lines.ts) run one after another, each once the one before has finished; their
 * output is printed as it comes, results as `Out[n]: ...`, without prompts or banner, and so is
 * output a cell prints after its reply. A failed cell does not stop the script; the exit status is
 * 1 when a cell failed, after the end of input. A cell's `input()` gets the next line (not
 * echoed); if the input ends first, the cell is interrupted.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { KernelClient } from "../client/kernel_client.js";
import type { Message } from "../messaging/index.js";
import type { CellLines } from "./cell_lines.js";
import { toTerminal } from "./render.js";

export async function runScript(client: KernelClient, cells: CellLines, input: Readable): Promise<number> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  // Lines wait in the iterator while a cell runs (readline's 'line' events would be lost then).
  const lines = rl[Symbol.asyncIterator]();
  const show = (msg: Message) => {
    const t = toTerminal(msg);
    if (t) process[t.stream].write(t.text);
  };
  client.onLateIopub = show;
  let failed = 0;
  const run = async (code: string) => {
    const { reply } = await client.execute(code, {
      onIopub: show,
      async onInput(prompt) {
        process.stdout.write(prompt);
        const next = await lines.next();
        process.stdout.write("\n");
        if (next.done) {
          process.stderr.write("console: the input ended while a cell asked for input; interrupting the cell\n");
          void client.request("interrupt_request", {}, "control");
          throw new Error("end of input");
        }
        return next.value;
      },
    });
    if ((reply.content as { status?: string }).status !== "ok") failed++;
  };
  try {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const step = await cells.add(next.value);
      if (step.kind === "cell") await run(step.code);
    }
    const rest = cells.finish();
    if (rest !== undefined) await run(rest);
  } finally {
    rl.close();
  }
  return failed ? 1 : 0;
}
