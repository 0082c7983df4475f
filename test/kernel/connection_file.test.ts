import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connectionFileExposure,
  endpoint,
  parseConnectionInfo,
  ConnectionFileError,
  readConnectionFile,
} from "../../src/io/connection_file.js";

const base = {
  ip: "127.0.0.1",
  transport: "tcp",
  key: "k",
  signature_scheme: "hmac-sha256",
  shell_port: 1,
  iopub_port: 2,
  stdin_port: 3,
  control_port: 4,
  hb_port: 5,
};

describe("connection file", () => {
  it("parses a complete connection file", () => {
    const info = parseConnectionInfo(base);
    expect(info.shell_port).toBe(1);
    expect(info.signature_scheme).toBe("hmac-sha256");
  });

  it("fills in jupyter_client's defaults for missing optional fields", () => {
    const info = parseConnectionInfo({ shell_port: 1 });
    expect(info.transport).toBe("tcp");
    expect(info.ip).toBe("127.0.0.1");
    expect(info.key).toBe("");
    expect(info.signature_scheme).toBe("hmac-sha256");
    expect(info.hb_port).toBe(0);
  });

  it("rejects a wrong transport, a non-integer port and a non-string key with the field named", () => {
    expect(() => parseConnectionInfo({ ...base, transport: "udp" })).toThrow(/transport/);
    expect(() => parseConnectionInfo({ ...base, shell_port: "80" })).toThrow(/shell_port/);
    expect(() => parseConnectionInfo({ ...base, hb_port: 70000 })).toThrow(/hb_port/);
    expect(() => parseConnectionInfo({ ...base, key: 5 })).toThrow(/key/);
    expect(() => parseConnectionInfo([])).toThrow(ConnectionFileError);
  });

  it("reports an unreadable file with its path", () => {
    expect(() => readConnectionFile("/nonexistent/kernel-x.json")).toThrow(/kernel-x\.json/);
  });

  it("builds tcp, IPv6 and ipc endpoints, with port 0 meaning any port", () => {
    const info = parseConnectionInfo(base);
    expect(endpoint(info, 5555)).toBe("tcp://127.0.0.1:5555");
    expect(endpoint(info, 0)).toBe("tcp://127.0.0.1:*");
    expect(endpoint({ ...info, ip: "::1" }, 1)).toBe("tcp://[::1]:1");
    expect(endpoint({ ...info, transport: "ipc", ip: "/tmp/k" }, 3)).toBe("ipc:///tmp/k-3");
  });

  it.skipIf(process.platform === "win32")("says who besides its owner may read the file, nothing when nobody may", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsak-conn-"));
    try {
      const file = join(dir, "kernel.json");
      writeFileSync(file, JSON.stringify(base));
      const exposure = (mode: number) => {
        chmodSync(file, mode);
        return connectionFileExposure(file);
      };
      expect(exposure(0o600)).toBeUndefined();
      expect(exposure(0o400)).toBeUndefined();
      expect(exposure(0o700)).toBeUndefined();
      expect(exposure(0o640)).toMatch(/readable by its group \(mode 0640\)/);
      expect(exposure(0o604)).toMatch(/readable by every user of this machine \(mode 0604\)/);
      expect(exposure(0o644)).toMatch(/readable by its group and every user of this machine \(mode 0644\).*chmod 600/);
      expect(exposure(0o620)).toBeUndefined(); // writable by the group is not reading the key
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
