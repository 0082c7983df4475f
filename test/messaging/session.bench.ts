// Microbenchmarks for the messaging hot path. Not a test: nothing here passes or fails.
// Run with: npx vitest bench --run test/messaging
import { createHmac, createSecretKey, randomUUID } from "node:crypto";
import { isUtf8 } from "node:buffer";

import { v4 } from "uuid";
import { bench, describe } from "vitest";

import { Session } from "../../src/messaging/index.js";

const KEY = "a0436f6c-1916-498b-8eb9-e81ab9368e84";
const session = new Session({ key: KEY });
const client = new Session({ key: KEY, username: "client", replayCapacity: 0 });

// A typical execute_request as a client sends it, and the frames the kernel receives.
const request = client.header("execute_request");
const requestContent = {
  code: "const x = 1 + 1;\nconsole.log(x);",
  silent: false,
  store_history: true,
  user_expressions: {},
  allow_stdin: true,
  stop_on_error: true,
};
const identity = Buffer.from("00k8s1ab", "latin1");

const parts = [Buffer.from(JSON.stringify(request)), Buffer.from("{}"), Buffer.from("{}"), Buffer.from(JSON.stringify(requestContent))];
const rawKey = Buffer.from(KEY, "utf8");
const keyObject = createSecretKey(rawKey);

describe("hmac key form", () => {
  bench("createHmac with a raw Buffer key", () => {
    const h = createHmac("sha256", rawKey);
    for (const p of parts) h.update(p);
    h.digest("hex");
  });
  bench("createHmac with a KeyObject (createSecretKey)", () => {
    const h = createHmac("sha256", keyObject);
    for (const p of parts) h.update(p);
    h.digest("hex");
  });
});

describe("msg id", () => {
  bench("uuid v4()", () => {
    v4();
  });
  bench("crypto.randomUUID()", () => {
    randomUUID();
  });
});

const decoder = new TextDecoder("utf-8", { fatal: true });
describe("strict utf-8 decode of the content frame", () => {
  const frame = parts[3]!;
  bench("isUtf8 + toString", () => {
    if (isUtf8(frame)) JSON.parse(frame.toString("utf8"));
  });
  bench("TextDecoder fatal", () => {
    JSON.parse(decoder.decode(frame));
  });
});

describe("session hot path", () => {
  bench("deserialize an execute_request", () => {
    // A fresh signature each time: a fresh header is needed or the replay cache rejects it.
    const frames = client.message("execute_request", requestContent, {}, {}, [], [identity]);
    session.deserialize(frames);
  });
  bench("client.message alone (baseline for the line above)", () => {
    client.message("execute_request", requestContent, {}, {}, [], [identity]);
  });
  bench("status busy + execute_reply + status idle (serialize)", () => {
    session.message("status", { execution_state: "busy" }, request);
    session.message("execute_reply", { status: "ok", execution_count: 1, user_expressions: {} }, request, {}, [], [identity]);
    session.message("status", { execution_state: "idle" }, request);
  });
});
