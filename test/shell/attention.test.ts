/**
 * A cell's timeout counts the time its code had to run (src/shell/attention.ts
 * `setRunningTimeout`): the time a debugger kept the thread stopped, told through PAUSED_MS or
 * seen as the current stop, moves the deadline later by as much, and nothing else does.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { addPausedMs, setRunningTimeout } from "../../src/shell/attention.js";
import { AttentionWord, newAttention } from "../../src/shared_memory/layout.js";

// the module takes its timers from node:timers (a cell may replace the global ones): these reach
// the global ones at each call, which the fake timers replace
vi.mock("node:timers", async (importOriginal) => ({
  ...(await importOriginal<typeof import("node:timers")>()),
  setTimeout: (fn: () => void, ms: number) => globalThis.setTimeout(fn, ms),
  clearTimeout: (t: ReturnType<typeof setTimeout>) => globalThis.clearTimeout(t),
}));

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
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

  it("waits as much longer as the thread was stopped, told after the stop", () => {
    const words = newAttention();
    const fired = vi.fn();
    setRunningTimeout(words, 1000, fired);
    vi.advanceTimersByTime(500);
    addPausedMs(words, 700); // a stop of 0.7 s, told as the thread goes on
    vi.advanceTimersByTime(1199);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it("counts a stop that is still going on, and that stop once only when it is told", () => {
    const words = newAttention();
    const fired = vi.fn();
    let stoppedSoFar = 0;
    setRunningTimeout(words, 1000, fired, () => stoppedSoFar);
    vi.advanceTimersByTime(400);
    stoppedSoFar = 600; // stopped at 400 ms, still at 1000
    vi.advanceTimersByTime(600);
    expect(fired).not.toHaveBeenCalled();
    // it goes on at 1500 ms: the whole stop (1100 ms) is told, the current one is over; it has
    // run 400 ms, so 600 ms are left
    vi.advanceTimersByTime(500);
    stoppedSoFar = 0;
    addPausedMs(words, 1100);
    vi.advanceTimersByTime(599);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it("ignores stops before it started and can be cleared", () => {
    const words = newAttention();
    addPausedMs(words, 5000);
    const fired = vi.fn();
    setRunningTimeout(words, 100, fired);
    vi.advanceTimersByTime(100);
    expect(fired).toHaveBeenCalledOnce();
    const cleared = vi.fn();
    setRunningTimeout(words, 100, cleared).clear();
    vi.advanceTimersByTime(1000);
    expect(cleared).not.toHaveBeenCalled();
    expect(words[AttentionWord.PAUSED_MS]).toBe(5000);
  });
});
