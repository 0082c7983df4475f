import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { beforeAll, describe, expect, test } from "vitest";

import { Host } from "../../src/event_loop/host.js";
import { run } from "../../src/event_loop/run.js";
import { buildEventLoop, moduleUrl } from "./helpers/build.js";

describe("run without a loop (the backend owns the thread)", () => {
  test("runs func with its arguments on the node backend by default", async () => {
    const result = await run(
      async (a: number, b: string) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return `${b}${a}`;
      },
      [1, "x"],
    );
    expect(result).toBe("x1");
  });

  test("no host is current while only a backend runs", async () => {
    expect(await run(async () => Host.current(), [], { backend: "node" })).toBeUndefined();
  });

  test("rejects with the error func throws", async () => {
    const error = new Error("backend only");
    await expect(run(() => Promise.reject(error), [])).rejects.toBe(error);
  });

  test("an unknown backend gives an error listing the known backends", async () => {
    await expect(run(async () => 1, [], { backend: "trio" })).rejects.toThrow(/Unknown backend "trio"; known backends: "node"/);
  });

  test("backend options reach the backend", async () => {
    await expect(run(async () => 1, [], { backendOptions: { loopFactory: "x" } })).rejects.toThrow(
      /Unknown option "loopFactory" for backend "node"/,
    );
  });

  test("an empty loop name means no host", async () => {
    expect(await run(async () => Host.current(), [], { loop: "" })).toBeUndefined();
  });
});

describe("run with a loop (the backend is the host's guest)", () => {
  test("starts the loop's host and returns func's result", async () => {
    const seen = await run(async (x: number) => [x, Host.current()?.constructor.name], [5], { loop: "pure" });
    expect(seen).toEqual([5, "PureHost"]);
    expect(Host.current()).toBeUndefined();
  });

  test("rejects with the guest's error", async () => {
    await expect(
      run(
        async () => {
          throw new SyntaxError("in the guest");
        },
        [],
        { loop: "pure" },
      ),
    ).rejects.toThrow(SyntaxError);
  });

  test("in a fresh Node process, importing only the index, the pure host loads lazily", async () => {
    const indexUrl = moduleUrl(await buildEventLoop(), "index.js");
    const script = `
      const { Host, run } = await import(${JSON.stringify(indexUrl)});
      const before = Host.registeredLoops();
      const result = await run(async (x) => [x, Host.current()?.constructor.name], [7], { loop: "pure" });
      const failure = await run(async () => 1, [], { loop: "qt" }).catch((error) => error.message);
      console.log(JSON.stringify({ before, result, after: Host.registeredLoops(), failure }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ before: [], result: [7, "PureHost"], after: ["pure"] });
    expect(report.failure).toMatch(/^No host is available for loop="qt": importing \.\/qt_host\.js failed/);
  });
});

describe("build for worker tests", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await buildEventLoop();
  });

  test("a second build with unchanged sources reuses the first", async () => {
    expect(await buildEventLoop()).toBe(dir);
  });
});
