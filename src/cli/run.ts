/**
 * `ts-async-kernel run <notebook.ipynb>`: execute every code cell, write the outputs back, print
 * them. It stops at a failing cell unless the kernel goes on after it too (tags or first-line
 * settings: stop-on-error=false, a timeout, raises-exception); the exit status is 1 if a cell failed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { KernelClient } from "../client/kernel_client.js";
import { launchKernel } from "../client/launcher.js";
import type { Message } from "../messaging/index.js";
import { type CellSettings, cellSettings, stopsOnError } from "../kernel/cell_settings.js";
import { toNotebookOutput, toTerminal } from "./render.js";
import { WIDGET_STATE_MIME, WidgetStateRecorder } from "./widget_state.js";

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

const parentId = (msg: Message) => (msg.parent_header as { msg_id?: string }).msg_id ?? "";

const goOnReason = (s: CellSettings) => (s.stopOnError === false ? "stop-on-error=false" : `timeout=${String(s.timeoutSeconds)}`);

export async function runNotebook(path: string, options: { output?: string; quiet?: boolean } = {}): Promise<number> {
  const file = resolve(path);
  const nb = JSON.parse(readFileSync(file, "utf8")) as { cells: Cell[]; metadata?: Record<string, unknown> };
  if (!Array.isArray(nb.cells)) throw new Error(`${path}: not a notebook (no "cells" list)`);
  const kernel = await launchKernel({ cwd: dirname(file) });
  const client = new KernelClient(kernel.connection);
  let failed = 0;
  // Outputs by display_id (an update replaces them wherever they are) and each request's cell
  // outputs (output that arrives after its cell's reply still belongs to that cell).
  const displays = new Map<string, Record<string, unknown>[]>();
  const cellOutputs = new Map<string, Record<string, unknown>[]>();
  const record = (msg: Message, outputs: Record<string, unknown>[]): boolean => {
    const transient = (msg.content as { transient?: { display_id?: unknown } }).transient;
    const id = typeof transient?.display_id === "string" ? transient.display_id : undefined;
    if (msg.header.msg_type === "update_display_data") {
      const c = msg.content as { data?: unknown; metadata?: unknown };
      for (const out of (id && displays.get(id)) || []) Object.assign(out, { data: c.data, metadata: c.metadata ?? {} });
      return true;
    }
    if (msg.header.msg_type === "clear_output") outputs.length = 0;
    const out = toNotebookOutput(msg);
    if (!out) return false;
    const last = outputs[outputs.length - 1];
    if (out.output_type === "stream" && last?.output_type === "stream" && last.name === out.name) {
      last.text = String(last.text) + String(out.text);
    } else outputs.push(out);
    if (id && out.output_type === "display_data") displays.set(id, [...(displays.get(id) ?? []), out]);
    return true;
  };
  const widgets = new WidgetStateRecorder();
  client.onAnyIopub = (msg) => widgets.record(msg);
  // What is printed is labelled by cell whenever output of a cell that has had its reply comes
  // in (a timer's, a promise's): it goes under a line naming that cell, and the running cell's
  // output after it under a line naming that one.
  const names = new Map<string, string>();
  let printedFor: { id: string; late: boolean } | undefined;
  const print = (msg: Message, late: boolean) => {
    if (options.quiet) return;
    const t = toTerminal(msg);
    if (!t) return;
    const id = parentId(msg);
    if (late ? printedFor?.id !== id || !printedFor.late : printedFor?.late && printedFor.id !== id) {
      process.stdout.write(`[output of ${names.get(id) ?? "an earlier cell"}${late ? ", after its reply" : ""}]\n`);
    }
    printedFor = { id, late };
    process[t.stream].write(t.text);
  };
  client.onLateIopub = (msg) => {
    const outputs = cellOutputs.get(parentId(msg));
    if (outputs && record(msg, outputs)) print(msg, true);
  };
  try {
    client.connect();
    const info = await client.waitForReady();
    let position = 0;
    for (const cell of nb.cells) {
      if (cell.cell_type !== "code") continue;
      // Cells are named as the user sees them: In [n] once the kernel counted it, and the code
      // cell's position (markdown cells are not counted).
      position++;
      const code = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      const outputs: Record<string, unknown>[] = [];
      // Cell tags travel with the request (run modes, timeout, ...), as the kernel reads them.
      const tags = ((cell.metadata as { tags?: unknown } | undefined)?.tags ?? []) as unknown[];
      const cellTags = tags.filter((t): t is string => typeof t === "string");
      const { reply } = await client.execute(
        code,
        {
          onIopub(msg: Message) {
            const id = parentId(msg);
            cellOutputs.set(id, outputs);
            if (msg.header.msg_type === "execute_input") {
              const n = (msg.content as { execution_count?: unknown }).execution_count;
              names.set(id, typeof n === "number" ? `In [${n}] (code cell ${position})` : `code cell ${position}`);
            }
            if (record(msg, outputs)) print(msg, false);
          },
        },
        { tags: cellTags },
      );
      const rc = reply.content as { status?: string; execution_count?: number; ename?: string };
      cell.outputs = outputs;
      cell.execution_count = rc.execution_count ?? null;
      if (rc.status === "ok") continue;
      const name =
        typeof rc.execution_count === "number" && rc.execution_count > 0
          ? `In [${rc.execution_count}] (code cell ${position})`
          : `code cell ${position}`;
      // Whether the kernel lets this failure stop its queue is what decides here too: the cell's
      // tags or its first-line settings (stop-on-error, timeout, raises-exception), as in docs/concurrency.md.
      let settings: CellSettings | undefined;
      try {
        settings = cellSettings(code, cellTags, false);
      } catch {
        // the kernel refused the tags (CellSettingsError, the cell's error): the run stops
      }
      // An error in a cell that expects one is no failure (as nbclient treats raises-exception).
      if (settings?.raisesException) continue;
      failed++;
      const goOn = settings !== undefined && !stopsOnError(settings, true);
      process.stderr.write(`${name} failed (${String(rc.ename)}); ${goOn ? `going on (${goOnReason(settings!)})` : "stopping"}\n`);
      if (!goOn) break;
    }
    const li = (info.content as { language_info?: unknown }).language_info;
    nb.metadata = {
      ...nb.metadata,
      language_info: li,
      kernelspec: { name: "ts-async", display_name: "TypeScript (async)", language: "typescript" },
    };
    // The widgets' state, so a saved notebook shows them again (and none left over from an earlier run).
    const widgetState = widgets.state();
    const { widgets: _old, ...rest } = nb.metadata as { widgets?: Record<string, unknown> };
    const others = Object.fromEntries(Object.entries(_old ?? {}).filter(([k]) => k !== WIDGET_STATE_MIME));
    nb.metadata =
      widgetState || Object.keys(others).length
        ? { ...rest, widgets: { ...others, ...(widgetState ? { [WIDGET_STATE_MIME]: widgetState } : {}) } }
        : rest;
    writeFileSync(options.output ? resolve(options.output) : file, `${JSON.stringify(nb, null, 1)}\n`);
    await client.request("shutdown_request", { restart: false }, "control");
  } finally {
    client.close();
    kernel.dispose();
  }
  return failed ? 1 : 0;
}
