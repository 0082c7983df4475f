/**
 * What is particular to the GTK host (its contract: host_contract.test.ts): how it fails where it
 * cannot run, and its checks. Child processes and workers load the compiled event-loop build
 * (helpers/build.ts), which finds the addon through TS_ASYNC_KERNEL_GTK_ADDON.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

import { beforeAll, describe, expect, test } from "vitest";

import { gtkAddonPath } from "../../src/event_loop/gtk_native.js";
import { buildEventLoop, moduleUrl } from "./helpers/build.js";

const built = existsSync(gtkAddonPath()) || process.env.TS_ASYNC_KERNEL_REQUIRE_GTK === "1";
let indexUrl: string;

beforeAll(async () => {
  indexUrl = moduleUrl(await buildEventLoop(), "index.js");
});

async function node(script: string, addon: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, TS_ASYNC_KERNEL_GTK_ADDON: addon },
  });
  return JSON.parse(stdout);
}

test("without its addon, loop gtk fails with an error naming the packages to install and the build command", async () => {
  const report = await node(
    `const { run, Host } = await import(${JSON.stringify(indexUrl)});
     const error = await run(async () => 1, [], { loop: "gtk" }).catch((e) => e);
     const loaded = await Host.load("gtk").catch((e) => e.code);
     console.log(JSON.stringify({ message: error.message, code: error.code, cause: error.cause?.code, loaded }));`,
    "/nonexistent/ts_async_gtk.node",
  );
  expect(report).toMatchObject({
    code: "ERR_EVENT_LOOP_UNKNOWN_LOOP",
    cause: "ERR_GTK_ADDON_MISSING",
    loaded: "ERR_EVENT_LOOP_UNKNOWN_LOOP",
  });
  const { message } = report as { message: string };
  expect(message).toMatch(/^No host is available for loop="gtk"/);
  expect(message).toContain("apt-get install libgtk-3-dev");
  expect(message).toContain("npm run build:gtk");
});

describe.skipIf(!built)("with the addon built", () => {
  test("the host refuses worker threads: GTK runs in the main thread only", async () => {
    const report = await node(
      `import { Worker } from "node:worker_threads";
       const worker = new Worker(${JSON.stringify(`
         const { run } = await import(${JSON.stringify(indexUrl)});
         const { parentPort } = await import("node:worker_threads");
         parentPort.postMessage(await run(async () => "ran", [], { loop: "gtk" }).catch((e) => e.message));
       `)}, { eval: true, type: "module" });
       const said = await new Promise((resolve) => worker.once("message", resolve));
       await worker.terminate();
       console.log(JSON.stringify(said));`,
      gtkAddonPath(),
    );
    expect(report).toMatch(/main thread only/);
  });

  test("GtkHost serves loop gtk for the GTK GUIs and checks its options", async () => {
    const { GtkHost } = await import("../../src/event_loop/gtk_host.js");
    expect([GtkHost.LOOP, GtkHost.GUIS]).toEqual(["gtk", ["gtk", "gtk3"]]);
    expect(() => new GtkHost({ onTik: () => {} })).toThrow('Unknown option "onTik" for GtkHost; expected: onCallbackError');
    expect(() => new GtkHost({ onCallbackError: 5 as never })).toThrow('GtkHost option "onCallbackError" must be a function, got number');
    expect(() => new GtkHost().runSyncSoonThreadsafe("nope" as never)).toThrow(TypeError);
  });
});
