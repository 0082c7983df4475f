/** input() in a cell asks through JupyterLab's stdin box under the cell, answered from the page. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  expectFinished,
  expectRunning,
  expectText,
  newNotebook,
  outputs,
  screenshot,
  STDOUT,
  useLabPage,
  type Notebook,
} from "./notebook_page.js";

const lab = useLabPage();
const RESULT = ".jp-OutputArea-executeResult .jp-OutputArea-output";

describe("stdin", () => {
  let nb: Notebook;
  beforeAll(async () => {
    nb = await newNotebook(lab.lab, lab.page, "input.ipynb");
  });

  it("answers await input() from the box under the cell", async () => {
    const cell = await nb.submit('const name = await input("Your name? ");\n`hello, ${name}`');
    await expectRunning(cell);
    const box = cell.locator("input.jp-Stdin-input");
    await box.waitFor({ state: "visible", timeout: 30_000 });
    await expectText(cell.locator(".jp-Stdin-prompt"), "Your name?");
    await box.fill("Ada");
    await screenshot(lab.lab, lab.page, "input.png");
    await box.press("Enter");
    await expectFinished(cell);
    await expectText(cell.locator(RESULT), /^'hello, Ada'$/);
    // The box gives way to the prompt and the answer, as JupyterLab echoes them.
    await box.waitFor({ state: "detached" });
    await expectText(outputs(cell, STDOUT), /^Your name\?\s+Ada\s*$/);
  });

  it("hides a password as it is typed, and the cell gets it", async () => {
    const cell = await nb.submit('const secret = await input("Password: ", { password: true });\nsecret.length');
    const box = cell.locator("input.jp-Stdin-input");
    await box.waitFor({ state: "visible", timeout: 30_000 });
    expect(await box.getAttribute("type")).toBe("password");
    await box.fill("s3cret!");
    await box.press("Enter");
    await expectFinished(cell);
    await expectText(cell.locator(RESULT), /^7$/);
    await box.waitFor({ state: "detached" });
    const shown = (await cell.locator(".jp-OutputArea-output").allTextContents()).join("\n");
    expect(shown).toContain("Password:");
    expect(shown).not.toContain("s3cret!");
  });
});
