/** `ts-async-kernel run <notebook.ipynb>`: execute every code cell, write the outputs back. */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { KernelClient } from "../client/kernel_client.js";
import { launchKernel } from "../client/launcher.js";
import type { Message } from "../messaging/index.js";
import { toNotebookOutput, toTerminal } from "./render.js";
import { WIDGET_STATE_MIME, WidgetStateRecorder } from "./widget_state.js";

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

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
  client.onLateIopub = (msg) => {
    const outputs = cellOutputs.get((msg.parent_header as { msg_id?: string }).msg_id ?? "");
    if (outputs) record(msg, outputs);
  };
  try {
    client.connect();
    const info = await client.waitForReady();
    for (const [i, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const code = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      const outputs: Record<string, unknown>[] = [];
      // Cell tags travel with the request (run modes, timeout, ...), as the kernel reads them.
      const tags = ((cell.metadata as { tags?: unknown } | undefined)?.tags ?? []) as unknown[];
      const cellTags = tags.filter((t): t is string => typeof t === "string");
      const { reply } = await client.execute(
        code,
        {
          onIopub(msg: Message) {
            cellOutputs.set((msg.parent_header as { msg_id?: string }).msg_id ?? "", outputs);
            if (!record(msg, outputs)) return;
            if (!options.quiet) {
              const t = toTerminal(msg);
              if (t) process[t.stream].write(t.text);
            }
          },
        },
        { tags: cellTags },
      );
      const rc = reply.content as { status?: string; execution_count?: number };
      cell.outputs = outputs;
      cell.execution_count = rc.execution_count ?? null;
      // An error in a cell tagged raises-exception is expected (as nbclient treats it).
      if (rc.status !== "ok" && !cellTags.includes("raises-exception")) {
        failed++;
        process.stderr.write(`cell ${i + 1} failed (${String((reply.content as { ename?: string }).ename)}); stopping\n`);
        break;
      }
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
