import { describe, expect, it } from "vitest";
import { Outbox } from "../../src/kernel/outbox.js";
import type { ToWorker } from "../../src/io/bridge.js";
import type { Header } from "../../src/messaging/index.js";

const parent = (id: string) => ({ msg_id: id, msg_type: "execute_request" }) as unknown as Header;

describe("Outbox", () => {
  it("sends everything queued in one turn as one batch, in order", async () => {
    const posted: ToWorker[] = [];
    const box = new Outbox((m) => posted.push(m));
    const p = parent("a");
    box.publish("status", { execution_state: "busy" }, p);
    box.publish("execute_input", { code: "1" }, p);
    await new Promise((r) => setImmediate(r));
    expect(posted).toHaveLength(1);
    const batch = posted[0] as Extract<ToWorker, { type: "send" }>;
    expect(batch.items.map((i) => i.msgType)).toEqual(["status", "execute_input"]);
  });

  it("merges consecutive writes to one stream of one request, and keeps other messages between them", () => {
    const posted: ToWorker[] = [];
    const box = new Outbox((m) => posted.push(m));
    const p = parent("a");
    box.stream(p, "stdout", "first"); // the turn's first write goes out at once
    box.stream(p, "stdout", "a");
    box.stream(p, "stdout", "b");
    box.stream(p, "stderr", "c");
    box.publish("display_data", {}, p);
    box.stream(p, "stdout", "d");
    box.stream(parent("other"), "stdout", "e");
    box.flush();
    const items = posted.flatMap((m) => (m as Extract<ToWorker, { type: "send" }>).items);
    expect(items.map((i) => [i.msgType, (i.content as { text?: string }).text])).toEqual([
      ["stream", "first"],
      ["stream", "ab"],
      ["stream", "c"],
      ["display_data", undefined],
      ["stream", "d"],
      ["stream", "e"],
    ]);
  });

  it("posts the first stream write of a turn at once, so output shows while code keeps the thread busy", () => {
    const posted: ToWorker[] = [];
    const box = new Outbox((m) => posted.push(m));
    const p = parent("a");
    box.publish("execute_input", { code: "x" }, p);
    box.stream(p, "stdout", "before a long loop\n");
    expect(posted).toHaveLength(1);
    const items = (posted[0] as Extract<ToWorker, { type: "send" }>).items;
    expect(items.map((i) => i.msgType)).toEqual(["execute_input", "stream"]);
  });

  it("posts again during a busy turn once the stream interval has passed", () => {
    const posted: ToWorker[] = [];
    const box = new Outbox((m) => posted.push(m));
    const p = parent("a");
    box.stream(p, "stdout", "a");
    box.stream(p, "stdout", "b");
    expect(posted).toHaveLength(1);
    const until = performance.now() + 15;
    while (performance.now() < until) {
      // a cell keeping the thread busy
    }
    box.stream(p, "stdout", "c");
    expect(posted).toHaveLength(2);
    expect((posted[1] as Extract<ToWorker, { type: "send" }>).items.map((i) => (i.content as { text: string }).text)).toEqual(["bc"]);
  });

  it("flushes at once when buffered stream text passes its bound", () => {
    const posted: ToWorker[] = [];
    const box = new Outbox((m) => posted.push(m));
    box.stream(parent("a"), "stdout", "x".repeat(2 << 20));
    expect(posted).toHaveLength(1);
  });

  it("posts nothing when there is nothing to send", () => {
    const posted: ToWorker[] = [];
    new Outbox((m) => posted.push(m)).flush();
    expect(posted).toEqual([]);
  });

  it("posts comm messages while the code that sends them keeps the thread busy (pushSoon), in order", () => {
    const posted: ToWorker[] = [];
    const box = new Outbox((m) => posted.push(m));
    const p = parent("a");
    const comm = (n: number) => ({
      channel: "iopub" as const,
      msgType: "comm_msg",
      content: { n },
      parent: p,
      buffers: [new Uint8Array([n])],
    });
    box.pushSoon(comm(1)); // the turn's first: at once
    expect(posted).toHaveLength(1);
    box.pushSoon(comm(2)); // within 10 ms of the last post: waits
    expect(posted).toHaveLength(1);
    const until = performance.now() + 12;
    while (performance.now() < until) {
      // a busy cell
    }
    box.pushSoon(comm(3)); // 10 ms later: posted with what waited
    expect(posted).toHaveLength(2);
    const items = posted.flatMap((m) => (m as Extract<ToWorker, { type: "send" }>).items);
    expect(items.map((i) => (i.content as { n: number }).n)).toEqual([1, 2, 3]);
    expect(items[2]!.buffers).toEqual([new Uint8Array([3])]);
  });
});
