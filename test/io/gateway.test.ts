import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt } from "node:crypto";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { withoutProxyPrefix, pickPorts, planLaunch } from "../../src/cli/launch.js";
import { CommPort, type CommPortActions, handle } from "../../src/io/gateway_listener.js";
import { encryptConnectionInfo, parsePortRange, parsePublicKey, parseResponseAddress } from "../../src/io/gateway_payload.js";

/** The gateway's key pair, its public key as it passes it (the PEM body: base64 DER). */
function gatewayKeys() {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  return { privateKey, publicKeyText: publicKey.export({ format: "der", type: "spki" }).toString("base64") };
}

/** What response_manager.py `_decode_payload` does, with PKCS#1 v1.5 unpadded by hand (Node refuses it in privateDecrypt). */
function decode(payload: string, privateKey: ReturnType<typeof gatewayKeys>["privateKey"]): Record<string, unknown> {
  const outer = JSON.parse(Buffer.from(payload, "base64").toString("utf8")) as { version: number; key: string; conn_info: string };
  expect(outer.version).toBe(1);
  const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(outer.key, "base64"));
  expect([block[0], block[1]]).toEqual([0, 2]);
  const aesKey = block.subarray(block.indexOf(0, 2) + 1);
  expect(aesKey.length).toBe(16);
  const decipher = createDecipheriv("aes-128-ecb", aesKey, null);
  const text = Buffer.concat([decipher.update(Buffer.from(outer.conn_info, "base64")), decipher.final()]).toString("utf8");
  return JSON.parse(text) as Record<string, unknown>;
}

function recorder(): CommPortActions & { did: string[]; warned: string[] } {
  const did: string[] = [];
  const warned: string[] = [];
  return {
    did,
    warned,
    interrupt: () => did.push("interrupt"),
    shutdown: () => did.push("shutdown"),
    kill: () => did.push("kill"),
    log: { info: () => {}, debug: () => {}, warn: (_f, m) => warned.push(m) },
  };
}

describe("the gateway's payload", () => {
  it("is the connection info AES-encrypted under a fresh key, the key RSA-encrypted for the gateway, version 1", () => {
    const { privateKey, publicKeyText } = gatewayKeys();
    const info = { shell_port: 42001, key: "k", kernel_id: "abc", comm_port: 42006 };
    const payload = encryptConnectionInfo(info, parsePublicKey(publicKeyText));
    expect(decode(payload, privateKey)).toEqual(info);
    // Python's json.dumps layout, as the gateway's launchers write it
    expect(Buffer.from(payload, "base64").toString("utf8")).toMatch(/^\{"version": 1, "key": "[^"]+", "conn_info": "[^"]+"\}$/);
    expect(encryptConnectionInfo(info, parsePublicKey(publicKeyText))).not.toBe(payload); // a fresh AES key each time
  });

  it("refuses arguments the gateway would never pass, saying which", () => {
    expect(() => parsePublicKey("bm90IGEga2V5")).toThrow("--public-key is not an RSA public key");
    expect(() => parsePublicKey("")).toThrow("--public-key is empty");
    expect(parseResponseAddress("10.1.2.3:8877")).toEqual({ host: "10.1.2.3", port: 8877 });
    for (const bad of ["nowhere", "::1:8877", "host:", "host:99999"]) expect(() => parseResponseAddress(bad)).toThrow("--response-address");
    expect(parsePortRange("0..0")).toEqual({ lower: 0, upper: 0 });
    expect(parsePortRange(undefined)).toEqual({ lower: 0, upper: 0 });
    expect(parsePortRange("40000..41000")).toEqual({ lower: 40000, upper: 41000 });
    expect(() => parsePortRange("41000..40000")).toThrow("lower first");
    expect(() => parsePortRange("40000..40002")).toThrow("too small");
    expect(() => parsePortRange("a..b")).toThrow("--port-range must be");
  });

  it("takes Enterprise Gateway's --RemoteProcessProxy. spelling", () => {
    expect(
      withoutProxyPrefix(["--RemoteProcessProxy.kernel-id", "k", "--RemoteProcessProxy.port_range=1..2", "--log-level", "info"]),
    ).toEqual(["--kernel-id", "k", "--port-range=1..2", "--log-level", "info"]);
  });
});

describe("launch's ports", () => {
  it("are distinct, free and inside the range; 0..0 leaves the choice to the system", async () => {
    const ports = await pickPorts("127.0.0.1", 45000, 45010, 6);
    expect(new Set(ports).size).toBe(6);
    expect(ports.every((p) => p >= 45000 && p <= 45010)).toBe(true);
    expect(await pickPorts("127.0.0.1", 0, 0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    await expect(pickPorts("127.0.0.1", 45000, 45004, 6)).rejects.toThrow("no 6 free ports");
  });

  it("a plan binds all interfaces, makes a key, and Curve keys only when asked", async () => {
    const { publicKeyText } = gatewayKeys();
    const base = { "kernel-id": "k1", "response-address": "127.0.0.1:8877", "public-key": publicKeyText };
    const plain = await planLaunch({ ...base, "transport-encryption": "{transport_encryption}" });
    expect([plain.connection.ip, plain.connection.curve, plain.encryption]).toEqual(["0.0.0.0", undefined, "disabled"]);
    expect(plain.connection.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(plain.warnings.join()).toContain("without transport encryption");
    const curve = await planLaunch({ ...base, "transport-encryption": "required" });
    expect(curve.connection.curve?.publicKey).toHaveLength(40);
    expect(curve.warnings).toEqual([]);
    await expect(planLaunch({ ...base, "transport-encryption": "sometimes" })).rejects.toThrow("--transport-encryption must be");
    await expect(planLaunch({ ...base, "spark-context-initialization-mode": "eager" })).rejects.toThrow("no Spark context");
  });
});

describe("the comm port", () => {
  it("carries out the gateway's requests and nothing else", () => {
    const r = recorder();
    handle('{"signum": 0}', "gw", r);
    handle('{"signum": 2}', "gw", r);
    handle('{"signum": 15}', "gw", r);
    handle('{"signum": 9}', "gw", r);
    handle('{"shutdown": 1}', "gw", r);
    handle('{"shutdown": 0}', "gw", r);
    expect(r.did).toEqual(["interrupt", "shutdown", "kill", "shutdown"]);
    expect(r.warned).toEqual(["comm port: kill (ending the process now)"]);
    for (const junk of ["nope", "[1]", "null", '{"signum": "2x"}', '{"signum": 10}', '{"signum": 1.5}']) handle(junk, "x", r);
    expect(r.did).toHaveLength(4);
    expect(r.warned).toHaveLength(7);
  });

  it("serves connections as the gateway makes them (one request, then the connection ends)", async () => {
    const r = recorder();
    const port = await CommPort.listen("127.0.0.1", 0, r);
    const send = (text: string) =>
      new Promise<void>((resolve) => {
        const s = connect({ host: "127.0.0.1", port: port.port }, () => s.end(text));
        s.on("close", () => resolve());
        s.resume();
      });
    await send('{"signum": 2}');
    await send("x".repeat(10_000));
    await send("");
    expect(r.did).toEqual(["interrupt"]);
    expect(r.warned.join()).toContain("larger than any the gateway sends");
    port.close();
  });
});
