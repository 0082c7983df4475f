/**
 * What is particular to the Tk host (its contract: host_contract.test.ts): how it fails where it
 * cannot run, and its checks; and Tcl for cells without a display.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

import { beforeAll, describe, expect, test } from "vitest";

import { run } from "../../src/event_loop/run.js";
import { tkAddonPath } from "../../src/event_loop/tk_native.js";
import { buildEventLoop, moduleUrl } from "./helpers/build.js";

const built = existsSync(tkAddonPath()) || process.env.TS_ASYNC_KERNEL_REQUIRE_TK === "1";
let indexUrl: string;

beforeAll(async () => {
  indexUrl = moduleUrl(await buildEventLoop(), "index.js");
});

test("without its addon, loop tk fails with an error naming the packages to install and the build command", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { run } = await import(${JSON.stringify(indexUrl)});
       const error = await run(async () => 1, [], { loop: "tk" }).catch((e) => e);
       console.log(JSON.stringify({ message: error.message, cause: error.cause?.code }));`,
    ],
    { env: { ...process.env, TS_ASYNC_KERNEL_TK_ADDON: "/nonexistent/ts_async_tk.node" } },
  );
  const report = JSON.parse(stdout) as { message: string; cause: string };
  expect(report.cause).toBe("ERR_TK_ADDON_MISSING");
  expect(report.message).toMatch(/^No host is available for loop="tk"/);
  expect(report.message).toContain("apt-get install tk-dev");
  expect(report.message).toContain("npm run build:tk");
});

describe.skipIf(!built)("with the addon built", () => {
  test("TkHost serves loop tk for the Tk GUI and checks its options", async () => {
    const { TkHost } = await import("../../src/event_loop/tk_host.js");
    expect([TkHost.LOOP, TkHost.GUIS]).toEqual(["tk", ["tk"]]);
    expect(() => new TkHost({ onTik: () => {} })).toThrow('Unknown option "onTik" for TkHost; expected: onCallbackError');
  });

  test("Tcl runs on the Tk host without a display: eval, call (no quoting), commands calling JavaScript, Tcl errors, no exit", async () => {
    const { loadTkAddon } = await import("../../src/event_loop/tk_native.js");
    const result = await run(
      async () => {
        const tcl = loadTkAddon();
        const seen: string[][] = [];
        tcl.command("js_add", (...words: string[]) => {
          seen.push(words);
          return words.reduce((sum, w) => sum + Number(w), 0);
        });
        const error = (() => {
          try {
            tcl.eval("nosuch 1");
          } catch (e) {
            return [(e as NodeJS.ErrnoException).code, (e as Error).message];
          }
        })();
        return {
          sum: tcl.eval("expr {[js_add 1 2 3] * 2}"),
          words: tcl.call(["list", "a b", "{c", "$d"]),
          error,
          exit: (() => {
            try {
              return tcl.eval("exit 3");
            } catch (e) {
              return (e as Error).message;
            }
          })(),
          seen,
        };
      },
      [],
      { loop: "tk" },
    );
    expect(result).toEqual({
      sum: "12",
      words: "{a b} \\{c {$d}",
      error: ["ERR_TCL", 'invalid command name "nosuch"'],
      exit: 'invalid command name "exit"',
      seen: [["1", "2", "3"]],
    });
  });
});
