/**
 * The cell-facing stdin functions (src/shell/stdin.ts): what they ask the cell's CellStdin, what
 * they make of the answer, and their errors where no input can be asked for.
 */
import { describe, expect, test } from "vitest";
import type { CellOutput } from "../../src/shell/output.js";
import { CellScope } from "../../src/shell/cell_scope.js";
import { confirm, input, prompt, refusingStdin, StdinUnavailable, type CellStdin, type StdinCaller } from "../../src/shell/stdin.js";

/** A cell whose frontend answers from `answers`, in order; records what was asked. */
function cell(answers: string[], stdin?: CellStdin) {
  const asked: { prompt: string; password: boolean; caller: StdinCaller; sync: boolean }[] = [];
  const frontend: CellStdin = stdin ?? {
    ask: async (prompt, password, caller) => {
      asked.push({ prompt, password, caller, sync: false });
      return answers.shift()!;
    },
    askSync: (prompt, password, caller) => {
      asked.push({ prompt, password, caller, sync: true });
      return answers.shift()!;
    },
  };
  const output: CellOutput = { stream() {}, display() {}, clearOutput() {}, stdin: frontend };
  return { asked, run: <T>(fn: () => T): T => new CellScope(output).run(fn) };
}

describe("input", () => {
  test("asks with the prompt as given, and the password flag", async () => {
    const c = cell(["Ada", "secret"]);
    expect(await c.run(() => input("Name? "))).toBe("Ada");
    expect(await c.run(() => input("Secret: ", { password: true }))).toBe("secret");
    expect(c.asked).toEqual([
      { prompt: "Name? ", password: false, caller: "input", sync: false },
      { prompt: "Secret: ", password: true, caller: "input", sync: false },
    ]);
  });

  test("the current cell is found from its timers and promises too", async () => {
    const c = cell(["later"]);
    const answer = await c.run(() => new Promise<string>((resolve) => setTimeout(() => void input("x").then(resolve), 5)));
    expect(answer).toBe("later");
  });
});

describe("prompt and confirm (blocking, as the browser's)", () => {
  test("prompt asks what it is given (and the default), and an empty answer gives the default", () => {
    const c = cell(["", "Bob", "typed"]);
    expect(c.run(() => prompt("Name?", "nobody"))).toBe("nobody");
    expect(c.run(() => prompt("Name?", "nobody"))).toBe("Bob");
    expect(c.run(() => prompt())).toBe("typed");
    expect(c.asked.map((a) => [a.prompt, a.caller, a.sync])).toEqual([
      ["Name? [nobody]", "prompt", true],
      ["Name? [nobody]", "prompt", true],
      ["", "prompt", true],
    ]);
  });

  test("the message is asked as written: a hint goes before its trailing whitespace, nothing else is added", () => {
    const c = cell(["a", "b", "c", "d", "e", "y"]);
    c.run(() => prompt("Enter: "));
    c.run(() => prompt("Enter:"));
    c.run(() => prompt("Enter: ", "x"));
    c.run(() => prompt("", "x"));
    c.run(() => confirm("Sure?\n"));
    c.run(() => confirm());
    expect(c.asked.map((a) => a.prompt)).toEqual(["Enter: ", "Enter:", "Enter: [x] ", "[x]", "Sure? [y/N]\n", "[y/N]"]);
  });

  test("an empty answer without a default is the empty string", () => {
    expect(cell([""]).run(() => prompt("Name?"))).toBe("");
  });

  test("confirm is true for y or yes in any case, false for anything else", () => {
    const answers = ["y", "Y", " yes ", "YES", "n", "", "yess", "no", "ja"];
    const c = cell([...answers]);
    expect(answers.map(() => c.run(() => confirm("Sure?")))).toEqual([true, true, true, true, false, false, false, false, false]);
    expect(new Set(c.asked.map((a) => a.prompt))).toEqual(new Set(["Sure? [y/N]"]));
  });
});

describe("where no input can be asked for", () => {
  test("a refusing stdin names the function that was called and why", async () => {
    const c = cell([], refusingStdin("not here"));
    await expect(c.run(() => input("x"))).rejects.toThrow(new StdinUnavailable("input() was called, but not here"));
    expect(() => c.run(() => prompt("x"))).toThrow("prompt() was called, but not here");
    expect(() => c.run(() => confirm("x"))).toThrow("confirm() was called, but not here");
    const err = await c.run(() => input()).catch((e: unknown) => e);
    expect((err as Error).name).toBe("StdinUnavailable");
  });

  test("a cell output without stdin says so", async () => {
    const output: CellOutput = { stream() {}, display() {}, clearOutput() {} };
    await expect(new CellScope(output).run(() => input())).rejects.toThrow(
      "input() was called, but this cell has no way to ask its frontend for input",
    );
  });
});
