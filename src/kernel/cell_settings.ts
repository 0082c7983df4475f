/**
 * How a cell asks to be run: its run mode (`queue`, `task`, `thread`) and the tags that change
 * how its failure counts (`raises-exception`, `stop-on-error=...`, `timeout=...`).
 *
 * Two sources, as in async-kernel (kernel.py handle_request, typing.py Tags):
 * - the cell's first lines, while they are settings comments: a run mode `// queue`, `// task`,
 *   `// thread`, `// thread name=render backend=node`, and (ours) the tags that change how a
 *   failure counts, `// stop-on-error=false`, `// timeout=5`, `// raises-exception`, several on a
 *   line if every word is one. Clients that send no tags (nbclient, `jupyter execute`,
 *   jupyter console) reach them this way;
 * - the execute_request's `metadata.tags` (frontends send the cell's tags there): `queue`,
 *   `task`, `thread`, `thread name=...`, `raises-exception`, `stop-on-error=true|false`,
 *   `timeout=<seconds>`. Tag names normalise `-` to `_` and ignore case; unknown tags are left
 *   to the frontend (`hide-input` and the like).
 * A tag wins over the comment. A silent request never waits behind the queue: its `queue`
 * becomes `task`.
 *
 * Unlike async-kernel, bad options are an error the user sees (its header comment drops them
 * silently), and a `// task ...` or `// queue ...` line with more words is an ordinary comment,
 * as is a line with any word that is not a setting (`// timeout=5 is plenty`).
 */

export type RunMode = "queue" | "task" | "thread";

/** Which thread a `thread` cell runs in: a pool thread, or the named one (reused by name). */
export interface ThreadTarget {
  name?: string;
  /** src/event_loop backend of the thread. */
  backend?: string;
  /** src/event_loop host loop of the thread. */
  loop?: string;
}

export interface CellSettings {
  mode: RunMode;
  /** Only for `thread`. */
  thread?: ThreadTarget;
  raisesException: boolean;
  /** From a `stop-on-error` tag: overrides the request's `stop_on_error`. */
  stopOnError?: boolean;
  /** From a `timeout` tag, > 0 (`timeout=0` means none). */
  timeoutSeconds?: number;
}

/** A cell's comment or tags say something that cannot be done; the reply says what. */
export class CellSettingsError extends Error {
  override name = "CellSettingsError";
}

const MODES: readonly string[] = ["queue", "task", "thread"];
const THREAD_OPTIONS = ["name", "backend", "loop"] as const;
/** Longest thread name accepted (names are keys, and show in messages). */
const MAX_NAME = 100;
/** setTimeout's limit (about 24.8 days): a longer timeout would fire at once. */
const MAX_TIMEOUT_S = 2_147_483;

/**
 * The settings of one execute_request.
 * @throws CellSettingsError with a message for the user.
 */
export function cellSettings(code: string, tags: unknown, silent: boolean): CellSettings {
  const fromTags = parseTags(tags);
  const fromComment = commentSettings(code, fromTags.mode === undefined);
  const mode0 = fromTags.mode ?? fromComment.mode;
  let mode: RunMode = mode0?.mode ?? "queue";
  if (silent && mode === "queue") mode = "task";
  const settings: CellSettings = { mode, raisesException: fromTags.raisesException ?? fromComment.raisesException ?? false };
  if (mode === "thread") settings.thread = mode0?.thread ?? {};
  const stopOnError = fromTags.stopOnError ?? fromComment.stopOnError;
  if (stopOnError !== undefined) settings.stopOnError = stopOnError;
  const timeout = fromTags.timeoutSeconds ?? fromComment.timeoutSeconds;
  if (timeout) settings.timeoutSeconds = timeout;
  return settings;
}

/**
 * Whether a failure of this cell stops the queue: a `stop-on-error` tag decides; else a cell
 * that expects an error, or may time out, does not (async-kernel ipshell.py do_execute); else the
 * request's `stop_on_error` (default true, as the spec says).
 */
export function stopsOnError(settings: CellSettings, requested: unknown): boolean {
  if (settings.stopOnError !== undefined) return settings.stopOnError;
  if (settings.raisesException || settings.timeoutSeconds) return false;
  return requested !== false;
}

interface ModeChoice {
  mode: RunMode;
  thread?: ThreadTarget;
}

/** The run mode of the first non-empty line, if it is one of ours. */
export function commentMode(code: string): ModeChoice | undefined {
  const first = code.trimStart().split("\n", 1)[0]!.trim();
  const m = /^\/\/\s*(queue|task|thread)(?:\s+(.*))?$/.exec(first);
  if (!m) return undefined;
  const mode = m[1] as RunMode;
  const rest = m[2]?.trim() ?? "";
  if (mode !== "thread") return rest ? undefined : { mode };
  return { mode, thread: rest ? threadOptions(rest, `// thread ${rest}`) : {} };
}

interface TagSettings {
  mode?: ModeChoice;
  raisesException?: boolean;
  stopOnError?: boolean;
  timeoutSeconds?: number;
}

/** The tags a settings comment may carry (a run mode has a line of its own). */
const COMMENT_TAG = /^(raises[-_]exception|stop[-_]on[-_]error|timeout)(=\S*)?$/i;

/**
 * The settings of the cell's leading comment lines (from its first non-empty line, up to the
 * first line that is not a settings comment): at most one run mode (read only if `withMode`,
 * i.e. no tag gave one) and the tags of settings lines.
 */
function commentSettings(code: string, withMode: boolean): TagSettings {
  const out: TagSettings = {};
  const lines = code.trimStart().split("\n");
  for (const line of lines) {
    const text = line.trim();
    // With a run-mode tag the comment's mode is not read (nor its thread options checked).
    const mode = withMode ? commentMode(text) : /^\/\/\s*(?:(?:queue|task)\s*|thread(?:\s.*)?)$/.test(text);
    if (mode) {
      if (out.mode) throw new CellSettingsError(`conflicting run-mode comments: "${text}" after another run mode`);
      if (mode !== true) out.mode = mode;
      continue;
    }
    const words = /^\/\/\s*(.*)$/.exec(text)?.[1]?.split(/\s+/);
    if (!words?.[0] || !words.every((w) => COMMENT_TAG.test(w))) break;
    const { mode: _none, ...tags } = parseTags(words);
    for (const [key, value] of Object.entries(tags)) if (value !== undefined) Object.assign(out, { [key]: value });
  }
  return out;
}

function parseTags(tags: unknown): TagSettings {
  const out: TagSettings = {};
  if (tags === undefined || tags === null) return out;
  if (!Array.isArray(tags)) throw new CellSettingsError("metadata.tags must be a list of strings");
  for (const tag of tags) {
    if (typeof tag !== "string") throw new CellSettingsError(`metadata.tags must be a list of strings, not ${JSON.stringify(tag)}`);
    const m = /^\s*([A-Za-z_-]+)\s*(?:(=)\s*(.*?)|\s+(.*?))?\s*$/.exec(tag);
    if (!m) continue;
    const key = m[1]!.toLowerCase().replace(/-/g, "_");
    const value = m[2] ? m[3]! : undefined;
    const words = m[4];
    switch (key) {
      case "queue":
      case "task":
      case "thread": {
        if (value !== undefined || (words && key !== "thread")) throw new CellSettingsError(`invalid run-mode tag "${tag}"`);
        const choice: ModeChoice =
          key === "thread" ? { mode: "thread", thread: words ? threadOptions(words, tag) : {} } : { mode: key as RunMode };
        if (out.mode && (out.mode.mode !== choice.mode || JSON.stringify(out.mode.thread) !== JSON.stringify(choice.thread))) {
          throw new CellSettingsError(`conflicting run-mode tags: the cell has more than one of ${MODES.join(", ")}`);
        }
        out.mode = choice;
        break;
      }
      case "raises_exception":
        if (words) continue;
        out.raisesException = value === undefined ? true : boolValue(tag, value);
        break;
      case "stop_on_error":
        if (words) continue;
        if (value === undefined) throw new CellSettingsError(`tag "${tag}" needs a value: stop-on-error=true or stop-on-error=false`);
        out.stopOnError = boolValue(tag, value);
        break;
      case "timeout": {
        if (words) continue;
        const seconds = value === undefined || value === "" ? NaN : Number(value);
        if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_TIMEOUT_S) {
          throw new CellSettingsError(`tag "${tag}": timeout must be a number of seconds between 0 and ${MAX_TIMEOUT_S} (0: none)`);
        }
        out.timeoutSeconds = seconds;
        break;
      }
      default:
        // not ours: the frontend's (hide-input, ...)
        break;
    }
  }
  return out;
}

function boolValue(tag: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new CellSettingsError(`tag "${tag}": expected true or false, not "${value}"`);
}

/** `name=render backend=node loop=pure` (values may be quoted) → options; anything else is an error. */
function threadOptions(text: string, source: string): ThreadTarget {
  const target: ThreadTarget = {};
  const token = /\s*([A-Za-z_]+)=(?:"([^"]*)"|'([^']*)'|(\S+))\s*/y;
  let at = 0;
  while (at < text.length) {
    token.lastIndex = at;
    const m = token.exec(text);
    if (!m) {
      throw new CellSettingsError(
        `invalid thread options in "${source}": expected key=value pairs (${THREAD_OPTIONS.join(", ")}), e.g. // thread name=render`,
      );
    }
    at = token.lastIndex;
    const key = m[1]!;
    const value = (m[2] ?? m[3] ?? m[4] ?? "").trim();
    if (!(THREAD_OPTIONS as readonly string[]).includes(key)) {
      throw new CellSettingsError(`unknown thread option "${key}" in "${source}": expected ${THREAD_OPTIONS.join(", ")}`);
    }
    if (value === "") throw new CellSettingsError(`thread option "${key}" in "${source}" is empty`);
    if (key === "name" && value.length > MAX_NAME)
      throw new CellSettingsError(`thread name in "${source}" is longer than ${MAX_NAME} characters`);
    if (target[key as keyof ThreadTarget] !== undefined) throw new CellSettingsError(`thread option "${key}" given twice in "${source}"`);
    target[key as keyof ThreadTarget] = value;
  }
  // A thread with its own backend or loop is one the user will come back to: it must have a name
  // (async-kernel: "'name' must be specified when providing settings!").
  if (target.name === undefined && (target.backend !== undefined || target.loop !== undefined)) {
    throw new CellSettingsError(
      `"${source}": name=... must be given with other thread options (a thread with its own backend or loop is named, and reused by name)`,
    );
  }
  return target;
}
