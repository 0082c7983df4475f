import { describe, expect, it } from "vitest";
import { catchesAt, tryMap } from "../../../src/io/debugger/catch_scan.js";

/** V8's 0-based line and column of the first `mark` in `source`. */
function at(source: string, mark: string): [number, number] {
  const offset = source.indexOf(mark);
  const before = source.slice(0, offset).split("\n");
  return [before.length - 1, before.at(-1)!.length];
}

async function catches(source: string, mark: string): Promise<boolean> {
  return catchesAt(await tryMap(source), ...at(source, mark));
}

describe("catch_scan", () => {
  it("sees a position inside a try block that has a catch", async () => {
    expect(await catches("try {\n  boom();\n} catch {}", "boom")).toBe(true);
    expect(await catches("try { boom(); } catch (e) { log(e); } finally {}", "boom")).toBe(true);
  });

  it("a try with only finally, a catch clause and a finally block catch nothing", async () => {
    expect(await catches("try { boom(); } finally { done(); }", "boom")).toBe(false);
    expect(await catches("try { a(); } catch { boom(); }", "boom")).toBe(false);
    expect(await catches("try { a(); } catch {} finally { boom(); }", "boom")).toBe(false);
  });

  it("a try of an enclosing function does not catch in a nested function's body", async () => {
    const source = "try {\n  items.forEach((x) => { boom(x); });\n} catch {}";
    expect(await catches(source, "boom")).toBe(false);
    // the call of forEach itself is in the try: the caller's frame is caught there
    expect(await catches(source, "items")).toBe(true);
  });

  it("reads the code cells run as: top-level await and return, a function at offset 0", async () => {
    expect(await catches("try { await boom(); } catch {}\nreturn 1;", "boom")).toBe(true);
    expect(await catches("function f() { try { boom(); } catch {} }", "boom")).toBe(true);
    expect(await catches("function f() { boom(); }\ntry { f(); } catch {}", "boom")).toBe(false);
  });

  it("a source that does not parse catches nothing, and a line past the end is no position", async () => {
    const map = await tryMap("try { x( } catch {}");
    expect(map.tries).toEqual([]);
    expect(catchesAt(await tryMap("try { a(); } catch {}"), 5, 0)).toBe(false);
  });
});
