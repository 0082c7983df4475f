/** CommRouter: frontend comm messages go to the main thread's manager or to the owner of the comm. */
import { beforeEach, describe, expect, it } from "vitest";
import { Comm, setDefaultCommHost } from "../../src/comm/comm.js";
import { CommManager } from "../../src/comm/manager.js";
import type { CommInbound, CommOutbound } from "../../src/comm/protocol.js";
import { CommRouter, type CommOwner } from "../../src/comm/router.js";

let local: CommManager;
let router: CommRouter<string>;
let sent: CommOutbound[];

class Owner implements CommOwner<string> {
  got: { type: string; id: unknown; output: string }[] = [];
  async deliver(msg: CommInbound, output: string): Promise<void> {
    this.got.push({ type: msg.header.msg_type, id: msg.content.comm_id, output });
  }
}

let n = 0;
const inbound = (msgType: string, content: Record<string, unknown>): CommInbound => ({
  header: { msg_id: `m${++n}`, msg_type: msgType },
  content,
  metadata: {},
  buffers: [],
});
const open = (id: string, target: string): CommOutbound => ({
  msgType: "comm_open",
  content: { comm_id: id, target_name: target, data: {} },
  metadata: {},
  buffers: [],
});
const close = (id: string): CommOutbound => ({ msgType: "comm_close", content: { comm_id: id, data: {} }, metadata: {}, buffers: [] });

beforeEach(() => {
  local = new CommManager();
  sent = [];
  local.connect({ send: (m) => sent.push(m), reportError: () => {} });
  setDefaultCommHost(() => local);
  router = new CommRouter(local);
});

describe("CommRouter", () => {
  it("sends messages of a comm another owner opened to that owner, with the output given", async () => {
    const thread = new Owner();
    router.noteOutbound(thread, open("t1", "jupyter.widget"));
    expect(await router.receive(inbound("comm_msg", { comm_id: "t1", data: {} }), "out-a")).toEqual({ status: "forwarded" });
    await router.receive(inbound("comm_close", { comm_id: "t1", data: {} }), "out-b");
    expect(thread.got).toEqual([
      { type: "comm_msg", id: "t1", output: "out-a" },
      { type: "comm_close", id: "t1", output: "out-b" },
    ]);
    // closed by the frontend: the id is unknown now
    expect(await router.receive(inbound("comm_msg", { comm_id: "t1", data: {} }), "x")).toEqual({ status: "unknown comm", commId: "t1" });
  });

  it("handles the main thread's comms itself, and lists every comm for comm_info", async () => {
    const thread = new Owner();
    const mine = new Comm("main.target", { commId: "m1" });
    let seen = 0;
    mine.onMsg(() => void seen++);
    router.noteOutbound(thread, open("t2", "other"));
    await router.receive(inbound("comm_msg", { comm_id: "m1", data: {} }), "o");
    expect(seen).toBe(1);
    expect(thread.got).toEqual([]);
    expect(router.info()).toEqual({ m1: { target_name: "main.target" }, t2: { target_name: "other" } });
    expect(router.info("other")).toEqual({ t2: { target_name: "other" } });
    router.noteOutbound(thread, close("t2"));
    expect(router.info()).toEqual({ m1: { target_name: "main.target" } });
  });

  it("opens frontend comms at another owner's target unless the main thread serves it too", async () => {
    const a = new Owner();
    const b = new Owner();
    router.setTargets(a, ["shared", "only.a"]);
    router.setTargets(b, ["shared"]);
    await router.receive(inbound("comm_open", { comm_id: "f1", target_name: "only.a" }), "o");
    await router.receive(inbound("comm_open", { comm_id: "f2", target_name: "shared" }), "o");
    expect(a.got.map((g) => g.id)).toEqual(["f1"]);
    expect(b.got.map((g) => g.id)).toEqual(["f2"]); // the most recent registration
    await router.receive(inbound("comm_msg", { comm_id: "f1", data: {} }), "o");
    expect(a.got.map((g) => g.id)).toEqual(["f1", "f1"]);

    let mainOpened = false;
    local.registerTarget("shared", () => void (mainOpened = true));
    await router.receive(inbound("comm_open", { comm_id: "f3", target_name: "shared" }), "o");
    expect(mainOpened).toBe(true);
    expect(b.got).toHaveLength(1);

    expect(await router.receive(inbound("comm_open", { comm_id: "f4", target_name: "nobody" }), "o")).toEqual({
      status: "unknown target",
      target: "nobody",
    });
    expect(sent.at(-1)).toMatchObject({ msgType: "comm_close", content: { comm_id: "f4" } });
  });

  it("forgets an owner that is gone and returns the ids of its comms", () => {
    const a = new Owner();
    router.noteOutbound(a, open("x1", "w"));
    router.noteOutbound(a, open("x2", "w"));
    router.noteOutbound(new Owner(), open("y1", "w"));
    expect(router.holds(a)).toBe(true);
    expect(router.ownersOf("w")).toHaveLength(2);
    expect(router.ownerGone(a).sort()).toEqual(["x1", "x2"]);
    expect(router.holds(a)).toBe(false);
    expect(Object.keys(router.info())).toEqual(["y1"]);
  });
});
