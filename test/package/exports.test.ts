/**
 * The package's public entries (package.json `exports`) and the names the kernel serves its own
 * modules under (loader_protocol.ts KERNEL_MODULES) are one list: a name a library can import
 * outside the kernel is the same module inside it. The packed tarball itself is tested by
 * pyproject-test-harness/test_package.py.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { KERNEL_MODULES } from "../../src/shell/loader_protocol.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  exports: Record<string, string | Record<string, string>>;
};

const entries = Object.entries(manifest.exports).filter(([path]) => path !== "./package.json");

test("every entry of package.json is served by the kernel as the same module, and nothing else", () => {
  const served = Object.fromEntries(
    entries.map(([path, target]) => [`ts-async-kernel${path.slice(1)}`, typeof target === "string" ? target : target.import]),
  );
  expect(served).toEqual(Object.fromEntries([...KERNEL_MODULES].map(([name, path]) => [name, `./dist/${path}`])));
});

test("each entry's types are the declarations of its module, built from a source file that exists", () => {
  for (const [path, target] of entries) {
    expect(typeof target, path).toBe("object");
    const conditions = target as Record<string, string>;
    expect(Object.keys(conditions), path).toEqual(["types", "import", "default"]);
    expect(conditions.types, path).toBe(conditions.import?.replace(/\.js$/, ".d.ts"));
    expect(conditions.default, path).toBe(conditions.import);
    const source = conditions.import?.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts") ?? "";
    expect(existsSync(join(repo, source)), source).toBe(true);
  }
});

/** What each standalone entry's folder may import besides itself and Node's built-ins. */
const STANDALONE: Record<string, string[]> = {
  event_loop: [],
  caller: ["event_loop"],
  comm: [],
  widgets: ["comm"],
  gtk: ["event_loop"],
  tk: ["event_loop"],
};

test("event_loop, caller, comm, widgets, gtk and tk import nothing of the kernel: each works on its own", () => {
  const found: string[] = [];
  for (const [folder, allowed] of Object.entries(STANDALONE)) {
    const dir = join(repo, "src", folder);
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const text = readFileSync(join(dir, name), "utf8");
      for (const [, specifier = ""] of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)) {
        if (specifier.startsWith("node:")) continue;
        const inside = specifier.startsWith("./") || allowed.some((other) => specifier.startsWith(`../${other}/`));
        if (!inside) found.push(`src/${folder}/${name} imports ${specifier}`);
      }
    }
  }
  expect(found).toEqual([]);
});
