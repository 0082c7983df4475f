/**
 * The process.exit guard (src/shell/process_exit.ts), in a child process of its own (it replaces
 * functions of the process it runs in): cells' exit, reallyExit and abort throw ProcessExit, and
 * the function the guard returns still ends the process, 'exit' listeners included.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildShell } from "./helpers/shell_process.js";

let build: string;
beforeAll(() => {
  build = buildShell();
});
afterAll(() => rmSync(build, { recursive: true, force: true }));

function runScript(body: string) {
  const url = pathToFileURL(join(build, "shell", "process_exit.js")).href;
  const script = `import { guardProcessExit } from ${JSON.stringify(url)};\n${body}`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
}

test("exit, reallyExit and abort throw ProcessExit, which says the kernel keeps running", () => {
  const run = runScript(`
    guardProcessExit();
    const calls = { "exit(3)": () => process.exit(3), "exit()": () => process.exit(), "reallyExit(1)": () => process.reallyExit(1), "abort()": () => process.abort() };
    const seen = {};
    for (const [name, call] of Object.entries(calls)) {
      try { call(); seen[name] = "returned"; } catch (e) { seen[name] = e.name + ": " + e.message; }
    }
    console.log(JSON.stringify(seen));
  `);
  expect(run.status).toBe(0);
  const tail =
    "was called, but the kernel keeps running (with every variable). To end it, shut the kernel down or restart it from the frontend.";
  expect(JSON.parse(run.stdout)).toEqual({
    "exit(3)": `ProcessExit: process.exit(3) ${tail}`,
    "exit()": `ProcessExit: process.exit() ${tail}`,
    "reallyExit(1)": `ProcessExit: process.reallyExit(1) ${tail}`,
    "abort()": `ProcessExit: process.abort() ${tail}`,
  });
});

test("the kernel's own exit still ends the process with its code, after the exit listeners", () => {
  const run = runScript(`
    const exit = guardProcessExit();
    if (guardProcessExit() !== exit) console.log("installed twice");
    process.on("exit", (code) => console.log("exit listener", code));
    exit(7);
    console.log("not reached");
  `);
  expect(run.stdout).toBe("exit listener 7\n");
  expect(run.status).toBe(7);
});
