/**
 * Telling whoever started the kernel where it listens, when its ports were not given to it:
 * a gateway's response address (`ts-async-kernel launch`: gateway_payload.ts,
 * gateway_listener.ts) or a JEP 66 registration service (registration.ts). Runs in the I/O
 * worker once every socket is bound and served.
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import type { ConnectionInfo, PortName } from "./connection_file.js";
import { CommPort, type CommPortActions, sendToResponseAddress } from "./gateway_listener.js";
import { encryptConnectionInfo, parsePublicKey } from "./gateway_payload.js";
import { type Registration, register } from "./registration.js";

/** Started by a gateway: where to report, with what key, and the comm port to serve. */
export interface GatewayLaunch {
  kernelId: string;
  responseHost: string;
  responsePort: number;
  /** `--public-key` as given (base64 DER). */
  publicKey: string;
  /** Where the comm port listens (port 0: any). */
  commHost: string;
  commPort: number;
}

export type Announce = { gateway: GatewayLaunch } | { registration: Registration; timeoutMs: number };

export interface AnnounceContext {
  connection: ConnectionInfo;
  ports: Record<PortName, number>;
  actions: CommPortActions;
}

/** Announce the kernel; the comm port when there is one (to close at the end), or why it failed. */
export async function announce(how: Announce, context: AnnounceContext): Promise<{ commPort?: CommPort } | { error: string }> {
  if ("registration" in how) {
    const done = await register(how.registration, context.ports, context.connection, how.timeoutMs, context.actions.log);
    return "error" in done ? done : {};
  }
  const { gateway } = how;
  let commPort: CommPort;
  try {
    commPort = await CommPort.listen(gateway.commHost, gateway.commPort, context.actions);
  } catch (err) {
    return { error: `cannot listen on the comm port ${gateway.commHost}:${gateway.commPort}: ${(err as Error).message}` };
  }
  const { connection, ports } = context;
  // the gateway launchers' connection file (jupyter_client write_connection_file) plus the process and comm port
  const info: Record<string, unknown> = {
    shell_port: ports.shell_port,
    iopub_port: ports.iopub_port,
    stdin_port: ports.stdin_port,
    control_port: ports.control_port,
    hb_port: ports.hb_port,
    ip: connection.ip,
    key: connection.key,
    transport: connection.transport,
    signature_scheme: connection.signature_scheme,
    kernel_name: "",
    ...(connection.curve ? { curve_publickey: connection.curve.publicKey, curve_secretkey: connection.curve.secretKey } : {}),
    pid: process.pid,
    pgid: processGroup(),
    comm_port: commPort.port,
    kernel_id: gateway.kernelId,
  };
  try {
    const payload = encryptConnectionInfo(info, parsePublicKey(gateway.publicKey));
    await sendToResponseAddress(gateway.responseHost, gateway.responsePort, payload);
  } catch (err) {
    commPort.close();
    return {
      error: `cannot send the connection info to the gateway's response address ${gateway.responseHost}:${gateway.responsePort}: ${(err as Error).message}`,
    };
  }
  return { commPort };
}

/** This process's group (Node has no getpgid): /proc on Linux, else the pid, which leads its group when launched by a gateway. */
function processGroup(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so count from its end
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(fields[2]);
    if (Number.isInteger(pgrp) && pgrp > 0) return pgrp;
  } catch {
    // not Linux
  }
  return process.pid;
}
