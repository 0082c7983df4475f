/**
 * anywidget widgets made by our kernel, rendered in JupyterLab by the `anywidget` frontend from
 * pip (the harness venv pins it), from the cells of examples/anywidget.ipynb: the counter's
 * button clicked in the page changes the kernel's value, and the kernel's `counter.value = 10`
 * changes the button; the colour picker (a subclass) set in the page reaches the kernel's
 * observer; a click on the canvas goes to the kernel as a custom message, and the kernel's
 * answer (a custom message) draws a dot in the page; after a page reload the counter comes back
 * from the kernel and still talks to it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Locator } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually, expectText, openNotebook, useLabPage, type Notebook } from "./notebook_page.js";

const lab = useLabPage();
const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "anywidget.ipynb");
const NOTEBOOK = "anywidget.ipynb";
const RESULT = ".jp-OutputArea-executeResult .jp-OutputArea-output";

/** A notebook of the example's cells `ids` and an empty cell, without saved outputs or widget state. */
function writeExampleCells(path: string, ids: string[]): void {
  const example = JSON.parse(readFileSync(EXAMPLE, "utf8")) as { metadata: Record<string, unknown>; cells: { id: string }[] };
  const cells = ids.map((id) => {
    const cell = example.cells.find((c) => c.id === id);
    if (!cell) throw new Error(`examples/anywidget.ipynb has no cell with id ${JSON.stringify(id)}`);
    return { ...cell, outputs: [], execution_count: null };
  });
  const { widgets: _savedState, ...metadata } = example.metadata;
  const empty = { id: "scratch", cell_type: "code", metadata: {}, source: [], outputs: [], execution_count: null };
  writeFileSync(path, JSON.stringify({ ...example, metadata, cells: [...cells, empty] }, null, 1));
}

describe("anywidget in JupyterLab", () => {
  let nb: Notebook;
  let counterCell: Locator;
  let pickerCell: Locator;
  let padCell: Locator;
  beforeAll(async () => {
    writeExampleCells(join(lab.lab.rootDir, NOTEBOOK), ["counter", "picker", "pad"]);
    nb = await openNotebook(lab.lab, lab.page, NOTEBOOK);
    counterCell = nb.cell(0);
    pickerCell = nb.cell(1);
    padCell = nb.cell(2);
  });

  /** Asks the kernel for `expression` in the notebook's last (empty) cell, and waits for its result. */
  async function kernelValue(expression: string): Promise<string> {
    await nb.cells().last().locator(".cm-content").click();
    const cell = await nb.run(expression);
    await cell.locator(RESULT).waitFor();
    return (await cell.locator(RESULT).textContent()) ?? "";
  }

  const counterButton = () => counterCell.locator("button.counter-button");

  it("renders the counter the cell defines, with its module's button and its CSS", async () => {
    await nb.runCell(0);
    await expectText(counterButton(), /^count is 0$/);
    // _css reached the page (anywidget put it in a <style> of its own)
    expect(await counterButton().evaluate((b) => getComputedStyle(b).backgroundColor)).toBe("rgb(224, 242, 241)");
    expect(await lab.page.getByText("Error displaying widget").count()).toBe(0);
  });

  it("a click in the page changes the kernel's value", async () => {
    await counterButton().click();
    await expectText(counterButton(), /^count is 1$/);
    await counterButton().click();
    await expectText(counterButton(), /^count is 2$/);
    expect(await kernelValue("counter.value")).toBe("2");
  });

  it("a kernel-side change shows in the page, and the page goes on from there", async () => {
    expect(await kernelValue("counter.value = 10")).toBe("10");
    await expectText(counterButton(), /^count is 10$/);
    await counterButton().click();
    await expectText(counterButton(), /^count is 11$/);
    expect(await kernelValue("counter.value")).toBe("11");
  });

  it("a subclass's colour picker set in the page reaches the kernel's observer", async () => {
    await nb.runCell(1);
    const input = pickerCell.locator("input.picker-input");
    await expectText(pickerCell.locator(".picker-label"), /^ink #e65100$/);
    await input.fill("#00aa55");
    await expectText(pickerCell.locator(".picker-label"), /^ink #00aa55$/);
    // the kernel's observer repainted the HTML swatch next to it
    const swatch = pickerCell.locator(".widget-html div[style]");
    await eventually(
      "the swatch in the new colour",
      () => swatch.evaluate((d) => getComputedStyle(d).backgroundColor),
      (c) => c === "rgb(0, 170, 85)",
    );
    expect(await kernelValue("picker.value")).toBe("'#00aa55'");
  });

  it("custom messages go both ways: a canvas click reaches the kernel, whose answer draws a dot", async () => {
    await nb.runCell(2);
    const canvas = padCell.locator("canvas.pad-canvas");
    await canvas.waitFor();
    await canvas.click({ position: { x: 60, y: 40 } });
    // the kernel's answer was drawn where the click was, in the picker's colour
    const pixel = () => canvas.evaluate((c: HTMLCanvasElement) => [...c.getContext("2d")!.getImageData(60, 40, 1, 1).data].join(","));
    await eventually("the kernel's dot on the canvas", pixel, (p) => p === "0,170,85,255");
    expect(await kernelValue("pad.clicks")).toBe("1");
  });

  it("comes back from the kernel after a page reload, and still talks to it", async () => {
    await nb.toolbarButton("docmanager:save").click();
    const tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", { hasText: NOTEBOOK });
    await eventually(
      "the notebook saved",
      () => tab.getAttribute("class"),
      (c) => !!c && !c.includes("jp-mod-dirty"),
    );
    nb = await openNotebook(lab.lab, lab.page, NOTEBOOK, { reload: true });
    counterCell = nb.cell(0);
    // the module and the state come from the kernel (jupyter.widget.control's update_states)
    await expectText(counterButton(), /^count is 11$/);
    await counterButton().click();
    await expectText(counterButton(), /^count is 12$/);
    expect(await kernelValue("counter.value")).toBe("12");
  });
});
