/**
 * How a value the inspector describes (a CDP `Runtime.RemoteObject`) is shown in the debugger's
 * Variables panel and evaluate console: one line of text, as Node's console would sum it up
 * (strings quoted, objects and arrays by their first properties), and its DAP type. Pure.
 */
import type { Runtime } from "node:inspector";

/** Longest text shown for one value (the panel has one line for it). */
const MAX_TEXT = 200;

/** One line for a value. */
export function valueText(o: Runtime.RemoteObject): string {
  switch (o.type) {
    case "undefined":
      return "undefined";
    case "string":
      return clip(JSON.stringify(String(o.value ?? "")));
    case "number":
    case "boolean":
      return o.unserializableValue ?? String(o.value);
    case "bigint":
      return o.unserializableValue ?? o.description ?? "";
    case "symbol":
      return o.description ?? "Symbol()";
    case "function":
      return clip(functionText(o.description ?? ""));
    default:
      if (o.subtype === "null") return "null";
      return clip(o.preview ? previewText(o.preview) : (o.description ?? o.className ?? "Object"));
  }
}

/**
 * The DAP `type` of a value: its class for objects (`Array`, `Map`), `function`; none for a
 * primitive, whose value says what it is. JupyterLab's Variables tree shows a variable's type in
 * place of its value for every type but Python's int/float/bool/str (packages/debugger
 * variables `convertType`): with a type, `total` would read `number` there instead of `3`.
 */
/** What an evaluation threw, as one text: the error's description (name, message, stack), else V8's text. */
export function thrownText(details: Runtime.ExceptionDetails): string {
  const thrown = details.exception;
  return thrown ? (thrown.description ?? valueText(thrown)) : details.text;
}

export function valueType(o: Runtime.RemoteObject): string | undefined {
  if (o.type === "object") return o.subtype === "null" ? undefined : (o.className ?? "Object");
  return o.type === "function" ? "function" : undefined;
}

/** Whether the value has properties worth expanding in the panel. */
export function expandable(o: Runtime.RemoteObject): boolean {
  return o.objectId !== undefined && (o.type === "object" || o.type === "function") && o.subtype !== "null";
}

/** `function f(a, b)` / `class A` / `(x) => …`: the head of a function's source. */
function functionText(source: string): string {
  const head = source.split("\n", 1)[0]!.trim();
  const brace = head.indexOf("{");
  return brace > 0 ? `${head.slice(0, brace).trim()} {…}` : head;
}

function previewText(p: Runtime.ObjectPreview): string {
  const more = p.overflow ? ", …" : "";
  if (p.subtype === "array" || p.subtype === "typedarray") {
    return `${p.description ?? "Array"} [${p.properties.map(propertyValue).join(", ")}${more}]`;
  }
  if ((p.subtype === "map" || p.subtype === "set") && p.entries) {
    const entries = p.entries.map((e) => (e.key ? `${previewOrText(e.key)} => ${previewOrText(e.value)}` : previewOrText(e.value)));
    return `${p.description ?? p.subtype} {${entries.join(", ")}${more}}`;
  }
  if (p.subtype && p.subtype !== "object" && p.description) return p.description;
  const body = `{${p.properties.map((q) => `${q.name}: ${propertyValue(q)}`).join(", ")}${more}}`;
  return p.description && p.description !== "Object" ? `${p.description} ${body}` : body;
}

function propertyValue(q: Runtime.PropertyPreview): string {
  if (q.type === "string") return JSON.stringify(q.value ?? "");
  if (q.type === "accessor") return "(…)";
  if (q.valuePreview) return previewText(q.valuePreview);
  if (q.type === "function") return "ƒ";
  // V8 previews one level: a nested plain object is only "Object"
  if (q.type === "object" && q.value === "Object") return "{…}";
  return q.value ?? q.type;
}

function previewOrText(p: Runtime.ObjectPreview): string {
  return p.type === "string" ? JSON.stringify(p.description ?? "") : p.type === "object" ? previewText(p) : (p.description ?? p.type);
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
