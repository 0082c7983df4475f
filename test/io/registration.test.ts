import { describe, expect, it } from "vitest";
import { isRegistrationFile, parseRegistrationFile, registrationTimeout } from "../../src/io/registration.js";
import { registeredConnectionFile } from "../../src/kernel/start.js";

const file = {
  kernel_id: "k1",
  transport: "tcp",
  registration_ip: "127.0.0.1",
  registration_port: 51587,
  signature_scheme: "hmac-sha256",
  key: "s",
};

describe("a registration file (JEP 66)", () => {
  it("is told from a connection file by its registration_port, and binds any port on the registration IP", () => {
    expect(isRegistrationFile(file)).toBe(true);
    expect(isRegistrationFile({ shell_port: 1 })).toBe(false);
    const { connection, registration } = parseRegistrationFile(file, "r.json");
    expect(registration).toEqual({ kernelId: "k1", address: "tcp://127.0.0.1:51587" });
    expect([connection.ip, connection.shell_port, connection.hb_port, connection.key]).toEqual(["127.0.0.1", 0, 0, "s"]);
    expect(registeredConnectionFile("/run/kernel-k1.json")).toBe("/run/kernel-k1-connection.json");
  });

  it("names what is wrong with it", () => {
    expect(() => parseRegistrationFile({ ...file, kernel_id: "" }, "r.json")).toThrow("r.json: kernel_id must be a non-empty string");
    expect(() => parseRegistrationFile({ ...file, registration_port: "1" }, "r.json")).toThrow("registration_port must be an integer port");
    expect(() => parseRegistrationFile({ ...file, transport: "ipc" }, "r.json")).toThrow("over tcp only");
    expect(() => parseRegistrationFile({ ...file, iopub_port: 5 }, "r.json")).toThrow("not both");
    expect(() => parseRegistrationFile({ ...file, signature_scheme: 7 }, "r.json")).toThrow("signature_scheme must be a string");
  });

  it("waits 30 s for the acknowledgement unless TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS says otherwise", () => {
    expect(registrationTimeout({})).toBe(30_000);
    expect(registrationTimeout({ TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS: "1500" })).toBe(1500);
    expect(registrationTimeout({ TS_ASYNC_KERNEL_REGISTRATION_TIMEOUT_MS: "soon" })).toBe(30_000);
  });
});
