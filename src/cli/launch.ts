/**
 * `ts-async-kernel launch`: the kernel as its own launcher for Jupyter Enterprise Gateway and
 * gateway_provisioners (their launchers' arguments: gateway_provisioners
 * `kernel-launchers/python/scripts/launch_ipykernel.py`, `docs/source/developers/kernel-launcher.md`).
 * It picks its five ports and a comm port inside `--port-range`, binds them on all interfaces
 * (the gateway connects from another host; only this mode does so), reports its connection info
 * to `--response-address` encrypted for `--public-key`, and serves the comm port
 * (src/io/announce.ts, gateway_listener.ts, gateway_payload.ts).
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:net";
import type { GatewayLaunch } from "../io/announce.js";
import type { ConnectionInfo } from "../io/connection_file.js";
import { LaunchArgumentError, parsePortRange, parsePublicKey, parseResponseAddress } from "../io/gateway_payload.js";
import type { LAUNCH_OPTIONS } from "./launch_options.js";

const PREFIX = "--RemoteProcessProxy.";

/** `--RemoteProcessProxy.kernel-id` (or `.kernel_id`) → `--kernel-id`; other arguments as they are. */
export function withoutProxyPrefix(args: string[]): string[] {
  return args.map((arg) => {
    if (!arg.startsWith(PREFIX)) return arg;
    const [name, ...value] = arg.slice(PREFIX.length).split("=");
    return `--${name!.replaceAll("_", "-")}${value.length ? `=${value.join("=")}` : ""}`;
  });
}

export interface LaunchPlan {
  connection: ConnectionInfo;
  gateway: GatewayLaunch;
  /** The policy asked for, and whether keys were made for it. */
  encryption: "disabled" | "auto" | "required";
  warnings: string[];
}

type LaunchValues = { [K in keyof typeof LAUNCH_OPTIONS]?: string };

/** Check the arguments and choose the ports; throws LaunchArgumentError with what is wrong. */
export async function planLaunch(values: LaunchValues): Promise<LaunchPlan> {
  const need = (name: "kernel-id" | "response-address" | "public-key") => {
    const value = values[name];
    if (value === undefined || value === "" || isPlaceholder(value)) {
      throw new LaunchArgumentError(`launch needs --${name} (the gateway fills it in: see docs/remote.md)`);
    }
    return value;
  };
  const kernelId = need("kernel-id");
  const response = parseResponseAddress(need("response-address"));
  const publicKey = need("public-key");
  parsePublicKey(publicKey); // refused now, before any port is bound
  const range = parsePortRange(isPlaceholder(values["port-range"]) ? undefined : values["port-range"]);
  const spark = values["spark-context-initialization-mode"];
  if (spark !== undefined && spark !== "" && spark !== "none") {
    throw new LaunchArgumentError(
      `--spark-context-initialization-mode ${spark}: this kernel has no Spark context; only "none" is supported`,
    );
  }
  const encryption = encryptionPolicy(values["transport-encryption"]);
  const warnings: string[] = [];
  const ip = values.ip ?? "0.0.0.0";
  const [shell, iopub, stdin, hb, control, comm] = await pickPorts(ip, range.lower, range.upper, 6);
  const connection: ConnectionInfo = {
    transport: "tcp",
    ip,
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    hb_port: hb!,
    control_port: control!,
    // as the gateway's launchers make it (uuid4)
    key: randomUUID(),
    signature_scheme: "hmac-sha256",
  };
  if (encryption !== "disabled") {
    const zmq = await import("zeromq");
    if (zmq.capability.curve) connection.curve = zmq.curveKeyPair();
    else if (encryption === "required")
      throw new LaunchArgumentError("--transport-encryption required: this build of zeromq has no CurveZMQ");
    else warnings.push("--transport-encryption auto: this build of zeromq has no CurveZMQ; the kernel's traffic is not encrypted");
  }
  if (!connection.curve && ip !== "127.0.0.1" && ip !== "::1") {
    warnings.push(
      `the kernel listens on ${ip} without transport encryption: its messages are signed but readable on the network (the gateway asks for CurveZMQ with transport_encryption "auto" or "required")`,
    );
  }
  return {
    connection,
    gateway: { kernelId, responseHost: response.host, responsePort: response.port, publicKey, commHost: ip, commPort: comm! },
    encryption,
    warnings,
  };
}

/** A placeholder the gateway left as it was (Enterprise Gateway knows no `{transport_encryption}`). */
function isPlaceholder(value: string | undefined): boolean {
  return value !== undefined && /^\{[A-Za-z0-9_]+\}$/.test(value);
}

function encryptionPolicy(value: string | undefined): LaunchPlan["encryption"] {
  // gateway_provisioners substitutes "" when it asks for no encryption
  if (value === undefined || value === "" || isPlaceholder(value)) return "disabled";
  const policy = value.toLowerCase();
  if (policy === "disabled" || policy === "auto" || policy === "required") return policy;
  throw new LaunchArgumentError(`--transport-encryption must be auto, required or disabled, got ${JSON.stringify(value)}`);
}

/**
 * `count` distinct free ports in lower..upper (0..0: zeros, the system picks when binding), found
 * as the gateway's launchers find them: a random candidate, bound to see that it is free.
 */
export async function pickPorts(host: string, lower: number, upper: number, count: number): Promise<number[]> {
  if (lower === 0 && upper === 0) return new Array<number>(count).fill(0);
  const held: Server[] = [];
  const ports: number[] = [];
  const tried = new Set<number>();
  const size = upper - lower + 1;
  try {
    while (ports.length < count) {
      if (tried.size >= size || tried.size >= count * 50) {
        throw new LaunchArgumentError(`no ${count} free ports in --port-range ${lower}..${upper} (${ports.length} found)`);
      }
      const candidate = lower + Math.floor(Math.random() * size);
      if (tried.has(candidate)) continue;
      tried.add(candidate);
      const server = await listening(host, candidate);
      if (server) {
        held.push(server);
        ports.push(candidate);
      }
    }
    return ports;
  } finally {
    for (const server of held) server.close();
  }
}

function listening(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}
