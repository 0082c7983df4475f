/**
 * Installs into the kernel's npm cache with the real npm, against a registry of the test's own
 * (node:http on 127.0.0.1, serving packages packed by `npm pack`): no network. What a cell's
 * `npm:` import relies on: the entry made whole or not at all, one install per package and
 * requirement, installs stopped by their callers (npm killed, nothing left), two installs of the
 * same package at once (two kernels) both ending with one entry, npm's failures as clear errors.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findInCache, findInstalled, ENTRY_MARKER } from "../../src/npm/cache.js";
import { failure, install, installToCache, NpmInstallError, npmCommand, typesPackage } from "../../src/npm/install.js";
import { byHandCommand, parseNpmSpecifier } from "../../src/npm/specifier.js";

interface Packed {
  tarball: Buffer;
  manifest: Record<string, unknown>;
}

let work: string;
let server: Server;
let base: string;
const packages = new Map<string, Packed>();
/** Packument requests per package name. */
const asked = new Map<string, number>();
/** Names whose packument request is held until the test releases it. */
const held = new Map<string, Array<() => void>>();
const closedWhileHeld: string[] = [];
let root: string;

function pack(name: string, version: string, files: Record<string, string>, extra: Record<string, unknown> = {}): void {
  const dir = mkdtempSync(join(work, "pkg-"));
  const manifest = { name, version, main: "index.js", ...extra };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const npm = npmCommand();
  const out = execFileSync(npm.command, [...npm.args, "pack", "--ignore-scripts", "--pack-destination", work, "--json"], {
    cwd: dir,
    encoding: "utf8",
  });
  const filename = (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename;
  packages.set(`${name}@${version}`, { tarball: readFileSync(join(work, filename)), manifest });
}

function packument(name: string): unknown {
  const versions: Record<string, unknown> = {};
  let latest = "";
  for (const [key, { tarball, manifest }] of packages) {
    if (manifest.name !== name) continue;
    const version = key.slice(key.lastIndexOf("@") + 1);
    latest = version;
    versions[version] = {
      ...manifest,
      dist: {
        tarball: `${base}/${name}/-/${name.replace(/^@[^/]+\//, "")}-${version}.tgz`,
        shasum: createHash("sha1").update(tarball).digest("hex"),
        integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
      },
    };
  }
  return latest ? { name, "dist-tags": { latest }, versions } : undefined;
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? "/", base).pathname).slice(1);
  const tgz = /^(.+)\/-\/.+-(\d+\.\d+\.\d+)\.tgz$/.exec(path);
  if (tgz) {
    const found = packages.get(`${tgz[1]}@${tgz[2]}`);
    if (!found) return void res.writeHead(404).end("{}");
    return void res.writeHead(200, { "content-type": "application/octet-stream" }).end(found.tarball);
  }
  asked.set(path, (asked.get(path) ?? 0) + 1);
  const answer = () => {
    const doc = packument(path);
    if (doc === undefined) res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  };
  const waiting = held.get(path);
  if (waiting) {
    waiting.push(answer);
    req.socket.on("close", () => closedWhileHeld.push(path));
  } else answer();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tsak-npm-install-"));
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // npm reads these from the environment the install inherits (its own cache: no hits from earlier runs).
  process.env.npm_config_registry = `${base}/`;
  process.env.npm_config_cache = join(work, "npm-cache");
  process.env.npm_config_fetch_retries = "0";
  pack("tsak-typed", "1.0.0", {
    "index.js": "exports.twice = (n) => 2 * n;\n",
    "index.d.ts": "export declare function twice(n: number): number;\n",
  });
  pack("tsak-typed", "1.1.0", {
    "index.js": "exports.twice = (n) => 2 * n;\n",
    "index.d.ts": "export declare function twice(n: number): number;\n",
  });
  pack("tsak-untyped", "2.0.0", { "index.js": "module.exports = 1;\n" });
  pack(
    "tsak-scripted",
    "1.0.0",
    { "index.js": "module.exports = 1;\n" },
    { scripts: { postinstall: "node -e \"require('fs').writeFileSync('ran','')\"" } },
  );
}, 60_000);

afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  root = mkdtempSync(join(work, "cache-"));
  asked.clear();
});

const lines: string[] = [];
const options = (extra: Partial<Parameters<typeof installToCache>[1]> = {}) => ({
  onLine: (l: string) => lines.push(l),
  notebookDir: "/the/notebook",
  root,
  ...extra,
});

describe("installToCache", () => {
  it("makes a whole entry under the key, with npm's lines streamed, and finds it afterwards", async () => {
    lines.length = 0;
    const spec = parseNpmSpecifier("npm:tsak-typed@1");
    const installed = await installToCache(spec, options());
    expect(installed).toEqual({ from: join(root, "tsak-typed@1"), version: "1.1.0", where: "cache" });
    expect(readdirSync(root)).toEqual(["tsak-typed@1"]);
    expect(JSON.parse(readFileSync(join(root, "tsak-typed@1", ENTRY_MARKER), "utf8"))).toMatchObject({
      name: "tsak-typed",
      range: "1",
      version: "1.1.0",
    });
    expect(lines.some((l) => l.startsWith("npm http fetch GET 200"))).toBe(true);
    expect(lines.at(-1)).toBe("npm: installed tsak-typed@1.1.0");
    // Its own types: no @types package asked for.
    expect(asked.has("@types/tsak-typed")).toBe(false);
    expect(findInCache(spec, root)).toEqual(installed);
    // A requirement the entry meets shares it; one it does not meet does not.
    expect(findInCache(parseNpmSpecifier("npm:tsak-typed@^1.1"), root)?.from).toBe(join(root, "tsak-typed@1"));
    expect(findInCache(parseNpmSpecifier("npm:tsak-typed@~1.0"), root)).toBeUndefined();
    expect(findInCache(parseNpmSpecifier("npm:tsak-typed@latest"), root)).toBeUndefined();
  }, 60_000);

  it("asks for @types when the package has no types, and says so when there are none", async () => {
    lines.length = 0;
    await installToCache(parseNpmSpecifier("npm:tsak-untyped@2"), options());
    expect(asked.get("@types/tsak-untyped")).toBe(1);
    expect(lines).toContain("npm: tsak-untyped has no types of its own; adding @types/tsak-untyped (if there is one) for completion");
    expect(lines).toContain("npm: no @types/tsak-untyped either: completion will not know tsak-untyped's exports");
  }, 60_000);

  it("runs no install script, and names the package that has one", async () => {
    lines.length = 0;
    const { from } = await installToCache(parseNpmSpecifier("npm:tsak-scripted@1"), options());
    expect(existsSync(join(from, "node_modules", "tsak-scripted", "ran"))).toBe(false);
    expect(lines.find((l) => l.startsWith("npm: install scripts were not run"))).toContain("tsak-scripted (postinstall)");
    expect(lines).toContain(
      `npm: if tsak-scripted does not work without them, install it with its scripts into the notebook's folder: cd "/the/notebook" && npm install tsak-scripted@1`,
    );
  }, 60_000);

  it("installs once for callers asking at the same time", async () => {
    const spec = parseNpmSpecifier("npm:tsak-typed@1");
    const [a, b] = await Promise.all([installToCache(spec, options()), installToCache(spec, options())]);
    expect(a).toEqual(b);
    expect(asked.get("tsak-typed")).toBe(1);
  }, 60_000);

  it("kills npm once every caller has stopped waiting, and leaves nothing", async () => {
    held.set("tsak-typed", []);
    closedWhileHeld.length = 0;
    try {
      const spec = parseNpmSpecifier("npm:tsak-typed@1");
      const first = new AbortController();
      const second = new AbortController();
      const a = installToCache(spec, options({ signal: first.signal }));
      const b = installToCache(spec, options({ signal: second.signal }));
      await until(() => held.get("tsak-typed")!.length === 1);
      first.abort(new Error("first stopped"));
      await expect(a).rejects.toThrow("first stopped");
      // The other caller still waits: npm is still connected.
      await new Promise((r) => setTimeout(r, 200));
      expect(closedWhileHeld).toEqual([]);
      second.abort(new Error("second stopped"));
      await expect(b).rejects.toThrow("second stopped");
      await until(() => closedWhileHeld.includes("tsak-typed"));
      await until(() => readdirSync(root).length === 0);
      // A later caller starts afresh (not the stopped install).
      held.delete("tsak-typed");
      await expect(installToCache(spec, options())).resolves.toMatchObject({ version: "1.1.0" });
    } finally {
      held.delete("tsak-typed");
    }
  }, 60_000);

  it("two installs of one package at once (two kernels) both end with the one entry", async () => {
    const spec = parseNpmSpecifier("npm:tsak-typed@1");
    const never = new AbortController().signal;
    const [a, b] = await Promise.all([install(spec, root, "/nb", () => {}, never), install(spec, root, "/nb", () => {}, never)]);
    expect(a.from).toBe(join(root, "tsak-typed@1"));
    expect(b.from).toBe(a.from);
    expect(asked.get("tsak-typed")).toBe(2);
    expect(readdirSync(root)).toEqual(["tsak-typed@1"]);
  }, 60_000);

  it("a package the registry does not have: a clear error, nothing left", async () => {
    const err = await installToCache(parseNpmSpecifier("npm:tsak-missing@1"), options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NpmInstallError);
    expect((err as NpmInstallError).message).toMatch(
      /^npm: package 'tsak-missing' not found in the registry \(http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect((err as NpmInstallError).code).toBe("ERR_MODULE_NOT_FOUND");
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);

  it("a version the registry does not have", async () => {
    await expect(installToCache(parseNpmSpecifier("npm:tsak-typed@7"), options())).rejects.toThrow(
      `npm: no version of 'tsak-typed' matches '7' in the registry`,
    );
  }, 60_000);
});

describe("findInstalled", () => {
  it("prefers the notebook's node_modules when its copy meets the requirement, as Node would find it", async () => {
    const nb = mkdtempSync(join(work, "nb-"));
    const sub = join(nb, "deep", "er");
    mkdirSync(join(nb, "node_modules", "tsak-typed"), { recursive: true });
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(nb, "node_modules", "tsak-typed", "package.json"), JSON.stringify({ name: "tsak-typed", version: "1.0.5" }));
    await installToCache(parseNpmSpecifier("npm:tsak-typed@1"), options());
    expect(findInstalled(parseNpmSpecifier("npm:tsak-typed@1"), sub, root)).toEqual({ from: sub, version: "1.0.5", where: "notebook" });
    expect(findInstalled(parseNpmSpecifier("npm:tsak-typed"), sub, root)?.where).toBe("notebook");
    // The notebook's 1.0.5 does not meet ^1.1: the cache's 1.1.0 does.
    expect(findInstalled(parseNpmSpecifier("npm:tsak-typed@^1.1"), sub, root)).toMatchObject({ where: "cache", version: "1.1.0" });
    // A nearer copy that does not meet the requirement hides one further up (Node would not skip it).
    mkdirSync(join(nb, "deep", "node_modules", "tsak-typed"), { recursive: true });
    writeFileSync(join(nb, "deep", "node_modules", "tsak-typed", "package.json"), JSON.stringify({ name: "tsak-typed", version: "0.9.0" }));
    expect(findInstalled(parseNpmSpecifier("npm:tsak-typed@~1.0"), sub, root)).toBeUndefined();
  }, 60_000);

  it("never reads an entry without its marker (an install that did not finish)", () => {
    mkdirSync(join(root, "tsak-typed@1", "node_modules", "tsak-typed"), { recursive: true });
    writeFileSync(join(root, "tsak-typed@1", "node_modules", "tsak-typed", "package.json"), JSON.stringify({ version: "1.0.0" }));
    expect(findInCache(parseNpmSpecifier("npm:tsak-typed@1"), root)).toBeUndefined();
  });
});

describe("failure (npm's error lines, their `npm error` / `npm ERR!` prefix already cut)", () => {
  const spec = parseNpmSpecifier("npm:left-pad@^1");
  const errorOf = (lines: string[], code = 1) => failure(spec, "/home/me/nb", { code, errors: lines });

  it("says what happened: offline, refused, a dependency missing, anything else, no npm at all", () => {
    const offline = errorOf([
      "code ENOTFOUND",
      "syscall getaddrinfo",
      "errno ENOTFOUND",
      "network request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org",
    ]);
    expect(offline.message).toBe(
      "npm: cannot reach the registry to install 'left-pad@^1' (ENOTFOUND: network request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org). " +
        `Offline? Install it by hand when the registry can be reached: cd "/home/me/nb" && npm install 'left-pad@^1'`,
    );
    expect(errorOf(["code E403", "403 Forbidden - GET https://registry.npmjs.org/left-pad"]).message).toContain(
      "npm: installing 'left-pad@^1' was refused (E403: 403 Forbidden",
    );
    expect(errorOf(["code E404", "404 Not Found - GET https://registry.npmjs.org/some-dependency - Not found"]).message).toContain(
      "a package it depends on is not in the registry",
    );
    expect(errorOf(["code EWHATEVER", "something broke"], 7).message).toBe(
      `npm: installing 'left-pad@^1' failed (EWHATEVER: something broke). Install it by hand: cd "/home/me/nb" && npm install 'left-pad@^1'`,
    );
    expect(errorOf([], 1).message).toContain("(exit code 1:");
    expect(failure(spec, "/nb", { code: null, errors: [], spawnError: new Error("spawn npm ENOENT") }).message).toContain(
      "cannot run npm to install 'left-pad@^1' (spawn npm ENOENT",
    );
  });

  it("quotes what a shell would read otherwise", () => {
    expect(byHandCommand({ name: "left-pad", range: "1" }, "/a b")).toBe(`cd "/a b" && npm install left-pad@1`);
    expect(byHandCommand({ name: "x", range: ">=1 <2" }, "/n")).toBe(`cd "/n" && npm install 'x@>=1 <2'`);
    expect(typesPackage("@scope/pkg")).toBe("@types/scope__pkg");
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 400) throw new Error("condition not met within 20 s");
    await new Promise((r) => setTimeout(r, 50));
  }
}
