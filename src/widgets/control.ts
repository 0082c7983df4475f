/**
 * The comm targets of the widget protocol a kernel registers (main thread only):
 *
 * - "jupyter.widget.control" (control protocol 1.0, ipywidgets 7.7+): on `request_states` it
 *   answers with `update_states`, the state of every widget of the kernel, in one message.
 *   JupyterLab asks for it when a notebook (re)connects to a running kernel: that is how widgets
 *   come back after a page reload. Widgets of `// thread` cells are asked of their threads
 *   (through `useRemoteWidgetStates`); a thread that does not answer in time is left out.
 * - "jupyter.widget": the frontend creates a model (rare): the kernel makes the widget class of
 *   that model name, or a generic Widget with that state.
 *
 * @see https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/messages.md
 */
import type { Comm, CommManager, CommMessage } from "../comm/index.js";
import { putBuffers, type Path } from "./serialize.js";
import { adoptingComm, allWidgets, Widget, WIDGET_TARGET, type SomeWidget, type ModelSpec } from "./widget.js";

export const CONTROL_TARGET = "jupyter.widget.control";
export const CONTROL_PROTOCOL_VERSION = "1.0.0";

/** Every widget's state, as update_states carries it (paths are [model id, "state", ...]). */
export interface ManagerState {
  states: Record<string, { model_name: string; model_module: string; model_module_version: string; state: Record<string, unknown> }>;
  buffer_paths: Path[];
  buffers: Uint8Array[];
}

/** The state of this thread's widgets. */
export function localWidgetStates(): ManagerState {
  const out: ManagerState = { states: {}, buffer_paths: [], buffers: [] };
  for (const w of allWidgets()) {
    const wire = w.getState();
    const { model } = w.spec;
    out.states[w.modelId] = { model_name: model.name, model_module: model.module, model_module_version: model.version, state: wire.state };
    out.buffer_paths.push(...wire.buffer_paths.map((p) => [w.modelId, "state", ...p]));
    out.buffers.push(...wire.buffers);
  }
  return out;
}

let remoteStates: (() => Promise<ManagerState[]>) | undefined;

/** Where the states of widgets in other threads come from (the kernel asks its threads). */
export function useRemoteWidgetStates(provider: () => Promise<ManagerState[]>): void {
  remoteStates = provider;
}

const modelClasses = new Map<string, new (options?: Record<string, unknown>) => SomeWidget>();

/** Widget classes the frontend may create by model name (jupyter.widget target). */
export function registerWidgetClasses(classes: Iterable<new (options?: Record<string, unknown>) => SomeWidget>): void {
  for (const cls of classes) {
    const { model } = (cls as unknown as { spec: ModelSpec }).spec;
    modelClasses.set(`${model.module}:${model.name}`, cls);
  }
}

function majorOf(msg: CommMessage): string {
  return String(msg.metadata.version ?? "").split(".")[0] ?? "";
}

const IDENTITY = ["_model_module", "_model_module_version", "_model_name", "_view_module", "_view_module_version", "_view_name"];

/** Register both targets with this thread's comm manager. */
export function registerWidgetTargets(manager: CommManager): void {
  manager.registerTarget(CONTROL_TARGET, (comm: Comm, msg: CommMessage) => {
    if (majorOf(msg) !== CONTROL_PROTOCOL_VERSION.split(".")[0]) {
      throw new Error(
        `widget control protocol ${JSON.stringify(msg.metadata.version)} is not supported (this kernel speaks ${CONTROL_PROTOCOL_VERSION})`,
      );
    }
    comm.onMsg(async (m) => {
      if (m.content.data.method !== "request_states")
        throw new Error(`unknown widget control method ${JSON.stringify(m.content.data.method)}`);
      const parts = [localWidgetStates(), ...(remoteStates ? await remoteStates() : [])];
      const all: ManagerState = { states: {}, buffer_paths: [], buffers: [] };
      for (const p of parts) {
        Object.assign(all.states, p.states);
        all.buffer_paths.push(...p.buffer_paths);
        all.buffers.push(...p.buffers);
      }
      comm.send({ method: "update_states", states: all.states, buffer_paths: all.buffer_paths }, { buffers: all.buffers });
    });
  });

  manager.registerTarget(WIDGET_TARGET, (comm: Comm, msg: CommMessage) => {
    if (majorOf(msg) !== "2")
      throw new Error(`widget protocol ${JSON.stringify(msg.metadata.version)} is not supported (this kernel speaks 2.1.0)`);
    const data = msg.content.data;
    const state = data.state !== null && typeof data.state === "object" ? { ...(data.state as Record<string, unknown>) } : {};
    putBuffers(state, data.buffer_paths, msg.buffers);
    const id = `${String(state._model_module)}:${String(state._model_name)}`;
    const cls = modelClasses.get(id) ?? genericClass(state);
    const options = Object.fromEntries(Object.entries(state).filter(([k]) => !IDENTITY.includes(k)));
    adoptingComm(comm, () => new cls(options));
  });
}

/** A widget class for a model this kernel has no class for: it syncs whatever state it was given. */
function genericClass(state: Record<string, unknown>): new (options?: Record<string, unknown>) => SomeWidget {
  const str = (k: string, fallback: string | null) => (typeof state[k] === "string" ? (state[k] as string) : fallback);
  const spec: ModelSpec = {
    model: {
      name: str("_model_name", "WidgetModel")!,
      module: str("_model_module", "@jupyter-widgets/base")!,
      version: str("_model_module_version", "2.0.0")!,
    },
    view: {
      name: str("_view_name", null),
      module: str("_view_module", "@jupyter-widgets/base")!,
      version: str("_view_module_version", "2.0.0")!,
    },
    defaults: Object.fromEntries(
      Object.keys(state)
        .filter((k) => !IDENTITY.includes(k))
        .map((k) => [k, null]),
    ),
  };
  return class GenericWidget extends Widget {
    static override readonly spec = spec;
  };
}
