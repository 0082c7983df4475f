/**
 * An error that escapes its cell (a timer's throw) is reported on the running cell's stderr by
 * the real kernel process, with the cell's frames shown as `In[n]:line:column` (Shell.errorText).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { KernelClient } from "../../src/client/kernel_client.js";
import { launchKernel, type LaunchedKernel } from "../../src/client/launcher.js";

const CLI = join(__dirname, "..", "..", "dist", "cli", "main.js");

let kernel: LaunchedKernel;
let client: KernelClient;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`build the kernel first (npm run build): ${CLI} is missing`);
  kernel = await launchKernel({ cli: CLI });
  client = new KernelClient(kernel.connection);
  client.connect();
  await client.waitForReady();
});

afterAll(() => {
  client?.close();
  kernel?.dispose();
});

it("a timer's uncaught error names the cell's line and column", async () => {
  const line2 = "setTimeout(() => { const o: { p?: { q: number } } = {}; o.p!.q }, 5)";
  const { reply, outputs } = await client.execute(`const waitMs: number = 200\n${line2}\nawait new Promise((r) => setTimeout(r, waitMs))`);
  expect(reply.content).toMatchObject({ status: "ok" });
  const stderr = outputs
    .filter((m) => m.header.msg_type === "stream" && (m.content as { name: string }).name === "stderr")
    .map((m) => (m.content as { text: string }).text)
    .join("");
  const count = (reply.content as { execution_count: number }).execution_count;
  expect(stderr).toContain("Uncaught exception: TypeError: Cannot read properties of undefined (reading 'q')");
  expect(stderr).toContain(`at Timeout._onTimeout (In[${count}]:2:${line2.lastIndexOf("q") + 1})`);
  expect(stderr).not.toContain("cell-");
});
