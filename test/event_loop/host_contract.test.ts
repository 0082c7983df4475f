/**
 * The seed's host rules, run against every registered host loop. A toolkit host needs its native
 * addon (npm run build:gtk / build:tk, after apt-get install libgtk-3-dev / tk-dev); where it is not
 * built its suite is skipped with that reason, unless TS_ASYNC_KERNEL_REQUIRE_GTK=1 /
 * TS_ASYNC_KERNEL_REQUIRE_TK=1 (CI), where it runs and fails. No display is needed: the hosts'
 * loops are GLib's and Tcl's; only windows need one.
 */
import { existsSync } from "node:fs";

import { describe, test } from "vitest";

import { gtkAddonPath } from "../../src/event_loop/gtk_native.js";
import { tkAddonPath } from "../../src/event_loop/tk_native.js";
import { describeHostContract } from "./helpers/host_contract.js";

describeHostContract("pure");

for (const [loop, path] of [
  ["gtk", gtkAddonPath()],
  ["tk", tkAddonPath()],
] as const) {
  if (existsSync(path) || process.env[`TS_ASYNC_KERNEL_REQUIRE_${loop.toUpperCase()}`] === "1") {
    describeHostContract(loop);
  } else {
    describe.skip(`the host contract, loop "${loop}": its addon is not built (${path}; npm run build:${loop})`, () => {
      test("skipped", () => {});
    });
  }
}
