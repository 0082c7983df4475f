/**
 * The widget state a notebook keeps after `run`: the comm messages of the "jupyter.widget"
 * target seen on iopub, folded into the state of each widget still open, written as the
 * notebook's `metadata.widgets["application/vnd.jupyter.widget-state+json"]` (the format
 * ipywidgets' embedding and nbclient write), so that a saved notebook shows its widgets again.
 */
import type { Message } from "../messaging/index.js";

export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";

interface Model {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
  buffers: Map<string, { path: (string | number)[]; data: string }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export class WidgetStateRecorder {
  private readonly models = new Map<string, Model>();

  /** Feed every iopub message (comm messages of other targets are ignored). */
  record(msg: Message): void {
    const c = msg.content as Record<string, unknown>;
    const id = typeof c.comm_id === "string" ? c.comm_id : undefined;
    if (!id) return;
    const data = isObject(c.data) ? c.data : {};
    switch (msg.header.msg_type) {
      case "comm_open": {
        if (c.target_name !== "jupyter.widget" || !isObject(data.state)) return;
        const s = data.state;
        const model: Model = {
          model_name: String(s._model_name ?? ""),
          model_module: String(s._model_module ?? ""),
          model_module_version: String(s._model_module_version ?? ""),
          state: {},
          buffers: new Map(),
        };
        this.models.set(id, model);
        this.merge(model, s, data.buffer_paths, msg.buffers);
        break;
      }
      case "comm_msg": {
        const model = this.models.get(id);
        if (model && (data.method === "update" || data.method === "echo_update") && isObject(data.state))
          this.merge(model, data.state, data.buffer_paths, msg.buffers);
        break;
      }
      case "comm_close":
        this.models.delete(id);
        break;
    }
  }

  /** The notebook metadata value, or undefined when no widget is open. */
  state(): Record<string, unknown> | undefined {
    if (this.models.size === 0) return undefined;
    const state: Record<string, unknown> = {};
    for (const [id, m] of this.models) {
      const entry: Record<string, unknown> = {
        model_name: m.model_name,
        model_module: m.model_module,
        model_module_version: m.model_module_version,
        state: m.state,
      };
      if (m.buffers.size) entry.buffers = [...m.buffers.values()].map((b) => ({ encoding: "base64", path: b.path, data: b.data }));
      state[id] = entry;
    }
    return { version_major: 2, version_minor: 0, state };
  }

  private merge(model: Model, state: Record<string, unknown>, paths: unknown, buffers: Buffer[]): void {
    Object.assign(model.state, state);
    for (const key of Object.keys(state)) for (const k of [...model.buffers.keys()]) if (JSON.parse(k)[0] === key) model.buffers.delete(k);
    if (!Array.isArray(paths)) return;
    paths.forEach((path, i) => {
      const b = buffers[i];
      if (Array.isArray(path) && path.length && b)
        model.buffers.set(JSON.stringify(path), { path: path as (string | number)[], data: b.toString("base64") });
    });
  }
}
