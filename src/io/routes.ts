/**
 * Which thread answers each request type. The I/O worker's shell router and control loop and the
 * main thread's dispatcher all read this table, so a request's path is decided in one place.
 *
 * - `io`: the I/O worker, at once, even while a cell keeps the main thread busy;
 * - `language`: the language-service thread once it is warm (types), else the main thread's
 *   runtime introspection (language_route.ts);
 * - `main-now`: the main thread, as it comes, beside running cells (never queued behind them);
 * - `main-queued`: the main thread, through the execute scheduler of the request's shell or
 *   subshell (queue, run modes, stop_on_error).
 *
 * A type not listed is answered by none: the I/O worker logs and drops it (as ipykernel does with
 * an unknown type), so the main thread only ever sees the types it handles.
 */
export type Answerer = "io" | "language" | "main-now" | "main-queued";

export const ANSWERED_BY = {
  // on shell, in its turn among the main thread's requests (as ipykernel orders it); on control at once
  kernel_info_request: { shell: "main-now", control: "io" },
  interrupt_request: "io",
  shutdown_request: "io",
  create_subshell_request: "io",
  delete_subshell_request: "io",
  list_subshell_request: "io",
  // the debug adapter (io/debugger): answered while the main thread is paused at a breakpoint
  debug_request: "io",
  complete_request: "language",
  inspect_request: "language",
  execute_request: "main-queued",
  is_complete_request: "main-now",
  history_request: "main-now",
  comm_info_request: "main-now",
  connect_request: "main-now",
  comm_open: "main-now",
  comm_msg: "main-now",
  comm_close: "main-now",
} as const satisfies Record<string, Answerer | Record<"shell" | "control", Answerer>>;

export type RoutedType = keyof typeof ANSWERED_BY;

type AnswererOf<T extends RoutedType> = (typeof ANSWERED_BY)[T] extends infer A ? (A extends Answerer ? A : A[keyof A]) : never;

/** The request types the main thread answers (the runtime's completion and inspection among them). */
export type MainType = {
  [T in RoutedType]: [Extract<AnswererOf<T>, "main-now" | "main-queued" | "language">] extends [never] ? never : T;
}[RoutedType];

/** The request types the main thread queues (the execute scheduler's). */
export type QueuedType = { [T in RoutedType]: [Extract<AnswererOf<T>, "main-queued">] extends [never] ? never : T }[RoutedType];

export function answeredBy(msgType: string, channel: "shell" | "control"): Answerer | undefined {
  if (!Object.hasOwn(ANSWERED_BY, msgType)) return undefined;
  const entry: Answerer | Readonly<Record<"shell" | "control", Answerer>> = ANSWERED_BY[msgType as RoutedType];
  return typeof entry === "string" ? entry : entry[channel];
}
