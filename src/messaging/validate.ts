/**
 * The content of each request a kernel receives, checked against its type once, where it
 * arrives: a field of the wrong type, or a required one missing, is named in the problem, so the
 * kernel can answer it in an error reply (requests) or log it (comm messages, which have none).
 * Handlers then read typed content ({@link RequestContent}) without casts.
 *
 * Optional fields stay optional: the handler applies the spec's default where the client left
 * one out (jupyter_client sends them all; minimal clients do not). Unknown fields are kept.
 *
 * @module
 */
import type { IMessageContentMap } from "./messages.js";

/** The messages a kernel takes on shell, control and stdin that this module checks. */
export type RequestType =
  | "execute_request"
  | "inspect_request"
  | "complete_request"
  | "history_request"
  | "is_complete_request"
  | "connect_request"
  | "comm_info_request"
  | "kernel_info_request"
  | "shutdown_request"
  | "interrupt_request"
  | "create_subshell_request"
  | "delete_subshell_request"
  | "list_subshell_request"
  | "comm_open"
  | "comm_msg"
  | "comm_close"
  | "input_reply";

/** The content of request type `T`, as checked. */
export type RequestContent<T extends RequestType> = IMessageContentMap[T];

type Kind = "string" | "integer" | "boolean" | "object" | "null";
interface Field {
  kinds: readonly Kind[];
  optional: boolean;
  /** The values allowed, when there are few. */
  oneOf?: readonly unknown[];
}

const req = (...kinds: Kind[]): Field => ({ kinds, optional: false });
const opt = (...kinds: Kind[]): Field => ({ kinds, optional: true });

const code = req("string");
const SCHEMAS: Record<RequestType, Record<string, Field>> = {
  execute_request: {
    code,
    silent: opt("boolean"),
    store_history: opt("boolean"),
    user_expressions: opt("object"),
    allow_stdin: opt("boolean"),
    stop_on_error: opt("boolean"),
  },
  // cursor_pos is required by the spec; a client that leaves it out means the end of the code
  inspect_request: { code, cursor_pos: opt("integer"), detail_level: { ...opt("integer"), oneOf: [0, 1] } },
  complete_request: { code, cursor_pos: opt("integer") },
  history_request: {
    hist_access_type: { ...req("string"), oneOf: ["range", "tail", "search"] },
    output: opt("boolean"),
    raw: opt("boolean"),
    session: opt("integer"),
    start: opt("integer"),
    stop: opt("integer", "null"),
    n: opt("integer", "null"),
    pattern: opt("string"),
    unique: opt("boolean"),
  },
  is_complete_request: { code },
  connect_request: {},
  comm_info_request: { target_name: opt("string", "null") },
  kernel_info_request: {},
  shutdown_request: { restart: opt("boolean") },
  interrupt_request: {},
  create_subshell_request: {},
  delete_subshell_request: { subshell_id: req("string") },
  list_subshell_request: {},
  comm_open: { comm_id: req("string"), target_name: req("string"), data: opt("object"), target_module: opt("string", "null") },
  comm_msg: { comm_id: req("string"), data: opt("object") },
  comm_close: { comm_id: req("string"), data: opt("object") },
  input_reply: { value: req("string") },
};

export function isRequestType(msgType: string): msgType is RequestType {
  return Object.hasOwn(SCHEMAS, msgType);
}

/**
 * Check a request's content against its type.
 *
 * @returns undefined when it is well formed (or of a type this module does not know: the
 *   receiver decides what to do with those), else the problem, naming the field, e.g.
 *   `content.code must be a string, got number`.
 */
export function contentProblem(msgType: string, content: Record<string, unknown>): string | undefined {
  if (!isRequestType(msgType)) return undefined;
  for (const [name, field] of Object.entries(SCHEMAS[msgType])) {
    const value = content[name];
    if (value === undefined) {
      if (field.optional) continue;
      return `content.${name} is missing (${describeKinds(field)})`;
    }
    if (!field.kinds.some((kind) => isKind(value, kind))) return `content.${name} must be ${describeKinds(field)}, got ${describe(value)}`;
    if (field.oneOf && !field.oneOf.includes(value)) {
      return `content.${name} must be one of ${field.oneOf.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

function isKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isSafeInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "null":
      return value === null;
  }
}

function describeKinds(field: Field): string {
  const names = field.kinds.map((k) => (k === "integer" ? "an integer" : k === "object" ? "an object" : k === "null" ? "null" : `a ${k}`));
  return names.join(" or ");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isSafeInteger(value)) return `the number ${value}`;
  return typeof value;
}
