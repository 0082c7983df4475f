import { afterEach, describe, expect, it, vi } from "vitest";
import type { Outbound, StopsQueue } from "../../src/io/bridge.js";
import { DEFAULT_HOLD_MS, FailureHold, holdFromEnv } from "../../src/io/failure_hold.js";
import type { Header } from "../../src/messaging/index.js";

const failing = { msg_id: "failing" } as Header;
const other = { msg_id: "other" } as Header;
const msg = (parent: Header, msgType: string, stopsQueue?: StopsQueue): Outbound => ({
  channel: msgType === "execute_reply" ? "shell" : "iopub",
  msgType,
  content: {},
  parent,
  ...(stopsQueue ? { stopsQueue } : {}),
});

afterEach(() => vi.useRealTimers());

describe("FailureHold (a failing reply waits, so that a blind burst is made before it)", () => {
  it("holds a reply that stops its queue, then its shell's later replies, each with its request's later messages, in order; output goes at once", () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const hold = new FailureHold(20, (item) => sent.push(`${item.parent?.msg_id} ${item.msgType}`));
    hold.pass(msg(failing, "error"));
    hold.pass(msg(failing, "execute_reply", "failure"));
    hold.pass(msg(failing, "status"));
    hold.pass(msg(other, "stream"));
    // a request it aborted: its reply waits behind the failing one, with its idle
    hold.pass(msg(other, "execute_reply"));
    hold.pass(msg(other, "status"));
    // another shell's reply is not held
    const subshell = { msg_id: "sub", subshell_id: "s1" } as Header;
    hold.pass(msg(subshell, "execute_reply"));
    expect(sent).toEqual(["failing error", "other stream", "sub execute_reply"]);
    vi.advanceTimersByTime(19);
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(sent.slice(3)).toEqual(["failing execute_reply", "failing status", "other execute_reply", "other status"]);
  });

  it("sends an interrupt's reply at once: the user chose its moment, long after the cells sent with it", () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const hold = new FailureHold(20, (item) => sent.push(`${item.parent?.msg_id} ${item.msgType}`));
    hold.pass(msg(failing, "execute_reply", "interrupt"));
    hold.pass(msg(other, "execute_reply"));
    expect(sent).toEqual(["failing execute_reply", "other execute_reply"]);
  });

  it("sends at once with a hold of 0, and lets everything out when the sockets close", () => {
    const sent: string[] = [];
    new FailureHold(0, (item) => sent.push(item.msgType)).pass(msg(failing, "execute_reply", "failure"));
    expect(sent).toEqual(["execute_reply"]);
    const later: string[] = [];
    const hold = new FailureHold(1000, (item) => later.push(item.msgType));
    hold.pass(msg(failing, "execute_reply", "failure"));
    hold.releaseAll();
    expect(later).toEqual(["execute_reply"]);
  });

  it("reads its hold from TS_ASYNC_KERNEL_STOP_ON_ERROR_MS", () => {
    expect(holdFromEnv({})).toBe(DEFAULT_HOLD_MS);
    expect(holdFromEnv({ TS_ASYNC_KERNEL_STOP_ON_ERROR_MS: "0" })).toBe(0);
    expect(holdFromEnv({ TS_ASYNC_KERNEL_STOP_ON_ERROR_MS: "50" })).toBe(50);
    for (const bad of ["", "-1", "soon", "Infinity"]) expect(holdFromEnv({ TS_ASYNC_KERNEL_STOP_ON_ERROR_MS: bad })).toBe(DEFAULT_HOLD_MS);
  });
});
