/**
 * Typed definitions of the Jupyter messages of protocol 5.5.
 *
 * One content interface per `msg_type`, a channel union per socket, the
 * generic {@link IMessage}, and type guards for the requests a kernel
 * dispatches on. Types only describe; nothing here validates content at run
 * time (the guards look at `header.msg_type` alone).
 *
 * Wire field names stay snake_case, as on the wire.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html
 *
 * @module
 */

/**
 * The protocol version this kernel speaks, written into every header's `version`.
 *
 * #### Notes
 * 5.5 adds debug messages on control, XPUB IOPub with `iopub_welcome`,
 * `kernel_info` on control, `supported_features` and kernel subshells.
 */
export const PROTOCOL_VERSION = "5.5";

// ---------------------------------------------------------------------------
// Message types per channel
// ---------------------------------------------------------------------------

/** The sockets a message can travel on (heartbeat carries no messages). */
export type Channel = "shell" | "control" | "iopub" | "stdin";

/**
 * Message types on the shell channel.
 *
 * #### Notes
 * `connect_request` is deprecated since 5.1 and `shutdown_request` on shell
 * since 5.4 (use control), but both are still part of the protocol.
 */
export type ShellMessageType =
  | "execute_request"
  | "execute_reply"
  | "inspect_request"
  | "inspect_reply"
  | "complete_request"
  | "complete_reply"
  | "history_request"
  | "history_reply"
  | "is_complete_request"
  | "is_complete_reply"
  | "connect_request"
  | "connect_reply"
  | "comm_info_request"
  | "comm_info_reply"
  | "kernel_info_request"
  | "kernel_info_reply"
  | "comm_open"
  | "comm_msg"
  | "comm_close"
  | "shutdown_request"
  | "shutdown_reply";

/**
 * Message types on the control channel.
 *
 * #### Notes
 * `kernel_info_request` is answered on control too since 5.5 (JEP 80);
 * subshell management is control-only (JEP 91).
 */
export type ControlMessageType =
  | "shutdown_request"
  | "shutdown_reply"
  | "interrupt_request"
  | "interrupt_reply"
  | "debug_request"
  | "debug_reply"
  | "kernel_info_request"
  | "kernel_info_reply"
  | "create_subshell_request"
  | "create_subshell_reply"
  | "delete_subshell_request"
  | "delete_subshell_reply"
  | "list_subshell_request"
  | "list_subshell_reply";

/** Message types broadcast on IOPub. */
export type IOPubMessageType =
  | "stream"
  | "display_data"
  | "update_display_data"
  | "execute_input"
  | "execute_result"
  | "error"
  | "status"
  | "clear_output"
  | "iopub_welcome"
  | "debug_event"
  | "comm_open"
  | "comm_msg"
  | "comm_close";

/** Message types on the stdin channel (the kernel asks, the frontend replies). */
export type StdinMessageType = "input_request" | "input_reply";

/** Every message type of protocol 5.5. */
export type MessageType = ShellMessageType | ControlMessageType | IOPubMessageType | StdinMessageType;

// ---------------------------------------------------------------------------
// Header and message envelope
// ---------------------------------------------------------------------------

/**
 * A message header.
 *
 * @typeParam T - the message type.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#message-header
 */
export interface IHeader<T extends MessageType = MessageType> {
  /** Unique per message; a uuid v4 string for messages this kernel creates. */
  msg_id: string;
  /** The sender's session id; the kernel's changes on restart. */
  session: string;
  username: string;
  /** ISO 8601 timestamp, mandatory since 5.1; this kernel writes UTC with a `Z`. */
  date: string;
  msg_type: T;
  /** Protocol version, e.g. `"5.5"`. */
  version: string;
  /**
   * Subshell targeted by a shell request (5.5, JEP 91). Absent or `null`
   * means the parent (main) subshell.
   */
  subshell_id?: string | null;
}

/** The `parent_header` of a message that has no parent (e.g. `iopub_welcome`). */
export type EmptyParentHeader = Record<string, never>;

/** A MIME bundle: MIME type to data (`text/plain` should always be present). */
export interface IMimeBundle {
  [mimeType: string]: unknown;
}

/**
 * A Jupyter message.
 *
 * @typeParam T - the message type; it selects the content type.
 *
 * #### Notes
 * `parent_header` is the header of the message that caused this one, or `{}`.
 * Replies must carry it. `buffers` are raw binary frames (comms, widgets).
 */
export interface IMessage<T extends MessageType = MessageType> {
  header: IHeader<T>;
  parent_header: IHeader | EmptyParentHeader;
  metadata: Record<string, unknown>;
  content: MessageContent<T>;
  buffers?: (Buffer | ArrayBufferView)[];
  channel?: Channel;
}

/** The content type of message type `T`. */
export type MessageContent<T extends MessageType> = CheckedContentMap[T];

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/**
 * Content of a reply whose request failed.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#request-reply
 */
export interface IReplyErrorContent {
  status: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

/**
 * Content of a reply whose request was aborted (e.g. queued after a failing
 * `stop_on_error` execute).
 *
 * #### Notes
 * Deprecated since 5.1 in favour of `status: "error"`, but ipykernel still
 * sends it and clients accept it.
 */
export interface IReplyAbortContent {
  status: "aborted";
}

/** Content of a reply: `T` with `status: "ok"`, or an error / abort; narrow on `status`. */
export type ReplyContent<T> = (T & { status: "ok" }) | IReplyErrorContent | IReplyAbortContent;

// ---------------------------------------------------------------------------
// Shell
// ---------------------------------------------------------------------------

/**
 * `execute_request` content.
 *
 * #### Notes
 * Frontends may omit the flags; the spec defaults are `silent: false`,
 * `store_history: !silent`, `user_expressions: {}`, `allow_stdin: true`,
 * `stop_on_error: true`.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#execute
 */
export interface IExecuteRequestContent {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
}

/** A payload item of `execute_reply` (deprecated; kept for `set_next_input`, `page`, …). */
export interface IExecutePayload {
  source: "page" | "set_next_input" | "edit_magic" | "ask_exit" | (string & {});
  [key: string]: unknown;
}

/** `execute_reply` content when `status` is `"ok"`. */
export interface IExecuteReplyContent {
  execution_count: number | null;
  payload?: IExecutePayload[];
  user_expressions: Record<string, unknown>;
}

/** `execute_reply` carries `execution_count` whatever its status. */
export type ExecuteReplyContent = ReplyContent<IExecuteReplyContent> & { execution_count: number | null };

/**
 * `inspect_request` content. `cursor_pos` counts Unicode code points (5.2+),
 * not UTF-16 units.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#introspection
 */
export interface IInspectRequestContent {
  code: string;
  cursor_pos: number;
  detail_level?: 0 | 1;
}

/** `inspect_reply` content when `status` is `"ok"`. */
export interface IInspectReplyContent {
  found: boolean;
  data: IMimeBundle;
  metadata: Record<string, unknown>;
}

/**
 * `complete_request` content. `cursor_pos` counts Unicode code points.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#completion
 */
export interface ICompleteRequestContent {
  code: string;
  cursor_pos: number;
}

/** `complete_reply` content when `status` is `"ok"`; cursor offsets count code points. */
export interface ICompleteReplyContent {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
}

/** Fields shared by every `history_request`. */
export interface IHistoryRequestBase {
  /** Also return outputs. */
  output: boolean;
  /** Return raw input rather than transformed input. */
  raw: boolean;
}

/** `history_request` for a range of one session's history. */
export interface IHistoryRequestRange extends IHistoryRequestBase {
  hist_access_type: "range";
  session: number;
  start: number;
  stop: number;
}

/** `history_request` for the last `n` entries. */
export interface IHistoryRequestTail extends IHistoryRequestBase {
  hist_access_type: "tail";
  n: number;
}

/** `history_request` matching a glob pattern. */
export interface IHistoryRequestSearch extends IHistoryRequestBase {
  hist_access_type: "search";
  pattern: string;
  unique?: boolean;
  n?: number;
}

/**
 * `history_request` content, discriminated on `hist_access_type`.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#history
 */
export type HistoryRequestContent = IHistoryRequestRange | IHistoryRequestTail | IHistoryRequestSearch;

/** One history entry: `[session, line, input]`, or `[session, line, [input, output]]` with `output: true`. */
export type HistoryEntry = [number, number, string] | [number, number, [string, string | null]];

/** `history_reply` content when `status` is `"ok"`. */
export interface IHistoryReplyContent {
  history: HistoryEntry[];
}

/**
 * `is_complete_request` content.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#code-completeness
 */
export interface IIsCompleteRequestContent {
  code: string;
}

/** `is_complete_reply` for incomplete code: `indent` is the suggested next-line indent. */
export interface IIsCompleteReplyIncomplete {
  status: "incomplete";
  indent: string;
}

/** `is_complete_reply` for code that is complete, invalid, or not judged. */
export interface IIsCompleteReplyOther {
  status: "complete" | "invalid" | "unknown";
}

/**
 * `is_complete_reply` content.
 *
 * #### Notes
 * Unlike other replies, `status` here is the verdict, not `"ok"`.
 */
export type IsCompleteReplyContent = IIsCompleteReplyIncomplete | IIsCompleteReplyOther | IReplyErrorContent | IReplyAbortContent;

/** `connect_request` content (deprecated since 5.1). */
export interface IConnectRequestContent {}

/** `connect_reply` content when `status` is `"ok"` (deprecated since 5.1). */
export interface IConnectReplyContent {
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
  control_port: number;
}

/**
 * `comm_info_request` content; without `target_name` all comms are listed.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#comm-info
 */
export interface ICommInfoRequestContent {
  target_name?: string;
}

/** `comm_info_reply` content when `status` is `"ok"`: open comms by id. */
export interface ICommInfoReplyContent {
  comms: Record<string, { target_name: string }>;
}

/**
 * `kernel_info_request` content (empty).
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#kernel-info
 */
export interface IKernelInfoRequestContent {}

/** `language_info` of `kernel_info_reply`. */
export interface ILanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  /** With the leading dot, e.g. `".ts"`. */
  file_extension: string;
  pygments_lexer?: string;
  codemirror_mode?: string | Record<string, unknown>;
  nbconvert_exporter?: string;
  [key: string]: unknown;
}

/** A help link of `kernel_info_reply`. */
export interface IHelpLink {
  text: string;
  url: string;
}

/** `kernel_info_reply` content when `status` is `"ok"`. */
export interface IKernelInfoReplyContent {
  /** Version of the messaging protocol, e.g. `"5.5"`. */
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: ILanguageInfo;
  banner: string;
  /** Deprecated in 5.5 in favour of `supported_features: ["debugger"]`. */
  debugger?: boolean;
  help_links?: IHelpLink[];
  /** Optional features (5.5, JEP 92), e.g. `"debugger"`, `"kernel subshells"`. */
  supported_features?: string[];
}

/**
 * `comm_open` content (shell or IOPub; no reply).
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#custom-messages
 */
export interface ICommOpenContent {
  comm_id: string;
  target_name: string;
  data: Record<string, unknown>;
  target_module?: string;
}

/** `comm_msg` content (shell or IOPub; no reply). */
export interface ICommMsgContent {
  comm_id: string;
  data: Record<string, unknown>;
}

/** `comm_close` content (shell or IOPub; no reply). */
export interface ICommCloseContent {
  comm_id: string;
  data: Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Control
// ---------------------------------------------------------------------------

/**
 * `shutdown_request` content.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#kernel-shutdown
 */
export interface IShutdownRequestContent {
  /** Whether the kernel will be started again by its manager. */
  restart: boolean;
}

/** `shutdown_reply` content when `status` is `"ok"`. */
export interface IShutdownReplyContent {
  restart: boolean;
}

/**
 * `interrupt_request` content (empty; used when `interrupt_mode` is `"message"`).
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#kernel-interrupt
 */
export interface IInterruptRequestContent {}

/** `interrupt_reply` content when `status` is `"ok"` (nothing besides status). */
export interface IInterruptReplyContent {}

/**
 * `debug_request` content: a Debug Adapter Protocol request.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#debug-request
 * @see https://microsoft.github.io/debug-adapter-protocol/specification
 */
export interface IDebugRequestContent {
  seq: number;
  type: "request";
  command: string;
  arguments?: Record<string, unknown>;
}

/**
 * `debug_reply` content: a Debug Adapter Protocol response.
 *
 * #### Notes
 * It has no Jupyter `status`; success is DAP's `success`.
 */
export interface IDebugReplyContent {
  seq: number;
  type: "response";
  request_seq: number;
  success: boolean;
  command: string;
  message?: string;
  body?: Record<string, unknown>;
}

/**
 * `create_subshell_request` content (empty).
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#kernel-subshells
 */
export interface ICreateSubshellRequestContent {}

/** `create_subshell_reply` content when `status` is `"ok"`. */
export interface ICreateSubshellReplyContent {
  subshell_id: string;
}

/** `delete_subshell_request` content. */
export interface IDeleteSubshellRequestContent {
  subshell_id: string;
}

/** `delete_subshell_reply` content when `status` is `"ok"` (nothing besides status). */
export interface IDeleteSubshellReplyContent {}

/** `list_subshell_request` content (empty). */
export interface IListSubshellRequestContent {}

/** `list_subshell_reply` content when `status` is `"ok"`; the parent subshell is not listed. */
export interface IListSubshellReplyContent {
  subshell_id: string[];
}

// ---------------------------------------------------------------------------
// IOPub
// ---------------------------------------------------------------------------

/**
 * `stream` content.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#streams-stdout-stderr-etc
 */
export interface IStreamContent {
  name: "stdout" | "stderr";
  text: string;
}

/** `transient` of display messages: not stored in notebooks. */
export interface ITransient {
  display_id?: string;
  [key: string]: unknown;
}

/**
 * `display_data` content.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#display-data
 */
export interface IDisplayDataContent {
  data: IMimeBundle;
  metadata: Record<string, unknown>;
  transient?: ITransient;
}

/** `update_display_data` content: like `display_data`, but `transient.display_id` is required. */
export interface IUpdateDisplayDataContent extends IDisplayDataContent {
  transient: ITransient & { display_id: string };
}

/**
 * `execute_input` content: re-broadcast of the code being run.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#code-inputs
 */
export interface IExecuteInputContent {
  code: string;
  execution_count: number;
}

/**
 * `execute_result` content.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#id7
 */
export interface IExecuteResultContent {
  execution_count: number;
  data: IMimeBundle;
  metadata: Record<string, unknown>;
  transient?: ITransient;
}

/**
 * `error` content (IOPub), published when execution raises.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#execution-errors
 */
export interface IErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** The kernel's execution state as published in `status`. */
export type ExecutionState = "busy" | "idle" | "starting";

/**
 * `status` content: `busy` before and `idle` after handling every request.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#kernel-status
 */
export interface IStatusContent {
  execution_state: ExecutionState;
}

/**
 * `clear_output` content; with `wait`, clear when the next output arrives.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#clear-output
 */
export interface IClearOutputContent {
  wait: boolean;
}

/**
 * `iopub_welcome` content (5.5, JEP 65): sent on each new XPUB subscription,
 * with an empty parent header.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#welcome-message
 */
export interface IIopubWelcomeContent {
  /** The subscribed topic; `""` for subscribe-to-all. */
  subscription: string;
}

/**
 * `debug_event` content: a Debug Adapter Protocol event.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#additions-to-the-dap
 */
export interface IDebugEventContent {
  seq: number;
  type: "event";
  event: string;
  body?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Stdin
// ---------------------------------------------------------------------------

/**
 * `input_request` content. Send only if the execute_request had `allow_stdin`.
 *
 * @see https://jupyter-client.readthedocs.io/en/latest/messaging.html#messages-on-the-stdin-router-dealer-channel
 */
export interface IInputRequestContent {
  prompt: string;
  /** Whether the frontend should hide the typed text. */
  password: boolean;
}

/**
 * `input_reply` content.
 *
 * #### Notes
 * The spec's content is just `value`; some frontends (JupyterLab) add a `status`.
 */
export interface IInputReplyContent {
  value: string;
  status?: "ok" | "error" | "aborted";
}

// ---------------------------------------------------------------------------
// msg_type → content
// ---------------------------------------------------------------------------

/** The content type of every message type. */
export interface IMessageContentMap {
  execute_request: IExecuteRequestContent;
  execute_reply: ExecuteReplyContent;
  inspect_request: IInspectRequestContent;
  inspect_reply: ReplyContent<IInspectReplyContent>;
  complete_request: ICompleteRequestContent;
  complete_reply: ReplyContent<ICompleteReplyContent>;
  history_request: HistoryRequestContent;
  history_reply: ReplyContent<IHistoryReplyContent>;
  is_complete_request: IIsCompleteRequestContent;
  is_complete_reply: IsCompleteReplyContent;
  connect_request: IConnectRequestContent;
  connect_reply: ReplyContent<IConnectReplyContent>;
  comm_info_request: ICommInfoRequestContent;
  comm_info_reply: ReplyContent<ICommInfoReplyContent>;
  kernel_info_request: IKernelInfoRequestContent;
  kernel_info_reply: ReplyContent<IKernelInfoReplyContent>;
  comm_open: ICommOpenContent;
  comm_msg: ICommMsgContent;
  comm_close: ICommCloseContent;
  shutdown_request: IShutdownRequestContent;
  shutdown_reply: ReplyContent<IShutdownReplyContent>;
  interrupt_request: IInterruptRequestContent;
  interrupt_reply: ReplyContent<IInterruptReplyContent>;
  debug_request: IDebugRequestContent;
  debug_reply: IDebugReplyContent;
  create_subshell_request: ICreateSubshellRequestContent;
  create_subshell_reply: ReplyContent<ICreateSubshellReplyContent>;
  delete_subshell_request: IDeleteSubshellRequestContent;
  delete_subshell_reply: ReplyContent<IDeleteSubshellReplyContent>;
  list_subshell_request: IListSubshellRequestContent;
  list_subshell_reply: ReplyContent<IListSubshellReplyContent>;
  stream: IStreamContent;
  display_data: IDisplayDataContent;
  update_display_data: IUpdateDisplayDataContent;
  execute_input: IExecuteInputContent;
  execute_result: IExecuteResultContent;
  error: IErrorContent;
  status: IStatusContent;
  clear_output: IClearOutputContent;
  iopub_welcome: IIopubWelcomeContent;
  debug_event: IDebugEventContent;
  input_request: IInputRequestContent;
  input_reply: IInputReplyContent;
}

/** Fails to compile when its argument is not `never`. */
type AssertNever<T extends never> = T;

/**
 * {@link IMessageContentMap}, checked at compile time against
 * {@link MessageType}: indexing it with every `MessageType` (in
 * {@link MessageContent}) fails to build if a type has no content, and the
 * `AssertNever` fails to build if the map has a key no channel union lists.
 */
type CheckedContentMap = IMessageContentMap & Record<AssertNever<Exclude<keyof IMessageContentMap, MessageType>>, never>;

// ---------------------------------------------------------------------------
// Type guards
// ---------------------------------------------------------------------------

/** Anything with a header carrying a `msg_type`: an {@link IMessage} or a deserialized message. */
export interface IHasMsgType {
  header: { msg_type: string };
}

/**
 * Narrow a message to message type `T`.
 *
 * #### Notes
 * Checks `header.msg_type` only; the content is not validated.
 */
export function isMessageType<M extends IHasMsgType, T extends MessageType>(msg: M, msgType: T): msg is M & IMessage<T> {
  return msg.header.msg_type === msgType;
}

/** Whether `msg` is an `execute_request` (checks `msg_type` only). */
export function isExecuteRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"execute_request"> {
  return msg.header.msg_type === "execute_request";
}

/** Whether `msg` is an `inspect_request` (checks `msg_type` only). */
export function isInspectRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"inspect_request"> {
  return msg.header.msg_type === "inspect_request";
}

/** Whether `msg` is a `complete_request` (checks `msg_type` only). */
export function isCompleteRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"complete_request"> {
  return msg.header.msg_type === "complete_request";
}

/** Whether `msg` is a `history_request` (checks `msg_type` only). */
export function isHistoryRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"history_request"> {
  return msg.header.msg_type === "history_request";
}

/** Whether `msg` is an `is_complete_request` (checks `msg_type` only). */
export function isIsCompleteRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"is_complete_request"> {
  return msg.header.msg_type === "is_complete_request";
}

/** Whether `msg` is a `connect_request` (deprecated; checks `msg_type` only). */
export function isConnectRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"connect_request"> {
  return msg.header.msg_type === "connect_request";
}

/** Whether `msg` is a `comm_info_request` (checks `msg_type` only). */
export function isCommInfoRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"comm_info_request"> {
  return msg.header.msg_type === "comm_info_request";
}

/** Whether `msg` is a `kernel_info_request` (checks `msg_type` only). */
export function isKernelInfoRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"kernel_info_request"> {
  return msg.header.msg_type === "kernel_info_request";
}

/** Whether `msg` is a `comm_open` (checks `msg_type` only). */
export function isCommOpenMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"comm_open"> {
  return msg.header.msg_type === "comm_open";
}

/** Whether `msg` is a `comm_msg` (checks `msg_type` only). */
export function isCommMsgMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"comm_msg"> {
  return msg.header.msg_type === "comm_msg";
}

/** Whether `msg` is a `comm_close` (checks `msg_type` only). */
export function isCommCloseMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"comm_close"> {
  return msg.header.msg_type === "comm_close";
}

/** Whether `msg` is a `shutdown_request` (checks `msg_type` only). */
export function isShutdownRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"shutdown_request"> {
  return msg.header.msg_type === "shutdown_request";
}

/** Whether `msg` is an `interrupt_request` (checks `msg_type` only). */
export function isInterruptRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"interrupt_request"> {
  return msg.header.msg_type === "interrupt_request";
}

/** Whether `msg` is a `debug_request` (checks `msg_type` only). */
export function isDebugRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"debug_request"> {
  return msg.header.msg_type === "debug_request";
}

/** Whether `msg` is a `create_subshell_request` (checks `msg_type` only). */
export function isCreateSubshellRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"create_subshell_request"> {
  return msg.header.msg_type === "create_subshell_request";
}

/** Whether `msg` is a `delete_subshell_request` (checks `msg_type` only). */
export function isDeleteSubshellRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"delete_subshell_request"> {
  return msg.header.msg_type === "delete_subshell_request";
}

/** Whether `msg` is a `list_subshell_request` (checks `msg_type` only). */
export function isListSubshellRequestMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"list_subshell_request"> {
  return msg.header.msg_type === "list_subshell_request";
}

/** Whether `msg` is an `input_reply` (checks `msg_type` only). */
export function isInputReplyMsg<M extends IHasMsgType>(msg: M): msg is M & IMessage<"input_reply"> {
  return msg.header.msg_type === "input_reply";
}

const SHELL_TYPES: ReadonlySet<string> = new Set<ShellMessageType>([
  "execute_request",
  "execute_reply",
  "inspect_request",
  "inspect_reply",
  "complete_request",
  "complete_reply",
  "history_request",
  "history_reply",
  "is_complete_request",
  "is_complete_reply",
  "connect_request",
  "connect_reply",
  "comm_info_request",
  "comm_info_reply",
  "kernel_info_request",
  "kernel_info_reply",
  "comm_open",
  "comm_msg",
  "comm_close",
  "shutdown_request",
  "shutdown_reply",
]);

const CONTROL_TYPES: ReadonlySet<string> = new Set<ControlMessageType>([
  "shutdown_request",
  "shutdown_reply",
  "interrupt_request",
  "interrupt_reply",
  "debug_request",
  "debug_reply",
  "kernel_info_request",
  "kernel_info_reply",
  "create_subshell_request",
  "create_subshell_reply",
  "delete_subshell_request",
  "delete_subshell_reply",
  "list_subshell_request",
  "list_subshell_reply",
]);

/**
 * Whether `msgType` is a shell message type of protocol 5.5.
 *
 * #### Notes
 * The spec asks both sides to tolerate unknown types, so an unknown type is
 * not a wire error; a kernel replies to it as it sees fit (ipykernel: busy,
 * log, idle, no reply).
 */
export function isShellMessageType(msgType: string): msgType is ShellMessageType {
  return SHELL_TYPES.has(msgType);
}

/** Whether `msgType` is a control message type of protocol 5.5. */
export function isControlMessageType(msgType: string): msgType is ControlMessageType {
  return CONTROL_TYPES.has(msgType);
}
