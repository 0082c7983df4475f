import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

/*
 * Worker threads and child processes cannot load .ts through vitest, and the project's dist/
 * may be stale or unbuildable while other folders are mid-edit. So the tests compile just
 * src/event_loop with tsconfig.build.json into a temp folder keyed by a hash of the sources:
 * spec files running in parallel share one build, and a source change gets a fresh one.
 */

const here = fileURLToPath(new URL(".", import.meta.url));
const config = join(here, "..", "tsconfig.build.json");
const sources = join(here, "..", "..", "..", "src", "event_loop");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of [config, join(sources, "..", "..", "tsconfig.json"), tsc]) {
    hash.update(file).update(await readFile(file));
  }
  for (const name of (await readdir(sources)).sort()) {
    if (name.endsWith(".ts")) hash.update(name).update(await readFile(join(sources, name)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** Compile src/event_loop (once per source state) and return the folder holding index.js. */
export async function buildEventLoop(): Promise<string> {
  const target = join(tmpdir(), `ts-async-kernel-event-loop-${await sourceHash()}`);
  if (existsSync(join(target, "index.js"))) return target;
  const staging = await mkdtemp(join(tmpdir(), "ts-async-kernel-event-loop-build-"));
  try {
    await promisify(execFile)(process.execPath, [tsc, "-p", config, "--outDir", staging]);
    // The folder lies outside the package, so it needs its own ESM marker.
    await writeFile(join(staging, "package.json"), '{ "type": "module" }\n');
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another spec file finished the same build first: use it.
    if (!existsSync(join(target, "index.js"))) throw error;
  }
  return target;
}

/** The file URL of a module in a build folder, for import() and Worker. */
export function moduleUrl(buildDir: string, file: string): string {
  return pathToFileURL(join(buildDir, file)).href;
}
