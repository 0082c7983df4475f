/**
 * The processes cells start end with the kernel (src/kernel/children.ts): the whole tree of this
 * process's descendants in its process group, grandchildren included; a detached process (a group
 * of its own) is left alone. Real processes, spawned by this test file's own process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";

import { endChildren, kernelChildren } from "../../src/kernel/children.js";

const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function start(command: string, args: string[], options: { detached?: boolean } = {}): ChildProcess {
  const child = spawn(command, args, { stdio: "ignore", ...options });
  started.push(child);
  return child;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await sleep(20);
}

describe.skipIf(process.platform === "win32")("kernel children", () => {
  it("finds children and grandchildren, ends them all with SIGTERM, and leaves a detached process alone", async () => {
    const child = start("sleep", ["30"]);
    const shell = start("sh", ["-c", "sleep 31 & sleep 32; :"]);
    // a child that ignores SIGTERM: it gets SIGKILL once the grace time is over
    const stubborn = start("sh", ["-c", "trap '' TERM; sleep 33; :"]);
    const detached = start("sleep", ["34"], { detached: true });
    await until(() => kernelChildren().length >= 6);
    const found = kernelChildren();
    for (const c of [child, shell, stubborn]) expect(found).toContain(c.pid);
    expect(found).not.toContain(detached.pid);
    expect(found.length).toBe(6); // sleep 30, sh, sleep 31, sleep 32, sh (stubborn), sleep 33

    const ended = await endChildren(300);
    expect(ended).toBe(6);
    await until(() => kernelChildren().length === 0);
    expect(kernelChildren()).toEqual([]);
    for (const c of [child, shell, stubborn]) await until(() => c.exitCode !== null || c.signalCode !== null);
    expect([child.signalCode, shell.signalCode, stubborn.signalCode]).toEqual(["SIGTERM", "SIGTERM", "SIGKILL"]);
    expect(detached.exitCode).toBeNull();
    expect(detached.signalCode).toBeNull();
  });

  it("resolves at once with no children", async () => {
    expect(kernelChildren()).toEqual([]);
    expect(await endChildren()).toBe(0);
  });
});
