import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { installSpec, kernelJson, listSpecs, removeSpec, validateName } from "../../src/kernelspec/kernelspec.js";
import { jupyterPath, userDataDir } from "../../src/kernelspec/paths.js";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("kernelspec", () => {
  it("writes kernel.json with argv, interrupt_mode, protocol version, metadata and the logos", () => {
    const dir = installSpec(mkdtempSync(join(tmpdir(), "spec-")), { name: "ts-async" });
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    expect(spec.argv).toContain("{connection_file}");
    expect(spec.argv.slice(2, 4)).toEqual(["start", "-f"]);
    expect(spec.display_name).toBe("TypeScript (async)");
    expect(spec.language).toBe("typescript");
    expect(spec.interrupt_mode).toBe("message");
    expect(spec.kernel_protocol_version).toBe("5.5");
    expect(spec.metadata.ts_async_kernel).toBeDefined();
    for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) expect(existsSync(join(dir, logo))).toBe(true);
  });

  it("for a gateway: launch with the gateway's placeholders, and the provisioner in the metadata", () => {
    const spec = kernelJson({ gateway: {}, typeCheck: true }) as {
      argv: string[];
      display_name: string;
      metadata: Record<string, unknown>;
    };
    expect(spec.argv.slice(2)).toEqual([
      "launch",
      "--kernel-id",
      "{kernel_id}",
      "--port-range",
      "{port_range}",
      "--response-address",
      "{response_address}",
      "--public-key",
      "{public_key}",
      "--transport-encryption",
      "{transport_encryption}",
      "--type-check",
    ]);
    expect(spec.display_name).toBe("TypeScript (async) on a gateway");
    expect(spec.metadata.kernel_provisioner).toEqual({ provisioner_name: "distributed-provisioner", config: {} });
    expect(spec.metadata.supported_encryption).toEqual(["curve"]);
    const yarn = kernelJson({ gateway: { provisioner: "yarn-provisioner", config: { launch_timeout: 60 } } }) as {
      metadata: Record<string, unknown>;
    };
    expect(yarn.metadata.kernel_provisioner).toEqual({ provisioner_name: "yarn-provisioner", config: { launch_timeout: 60 } });
    expect("kernel_provisioner" in (kernelJson({}) as { metadata: object }).metadata).toBe(false);
  });

  it("passes log level, backend, loop and language through to argv", () => {
    const spec = kernelJson({ logLevel: "debug", backend: "node", loop: "pure", language: "javascript", interruptMode: "signal" });
    expect(spec.argv).toEqual(
      expect.arrayContaining(["--log-level", "debug", "--backend", "node", "--loop", "pure", "--language", "javascript"]),
    );
    expect(spec.interrupt_mode).toBe("signal");
    expect(spec.language).toBe("javascript");
  });

  it("passes --no-npm-install to the kernel only when asked", () => {
    expect(kernelJson({ noNpmInstall: true }).argv).toContain("--no-npm-install");
    expect(kernelJson({ noNpmInstall: true }).metadata).toMatchObject({ ts_async_kernel: { npm_install: false } });
    expect(kernelJson({}).argv).not.toContain("--no-npm-install");
  });

  it("turns type checking on in argv and metadata only when asked", () => {
    const on = kernelJson({ typeCheck: true });
    expect(on.argv).toContain("--type-check");
    expect(on.metadata).toMatchObject({ ts_async_kernel: { type_check: true } });
    const off = kernelJson({});
    expect(off.argv).not.toContain("--type-check");
    expect(off.metadata).toMatchObject({ ts_async_kernel: { type_check: false } });
  });

  it("asks the kernel to refuse a readable connection file only when asked", () => {
    expect(kernelJson({ privateConnectionFile: true }).argv).toContain("--private-connection-file");
    expect(kernelJson({}).argv).not.toContain("--private-connection-file");
  });

  it("refuses names Jupyter would refuse and lower-cases the rest", () => {
    expect(() => validateName("bad name")).toThrow(/invalid kernel name/);
    expect(validateName("TS-Async")).toBe("ts-async");
  });

  it("honours JUPYTER_DATA_DIR for the user directory and JUPYTER_PATH first in the search path", () => {
    process.env.JUPYTER_DATA_DIR = "/data/dir";
    process.env.JUPYTER_PATH = "/first:/second";
    expect(userDataDir()).toBe("/data/dir");
    expect(jupyterPath().slice(0, 3)).toEqual(["/first", "/second", "/data/dir"]);
  });

  it("lists installed specs found on JUPYTER_PATH and removes them", () => {
    const data = mkdtempSync(join(tmpdir(), "spec-"));
    process.env.JUPYTER_PATH = data;
    installSpec(data, { name: "ts-async-x", displayName: "X" });
    expect(listSpecs().find((s) => s.name === "ts-async-x")?.displayName).toBe("X");
    expect(removeSpec(data, "ts-async-x")).toBe(join(data, "kernels", "ts-async-x"));
    expect(listSpecs().find((s) => s.name === "ts-async-x")).toBeUndefined();
    expect(removeSpec(data, "ts-async-x")).toBeUndefined();
  });
});
