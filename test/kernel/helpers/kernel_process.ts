/**
 * A real kernel process (built dist/) for one test file: launched before its tests, with history
 * in a file of this run (never the real home), and disposed after them.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { KernelClient } from "../../../src/client/kernel_client.js";
import { launchKernel, type LaunchedKernel } from "../../../src/client/launcher.js";

export const CLI = join(__dirname, "..", "..", "..", "dist", "cli", "main.js");

export interface TestKernel {
  kernel: LaunchedKernel;
  client: KernelClient;
}

/** Registers the hooks; the returned object is filled in before the first test runs. */
export function useKernelProcess(options: { warm?: boolean } = {}): TestKernel {
  const handle = {} as TestKernel;
  let historyDir: string | undefined;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`build the kernel first (npm run build): ${CLI} is missing`);
    historyDir = mkdtempSync(join(tmpdir(), "tsak-history-"));
    handle.kernel = await launchKernel({ cli: CLI, env: { ...process.env, TS_ASYNC_KERNEL_HISTORY: join(historyDir, "history.jsonl") } });
    handle.client = new KernelClient(handle.kernel.connection);
    handle.client.connect();
    await handle.client.waitForReady();
    // The shell loads on the first cell: with `warm`, timings in the tests are not start-up's.
    if (options.warm) await handle.client.execute("0");
  });
  afterAll(() => {
    handle.client?.close();
    handle.kernel?.dispose();
    if (historyDir) rmSync(historyDir, { recursive: true, force: true });
  });
  return handle;
}
