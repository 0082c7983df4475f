import { describe, expect, it } from "vitest";
import type { Outbound, ToMain } from "../../src/io/bridge.js";
import { Requests } from "../../src/io/requests.js";
import { Router } from "../../src/io/router.js";
import { type Message, Session } from "../../src/messaging/index.js";

const session = new Session({ key: "k" });

function request(msgType: string, content: Record<string, unknown>, subshell_id?: string): Message {
  const header = session.header(msgType as never, subshell_id);
  return { identities: [Buffer.from("client")], header, parent_header: {}, metadata: {}, content, buffers: [] };
}

/** A router with every neighbour faked: what it sends, posts, answers itself and drops. */
function fakeRouter(opts: { languageWarm?: boolean; unknownSubshell?: boolean } = {}) {
  const sent: Outbound[] = [];
  const posted: ToMain[] = [];
  const here: string[] = [];
  const asked: string[] = [];
  const dropped: string[] = [];
  let executes = 0;
  const requests = new Requests({ session, log: { warn: () => {} }, write: () => {} });
  const send = (item: Outbound) => {
    sent.push(item);
    requests.send(item);
  };
  const router = new Router({
    requests,
    send,
    post: (m) => posted.push(m),
    answerHere: (msg) => here.push(msg.header.msg_type),
    language: { wants: () => opts.languageWarm === true, available: true, ask: (msg) => asked.push(msg.header.msg_type) },
    subshells: {
      refusal: (h) =>
        opts.unknownSubshell && h.subshell_id
          ? { status: "error", ename: "SubshellNotFound", evalue: "no such subshell", traceback: [] }
          : undefined,
    },
    abortWindows: { arrived: () => false },
    handed: () => {},
    executeHanded: () => ++executes,
    dropped: (_fields, message) => dropped.push(message),
  });
  return { router, requests, sent, posted, here, asked, dropped };
}

describe("Router (where each request goes, by routes.ts)", () => {
  it("answers the I/O worker's types here; kernel_info on control here, on shell in its turn on the main thread", () => {
    const f = fakeRouter();
    for (const type of ["interrupt_request", "shutdown_request", "create_subshell_request", "list_subshell_request", "debug_request"]) {
      f.router.route(request(type, {}), "control");
    }
    f.router.route(request("delete_subshell_request", { subshell_id: "s" }), "shell");
    f.router.route(request("kernel_info_request", {}), "control");
    f.router.route(request("kernel_info_request", {}), "shell");
    expect(f.here).toEqual([
      "interrupt_request",
      "shutdown_request",
      "create_subshell_request",
      "list_subshell_request",
      "debug_request",
      "delete_subshell_request",
      "kernel_info_request",
    ]);
    expect(f.posted.map((m) => m.type === "request" && m.msg.msgType)).toEqual(["kernel_info_request"]);
  });

  it("hands the main thread's types over with typed content; busy from here only when nothing else is in flight", () => {
    const f = fakeRouter();
    f.router.route(request("execute_request", { code: "1" }), "shell");
    f.router.route(request("is_complete_request", { code: "1" }), "shell");
    expect(f.posted.map((m) => m.type === "request" && [m.msg.msgType, m.busySent])).toEqual([
      ["execute_request", true],
      ["is_complete_request", false],
    ]);
    expect(f.sent.map((m) => [m.msgType, (m.content as { execution_state?: string }).execution_state])).toEqual([["status", "busy"]]);
    expect(f.requests.inFlight).toBe(2);
    expect(f.requests.executing.size).toBe(1);
  });

  it("numbers each execute request it hands over, for the interrupts that cover it, and nothing else", () => {
    const f = fakeRouter();
    f.router.route(request("execute_request", { code: "1" }), "shell");
    f.router.route(request("comm_msg", { comm_id: "c", data: {} }), "shell");
    f.router.route(request("execute_request", { code: "2" }), "shell");
    expect(f.posted.map((m) => m.type === "request" && [m.msg.msgType, m.execute])).toEqual([
      ["execute_request", 1],
      ["comm_msg", undefined],
      ["execute_request", 2],
    ]);
  });

  it("asks the language service once it is warm, else hands the request to the runtime, which may hand it back", () => {
    const warm = fakeRouter({ languageWarm: true });
    warm.router.route(request("complete_request", { code: "x.", cursor_pos: 2 }), "shell");
    expect(warm.asked).toEqual(["complete_request"]);
    expect(warm.posted).toEqual([]);
    const cold = fakeRouter();
    const msg = request("inspect_request", { code: "x", cursor_pos: 1 });
    cold.router.route(msg, "shell");
    expect(cold.posted[0]).toMatchObject({ type: "request", handBack: true });
    cold.router.toLanguage(msg.header.msg_id);
    expect(cold.asked).toEqual(["inspect_request"]);
  });

  it("answers a malformed request with an error reply that names the field; an execute request's error is shown and has count 0", () => {
    const f = fakeRouter();
    f.router.route(request("complete_request", { code: 1 }), "shell");
    f.router.route(request("execute_request", { code: "1", silent: "no" }), "shell");
    expect(f.posted).toEqual([]);
    const replies = f.sent.filter((m) => m.channel === "shell").map((m) => m.content);
    expect(replies).toEqual([
      { status: "error", ename: "InvalidRequest", evalue: "complete_request: content.code must be a string, got number", traceback: [] },
      {
        status: "error",
        ename: "InvalidRequest",
        evalue: "execute_request: content.silent must be a boolean, got string",
        traceback: ["\u001b[0;31mInvalidRequest\u001b[0m: execute_request: content.silent must be a boolean, got string"],
        execution_count: 0,
      },
    ]);
    expect(f.sent.filter((m) => m.msgType === "error")).toHaveLength(1);
    expect(f.sent.filter((m) => m.msgType === "status").map((m) => m.release === true)).toEqual([false, true, false, true]);
  });

  it("ignores, with a log line and between busy and idle, unknown types and malformed messages that have no reply", () => {
    const f = fakeRouter();
    f.router.route(request("no_such_request", { command: "initialize" }), "control");
    f.router.route(request("comm_msg", { data: {} }), "shell");
    expect(f.dropped).toEqual(["unknown message type; ignored", "message refused; ignored"]);
    expect(f.sent.map((m) => (m.content as { execution_state: string }).execution_state)).toEqual(["busy", "idle", "busy", "idle"]);
    expect(f.posted).toEqual([]);
  });

  it("answers a shell request for a subshell that does not exist with an error", () => {
    const f = fakeRouter({ unknownSubshell: true });
    f.router.route(request("execute_request", { code: "1" }, "gone"), "shell");
    expect(f.posted).toEqual([]);
    expect(f.sent.find((m) => m.channel === "shell")?.content).toMatchObject({ ename: "SubshellNotFound", execution_count: 0 });
  });
});
