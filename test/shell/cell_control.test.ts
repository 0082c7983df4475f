/**
 * Per-cell cancellation in the shell (`Shell.execute`'s CellControl): what the kernel uses for
 * the `timeout` tag, stop_on_error and subshell deletion, without touching other cells.
 */
import { describe, expect, it } from "vitest";
import { Shell } from "../../src/shell/shell.js";
import type { CellOutput } from "../../src/shell/output.js";
import { CellTimeout } from "../../src/shell/errors.js";

const quiet: CellOutput = { stream() {}, display() {}, clearOutput() {} };

describe("Shell.execute with a CellControl", () => {
  it("rejects the cell's awaits with the signal's reason, and leaves other cells running", async () => {
    const shell = new Shell({ cwd: process.cwd(), language: "typescript" });
    const control = new AbortController();
    const cancelled = shell.execute("await new Promise(() => {})", "In[1]", quiet, { signal: control.signal });
    const other = shell.execute("await new Promise((r) => (globalThis.release = r)); 'other'", "In[2]", quiet);
    control.abort(new CellTimeout(3));
    const outcome = await cancelled;
    expect(outcome).toMatchObject({
      status: "error",
      error: { ename: "TimeoutError", evalue: "The cell did not finish within its timeout of 3 s" },
    });
    await shell.execute("release()", "In[3]", quiet);
    expect(await other).toMatchObject({ status: "ok", result: { data: { "text/plain": "'other'" } } });
  });

  it("fails a cell whose signal is aborted before it starts, without running it", async () => {
    const shell = new Shell({ cwd: process.cwd(), language: "typescript" });
    const control = new AbortController();
    control.abort(new Error("too late"));
    expect(await shell.execute("globalThis.ran = true", "In[1]", quiet, { signal: control.signal })).toMatchObject({
      status: "error",
      error: { evalue: "too late" },
    });
    expect(await shell.execute("typeof globalThis.ran", "In[2]", quiet)).toMatchObject({
      result: { data: { "text/plain": "'undefined'" } },
    });
  });

  it("stops a synchronous loop that outlives timeoutSeconds as a TimeoutError, and the context lives on", async () => {
    const shell = new Shell({ cwd: process.cwd(), language: "typescript", breakOnSigint: false });
    await shell.execute("const kept = 1", "In[1]", quiet);
    const outcome = await shell.execute("while (true) {}", "In[2]", quiet, { timeoutSeconds: 0.05 });
    expect(outcome).toMatchObject({ status: "error", error: { ename: "TimeoutError" } });
    expect(await shell.execute("kept + 1", "In[3]", quiet)).toMatchObject({ result: { data: { "text/plain": "2" } } });
  });
});
