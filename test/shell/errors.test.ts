/**
 * What a cell throws may be anything, hostile included (getters or Proxy traps that throw): the
 * kernel reads it in its error paths (a cell's error reply, Node's uncaughtException handler),
 * where a second throw would end the process. `formatError`, `fieldOf` and `isInstance` never throw.
 */
import { describe, expect, test } from "vitest";

import { fieldOf, formatError, isInstance, KernelInterrupt } from "../../src/shell/errors.js";
import { Shell } from "../../src/shell/shell.js";
import type { CellOutput } from "../../src/shell/output.js";

const throwing = () => {
  throw new Error("gotcha");
};
/** Every trap throws. */
const hostileProxy = () =>
  new Proxy({}, { get: throwing, has: throwing, getPrototypeOf: throwing, ownKeys: throwing, getOwnPropertyDescriptor: throwing });
const hostileValues: [string, () => unknown][] = [
  [
    "an object whose name, message and stack getters throw",
    () => ({
      get name() {
        return throwing();
      },
      get message() {
        return throwing();
      },
      get stack() {
        return throwing();
      },
    }),
  ],
  ["an Error whose message getter throws", () => Object.defineProperty(new Error("x"), "message", { get: throwing })],
  ["a Proxy whose every trap throws", hostileProxy],
  [
    "an Error with a message that cannot become a string",
    () => Object.assign(new Error(), { message: { toString: throwing, [Symbol.toPrimitive]: throwing } }),
  ],
  ["a null-prototype object", () => Object.create(null)],
  ["undefined", () => undefined],
];

describe("formatError with hostile values", () => {
  test.each(hostileValues)("describes %s without throwing", (_, make) => {
    const error = formatError(make());
    expect(typeof error.ename).toBe("string");
    expect(typeof error.evalue).toBe("string");
    expect(error.traceback.length).toBeGreaterThan(0);
  });

  test("a getter-laden object is shown as inspect shows it, getters not called", () => {
    const error = formatError(hostileValues[0]![1]());
    expect(error).toMatchObject({ ename: "Uncaught", evalue: "{ name: [Getter], message: [Getter], stack: [Getter] }" });
  });

  test("fieldOf and isInstance give undefined and false instead of throwing", () => {
    expect(fieldOf(hostileProxy(), "code")).toBeUndefined();
    expect(isInstance(hostileProxy(), KernelInterrupt)).toBe(false);
    expect(fieldOf({ code: "E" }, "code")).toBe("E");
    expect(isInstance(new KernelInterrupt(), KernelInterrupt)).toBe(true);
  });
});

describe("a cell that throws a hostile value", () => {
  const silent: CellOutput = { stream() {}, display() {}, clearOutput() {} };
  const shell = new Shell({ cwd: process.cwd(), language: "typescript" });

  test.each([
    ["throw new Proxy({}, { get() { throw new Error('gotcha') }, getPrototypeOf() { throw new Error('gotcha') } })", "{}"],
    [
      "throw { get name() { throw 1 }, get message() { throw 2 }, get stack() { throw 3 } }",
      "{ name: [Getter], message: [Getter], stack: [Getter] }",
    ],
    ["await null; throw new Proxy({}, { get() { throw new Error('gotcha') } })", "{}"],
  ])("fails with an error reply that shows it: %s", async (code, shown) => {
    const outcome = await shell.execute(code, "In[1]", silent);
    expect(outcome).toMatchObject({ status: "error", error: { ename: "Uncaught", evalue: shown } });
  });
});
