import { describe, expect, it } from "vitest";
import { CallbackQueue } from "../../src/event_loop/callback_queue.js";

describe("CallbackQueue", () => {
  it("gives callbacks back in the order they came, and undefined when empty", () => {
    const q = new CallbackQueue();
    const ran: number[] = [];
    for (let i = 0; i < 3; i++) q.push(() => ran.push(i));
    expect(q.size).toBe(3);
    for (let fn = q.take(); fn !== undefined; fn = q.take()) fn();
    expect(ran).toEqual([0, 1, 2]);
    expect(q.size).toBe(0);
    expect(q.take()).toBeUndefined();
  });

  it("keeps the order across compaction while producers never let it empty", () => {
    const q = new CallbackQueue();
    const ran: number[] = [];
    let next = 0;
    const add = () => {
      const k = next++;
      q.push(() => ran.push(k));
    };
    for (let i = 0; i < 10; i++) add();
    // two in for every one out: the head passes 1024 with the queue still busy
    for (let step = 0; step < 5000; step++) {
      q.take()!();
      add();
      add();
    }
    expect(q.size).toBe(10 + 5000);
    for (let fn = q.take(); fn !== undefined; fn = q.take()) fn();
    expect(ran).toEqual(Array.from({ length: next }, (_, k) => k));
  });
});
