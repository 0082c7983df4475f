import { describe, expect, it } from "vitest";
import type { Channel } from "../../src/io/bridge.js";
import { Requests } from "../../src/io/requests.js";
import { type Message, Session } from "../../src/messaging/index.js";

const kernel = new Session({ key: "k" });
const client = new Session({ key: "k" });

/** A request as the worker receives it: through the wire, so it carries its header frame. */
function received(msgType: string, content: Record<string, unknown>): Message {
  const frames = client.message(msgType as never, content, {}, {}, [], [Buffer.from("client-id")]);
  return kernel.deserialize(frames);
}

function fake() {
  const written: [Channel, Buffer[]][] = [];
  const warnings: string[] = [];
  const released: string[] = [];
  const requests = new Requests({
    session: kernel,
    write: (channel, frames) => written.push([channel, frames]),
    log: { warn: (_f, m) => warnings.push(m) },
    released: (id) => released.push(id),
  });
  return { requests, written, warnings, released };
}

describe("Requests (open requests and the sending of every message)", () => {
  it("sends a reply back along its request's routing, with the request's header frame as received as its parent", () => {
    const f = fake();
    const msg = received("kernel_info_request", {});
    f.requests.remember(msg);
    f.requests.send({ channel: "control", msgType: "kernel_info_reply", content: { status: "ok" }, parent: msg.header });
    const [channel, frames] = f.written[0]!;
    expect(channel).toBe("control");
    expect(frames[0]!.toString()).toBe("client-id");
    const reply = client.deserialize(frames);
    expect(reply.header.msg_type).toBe("kernel_info_reply");
    expect(reply.parent_header).toEqual(msg.header);
    expect(reply.identities[0]!.toString()).toBe("client-id");
    // the very bytes of the request's header, not a re-serialization
    expect(frames.some((frame) => frame.equals(msg.rawHeader!))).toBe(true);
  });

  it("publishes on iopub under the kernel's topic, and drops a reply to a request it does not know", () => {
    const f = fake();
    const msg = received("execute_request", { code: "" });
    f.requests.send({ channel: "iopub", msgType: "stream", content: { name: "stdout", text: "x" }, parent: msg.header });
    expect(f.written[0]![1][0]!.toString()).toBe(`kernel.${kernel.id}.stream`);
    expect(f.requests.send({ channel: "shell", msgType: "execute_reply", content: {}, parent: msg.header })).toBeUndefined();
    expect(f.warnings).toEqual(["no routing identity for reply; dropped"]);
  });

  it("counts what was handed over in flight until its idle, and not what this thread answered", () => {
    const f = fake();
    const handed = received("execute_request", { code: "" });
    const answered = received("kernel_info_request", {});
    f.requests.handed(handed);
    f.requests.remember(answered);
    expect([f.requests.inFlight, f.requests.executing.size]).toEqual([1, 1]);
    f.requests.send({ channel: "iopub", msgType: "status", content: { execution_state: "idle" }, parent: answered.header, release: true });
    expect(f.requests.inFlight).toBe(1);
    f.requests.send({ channel: "iopub", msgType: "status", content: { execution_state: "idle" }, parent: handed.header, release: true });
    expect([f.requests.inFlight, f.requests.executing.size, f.requests.isOpen(handed.header.msg_id)]).toEqual([0, 0, false]);
    expect(f.released).toEqual([answered.header.msg_id, handed.header.msg_id]);
  });

  it("sends content JSON cannot hold with those values replaced, and says so in the log", () => {
    const f = fake();
    const msg = received("execute_request", { code: "" });
    const cyclic: Record<string, unknown> = { big: 1n };
    cyclic.self = cyclic;
    f.requests.send({ channel: "iopub", msgType: "display_data", content: { data: cyclic }, parent: msg.header });
    expect(client.deserialize(f.written[0]![1]).content).toEqual({ data: { big: "1n", self: "[Circular]" } });
    expect(f.warnings).toHaveLength(1);
  });
});
