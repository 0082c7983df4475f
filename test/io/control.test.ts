import { afterEach, describe, expect, it, vi } from "vitest";
import type { Outbound, ToMain } from "../../src/io/bridge.js";
import { Control } from "../../src/io/control.js";
import { Subshells } from "../../src/io/subshells.js";
import { type Message, Session } from "../../src/messaging/index.js";
import { AttentionFlag, AttentionWord, newAttention } from "../../src/shared_memory/layout.js";

const session = new Session({ key: "" });
const request = (msgType: string, content: Record<string, unknown> = {}): Message => ({
  identities: [],
  header: session.header(msgType as never),
  parent_header: {},
  metadata: {},
  content,
  buffers: [],
});

/** Control with a fake port: what it sends and what it posts to the main thread, in one order. */
function fakeControl() {
  const events: string[] = [];
  const sent: Outbound[] = [];
  const posted: ToMain[] = [];
  const attention = newAttention();
  const stdin = { interrupted: () => events.push("stdin interrupted"), failAll: (r: string) => events.push(`stdin failed: ${r}`) };
  const control = new Control({
    send: (item) => {
      sent.push(item);
      events.push(`sent ${item.msgType}`);
    },
    post: (m) => {
      posted.push(m);
      events.push(`posted ${m.type}`);
    },
    kernelInfo: { implementation: "test" },
    attention,
    subshells: new Subshells(),
    stdin,
    abortWindows: { forget: (id) => events.push(`forget ${id}`) },
    closing: () => false,
    exitNow: () => events.push("exit"),
    log: { warn: () => {}, error: () => {} },
  });
  return { control, events, sent, posted, attention };
}

afterEach(() => vi.useRealTimers());

describe("Control (what the I/O worker answers itself)", () => {
  it("answers kernel_info with the kernel's info, between busy and idle", () => {
    const f = fakeControl();
    f.control.handle(request("kernel_info_request"), "control");
    expect(f.events).toEqual(["sent status", "sent kernel_info_reply", "sent status"]);
    expect(f.sent[1]!.content).toEqual({ implementation: "test" });
  });

  it("raises the attention flag, wakes a blocked prompt and tells the main thread, before the reply", () => {
    vi.useFakeTimers();
    const f = fakeControl();
    f.control.handle(request("interrupt_request"), "control");
    expect(Atomics.load(f.attention, AttentionWord.FLAG)).toBe(AttentionFlag.INTERRUPT);
    expect(f.events).toEqual(["sent status", "stdin interrupted", "posted interrupt", "sent interrupt_reply", "sent status"]);
  });

  it("tells the main thread of a new subshell before the client can use it, and forgets a deleted one's window", () => {
    const f = fakeControl();
    f.control.handle(request("create_subshell_request"), "control");
    const id = (f.sent.find((m) => m.msgType === "create_subshell_reply")!.content as { subshell_id: string }).subshell_id;
    f.control.handle(request("delete_subshell_request", { subshell_id: id }), "control");
    f.control.handle(request("delete_subshell_request", { subshell_id: id }), "control");
    expect(f.events.filter((e) => !e.startsWith("sent status"))).toEqual([
      "posted subshell",
      "sent create_subshell_reply",
      "posted subshell",
      `forget ${id}`,
      "sent delete_subshell_reply",
      "sent delete_subshell_reply",
    ]);
    expect(f.sent.filter((m) => m.msgType === "delete_subshell_reply").map((m) => (m.content as { status: string }).status)).toEqual([
      "ok",
      "error",
    ]);
  });

  it("shuts down: the reply on control and on iopub, a blocked prompt failed, the main thread told; the process ended if it does not", () => {
    vi.useFakeTimers();
    const f = fakeControl();
    f.control.handle(request("shutdown_request", { restart: true }), "control");
    expect(f.events).toEqual([
      "sent status",
      "sent shutdown_reply",
      "sent shutdown_reply",
      "stdin failed: the kernel is shutting down",
      "posted shutdown",
      "sent status",
    ]);
    expect(f.posted).toEqual([{ type: "shutdown", restart: true }]);
    expect(f.sent[2]!.channel).toBe("iopub");
    // a second request changes nothing; the last resort fires once the main thread has had its time
    f.control.shutdown(false);
    expect(f.posted).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(f.events).not.toContain("exit");
  });
});
