/**
 * Driving JupyterLab's notebook through the page, as a user does: the launcher, the cell editor,
 * Shift+Enter, the toolbar. Waits are on conditions the page shows (prompts, kernel status),
 * never fixed sleeps. Selectors are JupyterLab's stable classes and data-command attributes.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, inject, type TestContext } from "vitest";
import type { LabServer } from "./lab_server.js";

export const KERNEL_DISPLAY_NAME = "TypeScript (async)";

/** The flags the issue names: headless, no sandbox (root in CI), no traffic of chromium's own. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface LabPage {
  lab: LabServer;
  browser: Browser;
  page: Page;
}

/** One browser and one page for a test file; a failing test leaves a screenshot in test/e2e/output. */
export function useLabPage(): LabPage {
  const handle = { lab: inject("lab") } as LabPage;
  beforeAll(async () => {
    handle.browser = await chromium.launch({ executablePath: handle.lab.chromium, headless: true, args: CHROMIUM_ARGS });
    handle.page = await handle.browser.newPage({ viewport: { width: 1280, height: 800 } });
    // An action on a missing element fails after 10 s, not Playwright's 30 s; longer waits say so.
    handle.page.setDefaultTimeout(10_000);
  });
  afterEach(async (context: TestContext) => {
    if (context.task.result?.state !== "fail" || !handle.page) return;
    const file = join(handle.lab.outputDir, `failed-${context.task.name.replace(/[^\w]+/g, "-")}.png`);
    await handle.page.screenshot({ path: file }).catch(() => undefined);
    console.log(`e2e: screenshot of the failed page: ${file}`);
  });
  afterAll(async () => {
    await handle.browser?.close();
  });
  return handle;
}

/** A README screenshot (into docs/screenshots with `npm run screenshots`, else test/e2e/output). */
export async function screenshot(lab: LabServer, page: Page, name: string): Promise<void> {
  const dir = lab.screenshotDir ?? lab.outputDir;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

/**
 * Opens JupyterLab (a fresh workspace), creates a notebook from the launcher's card for our kernel
 * and names it `name` (File > Rename Notebook...).
 */
export async function newNotebook(lab: LabServer, page: Page, name: string): Promise<Notebook> {
  try {
    return await openNewNotebook(lab, page, name);
  } catch (err) {
    // A hook's failure skips the tests: keep the page for whoever reads the log.
    const file = join(lab.outputDir, `failed-new-notebook-${name}.png`);
    await page.screenshot({ path: file }).catch(() => undefined);
    console.log(`e2e: screenshot of the failed page: ${file}`);
    throw err;
  }
}

async function openNewNotebook(lab: LabServer, page: Page, name: string): Promise<Notebook> {
  await page.goto(`${lab.baseUrl}lab?reset&token=${lab.token}`);
  const card = page.locator(`.jp-LauncherCard[data-category="Notebook"][title="${KERNEL_DISPLAY_NAME}"]`);
  await card.click({ timeout: 60_000 });
  const panel = page.locator(".jp-NotebookPanel:visible");
  await eventually(
    "one notebook panel",
    () => panel.count(),
    (n) => n === 1,
  );
  const notebook = new Notebook(page, panel);
  await eventually(
    "the notebook's kernel name",
    () => panel.locator(".jp-Toolbar-kernelName").textContent(),
    (t) => t === KERNEL_DISPLAY_NAME,
  );
  await notebook.waitForIdle();
  await page.locator(".lm-MenuBar-item", { has: page.locator(".lm-MenuBar-itemLabel", { hasText: /^File$/ }) }).click();
  await page.locator('.lm-Menu-item[data-command="docmanager:rename"]').click();
  const dialog = page.locator(".jp-Dialog");
  await dialog.locator("input").fill(name);
  await dialog.locator(".jp-Dialog-button.jp-mod-accept").click();
  await dialog.waitFor({ state: "hidden" });
  await page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", { hasText: name }).waitFor();
  await closeLeftPanel(page);
  return notebook;
}

/** More room for the cells: closes the file browser (the left side panel). */
async function closeLeftPanel(page: Page): Promise<void> {
  const left = page.locator("#jp-left-stack");
  if (await left.isVisible()) await page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click();
  await left.waitFor({ state: "hidden" });
}

/**
 * Opens the notebook at `path` (relative to the server's root) in a fresh workspace and waits
 * until its kernel (from the notebook's metadata) is idle. With `reload`, reloads the page
 * instead (the notebook is open in it): JupyterLab reconnects to the kernel it had.
 */
export async function openNotebook(lab: LabServer, page: Page, path: string, { reload = false } = {}): Promise<Notebook> {
  try {
    if (reload) await page.reload();
    else await page.goto(`${lab.baseUrl}lab/tree/${path}?reset&token=${lab.token}`);
    const panel = page.locator(".jp-NotebookPanel:visible");
    await eventually(
      "one notebook panel",
      () => panel.count(),
      (n) => n === 1,
      60_000,
    );
    const notebook = new Notebook(page, panel);
    await eventually(
      "the notebook's kernel name",
      () => panel.locator(".jp-Toolbar-kernelName").textContent(),
      (t) => t === KERNEL_DISPLAY_NAME,
    );
    await notebook.waitForIdle();
    await closeLeftPanel(page);
    return notebook;
  } catch (err) {
    const file = join(lab.outputDir, `failed-open-notebook-${path.replace(/[^\w]+/g, "-")}.png`);
    await page.screenshot({ path: file }).catch(() => undefined);
    console.log(`e2e: screenshot of the failed page: ${file}`);
    throw err;
  }
}

export class Notebook {
  constructor(
    readonly page: Page,
    readonly panel: Locator,
  ) {}

  cells(): Locator {
    return this.panel.locator(".jp-Notebook .jp-Cell");
  }

  cell(index: number): Locator {
    return this.cells().nth(index);
  }

  toolbarButton(command: string): Locator {
    return this.panel.locator(`.jp-NotebookPanel-toolbar jp-button[data-command="${command}"]`);
  }

  /** The notebook toolbar's kernel status (JupyterLab's execution indicator). */
  kernelStatus(): Locator {
    return this.panel.locator(".jp-Notebook-ExecutionIndicator");
  }

  async waitForIdle(timeout = 60_000): Promise<void> {
    await eventually(
      "kernel status idle",
      () => this.kernelStatus().getAttribute("data-status"),
      (s) => s === "idle",
      timeout,
    );
  }

  /** Index of the active cell (the one Shift+Enter moved to). */
  async activeIndex(): Promise<number> {
    return this.cells().evaluateAll((cells) => cells.findIndex((c) => c.classList.contains("jp-mod-active")));
  }

  /** Puts `source` into the active cell's editor (replacing what is there) and leaves the cursor at its end. */
  async typeIntoActive(source: string): Promise<Locator> {
    const index = await this.activeIndex();
    const cell = this.cell(index);
    await cell.locator(".cm-content").click();
    await this.page.keyboard.press("ControlOrMeta+a");
    // insertText: one input event, so the editor's auto-indent does not touch the source.
    await this.page.keyboard.insertText(source);
    return cell;
  }

  /** Runs cell `index` as it is (its editor, Shift+Enter) and waits for its execution count. */
  async runCell(index: number, timeout = 30_000): Promise<Locator> {
    const cell = this.cell(index);
    await cell.locator(".cm-content").click();
    await this.page.keyboard.press("Shift+Enter");
    await expectFinished(cell, timeout);
    return cell;
  }

  /** Shift+Enter on the active cell with `source`; returns the cell (without waiting for it). */
  async submit(source: string): Promise<Locator> {
    const cell = await this.typeIntoActive(source);
    await this.page.keyboard.press("Shift+Enter");
    return cell;
  }

  /** Runs `source` in the active cell and waits for its execution count (the reply and idle have come). */
  async run(source: string, timeout = 30_000): Promise<Locator> {
    const cell = await this.submit(source);
    await expectFinished(cell, timeout);
    return cell;
  }
}

export function prompt(cell: Locator): Locator {
  return cell.locator(".jp-InputArea-prompt");
}

export async function expectFinished(cell: Locator, timeout = 30_000): Promise<void> {
  await eventually(
    "the cell's execution count",
    () => prompt(cell).textContent(),
    (t) => /^\[\d+\]:$/.test(t ?? ""),
    timeout,
  );
}

export async function expectRunning(cell: Locator, timeout = 30_000): Promise<void> {
  await eventually(
    "the cell's busy prompt [*]",
    () => prompt(cell).textContent(),
    (t) => t === "[*]:",
    timeout,
  );
}

/** The cell's outputs of one mime type as JupyterLab rendered them. */
export function outputs(cell: Locator, mime: string): Locator {
  return cell.locator(`.jp-OutputArea-output[data-mime-type="${mime}"]`);
}

export const STDOUT = "application/vnd.jupyter.stdout";
export const STDERR = "application/vnd.jupyter.stderr";

/** Polls the text of everything `locator` matches until it contains `expected` (or matches it). */
export async function expectText(locator: Locator, expected: string | RegExp, timeout = 30_000): Promise<void> {
  const matches = (text: string) => (typeof expected === "string" ? text.includes(expected) : expected.test(text));
  await eventually(`text ${String(expected)}`, async () => (await locator.allTextContents()).join("\n"), matches, timeout);
}

/** The execution count in a finished cell's prompt. */
export async function executionCount(cell: Locator): Promise<number> {
  const text = (await prompt(cell).textContent()) ?? "";
  const match = /^\[(\d+)\]:$/.exec(text);
  if (!match) throw new Error(`cell prompt ${JSON.stringify(text)} has no execution count`);
  return Number(match[1]);
}

/**
 * Reads until `ok` holds (every 50 ms), else fails naming what it waited for and what it saw last.
 * (vitest's expect.poll works only inside a test; this serves hooks too.)
 */
export async function eventually<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeout = 30_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let seen = "nothing yet";
  for (;;) {
    try {
      const value = await read();
      if (ok(value)) return value;
      seen = JSON.stringify(value);
    } catch (err) {
      seen = String(err);
    }
    if (Date.now() > deadline) throw new Error(`waited ${timeout / 1000} s for ${what}; last seen: ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
