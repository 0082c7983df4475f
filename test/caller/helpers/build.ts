import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

/*
 * Caller threads are worker threads, which cannot load .ts through vitest; the project's dist/
 * may be stale while other folders are mid-edit. So the tests compile src/caller and
 * src/event_loop into a temp folder keyed by a hash of the sources (and fixtures, copied to
 * `fixtures/` there so that they import the same modules as the threads: `../caller/index.js`).
 */

const here = fileURLToPath(new URL(".", import.meta.url));
const config = join(here, "..", "tsconfig.build.json");
const src = join(here, "..", "..", "..", "src");
const fixtures = join(here, "..", "fixtures");
const folders = [join(src, "caller"), join(src, "event_loop"), fixtures];
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of [config, join(src, "..", "tsconfig.json"), tsc]) hash.update(file).update(await readFile(file));
  for (const folder of folders) {
    for (const name of (await readdir(folder)).sort()) {
      if (/\.(ts|mjs)$/.test(name))
        hash
          .update(folder)
          .update(name)
          .update(await readFile(join(folder, name)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

/** Compile once per source state; returns the folder holding caller/, event_loop/ and fixtures/. */
export async function buildCaller(): Promise<string> {
  const target = join(tmpdir(), `ts-async-kernel-caller-${await sourceHash()}`);
  if (existsSync(join(target, "caller", "index.js"))) return target;
  const staging = await mkdtemp(join(tmpdir(), "ts-async-kernel-caller-build-"));
  try {
    await promisify(execFile)(process.execPath, [tsc, "-p", config, "--outDir", staging]);
    await cp(fixtures, join(staging, "fixtures"), { recursive: true });
    await writeFile(join(staging, "package.json"), '{ "type": "module" }\n');
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(target, "caller", "index.js"))) throw error;
  }
  return target;
}

export function moduleUrl(buildDir: string, file: string): string {
  return pathToFileURL(join(buildDir, file)).href;
}
