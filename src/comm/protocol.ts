/**
 * The plain data of comm messages (Jupyter messaging "Custom Messages": comm_open, comm_msg,
 * comm_close), as the comm machinery hands them to whoever publishes them and as it receives
 * them. Plain objects and Uint8Arrays only: the same objects cross threads by structured clone
 * (a `// thread` cell's comms are relayed by the main thread).
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#custom-messages
 */

export type CommMsgType = "comm_open" | "comm_msg" | "comm_close";

/** A JSON object: what `data` and `metadata` of a comm message are. */
export type JsonObject = { [key: string]: unknown };

/** Binary data a comm message can carry (sent as raw frames after the JSON frames). */
export type BufferLike = Uint8Array | ArrayBuffer | DataView;

/** A comm message going out (kernel → frontend, published on iopub with the current parent). */
export interface CommOutbound {
  msgType: CommMsgType;
  /** `{comm_id, data}`, and `target_name` for comm_open. */
  content: { comm_id: string; data: JsonObject; target_name?: string };
  metadata: JsonObject;
  buffers: Uint8Array[];
}

/** The header fields a handler can rely on (the frontend's message header). */
export interface CommHeader {
  msg_id: string;
  msg_type: string;
  session?: string;
  username?: string;
  date?: string;
  [key: string]: unknown;
}

/** A comm message coming in from the frontend, as it arrived (already verified). */
export interface CommInbound {
  header: CommHeader;
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  buffers: Uint8Array[];
}

/** What a comm handler receives: the frontend's message, in the shape Jupyter frontends use. */
export interface CommMessage<D extends JsonObject = JsonObject> {
  header: CommHeader;
  content: { comm_id: string; data: D; target_name?: string };
  metadata: JsonObject;
  /** The message's binary buffers (empty when it has none). */
  buffers: Uint8Array[];
}

/** Comm id → target name, as comm_info_reply lists them. */
export type CommInfo = Record<string, { target_name: string }>;
