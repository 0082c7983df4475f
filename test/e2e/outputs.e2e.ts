/**
 * What a notebook on our kernel shows in JupyterLab: results, console output, HTML and updated
 * displays, an error's traceback, and the completion popup.
 */
import { describe, expect, it, beforeAll } from "vitest";
import {
  eventually,
  executionCount,
  expectFinished,
  expectText,
  newNotebook,
  outputs,
  screenshot,
  STDERR,
  STDOUT,
  useLabPage,
  type Notebook,
} from "./notebook_page.js";

const lab = useLabPage();
let nb: Notebook;

beforeAll(async () => {
  nb = await newNotebook(lab.lab, lab.page, "outputs.ipynb");
});

describe("a TypeScript notebook in JupyterLab", () => {
  it("shows a cell's result and its console.log output", async () => {
    const cell = await nb.run(
      [
        "interface Point { x: number; y: number }",
        "const p: Point = { x: 3, y: 4 };",
        'console.log("distance of", p, "from the origin:");',
        "Math.hypot(p.x, p.y)",
      ].join("\n"),
    );
    await expectText(outputs(cell, STDOUT), "distance of { x: 3, y: 4 } from the origin:");
    // The editor highlights the cell as TypeScript (from the kernel's language_info).
    await cell.locator(".cm-line span", { hasText: /^interface$/ }).waitFor();
    const result = cell.locator(".jp-OutputArea-executeResult");
    await expectText(result.locator('.jp-OutputArea-output[data-mime-type="text/plain"]'), /^5$/);
    // The result's prompt carries the cell's execution count.
    await expectText(result.locator(".jp-OutputArea-prompt"), `[${await executionCount(cell)}]:`);
  });

  it("renders an HTML display", async () => {
    const cell = await nb.run('display.html(`<b class="point">p = (${p.x}, ${p.y})</b> from an <i>HTML</i> display`);');
    await expectText(outputs(cell, "text/html").locator("b.point"), /^p = \(3, 4\)$/);
    // A trailing `;`: no result.
    expect(await cell.locator(".jp-OutputArea-executeResult").count()).toBe(0);
  });

  it("updates a display in place, from its own cell and from a later one", async () => {
    const progress = await nb.run(
      [
        "const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));",
        'const bar = (done: number, note = "") => `<progress value="${done}" max="3"></progress> <span class="step">step ${done}/3${note}</span>`;',
        'display.html(bar(0), { displayId: "steps" });',
        "for (let done = 1; done <= 3; done++) {",
        "  await sleep(150);",
        '  display.html(bar(done), { displayId: "steps", update: true });',
        "}",
      ].join("\n"),
    );
    const html = outputs(progress, "text/html");
    await expectText(html.locator(".step"), /^step 3\/3$/);
    expect(await html.count()).toBe(1);

    const later = await nb.run('display.html(bar(3, " (updated by a later cell)"), { displayId: "steps", update: true });');
    await expectText(html.locator(".step"), /^step 3\/3 \(updated by a later cell\)$/);
    expect(await html.count()).toBe(1);
    expect(await later.locator(".jp-OutputArea-output").count()).toBe(0);
  });

  it("shows an error with its traceback pointing at the cell's lines", async () => {
    const cell = await nb.run(
      [
        "function parse(text: string): number {",
        "  const n = Number(text);",
        "  if (Number.isNaN(n)) throw new RangeError(`not a number: ${text}`);",
        "  return n;",
        "}",
        'parse("12") + parse("twelve")',
      ].join("\n"),
    );
    const count = await executionCount(cell);
    const traceback = outputs(cell, STDERR);
    await expectText(traceback, "RangeError: not a number: twelve");
    const text = (await traceback.allTextContents()).join("\n");
    expect(text).toContain(`In[${count}]:3`);
    expect(text).toContain(`In[${count}]:6`);
    expect(text).not.toContain("/dist/");
    await screenshot(lab.lab, lab.page, "notebook.png");
  });

  it('completes "abc". with a popup that offers toUpperCase, and the completed cell runs', async () => {
    const cell = await nb.typeIntoActive("");
    await lab.page.keyboard.type('"abc".');
    await lab.page.keyboard.press("Tab");
    const completer = lab.page.locator(".jp-Completer");
    await completer.waitFor({ state: "visible", timeout: 30_000 });
    const item = completer.locator('.jp-Completer-item[data-value="toUpperCase"]');
    await item.waitFor({ state: "visible" });
    await lab.page.keyboard.type("toUpper");
    // Typing on filters the open popup.
    await eventually(
      "the popup narrowed to toUpperCase",
      () => completer.locator(".jp-Completer-item").evaluateAll((items) => items.map((i) => i.getAttribute("data-value"))),
      (values) => values.includes("toUpperCase") && !values.includes("toLowerCase"),
    );
    await screenshot(lab.lab, lab.page, "completion.png");
    await item.click();
    await completer.waitFor({ state: "hidden" });
    await expectText(cell.locator(".cm-content"), /^"abc"\.toUpperCase$/);
    await lab.page.keyboard.type("()");
    await lab.page.keyboard.press("Shift+Enter");
    await expectFinished(cell);
    await expectText(cell.locator(".jp-OutputArea-executeResult .jp-OutputArea-output"), /^'ABC'$/);
  });
});
