/**
 * Output of calls in other threads, with environments like the kernel's: the target thread
 * captures what a call emits (fixtures/output_env.mjs), the calling thread shows it in the async
 * context where the call was made, before the call's result, and also when it comes later.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OutputEvent } from "../../src/caller/index.js";
import { buildCaller, moduleUrl } from "./helpers/build.js";

type CallerModule = typeof import("../../src/caller/index.js");
let api: CallerModule;
let env: string;
const cell = new AsyncLocalStorage<string>();
const shown: { cell: string | undefined; event: OutputEvent }[] = [];

beforeAll(async () => {
  const dir = await buildCaller();
  api = (await import(moduleUrl(dir, "caller/index.js"))) as CallerModule;
  env = moduleUrl(dir, "fixtures/output_env.mjs");
  api.configureThreads({ setup: { module: env } });
  api.setThreadEnvironment({ deliverOutput: (event) => shown.push({ cell: cell.getStore(), event }) });
}, 60_000);

afterAll(() => api?.stopAllThreads());

it("shows a call's output where the call was made, before its result, and later output too", async () => {
  const w = api.Caller.get({ name: "printer" });
  const [a, b] = await Promise.all([
    cell.run("cell A", () => w.call({ module: env, export: "say" }, "from A", 50).then((r) => ({ r, seen: shown.length }))),
    cell.run("cell B", () => w.call({ module: env, export: "say" }, "from B")),
  ]);
  expect(a.r).toBe("said");
  expect(b).toBe("said");
  expect(shown.slice(0, a.seen)).toContainEqual({ cell: "cell A", event: { kind: "stream", name: "stdout", text: "from A" } });
  expect(shown).toContainEqual({ cell: "cell B", event: { kind: "stream", name: "stdout", text: "from B" } });
  await new Promise((r) => setTimeout(r, 150));
  expect(shown).toContainEqual({ cell: "cell A", event: { kind: "stream", name: "stdout", text: "from A (later)" } });
  expect(shown).toHaveLength(3);
});

it("the environment learns that a call was cancelled, and the call's output still reaches its call site", async () => {
  const w = api.Caller.get({ name: "printer" });
  const before = shown.length;
  const p = cell.run("cell C", () => w.call({ module: env, export: "waitForCancel" }));
  await new Promise((r) => setTimeout(r, 50));
  p.cancel("stop waiting");
  await expect(p).rejects.toThrow("stop waiting");
  await api.untilFinished(p);
  await new Promise((r) => setTimeout(r, 100));
  expect(shown.slice(before)).toEqual([{ cell: "cell C", event: { kind: "stream", name: "stderr", text: "cancelled: stop waiting" } }]);
});

it("a setup module that fails makes the thread's calls fail with the reason", async () => {
  api.configureThreads({ setup: { module: env, export: "nosuch" } });
  const broken = api.Caller.get({ name: "no setup" });
  await expect(broken.call({ source: "() => 1" })).rejects.toMatchObject({
    name: "ThreadEnded",
    message: expect.stringContaining(`could not start: the setup module ${env} has no function "nosuch"`),
  });
  api.configureThreads({ setup: { module: env } });
});
