/**
 * Controlling the kernel from JupyterLab's page: a `// task` cell runs beside a busy one, the Stop
 * button ends `while (true) {}` (also after an await) and the variables stay, Restart brings a
 * fresh kernel back, Run All stops at a failing cell.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  executionCount,
  expectFinished,
  expectRunning,
  expectText,
  KERNEL_DISPLAY_NAME,
  newNotebook,
  openNotebook,
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
    await eventually(
      "kernel status busy",
      () => nb.kernelStatus().getAttribute("data-status"),
      (s) => s === "busy",
    );

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
    await eventually(
      "kernel status busy",
      () => nb.kernelStatus().getAttribute("data-status"),
      (s) => s === "busy",
    );
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

// A notebook of its own, written into the server's tree: six cells, the second of which throws.
describe("Run All with a failing cell", () => {
  const NOTEBOOK = "run-all-stops.ipynb";
  let nb: Notebook;
  beforeAll(async () => {
    const code = (source: string, i: number) => ({
      id: `cell-${i + 1}`,
      cell_type: "code",
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    });
    const sources = ['"cell 1 ran"', 'throw new Error("cell 2 fails")', ...[3, 4, 5, 6].map((n) => `"cell ${n} ran"`)];
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "ts-async", display_name: KERNEL_DISPLAY_NAME, language: "typescript" } },
      cells: sources.map(code),
    };
    writeFileSync(join(lab.lab.rootDir, NOTEBOOK), JSON.stringify(notebook, null, 1));
    nb = await openNotebook(lab.lab, lab.page, NOTEBOOK);
  });

  it("stops at the error: the cells after it get no output and no execution count", async () => {
    // Run > Run All Cells: JupyterLab sends every cell's execute_request at once.
    await lab.page.locator(".lm-MenuBar-item", { has: lab.page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }) }).click();
    await lab.page.locator(".lm-Menu-item", { has: lab.page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }) }).click();

    await expectFinished(nb.cell(1));
    await expectText(outputs(nb.cell(1), STDERR), "cell 2 fails");
    await expectText(nb.cell(0).locator(RESULT), "'cell 1 ran'");
    await nb.waitForIdle();
    // Every later cell has been answered (no [*] left) ...
    for (const i of [2, 3, 4, 5]) {
      await eventually(
        `cell ${i + 1} answered`,
        () => prompt(nb.cell(i)).textContent(),
        (t) => t !== "[*]:",
      );
    }
    // ... and none of them ran.
    for (const i of [2, 3, 4, 5]) {
      expect(await nb.cell(i).locator(".jp-OutputArea-output").allTextContents(), `cell ${i + 1}'s output`).toEqual([]);
      expect(await prompt(nb.cell(i)).textContent(), `cell ${i + 1}'s prompt`).toBe("[ ]:");
    }
  });
});
