/**
 * JupyterLab's debugger with the kernel, through the page as a user drives it: the bug icon in
 * the notebook's toolbar, a breakpoint set by clicking the gutter of a cell's line, the cell run
 * and stopped there, the Callstack and Variables panels, Next, Continue, and the bug switched off.
 * Selectors are JupyterLab's own (packages/debugger: handler.ts's `jp-DebuggerBugButton`, the
 * editor handler's `cm-breakpoint-gutter` and `jp-DebuggerEditor-highlight`, the panels'
 * `jp-Debugger*` classes, the Callstack toolbar's `debugger:*` commands).
 */
import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  executionCount,
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
/** A stop may take a while on a loaded machine (the kernel compiles, JupyterLab asks four requests). */
const STOP_TIMEOUT = 60_000;

const CELL = [
  "function tally(values: number[]): number {",
  "  let total = 0;",
  "  for (const v of values) total += v;",
  "  const doubled = total * 2;",
  "  return doubled;",
  "}",
  "console.log(tally([1, 2]));",
].join("\n");
const BREAKPOINT_LINE = 4;

function sidebar(page: Page): Locator {
  return page.locator("#jp-debugger-sidebar");
}

/** The Callstack toolbar's button of a debugger command (debugger:next, debugger:continue, ...). */
function callstackButton(page: Page, command: string): Locator {
  return sidebar(page).locator(`jp-button[data-command="${command}"]`);
}

/** Drags the handle between the notebook and the right side area until that area is `width` wide. */
async function widenRightSidebar(page: Page, width: number): Promise<void> {
  const area = await page.locator("#jp-right-stack").boundingBox();
  if (!area || area.width >= width) return;
  const handles = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle");
  for (let k = 0; k < (await handles.count()); k++) {
    const box = await handles.nth(k).boundingBox();
    if (!box || Math.abs(box.x + box.width - area.x) > 4) continue;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - (width - area.width), y, { steps: 5 });
    await page.mouse.up();
    return;
  }
}

/** What the Variables tree shows, in order: `name: detail` for every item (expanded ones too). */
async function variablesShown(page: Page): Promise<string[]> {
  return sidebar(page)
    .locator(".jp-DebuggerVariables-body jp-tree-view")
    .evaluateAll((trees) =>
      trees.flatMap((tree) =>
        Array.from(tree.querySelectorAll("jp-tree-item")).flatMap((item) => {
          const name = item.querySelector(":scope > .jp-DebuggerVariables-name");
          const detail = item.querySelector(":scope > .jp-DebuggerVariables-detail");
          return name ? [`${name.textContent}: ${detail?.textContent ?? ""}`] : [];
        }),
      ),
    );
}

async function expectVariables(page: Page, wanted: string[], timeout = STOP_TIMEOUT): Promise<void> {
  await eventually(
    `the Variables panel showing ${wanted.join(", ")}`,
    () => variablesShown(page),
    (shown) => wanted.every((w) => shown.includes(w)),
    timeout,
  );
}

/** The text of the cell's line JupyterLab highlights as the current frame's ("" when none). */
async function highlightedLine(cell: Locator): Promise<string> {
  const lines = cell.locator(".cm-line.jp-DebuggerEditor-highlight");
  return (await lines.count()) === 1 ? ((await lines.textContent()) ?? "") : "";
}

async function expectHighlighted(cell: Locator, text: string, timeout = STOP_TIMEOUT): Promise<void> {
  await eventually(
    `the highlighted line "${text}"`,
    () => highlightedLine(cell),
    (t) => t === text,
    timeout,
  );
}

describe("the debugger in JupyterLab", () => {
  let nb: Notebook;
  beforeAll(async () => {
    nb = await newNotebook(lab.lab, lab.page, "debugger.ipynb");
  });

  it("stops at a breakpoint set in the gutter, shows the locals, steps over and continues", { timeout: 240_000 }, async () => {
    const page = lab.page;
    const cell = await nb.typeIntoActive(CELL);

    // The bug icon of the notebook's toolbar: the kernel says it can debug, so it is enabled.
    const bug = nb.panel.locator("jp-button.jp-DebuggerBugButton");
    await eventually(
      "the debugger toggle enabled",
      () => bug.getAttribute("aria-disabled"),
      (v) => v === "false",
    );
    await bug.click();
    await eventually(
      "the debugger toggle pressed",
      () => bug.getAttribute("aria-pressed"),
      (v) => v === "true",
    );
    await sidebar(page).waitFor({ state: "visible" });
    // room for the Callstack's locations (the README's screenshot)
    await widenRightSidebar(page, 440);
    // With the debugger on, the cell's editor gets line numbers and the breakpoint gutter.
    const lineNumbers = cell.locator(".cm-gutter.cm-lineNumbers .cm-gutterElement");
    const gutter = cell.locator(".cm-gutter.cm-breakpoint-gutter .cm-gutterElement");
    await gutter.first().waitFor({ state: "attached" });

    // Click the gutter on line 4's row (each gutter has the same elements, the first a hidden spacer).
    const row = await eventually(
      `line number ${BREAKPOINT_LINE} in the gutter`,
      () => lineNumbers.allTextContents(),
      (texts) => texts.includes(String(BREAKPOINT_LINE)),
    ).then((texts) => texts.lastIndexOf(String(BREAKPOINT_LINE)));
    await gutter.nth(row).click();
    // The marker shows once the kernel has answered dumpCell and setBreakpoints.
    await gutter.nth(row).locator(".cm-breakpoint-icon").waitFor({ state: "visible", timeout: 30_000 });
    const listed = sidebar(page).locator(".jp-DebuggerBreakpoint");
    await expectText(listed.locator(".jp-DebuggerBreakpoint-line"), new RegExp(`^${BREAKPOINT_LINE}$`));
    // the cell's file, named by its text in the kernel's directory (debugInfo's tmpFilePrefix),
    // which JupyterLab shows as the cell it is (its name for a path with `ipykernel_`)
    expect(await listed.getAttribute("title")).toMatch(/\/ts-async-kernel_\d+\/ipykernel_cells\/\d+\.ts$/);
    await expectText(listed.locator(".jp-DebuggerBreakpoint-source"), /^Cell \[ \]$/);

    // Run it: it stops on line 4, in tally, called from the cell's top level.
    await cell.locator(".cm-content").click();
    await page.keyboard.press("Shift+Enter");
    await expectRunning(cell);
    const frames = sidebar(page).locator(".jp-DebuggerCallstackFrame-name");
    await eventually(
      "the Callstack's frames",
      () => frames.allTextContents(),
      (names) => names.join(" | ") === "tally (In[1]) | In[1]",
      STOP_TIMEOUT,
    );
    await expectText(sidebar(page).locator(".jp-DebuggerCallstackFrame.selected .jp-DebuggerCallstackFrame-name"), /^tally \(In\[1\]\)$/);
    await expectText(sidebar(page).locator(".jp-DebuggerCallstackFrame.selected .jp-DebuggerCallstackFrame-location"), /^Cell \[\*\]:4$/);
    await expectHighlighted(cell, "  const doubled = total * 2;");
    // The loop has run: total is 3; doubled is not set yet; values is an array.
    await expectVariables(page, ["total: 3", "doubled: undefined", "values: Array"]);
    // Expanding values asks the kernel for its elements.
    await sidebar(page)
      .locator("jp-tree-item", { has: page.locator(":scope > .jp-DebuggerVariables-name", { hasText: /^values$/ }) })
      .click();
    await expectVariables(page, ["0: 1", "1: 2", "length: 2"]);
    // No output yet, and the cell is still running.
    expect(await outputs(cell, STDOUT).count()).toBe(0);
    expect(await cell.locator(".jp-InputArea-prompt").textContent()).toBe("[*]:");
    await screenshot(lab.lab, page, "debugger.png");

    // Next: one line on, where doubled has its value.
    const next = callstackButton(page, "debugger:next");
    await eventually(
      "Next enabled",
      () => next.getAttribute("aria-disabled"),
      (v) => v === "false",
    );
    await next.click();
    await expectHighlighted(cell, "  return doubled;");
    await expectVariables(page, ["total: 3", "doubled: 6"]);
    expect(await frames.allTextContents()).toEqual(["tally (In[1])", "In[1]"]);

    // Continue: the cell runs to its end, its output appears and it gets its execution count.
    const resume = callstackButton(page, "debugger:continue");
    await eventually(
      "Continue enabled",
      () => resume.getAttribute("title"),
      (t) => /^Continue/.test(t ?? ""),
    );
    await resume.click();
    await expectFinished(cell, STOP_TIMEOUT);
    await expectText(outputs(cell, STDOUT), /^6\s*$/);
    expect(await executionCount(cell)).toBe(1);
    await eventually(
      "the Callstack emptied",
      () => frames.count(),
      (n) => n === 0,
    );
    expect(await highlightedLine(cell)).toBe("");
    await nb.waitForIdle();

    // The kernel answers on: another cell runs (the debugger still on, no breakpoint in it).
    const other = await nb.run("[1, 2, 3].map((n) => n * 10)", STOP_TIMEOUT);
    await expectText(other.locator(RESULT), /^\[ 10, 20, 30 \]$/);
    expect(await executionCount(other)).toBe(2);

    // The bug switched off: the breakpoint goes with the session, tally runs through.
    await bug.click();
    await eventually(
      "the debugger toggle released",
      () => bug.getAttribute("aria-pressed"),
      (v) => v === "false",
    );
    const again = await nb.run("tally([4, 5])", STOP_TIMEOUT);
    await expectText(again.locator(RESULT), /^18$/);
    expect(await executionCount(again)).toBe(3);
  });
});
