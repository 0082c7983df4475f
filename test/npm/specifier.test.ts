/** `npm:` specifiers as Deno writes them, the cache's keys, and the messages for other schemes. */
import { describe, expect, it } from "vitest";
import {
  bareSpecifier,
  best,
  cacheKey,
  installArgument,
  NpmSpecifierError,
  parseNpmSpecifier,
  satisfies,
} from "../../src/npm/specifier.js";
import { unsupportedSchemeMessage } from "../../src/npm/schemes.js";

describe("parseNpmSpecifier", () => {
  it.each([
    ["npm:lodash", "lodash", undefined, false, ""],
    ["npm:lodash@4", "lodash", "4", false, ""],
    ["npm:lodash@^4.17.21/fp", "lodash", "^4.17.21", false, "/fp"],
    ["npm:lodash/fp", "lodash", undefined, false, "/fp"],
    ["npm:@scope/pkg", "@scope/pkg", undefined, false, ""],
    ["npm:@scope/pkg@1.2.3", "@scope/pkg", "1.2.3", false, ""],
    ["npm:@scope/pkg@~1.2/dist/x.js", "@scope/pkg", "~1.2", false, "/dist/x.js"],
    ["npm:@scope/pkg/sub", "@scope/pkg", undefined, false, "/sub"],
    ["npm:/preact@10/hooks", "preact", "10", false, "/hooks"],
    ["npm:left-pad@>=1 <2", "left-pad", ">=1 <2", false, ""],
    ["npm:react@next", "react", "next", true, ""],
    ["npm:JSONStream@1", "JSONStream", "1", false, ""],
    ["npm:lodash@4/", "lodash", "4", false, ""],
  ])("%s", (specifier, name, range, tag, subpath) => {
    const spec = parseNpmSpecifier(specifier);
    expect(spec).toEqual({ specifier, name, range, tag, subpath });
    expect(bareSpecifier(spec)).toBe(name + subpath);
  });

  it.each([
    ["npm:", "no package name"],
    ["npm:@scope", "scoped name"],
    ["npm:--global", "'--global' is not a valid package name"],
    ["npm:.hidden", "not a valid package name"],
    ["npm:../x", "not a valid package name"],
    ["npm:a b", "not a valid package name"],
    ["npm:lodash@", "nothing after '@'"],
    ["npm:lodash@file:../x", "'file:..' is not a version range or a dist-tag"],
    ["npm:lodash@git+https", "not a version range or a dist-tag"],
    ["npm:lodash@4/../../etc", "is not a subpath"],
    ["npm:lodash@4//x", "is not a subpath"],
    ["npm:@Sc ope/x", "not a valid package name"],
  ])("refuses %s", (specifier, why) => {
    expect(() => parseNpmSpecifier(specifier)).toThrow(NpmSpecifierError);
    expect(() => parseNpmSpecifier(specifier)).toThrow(why);
  });

  it("refuses a name longer than npm allows", () => {
    expect(() => parseNpmSpecifier(`npm:${"a".repeat(215)}`)).toThrow("longer than 214");
  });
});

describe("cacheKey", () => {
  it("is the name and the requirement as written, escaped for any file system", () => {
    expect(cacheKey({ name: "lodash", range: "4" })).toBe("lodash@4");
    expect(cacheKey({ name: "lodash", range: "^4.17" })).toBe("lodash@^4.17");
    expect(cacheKey({ name: "lodash", range: undefined })).toBe("lodash@latest");
    expect(cacheKey({ name: "@scope/pkg", range: "~1.2" })).toBe("@scope+pkg@~1.2");
    expect(cacheKey({ name: "left-pad", range: ">=1 <2" })).toBe("left-pad@%3E%3D1%20%3C2");
    expect(cacheKey({ name: "x", range: "1.x || 2.*" })).toBe("x@1.x%20%7C%7C%202.%2A");
  });

  it("never gives two requirements one key", () => {
    const ranges = ["4", "^4", "~4", "4.x", ">=4", "%3E%3D4", "4 || 5", "4||5", "latest", "*"];
    const keys = new Set(ranges.map((range) => cacheKey({ name: "p", range })));
    expect(keys.size).toBe(ranges.length);
    expect(cacheKey({ name: "@a/b", range: "1" })).not.toBe(cacheKey({ name: "a+b", range: "1" }));
  });

  it("has no character a file system refuses", () => {
    for (const range of ["<1 || >=2.0.0-beta.1", "*", "1.2.3 - 2.3.4", "=1", "x"]) {
      expect(cacheKey({ name: "@s/n", range })).toMatch(/^[A-Za-z0-9@+.^~_%-]+$/);
    }
  });
});

describe("satisfies / best", () => {
  it("meets ranges as npm does, any version without one, never a dist-tag", () => {
    const spec = (s: string) => parseNpmSpecifier(s);
    expect(satisfies("4.17.21", spec("npm:lodash@4"))).toBe(true);
    expect(satisfies("4.17.21", spec("npm:lodash@^4.17"))).toBe(true);
    expect(satisfies("4.16.0", spec("npm:lodash@^4.17"))).toBe(false);
    expect(satisfies("3.10.1", spec("npm:lodash"))).toBe(true);
    expect(satisfies("19.0.0", spec("npm:react@next"))).toBe(false);
    expect(best([{ version: "4.17.0" }, { version: "4.17.21" }, { version: "5.0.0" }], spec("npm:lodash@4"))).toEqual({
      version: "4.17.21",
    });
    expect(best([{ version: "3.0.0" }], spec("npm:lodash@4"))).toBeUndefined();
  });

  it("installs name@range, or the name alone", () => {
    expect(installArgument(parseNpmSpecifier("npm:@s/p@^1/x"))).toBe("@s/p@^1");
    expect(installArgument(parseNpmSpecifier("npm:p/x"))).toBe("p");
  });
});

describe("unsupportedSchemeMessage", () => {
  it("says what is and is not supported for jsr:, http: and https:", () => {
    const jsr = unsupportedSchemeMessage("jsr:@std/path@1/join")!;
    expect(jsr).toContain("jsr: specifiers (the JSR registry) are not supported");
    expect(jsr).toContain("npm: specifiers");
    expect(jsr).toContain("npx jsr add @std/path");
    expect(unsupportedSchemeMessage("https://deno.land/x/y.ts")).toContain("URL imports (http:, https:) are not supported");
    expect(unsupportedSchemeMessage("HTTP://x/y.js")).toContain("URL imports");
    for (const fine of ["npm:x", "node:fs", "./a.ts", "/abs/a.js", "file:///a.js", "data:text/javascript,1", "lodash"]) {
      expect(unsupportedSchemeMessage(fine)).toBeUndefined();
    }
  });
});
