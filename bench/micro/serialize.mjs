// The I/O worker's outbound path: its hand-written serializer against Session.serialize with the
// request's header frame passed as is. Run after `npm run build`: node bench/micro/serialize.mjs
import { Session, joinFrames } from "../../dist/messaging/index.js";

const session = new Session({ key: "a0436f6c-1916-498b-8eb9-e81ab9368e84" });
const request = session.header("execute_request");
const rawHeader = Buffer.from(JSON.stringify(request));
const identities = [Buffer.from("client-identity")];
const EMPTY = Buffer.from("{}");
const content = { name: "stdout", text: "hello, world\n".repeat(4) };

function handWritten() {
  const header = session.header("stream");
  const parts = [Buffer.from(JSON.stringify(header)), rawHeader, EMPTY, Buffer.from(JSON.stringify(content))];
  return joinFrames(identities, session.signer.sign(parts), parts);
}
function viaSession() {
  return session.serialize({ header: session.header("stream"), parent_header: rawHeader, content }, identities);
}

const N = 200_000;
const rounds = 7;
const best = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of [
    ["hand-written", handWritten],
    ["Session.serialize", viaSession],
  ]) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0) / N;
    best[name] = Math.min(best[name] ?? Infinity, ns);
  }
}
for (const [name, ns] of Object.entries(best)) console.log(`${name.padEnd(18)} ${ns.toFixed(0)} ns/message (best of ${rounds})`);
console.log(`ratio Session/hand-written: ${(best["Session.serialize"] / best["hand-written"]).toFixed(3)}`);
