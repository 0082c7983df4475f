/**
 * ExecuteScheduler (src/kernel/execute_scheduler.ts) and interrupts: a cell the scheduler has
 * taken but that does not run in the shell yet (the shell still loads, or a pipelined request
 * waits its turn) is interrupted as it starts, since the kernel's interrupt reaches only the cells
 * the shell runs. The shell here is a fake that runs until its cell is cancelled.
 */
import { describe, expect, it } from "vitest";
import type { InboundRequest, Outbound, ToWorker } from "../../src/io/bridge.js";
import { ExecuteScheduler, type ExecuteRequest, type SchedulerHost } from "../../src/kernel/execute_scheduler.js";
import { Outbox } from "../../src/kernel/outbox.js";
import { Session } from "../../src/messaging/index.js";
import type { ExecuteOutcome, Shell } from "../../src/shell/shell.js";

const session = new Session({ key: "k" });

/** A shell whose every cell runs until its signal aborts, then fails with the abort's reason. */
const endlessShell = {
  execute(_code: string, _name: string, _out: unknown, control: { signal?: AbortSignal }): Promise<ExecuteOutcome> {
    const failed = (): ExecuteOutcome => {
      const err = control.signal!.reason as Error;
      return {
        status: "error",
        error: { ename: err.name, evalue: err.message, traceback: [] },
        interrupted: err.name === "KernelInterrupt",
      };
    };
    if (control.signal?.aborted) return Promise.resolve(failed());
    return new Promise((resolve) => control.signal?.addEventListener("abort", () => resolve(failed()), { once: true }));
  },
} as unknown as Shell;

function fixture(shell: Promise<Shell>) {
  const sent: Outbound[] = [];
  const outbox = new Outbox((m: ToWorker) => {
    if (m.type === "send") sent.push(...m.items);
  });
  const host: SchedulerHost = {
    outbox,
    log: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} } as never,
    shell: () => shell,
    threads: () => new Promise(() => {}),
    beforeCell: () => undefined,
  };
  const scheduler = new ExecuteScheduler(host);
  const replies = () => sent.filter((m) => m.msgType === "execute_reply").map((m) => m.content as { status: string; ename?: string });
  return { scheduler, replies };
}

function executeRequest(code: string, busySent: boolean): ExecuteRequest {
  const header = session.header("execute_request");
  const req = { msgType: "execute_request", header, parent_header: {}, metadata: {}, content: { code }, buffers: [] };
  return { req: req as unknown as InboundRequest<"execute_request">, channel: "shell", receivedAt: performance.now(), busySent };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("ExecuteScheduler and interrupts", () => {
  it("interrupts a cell taken while the shell still loads, once the shell is there", async () => {
    let loaded!: (shell: Shell) => void;
    const f = fixture(new Promise((resolve) => (loaded = resolve)));
    f.scheduler.submit(executeRequest("while (true) {}", true));
    await turn();
    expect(f.scheduler.interruptStarting()).toBe(1);
    loaded(endlessShell);
    await expect.poll(f.replies).toEqual([expect.objectContaining({ status: "error", ename: "KernelInterrupt" })]);
  });

  it("interrupts a pipelined request that waits its turn to start", async () => {
    const f = fixture(Promise.resolve(endlessShell));
    f.scheduler.submit(executeRequest("while (true) {}", false));
    // it waits a turn of the event loop before it starts (drain): the interrupt comes meanwhile
    expect(f.scheduler.interruptStarting()).toBe(1);
    await expect.poll(f.replies).toEqual([expect.objectContaining({ status: "error", ename: "KernelInterrupt" })]);
  });

  it("starts interrupted a request marked so (made before an interrupt the kernel acted on before it came)", async () => {
    const f = fixture(Promise.resolve(endlessShell));
    f.scheduler.submit({ ...executeRequest("while (true) {}", true), interrupted: true });
    await expect.poll(f.replies).toEqual([expect.objectContaining({ status: "error", ename: "KernelInterrupt" })]);
  });

  it("leaves a cell the shell runs to the shell's own interrupt", async () => {
    const f = fixture(Promise.resolve(endlessShell));
    f.scheduler.submit(executeRequest("while (true) {}", true));
    await turn();
    expect(f.scheduler.interruptStarting()).toBe(0);
    await turn();
    expect(f.replies()).toEqual([]);
  });
});
