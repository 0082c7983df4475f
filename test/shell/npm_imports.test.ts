/** Whether cells' `npm:` imports may install: the install option, then TS_ASYNC_KERNEL_NPM_INSTALL. */
import { describe, expect, it } from "vitest";
import { npmInstallAllowed } from "../../src/shell/npm_imports.js";

describe("npmInstallAllowed", () => {
  it("is on unless the option or the environment variable turns it off", () => {
    expect(npmInstallAllowed(undefined, {})).toBe(true);
    expect(npmInstallAllowed(true, {})).toBe(true);
    expect(npmInstallAllowed(false, {})).toBe(false);
    for (const off of ["off", "OFF", " 0 ", "false", "no"])
      expect(npmInstallAllowed(undefined, { TS_ASYNC_KERNEL_NPM_INSTALL: off })).toBe(false);
    for (const on of ["", "on", "1", "yes"]) expect(npmInstallAllowed(undefined, { TS_ASYNC_KERNEL_NPM_INSTALL: on })).toBe(true);
    // The option's "off" wins over an environment that says on.
    expect(npmInstallAllowed(false, { TS_ASYNC_KERNEL_NPM_INSTALL: "on" })).toBe(false);
  });
});
