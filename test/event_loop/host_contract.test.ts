/**
 * The seed's host rules, run against every registered host loop. The GTK host needs its native
 * addon (npm run build:gtk, after apt-get install libgtk-3-dev); where it is not built its suite
 * is skipped with that reason, unless TS_ASYNC_KERNEL_REQUIRE_GTK=1 (CI), where it runs and fails.
 * No display is needed: the host's loop is GLib's; only windows need one.
 */
import { existsSync } from "node:fs";

import { describe, test } from "vitest";

import { gtkAddonPath } from "../../src/event_loop/gtk_native.js";
import { describeHostContract } from "./helpers/host_contract.js";

describeHostContract("pure");

if (existsSync(gtkAddonPath()) || process.env.TS_ASYNC_KERNEL_REQUIRE_GTK === "1") {
  describeHostContract("gtk");
} else {
  describe.skip(`the host contract, loop "gtk": its addon is not built (${gtkAddonPath()}; npm run build:gtk)`, () => {
    test("skipped", () => {});
  });
}
