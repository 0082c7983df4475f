/** Rendering iopub messages as terminal text (console) and as nbformat outputs (run). */
import type { Message } from "../messaging/index.js";
import { bundleText } from "./rich_text.js";

type Content = Record<string, unknown>;

/** Text for a terminal, or undefined for messages with nothing to show. */
export function toTerminal(msg: Message): { stream: "stdout" | "stderr"; text: string } | undefined {
  const c = msg.content as Content;
  switch (msg.header.msg_type) {
    case "stream":
      return { stream: c.name === "stderr" ? "stderr" : "stdout", text: String(c.text ?? "") };
    case "execute_result":
    case "display_data":
    case "update_display_data": {
      const text = bundleText((c.data ?? {}) as Content, (c.metadata ?? {}) as Content);
      if (msg.header.msg_type !== "execute_result") return { stream: "stdout", text: `${text}\n` };
      // A result of several lines starts on its own line, as IPython shows one.
      const prompt = `Out[${String(c.execution_count)}]:`;
      return { stream: "stdout", text: text.includes("\n") ? `${prompt}\n${text}\n` : `${prompt} ${text}\n` };
    }
    case "error":
      return { stream: "stderr", text: `${((c.traceback ?? []) as string[]).join("\n")}\n` };
    default:
      return undefined;
  }
}

/** One nbformat v4 output for an iopub message, or undefined. */
export function toNotebookOutput(msg: Message): Content | undefined {
  const c = msg.content as Content;
  switch (msg.header.msg_type) {
    case "stream":
      return { output_type: "stream", name: c.name, text: c.text };
    case "execute_result":
      return { output_type: "execute_result", execution_count: c.execution_count, data: c.data, metadata: c.metadata ?? {} };
    case "display_data":
      return { output_type: "display_data", data: c.data, metadata: c.metadata ?? {} };
    case "error":
      return { output_type: "error", ename: c.ename, evalue: c.evalue, traceback: c.traceback };
    default:
      return undefined;
  }
}
