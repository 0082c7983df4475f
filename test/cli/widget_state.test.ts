/** `run` keeps the state of the widgets still open, from the comm messages on iopub. */
import { describe, expect, it } from "vitest";
import { WidgetStateRecorder } from "../../src/cli/widget_state.js";
import type { Message } from "../../src/messaging/index.js";

const msg = (msgType: string, content: Record<string, unknown>, buffers: Buffer[] = []): Message =>
  ({ identities: [], header: { msg_type: msgType }, parent_header: {}, metadata: {}, content, buffers }) as unknown as Message;
const open = (id: string, state: Record<string, unknown>, paths: unknown[] = [], buffers: Buffer[] = []) =>
  msg(
    "comm_open",
    {
      comm_id: id,
      target_name: "jupyter.widget",
      data: { state: { _model_name: "XModel", _model_module: "m", _model_module_version: "1.0.0", ...state }, buffer_paths: paths },
    },
    buffers,
  );

describe("WidgetStateRecorder", () => {
  it("folds updates into the opened state, keeps buffers as base64 and drops closed widgets", () => {
    const r = new WidgetStateRecorder();
    expect(r.state()).toBeUndefined();
    r.record(open("a", { value: 1 }, [["data"]], [Buffer.from([1, 2])]));
    r.record(open("b", { value: "x" }));
    r.record(msg("comm_open", { comm_id: "c", target_name: "other", data: {} }));
    r.record(msg("comm_msg", { comm_id: "a", data: { method: "update", state: { value: 2 }, buffer_paths: [] } }));
    r.record(msg("comm_msg", { comm_id: "a", data: { method: "custom", content: { value: 99 } } }));
    r.record(msg("comm_msg", { comm_id: "b", data: { method: "echo_update", state: { value: "y" } } }));
    r.record(msg("comm_close", { comm_id: "b", data: {} }));
    expect(r.state()).toEqual({
      version_major: 2,
      version_minor: 0,
      state: {
        a: {
          model_name: "XModel",
          model_module: "m",
          model_module_version: "1.0.0",
          state: { _model_name: "XModel", _model_module: "m", _model_module_version: "1.0.0", value: 2 },
          buffers: [{ encoding: "base64", path: ["data"], data: "AQI=" }],
        },
      },
    });
    // a new value of the attribute replaces its buffer
    r.record(msg("comm_msg", { comm_id: "a", data: { method: "update", state: { data: null }, buffer_paths: [] } }));
    expect((r.state()!.state as Record<string, Record<string, unknown>>).a!.buffers).toBeUndefined();
  });
});
