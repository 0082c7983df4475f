/**
 * CommManager and Comm in one thread, with a recording sink in place of the kernel's output
 * routing: what goes out for each call, and how frontend messages reach handlers.
 */
import vm from "node:vm";
import { beforeEach, describe, expect, it } from "vitest";
import { Comm, setDefaultCommHost } from "../../src/comm/comm.js";
import { CommManager } from "../../src/comm/manager.js";
import type { CommInbound, CommOutbound } from "../../src/comm/protocol.js";

let manager: CommManager;
let sent: CommOutbound[];
let errors: { err: unknown; context: string }[];

beforeEach(() => {
  manager = new CommManager();
  sent = [];
  errors = [];
  manager.connect({ send: (m) => sent.push(m), reportError: (err, context) => errors.push({ err, context }) });
  setDefaultCommHost(() => manager);
});

let n = 0;
function inbound(msgType: string, content: Record<string, unknown>, buffers: Uint8Array[] = []): CommInbound {
  return { header: { msg_id: `m${++n}`, msg_type: msgType }, content, metadata: {}, buffers };
}

describe("a comm the kernel opens", () => {
  it("publishes comm_open with its target, data, metadata and copies of its buffers", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const data = { x: 1 };
    const comm = new Comm("my.target", {
      data,
      metadata: { version: "1" },
      buffers: [bytes.subarray(1, 3), new DataView(bytes.buffer, 3, 1)],
    });
    data.x = 2;
    bytes[1] = 99;
    expect(sent).toHaveLength(1);
    const [open] = sent;
    expect(open).toMatchObject({
      msgType: "comm_open",
      content: { comm_id: comm.commId, target_name: "my.target", data: { x: 1 } },
      metadata: { version: "1" },
    });
    expect(open!.buffers.map((b) => [...b])).toEqual([[2, 3], [4]]);
    expect(comm.commId).toMatch(/^[0-9a-f]{32}$/);
    expect(manager.info()).toEqual({ [comm.commId]: { target_name: "my.target" } });
  });

  it("sends comm_msg, then closes once with comm_close and runs its close handlers with undefined", () => {
    const comm = new Comm("t", { commId: "c1" });
    const closes: unknown[] = [];
    comm.onClose((m) => void closes.push(m));
    comm.send({ hello: "there" }, { buffers: [new ArrayBuffer(2)] });
    comm.close({ bye: true });
    comm.close();
    expect(sent.map((m) => m.msgType)).toEqual(["comm_open", "comm_msg", "comm_close"]);
    expect(sent[1]).toMatchObject({ content: { comm_id: "c1", data: { hello: "there" } } });
    expect(sent[1]!.buffers[0]).toEqual(new Uint8Array(2));
    expect(sent[2]!.content).toEqual({ comm_id: "c1", data: { bye: true } });
    expect(closes).toEqual([undefined]);
    expect(comm.closed).toBe(true);
    expect(() => comm.send({})).toThrow(/comm c1 \(target "t"\) is closed/);
    expect(manager.info()).toEqual({});
  });

  it("takes buffers made in another realm (cells run in a vm context)", () => {
    const [buf, view] = vm.runInNewContext("const b = new Uint8Array([1, 2, 3]); [b.buffer, new DataView(b.buffer, 1)]") as [
      ArrayBuffer,
      DataView,
    ];
    const comm = new Comm("t");
    comm.send({}, { buffers: [buf, view] });
    expect(sent[1]!.buffers.map((b) => [...b])).toEqual([
      [1, 2, 3],
      [2, 3],
    ]);
  });

  it("refuses what JSON cannot carry, with a message that says what", () => {
    const comm = new Comm("t");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => comm.send(cyclic)).toThrow(/comm data cannot be sent as JSON/);
    expect(() => comm.send([1, 2] as unknown as Record<string, unknown>)).toThrow(/comm data must be a plain object, not an array/);
    expect(() => comm.send({}, { buffers: ["text" as unknown as Uint8Array] })).toThrow(/Uint8Array, ArrayBuffer or DataView, not string/);
    expect(() => new Comm("")).toThrow(/target name/);
    expect(() => new Comm("t", { commId: comm.commId })).toThrow(/open already/);
  });

  it("needs a connected kernel", () => {
    setDefaultCommHost(() => new CommManager());
    expect(() => new Comm("t")).toThrow(/comms need a running kernel/);
  });
});

describe("messages from the frontend", () => {
  it("reach every onMsg handler in order, with data and buffers; a failing handler is reported and the rest still run", async () => {
    const comm = new Comm("t", { commId: "c2" });
    const seen: string[] = [];
    comm.onMsg((m) => void seen.push(`a:${String(m.content.data.v)}:${m.buffers.length}`));
    comm.onMsg(() => {
      throw new Error("boom");
    });
    const stop = comm.onMsg((m) => void seen.push(`c:${String(m.content.data.v)}`));
    expect(await manager.receive(inbound("comm_msg", { comm_id: "c2", data: { v: 1 } }, [new Uint8Array([7])]))).toEqual({
      status: "handled",
    });
    stop();
    await manager.receive(inbound("comm_msg", { comm_id: "c2", data: { v: 2 } }));
    expect(seen).toEqual(["a:1:1", "c:1", "a:2:0"]);
    expect(errors.map((e) => [(e.err as Error).message, e.context])).toEqual([
      ["boom", 'comm_msg for comm c2 (target "t")'],
      ["boom", 'comm_msg for comm c2 (target "t")'],
    ]);
  });

  it("settle once async handlers have, and report their rejections", async () => {
    const comm = new Comm("t", { commId: "c3" });
    let finished = false;
    comm.onMsg(async () => {
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
    });
    comm.onMsg(async () => {
      throw new Error("later");
    });
    await manager.receive(inbound("comm_msg", { comm_id: "c3", data: {} }));
    expect(finished).toBe(true);
    expect(errors.map((e) => (e.err as Error).message)).toEqual(["later"]);
  });

  it("open comms at registered targets; an unknown target is answered with comm_close", async () => {
    const opened: { id: string; data: unknown }[] = [];
    manager.registerTarget("echo", (comm, msg) => {
      opened.push({ id: comm.commId, data: msg.content.data });
      comm.onMsg((m) => comm.send({ echo: m.content.data }, { buffers: m.buffers }));
    });
    expect(await manager.receive(inbound("comm_open", { comm_id: "f1", target_name: "echo", data: { a: 1 } }))).toEqual({
      status: "handled",
    });
    expect(opened).toEqual([{ id: "f1", data: { a: 1 } }]);
    expect(sent).toEqual([]); // no comm_open goes back
    await manager.receive(inbound("comm_msg", { comm_id: "f1", data: { q: 2 } }, [new Uint8Array([5, 6])]));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ msgType: "comm_msg", content: { comm_id: "f1", data: { echo: { q: 2 } } } });
    expect([...sent[0]!.buffers[0]!]).toEqual([5, 6]);

    expect(await manager.receive(inbound("comm_open", { comm_id: "f2", target_name: "nobody", data: {} }))).toEqual({
      status: "unknown target",
      target: "nobody",
    });
    expect(sent[1]).toEqual({ msgType: "comm_close", content: { comm_id: "f2", data: {} }, metadata: {}, buffers: [] });
    expect(manager.info("echo")).toEqual({ f1: { target_name: "echo" } });
  });

  it("close the comm a failing comm_open handler was given", async () => {
    manager.registerTarget("bad", async () => {
      throw new Error("cannot open");
    });
    await manager.receive(inbound("comm_open", { comm_id: "f3", target_name: "bad" }));
    expect(errors.map((e) => e.context)).toEqual(['comm_open for target "bad"']);
    expect(sent).toEqual([{ msgType: "comm_close", content: { comm_id: "f3", data: {} }, metadata: {}, buffers: [] }]);
    expect(manager.info()).toEqual({});
  });

  it("comm_close runs the close handlers once, sends nothing back, and later messages find no comm", async () => {
    const comm = new Comm("t", { commId: "c4" });
    sent.length = 0;
    const closes: unknown[] = [];
    comm.onClose((m) => void closes.push(m?.content.data));
    await manager.receive(inbound("comm_close", { comm_id: "c4", data: { why: "gone" } }));
    expect(closes).toEqual([{ why: "gone" }]);
    expect(comm.closed).toBe(true);
    expect(sent).toEqual([]);
    comm.close();
    expect(sent).toEqual([]);
    expect(await manager.receive(inbound("comm_msg", { comm_id: "c4", data: {} }))).toEqual({ status: "unknown comm", commId: "c4" });
  });

  it("malformed messages are refused, never thrown", async () => {
    expect(await manager.receive(inbound("comm_msg", { data: {} }))).toMatchObject({ status: "invalid" });
    expect(await manager.receive(inbound("comm_open", { comm_id: "x" }))).toEqual({
      status: "invalid",
      reason: "comm_open without a target_name",
    });
    const comm = new Comm("t", { commId: "c5" });
    let got: unknown;
    comm.onMsg((m) => void (got = m.content.data));
    await manager.receive(inbound("comm_msg", { comm_id: "c5", data: "not an object" }));
    expect(got).toEqual({});
  });

  it("re-registering a target replaces its handler; listeners hear of new and removed names", () => {
    const heard: string[][] = [];
    manager.onTargetsChanged((names) => heard.push(names));
    manager.registerTarget("a", () => {});
    manager.registerTarget("a", () => {});
    manager.registerTarget("b", () => {});
    expect(manager.unregisterTarget("a")).toBe(true);
    expect(manager.unregisterTarget("a")).toBe(false);
    expect(heard).toEqual([["a"], ["a", "b"], ["b"]]);
  });
});
