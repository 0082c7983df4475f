/**
 * A cell's timeout counts the time its code had to run (src/shell/attention.ts
 * `setRunningTimeout`): the time a debugger kept the thread stopped, marked in the thread's words
 * (`stopBegins`, `stopEnds`), moves the deadline later by as much, also while the stop goes on,
 * and nothing else does.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setRunningTimeout, stopBegins, stopEnds } from "../../src/shell/attention.js";
import { AttentionWord, newAttention } from "../../src/shared_memory/layout.js";

// the module takes its timers from node:timers (a cell may replace the global ones): these reach
// the global ones at each call, which the fake timers replace
vi.mock("node:timers", async (importOriginal) => ({
  ...(await importOriginal<typeof import("node:timers")>()),
  setTimeout: (fn: () => void, ms: number) => globalThis.setTimeout(fn, ms),
  clearTimeout: (t: ReturnType<typeof setTimeout>) => globalThis.clearTimeout(t),
}));

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] }));
afterEach(() => vi.useRealTimers());

describe("setRunningTimeout", () => {
  it("fires after its time when nothing stopped the thread", () => {
    const fired = vi.fn();
    setRunningTimeout(newAttention(), 1000, fired);
    vi.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it("waits as much longer as the thread was stopped, also while the stop still goes on", () => {
    const words = newAttention();
    const fired = vi.fn();
    setRunningTimeout(words, 1000, fired);
    vi.advanceTimersByTime(400);
    stopBegins(words);
    // stopped from 400 ms to 2000 ms: it does not fire meanwhile
    vi.advanceTimersByTime(1600);
    expect(fired).not.toHaveBeenCalled();
    stopEnds(words);
    expect(words[AttentionWord.STOPPED_AT]).toBe(0);
    // it ran 400 ms: 600 ms are left
    vi.advanceTimersByTime(599);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it("counts every stop once, however often it looked during them", () => {
    const words = newAttention();
    const fired = vi.fn();
    setRunningTimeout(words, 300, fired);
    for (let k = 0; k < 3; k++) {
      vi.advanceTimersByTime(50);
      stopBegins(words);
      vi.advanceTimersByTime(1000);
      stopEnds(words);
    }
    // 150 ms run so far
    vi.advanceTimersByTime(149);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it("ignores stops before it started, and can be cleared", () => {
    const words = newAttention();
    stopBegins(words);
    vi.advanceTimersByTime(5000);
    stopEnds(words);
    const fired = vi.fn();
    setRunningTimeout(words, 100, fired);
    vi.advanceTimersByTime(100);
    expect(fired).toHaveBeenCalledOnce();
    const cleared = vi.fn();
    setRunningTimeout(words, 100, cleared).clear();
    vi.advanceTimersByTime(1000);
    expect(cleared).not.toHaveBeenCalled();
  });
});
