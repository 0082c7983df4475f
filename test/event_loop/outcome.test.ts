import { describe, expect, test } from "vitest";

import { Outcome } from "../../src/event_loop/outcome.js";

describe("Outcome", () => {
  test("value wraps a value that unwrap returns", () => {
    const outcome = Outcome.value(42);
    expect(outcome.isError).toBe(false);
    expect(outcome.unwrap()).toBe(42);
  });

  test("error wraps a thrown value that unwrap rethrows as the same object", () => {
    const error = new RangeError("boom");
    const outcome = Outcome.error(error);
    expect(outcome.isError).toBe(true);
    expect(() => outcome.unwrap()).toThrow(error);
  });

  test("a thrown value that is not an Error is rethrown unchanged", () => {
    const thrown = { reason: "not an Error" };
    const outcome = Outcome.capture(() => {
      throw thrown;
    });
    expect(outcome.isError).toBe(true);
    let caught: unknown;
    try {
      outcome.unwrap();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(thrown);
  });

  test("an undefined value is still a value, not an error", () => {
    const outcome = Outcome.capture(() => undefined);
    expect(outcome.isError).toBe(false);
    expect(outcome.unwrap()).toBeUndefined();
  });

  test("capture passes the arguments and captures the return value", () => {
    expect(Outcome.capture((a: number, b: number) => a + b, 1, 1).unwrap()).toBe(2);
  });

  test("capture captures a synchronous throw instead of throwing", () => {
    const outcome = Outcome.capture(() => {
      throw new Error("sync");
    });
    expect(() => outcome.unwrap()).toThrow("sync");
  });

  test("acapture awaits the function and captures its resolved value", async () => {
    const outcome = await Outcome.acapture(async (x: string) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return x.toUpperCase();
    }, "abc");
    expect(outcome.unwrap()).toBe("ABC");
  });

  test("acapture captures a rejection", async () => {
    const error = new Error("async");
    const outcome = await Outcome.acapture(async () => {
      await Promise.resolve();
      throw error;
    });
    expect(outcome.isError).toBe(true);
    expect(() => outcome.unwrap()).toThrow(error);
  });

  test("acapture captures a synchronous throw from a non-async function", async () => {
    const pending = Outcome.acapture((): Promise<number> => {
      throw new TypeError("thrown before any promise");
    });
    const outcome = await pending;
    expect(() => outcome.unwrap()).toThrow(TypeError);
  });

  test("acapture accepts a function returning a plain value", async () => {
    expect((await Outcome.acapture(() => 7)).unwrap()).toBe(7);
  });
});
