import * as zmq from "zeromq";
import { describe, expect, it } from "vitest";
import { connectionFileText, parseConnectionInfo } from "../../src/io/connection_file.js";
import { curveKeys, z85Decode } from "../../src/io/curve.js";

describe("Curve keys of a connection file", () => {
  it("decodes Z85 (the spec's test vector, padded to a key's 40 characters)", () => {
    const decoded = z85Decode("HelloWorld".repeat(4));
    expect(Buffer.isBuffer(decoded) && decoded.subarray(0, 8).toString("hex")).toBe("864fd26fb559f75b");
  });

  it("takes a key pair zeromq made, and refuses one that is not a pair, half a pair or not Z85, naming the field", () => {
    const pair = zmq.curveKeyPair();
    expect(curveKeys({ curve_publickey: pair.publicKey, curve_secretkey: pair.secretKey })).toEqual(pair);
    expect(curveKeys({})).toBeUndefined();
    expect(() => curveKeys({ curve_publickey: zmq.curveKeyPair().publicKey, curve_secretkey: pair.secretKey })).toThrow(
      "curve_publickey is not the public key of curve_secretkey",
    );
    expect(() => curveKeys({ curve_secretkey: pair.secretKey })).toThrow("curve_secretkey is given without curve_publickey");
    expect(() => curveKeys({ curve_publickey: pair.publicKey, curve_secretkey: 42 })).toThrow("curve_secretkey must be a string (Z85)");
    expect(() => curveKeys({ curve_publickey: `${pair.publicKey.slice(0, 39)}"`, curve_secretkey: pair.secretKey })).toThrow(
      'curve_publickey has "\\"", which is not a Z85 character',
    );
  });

  it("reads them from a connection file and writes them back as jupyter_client does", () => {
    const pair = zmq.curveKeyPair();
    const info = parseConnectionInfo({ key: "k", curve_publickey: pair.publicKey, curve_secretkey: pair.secretKey }, "kernel.json");
    expect(info.curve).toEqual(pair);
    const written = JSON.parse(connectionFileText(info));
    expect([written.curve_publickey, written.curve_secretkey, "curve" in written]).toEqual([pair.publicKey, pair.secretKey, false]);
    expect(() => parseConnectionInfo({ curve_publickey: pair.publicKey }, "kernel.json")).toThrow(
      "kernel.json: curve_publickey is given without curve_secretkey",
    );
  });
});
