#!/usr/bin/env node
/*
 * Builds the toolkit hosts' native addons (native/<loop> -> native/<loop>/build/Release/*.node)
 * with node-gyp, against the toolkit's headers (pkg-config) and the Node headers installed beside
 * this node (<prefix>/include/node): nothing is downloaded.
 *
 *   node scripts/build_addons.mjs [gtk] [tk]        build these (default: all), or fail saying what is missing
 *   node scripts/build_addons.mjs --if-available    build those whose toolkit's headers exist, skip the others
 *                                                   (quietly: `npm run build` runs it on every machine)
 *
 * TS_ASYNC_KERNEL_REQUIRE_GTK=1 / TS_ASYNC_KERNEL_REQUIRE_TK=1 make --if-available fail for that
 * toolkit as the plain build does (CI sets both). Quiet when all is well: node-gyp's output is
 * shown only when a build fails. An addon newer than its sources, built for this Node ABI, is
 * left alone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const ADDONS = {
  gtk: { pkg: "gtk+-3.0", toolkit: "GTK 3", packages: "libgtk-3-dev", file: "ts_async_gtk" },
  tk: { pkg: "tk", toolkit: "Tk", packages: "tk-dev", file: "ts_async_tk" },
};
const TOOLCHAIN = "build-essential python3";

const ifAvailable = process.argv.includes("--if-available");
const asked = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
for (const name of asked) {
  if (!(name in ADDONS)) {
    process.stderr.write(`build_addons: no addon "${name}"; known: ${Object.keys(ADDONS).join(", ")}\n`);
    process.exit(2);
  }
}

function has(command, args) {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

// Node's own headers, from the installation that runs this script (never downloaded).
const nodedir = dirname(dirname(process.execPath));

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

/** Why `name` cannot be built here, or undefined. */
function missing(name) {
  const addon = ADDONS[name];
  if (!has("pkg-config", ["--exists", addon.pkg]))
    return `${addon.toolkit}'s development files are not installed (pkg-config ${addon.pkg} finds nothing)`;
  if (!existsSync(join(nodedir, "include", "node", "node_api.h"))) return `Node's headers are not in ${join(nodedir, "include", "node")}`;
  if (!nodeGyp()) return "node-gyp was not found (it comes with npm)";
  if (!has("make", ["--version"]) || !has("cc", ["--version"])) return "a C compiler and make are needed";
  return undefined;
}

function upToDate(name) {
  const dir = join(ROOT, "native", name);
  const output = join(dir, "build", "Release", `${ADDONS[name].file}.node`);
  const abi = join(dir, "build", "node-abi");
  if (!existsSync(output) || !existsSync(abi) || readFileSync(abi, "utf8") !== process.versions.modules) return false;
  const built = statSync(output).mtimeMs;
  const sources = [join(dir, `${ADDONS[name].file}.c`), join(dir, "binding.gyp"), join(ROOT, "native", "common", "node_guest.h")];
  return sources.every((file) => statSync(file).mtimeMs <= built);
}

let failed = false;
for (const name of asked.length > 0 ? asked : Object.keys(ADDONS)) {
  const required = !ifAvailable || process.env[`TS_ASYNC_KERNEL_REQUIRE_${name.toUpperCase()}`] === "1";
  const why = missing(name);
  if (why) {
    if (!required) continue;
    process.stderr.write(`build_addons: ${name}: ${why}.\nOn Debian/Ubuntu: sudo apt-get install ${ADDONS[name].packages} ${TOOLCHAIN}\n`);
    failed = true;
    continue;
  }
  if (upToDate(name)) continue;
  const dir = join(ROOT, "native", name);
  const result = spawnSync(process.execPath, [nodeGyp(), "rebuild", `--nodedir=${nodedir}`, "--loglevel=warn"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (result.status !== 0) {
    process.stderr.write(
      `${result.stdout ?? ""}${result.stderr ?? ""}\nbuild_addons: ${name}: node-gyp failed (exit ${result.status ?? result.signal}).\n`,
    );
    failed = true;
    continue;
  }
  writeFileSync(join(dir, "build", "node-abi"), process.versions.modules);
}
process.exit(failed ? 1 : 0);
