/**
 * How the debugger shows values (src/io/debugger/values.ts): the inspector's descriptions of
 * real values of this thread, taken through a real inspector session.
 */
import { Session } from "node:inspector";
import type { Runtime } from "node:inspector";
import { afterAll, describe, expect, it } from "vitest";
import { expandable, valueText, valueType } from "../../../src/io/debugger/values.js";

const session = new Session();
session.connect();
afterAll(() => session.disconnect());

/** What the inspector says of the value of `expression` (as Runtime.getProperties gives values). */
function remote(expression: string): Runtime.RemoteObject {
  let out: Runtime.RemoteObject | undefined;
  session.post("Runtime.evaluate", { expression, generatePreview: true }, (err, r) => {
    if (err) throw err;
    out = r.result;
  });
  return out!;
}

describe("values (one line per value, as the Variables panel shows it)", () => {
  it("primitives: strings quoted, numbers and the unserializable ones as written", () => {
    expect(["'a\"b'", "42", "-0", "NaN", "10n", "true", "undefined", "null", "Symbol('s')"].map((e) => valueText(remote(e)))).toEqual([
      '"a\\"b"',
      "42",
      "-0",
      "NaN",
      "10n",
      "true",
      "undefined",
      "null",
      "Symbol(s)",
    ]);
    // no type for a primitive: JupyterLab's Variables tree would show it instead of the value
    expect(["1", "'x'", "null", "1n", "true", "undefined"].map((e) => valueType(remote(e)))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("objects by their first properties, arrays and maps by their elements; they expand", () => {
    expect(valueText(remote("({ x: 3, name: 'p', inner: { y: 1 } })"))).toBe('{x: 3, name: "p", inner: {…}}');
    expect(valueText(remote("[1, 'two', [3]]"))).toBe('Array(3) [1, "two", Array(1)]');
    expect(valueText(remote("new Map([['k', 1]])"))).toBe('Map(1) {"k" => 1}');
    expect(valueText(remote("new (class Point { constructor() { this.x = 1 } })()"))).toBe("Point {x: 1}");
    expect(valueType(remote("[1]"))).toBe("Array");
    expect(expandable(remote("({})"))).toBe(true);
    expect(expandable(remote("null"))).toBe(false);
    expect(expandable(remote("'s'"))).toBe(false);
  });

  it("a function by its head, a long text clipped", () => {
    expect(valueText(remote("(function scale(p, k) { return p * k })"))).toBe("function scale(p, k) {…}");
    expect(valueType(remote("() => 1"))).toBe("function");
    const long = valueText(remote("'x'.repeat(1000)"));
    expect(long.length).toBe(200);
    expect(long.endsWith("…")).toBe(true);
  });
});
