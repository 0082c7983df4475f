#!/usr/bin/env node
/*
 * Builds the GTK host's native addon (native/gtk -> native/gtk/build/Release/ts_async_gtk.node)
 * with node-gyp, against GTK 3's headers (pkg-config gtk+-3.0) and the Node headers installed
 * beside this node (<prefix>/include/node): nothing is downloaded.
 *
 *   node scripts/build_gtk.mjs                 build, or fail saying what is missing
 *   node scripts/build_gtk.mjs --if-available  build where GTK's headers exist, else do nothing
 *                                              (quietly: `npm run build` runs it on every machine)
 *
 * TS_ASYNC_KERNEL_REQUIRE_GTK=1 makes --if-available fail as the plain build does (CI sets it).
 * Quiet when all is well: node-gyp's output is shown only when the build fails.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const ADDON_DIR = join(ROOT, "native", "gtk");
const OUTPUT = join(ADDON_DIR, "build", "Release", "ts_async_gtk.node");
const PACKAGES = "libgtk-3-dev build-essential python3";
const optional = process.argv.includes("--if-available") && process.env.TS_ASYNC_KERNEL_REQUIRE_GTK !== "1";

function missing(what) {
  if (optional) process.exit(0);
  process.stderr.write(`build_gtk: ${what}\nOn Debian/Ubuntu: sudo apt-get install ${PACKAGES}\n`);
  process.exit(1);
}

function has(command, args) {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

if (!has("pkg-config", ["--exists", "gtk+-3.0"]))
  missing("GTK 3's development files are not installed (pkg-config gtk+-3.0 finds nothing).");

// Node's own headers, from the installation that runs this script (never downloaded).
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, "include", "node", "node_api.h"))) {
  missing(`Node's headers are not in ${join(nodedir, "include", "node")} (Debian's nodejs and the official tarballs have them).`);
}

// node-gyp comes with npm: npm names it for the scripts it runs; else beside npm's own files.
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  for (const npm of [join(nodedir, "lib", "node_modules", "npm"), join(dirname(process.execPath), "node_modules", "npm")]) {
    try {
      return createRequire(join(npm, "package.json")).resolve("node-gyp/bin/node-gyp.js");
    } catch {}
  }
  return undefined;
}
const gyp = nodeGyp();
if (!gyp) missing("node-gyp was not found (it comes with npm).");
if (!has("make", ["--version"]) || !has("cc", ["--version"])) missing("A C compiler and make are needed.");

// Up to date: nothing to do (the build step runs on every `npm run build`).
const sources = ["ts_async_gtk.c", "binding.gyp"].map((name) => join(ADDON_DIR, name));
if (existsSync(OUTPUT)) {
  const built = statSync(OUTPUT).mtimeMs;
  const abi = join(ADDON_DIR, "build", "node-abi");
  if (
    sources.every((file) => statSync(file).mtimeMs <= built) &&
    existsSync(abi) &&
    readFileSync(abi, "utf8") === process.versions.modules
  ) {
    process.exit(0);
  }
}

const result = spawnSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`, "--loglevel=warn"], {
  cwd: ADDON_DIR,
  encoding: "utf8",
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.status !== 0) {
  process.stderr.write(
    `${result.stdout ?? ""}${result.stderr ?? ""}\nbuild_gtk: node-gyp failed (exit ${result.status ?? result.signal}).\n`,
  );
  process.exit(1);
}
writeFileSync(join(ADDON_DIR, "build", "node-abi"), process.versions.modules);
