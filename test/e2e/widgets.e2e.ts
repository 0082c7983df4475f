/**
 * Jupyter widgets on our kernel in JupyterLab (with jupyterlab_widgets), from the cells of
 * examples/widgets.ipynb: moving the slider in the page (keyboard, mouse) runs the kernel's
 * observer, whose results show in a Label and an Output widget; a Button click runs the kernel's
 * handler; a `// thread` cell's slider renders; after a page reload every widget comes back from
 * the kernel (the `jupyter.widget.control` comm) and still talks to it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Locator, WebSocket } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually, expectText, openNotebook, screenshot, STDOUT, useLabPage, type Notebook } from "./notebook_page.js";

const lab = useLabPage();
const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "widgets.ipynb");
const NOTEBOOK = "widgets.ipynb";
const RESULT = ".jp-OutputArea-executeResult .jp-OutputArea-output";

/**
 * A notebook of the example's cells `ids` (in that order) and an empty cell, without their saved
 * outputs and widget state: what the page shows comes from this run of the kernel.
 */
function writeExampleCells(path: string, ids: string[]): void {
  const example = JSON.parse(readFileSync(EXAMPLE, "utf8")) as { metadata: Record<string, unknown>; cells: { id: string }[] };
  const cells = ids.map((id) => {
    const cell = example.cells.find((c) => c.id === id);
    if (!cell) throw new Error(`examples/widgets.ipynb has no cell with id ${JSON.stringify(id)}`);
    return { ...cell, outputs: [], execution_count: null };
  });
  const { widgets: _savedState, ...metadata } = example.metadata;
  const empty = { id: "scratch", cell_type: "code", metadata: {}, source: [], outputs: [], execution_count: null };
  writeFileSync(path, JSON.stringify({ ...example, metadata, cells: [...cells, empty] }, null, 1));
}

/** The views of the slider cell (the example gives them these CSS classes). */
function sliderViews(cell: Locator) {
  const slider = cell.locator(".widget-slider.e2e-slider");
  return {
    slider,
    handle: slider.locator(".noUi-handle"),
    track: slider.locator(".noUi-target"),
    readout: slider.locator(".widget-readout"),
    label: cell.locator(".widget-label.e2e-label"),
    output: cell.locator(`.widget-output.e2e-output .jp-OutputArea-output[data-mime-type="${STDOUT}"]`),
  };
}

/** The page shows `n` on the slider and the kernel's observer has answered for it. */
async function expectShown(cell: Locator, n: number): Promise<void> {
  const views = sliderViews(cell);
  await expectText(views.readout, new RegExp(`^${n}$`));
  await expectText(views.label, new RegExp(`^n² = ${n * n}$`));
  // The observer clears the Output widget before it prints: only the latest value is there.
  await expectText(views.output, new RegExp(`^the kernel saw n = ${n}\\s*$`));
}

describe("Jupyter widgets in JupyterLab", () => {
  let nb: Notebook;
  let slider: Locator;
  let button: Locator;
  let thread: Locator;
  beforeAll(async () => {
    writeExampleCells(join(lab.lab.rootDir, NOTEBOOK), ["slider", "button", "thread"]);
    nb = await openNotebook(lab.lab, lab.page, NOTEBOOK);
    slider = nb.cell(0);
    button = nb.cell(1);
    thread = nb.cell(2);
  });

  /** What the button cell's Output widget shows. */
  const buttonOutput = () => button.locator(`.widget-output .jp-OutputArea-output[data-mime-type="${STDOUT}"]`);

  /** The readout of the thread cell's slider. */
  const threadReadout = () => thread.locator(".widget-slider .widget-readout");

  /** Asks the kernel for `expression` in the notebook's last (empty) cell, and waits for its result. */
  async function kernelValue(expression: string): Promise<string> {
    await nb.cells().last().locator(".cm-content").click();
    const cell = await nb.run(expression);
    await cell.locator(RESULT).waitFor();
    return (await cell.locator(RESULT).textContent()) ?? "";
  }

  it("renders the slider, its label and the Output widget, with the value the cell set", async () => {
    await nb.runCell(0);
    // The cell's `n.value = 6` (after display) moved the slider and ran the observer.
    await expectShown(slider, 6);
    expect(await sliderViews(slider).slider.locator("label").textContent()).toBe("n");
    // The button cell's own `await button.click()` ran the kernel's click handler once.
    await nb.runCell(1);
    await expectText(buttonOutput(), /^click 1: n is 6\s*$/);
    // A `// thread` cell's slider (its widget lives in that thread), moved by the thread.
    await nb.runCell(2);
    await expectText(threadReadout(), /^5$/);
  });

  it("moves the slider with the keyboard, and the kernel's callback shows each value", async () => {
    const { handle } = sliderViews(slider);
    await handle.focus();
    await handle.press("ArrowRight");
    await expectShown(slider, 7);
    await handle.press("Home");
    await expectShown(slider, 0);
    // The kernel's own value followed.
    expect(await kernelValue("n.value")).toBe("0");
  });

  it("moves the slider by dragging its handle with the mouse", async () => {
    const { handle, track } = sliderViews(slider);
    // The mouse acts on what is on screen (the cells below pushed the slider up).
    await track.scrollIntoViewIfNeeded();
    const from = await handle.boundingBox();
    const to = await track.boundingBox();
    if (!from || !to) throw new Error("the slider's handle or track has no box");
    await lab.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await lab.page.mouse.down();
    // Past the track's right end: the slider stops at its maximum.
    await lab.page.mouse.move(to.x + to.width + 20, to.y + to.height / 2, { steps: 8 });
    await lab.page.mouse.up();
    await expectShown(slider, 10);
    expect(await kernelValue("n.value")).toBe("10");
  });

  it("runs the kernel's click handler for a click on the Button, into its Output widget", async () => {
    await button.locator("button.widget-button", { hasText: "Click me" }).click();
    await expectText(buttonOutput(), /^click 1: n is 6\s+click 2: n is 10\s*$/);
    expect(await kernelValue("clicks")).toBe("2");
    // The README's picture: the widget cells at the top of the view.
    await slider.evaluate((el) => el.scrollIntoView({ block: "start" }));
    await screenshot(lab.lab, lab.page, "widgets.png");
  });

  it("restores the widgets from the kernel after a page reload, and they still talk to it", async () => {
    const { handle } = sliderViews(slider);
    await handle.focus();
    await handle.press("ArrowLeft");
    await expectShown(slider, 9);
    // Saved, so the reloaded page has the widgets' views (outputs naming their model ids).
    await nb.toolbarButton("docmanager:save").click();
    const tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", { hasText: NOTEBOOK });
    await eventually(
      "the notebook saved",
      () => tab.getAttribute("class"),
      (c) => !!c && !c.includes("jp-mod-dirty"),
    );

    // What the reloaded page and the kernel say to each other (kernel websocket frames).
    const sent: string[] = [];
    const received: string[] = [];
    const text = (payload: string | Buffer) => (typeof payload === "string" ? payload : payload.toString("utf8"));
    const listen = (ws: WebSocket) => {
      ws.on("framesent", (frame) => sent.push(text(frame.payload)));
      ws.on("framereceived", (frame) => received.push(text(frame.payload)));
    };
    lab.page.on("websocket", listen);
    try {
      nb = await openNotebook(lab.lab, lab.page, NOTEBOOK, { reload: true });
      // The models come from the kernel: the views show the kernel's values.
      await expectShown(slider, 9);
      await expectText(buttonOutput(), /^click 1: n is 6\s+click 2: n is 10\s*$/);
      // Also the widget of the `// thread` cell: its state comes from its thread.
      await expectText(threadReadout(), /^5$/);
    } finally {
      lab.page.off("websocket", listen);
    }
    expect(await lab.page.getByText("Error displaying widget").count()).toBe(0);
    // All at once through the control comm (request_states answered by update_states), not
    // the fallback of one request_state per widget.
    expect(sent.some((f) => f.includes('"comm_open"') && f.includes('"jupyter.widget.control"'))).toBe(true);
    expect(sent.some((f) => /"method":\s*"request_states"/.test(f))).toBe(true);
    expect(received.some((f) => /"method":\s*"update_states"/.test(f))).toBe(true);
    expect(sent.filter((f) => /"method":\s*"request_state"/.test(f))).toEqual([]);

    // The restored views are wired to the kernel's widgets, both ways.
    await sliderViews(slider).handle.focus();
    await sliderViews(slider).handle.press("ArrowLeft");
    await expectShown(slider, 8);
    await button.locator("button.widget-button").click();
    await expectText(buttonOutput(), /click 2: n is 10\s+click 3: n is 8\s*$/);
    // The same kernel, not a new one: its variables are there.
    expect(await kernelValue("`${n.value} ${clicks}`")).toBe("'8 3'");
    await kernelValue("n.value = 4");
    await expectShown(slider, 4);
  });
});
