import { describe, expect, it } from "vitest";
import type { Outbound } from "../../src/io/bridge.js";
import { Envelope, errorReply, oneLineTraceback, replyType } from "../../src/io/envelope.js";
import type { Header } from "../../src/messaging/index.js";

const parent = { msg_id: "r1", msg_type: "complete_request" } as Header;

function envelope(busySent = false) {
  const sent: Outbound[] = [];
  return { sent, envelope: new Envelope((item) => sent.push(item), parent, "shell", busySent) };
}

describe("Envelope (one request from busy to idle)", () => {
  it("sends busy once, the reply of the request's type on its channel, then idle marked as the last message", () => {
    const { sent, envelope: e } = envelope();
    e.busy();
    e.busy();
    e.reply({ status: "ok", matches: [] }, { m: 1 });
    e.idle();
    expect(sent).toEqual([
      { channel: "iopub", msgType: "status", content: { execution_state: "busy" }, parent },
      { channel: "shell", msgType: "complete_reply", content: { status: "ok", matches: [] }, parent, metadata: { m: 1 } },
      { channel: "iopub", msgType: "status", content: { execution_state: "idle" }, parent, release: true },
    ]);
  });

  it("sends no busy when the I/O worker published it already", () => {
    const { sent, envelope: e } = envelope(true);
    e.answer({ status: "ok" });
    expect(sent.map((m) => m.msgType)).toEqual(["complete_reply", "status"]);
  });

  it("builds error replies with the fields their type needs, and marks a failure that stops the queue", () => {
    const { sent, envelope: e } = envelope(true);
    e.error("TypeError", "bad", oneLineTraceback("TypeError", "bad"), { execution_count: 0 });
    e.reply({ status: "error" }, undefined, "failure");
    expect(sent[0]!.content).toEqual({
      status: "error",
      ename: "TypeError",
      evalue: "bad",
      traceback: ["\u001b[0;31mTypeError\u001b[0m: bad"],
      execution_count: 0,
    });
    expect(sent[1]!.stopsQueue).toBe("failure");
    expect(errorReply("E", "v")).toEqual({ status: "error", ename: "E", evalue: "v", traceback: [] });
  });

  it("names replies after requests", () => {
    expect(replyType("execute_request")).toBe("execute_reply");
    expect(replyType("create_subshell_request")).toBe("create_subshell_reply");
  });
});
