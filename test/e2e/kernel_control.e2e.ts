/**
 * Controlling the kernel from JupyterLab's page: a `// task` cell runs beside a busy one, the Stop
 * button ends `while (true) {}` (also after an await) and the variables stay, Restart brings a
 * fresh kernel back.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  executionCount,
  expectFinished,
  expectRunning,
  expectText,
  newNotebook,
  outputs,
  prompt,
  screenshot,
  STDERR,
  useLabPage,
  type Notebook,
} from "./notebook_page.js";

const lab = useLabPage();
const RESULT = ".jp-OutputArea-executeResult .jp-OutputArea-output";

describe("running and stopping cells", () => {
  let nb: Notebook;
  beforeAll(async () => {
    nb = await newNotebook(lab.lab, lab.page, "cells-side-by-side.ipynb");
  });

  it("runs a // task cell while another cell is busy", async () => {
    await nb.run(["let release = () => {};", "const gate = new Promise<void>((resolve) => (release = resolve));"].join("\n"));
    // Waits until a later cell opens the gate: it can only finish if cells run beside it.
    const waiting = await nb.submit('await gate;\n"the waiting cell went on"');
    await expectRunning(waiting);

    const beside = await nb.run('// task\n"a task cell ran while the other waits"');
    await expectText(beside.locator(RESULT), "a task cell ran while the other waits");
    expect(await prompt(waiting).textContent()).toBe("[*]:");

    const opener = await nb.run("// task\nrelease();");
    await expectFinished(waiting);
    await expectText(waiting.locator(RESULT), "the waiting cell went on");
    expect(await opener.locator(".jp-OutputArea-output").count()).toBe(0);
    await nb.waitForIdle();
  });

  it("stops while (true) {} with the Stop button, and later cells still see earlier variables", async () => {
    await nb.run("let kept = 41;");
    const spinning = await nb.submit("let spins = 0;\nwhile (true) { spins++; }");
    await expectRunning(spinning);
    await eventually("kernel status busy", () => nb.kernelStatus().getAttribute("data-status"), (s) => s === "busy");

    await nb.toolbarButton("notebook:interrupt-kernel").click();
    await expectFinished(spinning);
    await expectText(outputs(spinning, STDERR), "KernelInterrupt");
    await nb.waitForIdle();

    const after = await nb.run("kept + 1");
    await expectText(after.locator(RESULT), /^42$/);
    // The loop really ran before it was stopped, and its variable survived too.
    const spun = await nb.run("spins > 0");
    await expectText(spun.locator(RESULT), /^true$/);
    await screenshot(lab.lab, lab.page, "task-and-stop.png");
  });

  it("stops a loop that runs after an await with the Stop button", async () => {
    const spinning = await nb.submit("await new Promise((resolve) => setTimeout(resolve, 50));\nwhile (true) { spins++; }");
    await expectRunning(spinning);
    await eventually("kernel status busy", () => nb.kernelStatus().getAttribute("data-status"), (s) => s === "busy");
    await nb.toolbarButton("notebook:interrupt-kernel").click();
    await expectFinished(spinning);
    await expectText(outputs(spinning, STDERR), "KernelInterrupt");
    await nb.waitForIdle();
    const after = await nb.run("kept + 1");
    await expectText(after.locator(RESULT), /^42$/);
  });
});

// A notebook of its own: a kernel left stuck by a failure above must not decide this test.
describe("restarting", () => {
  let nb: Notebook;
  beforeAll(async () => {
    nb = await newNotebook(lab.lab, lab.page, "restart.ipynb");
  });

  it("restarts the kernel from the toolbar, and the new kernel runs cells", async () => {
    await nb.run("let kept = 41;");
    const before = await nb.run("process.pid");
    const oldPid = Number(await before.locator(RESULT).textContent());
    expect(oldPid).toBeGreaterThan(0);

    await nb.toolbarButton("notebook:restart-kernel").click();
    const dialog = lab.page.locator(".jp-Dialog");
    await dialog.locator(".jp-Dialog-button.jp-mod-accept").click();
    await dialog.waitFor({ state: "hidden" });
    await nb.waitForIdle();

    const fresh = await nb.run("[typeof kept, process.pid]");
    expect(await executionCount(fresh)).toBe(1);
    const text = (await fresh.locator(RESULT).textContent()) ?? "";
    const match = /^\[ 'undefined', (\d+) \]$/.exec(text);
    expect(match, text).not.toBeNull();
    expect(Number(match![1])).not.toBe(oldPid);
  });
});
