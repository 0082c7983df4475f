/**
 * A MIME bundle as text for a terminal (console and run print outputs with it): the bundle's own
 * text/plain when it has one worth reading, else Markdown and HTML as readable text, JSON
 * pretty-printed, LaTeX as its source, and images as a note with type, pixel size and byte size.
 * No colour codes: the text reads the same in a pipe, a log or a terminal.
 */
import { imageNote } from "./image_info.js";

type Data = Record<string, unknown>;

/**
 * text/plain that only labels a rich type (`<text/html>`, as the kernel's `display.html()` sends):
 * a frontend that cannot show the rich type shows the label, which tells the reader nothing.
 */
export function isPlaceholder(plain: string): boolean {
  return /^<[\w.+-]+\/[\w.+-]+>$/.test(plain.trim());
}

const RENDERERS: [mime: string, render: (value: unknown, data: Data) => string][] = [
  ["text/markdown", (v) => markdownToText(String(v))],
  ["text/html", (v) => htmlToText(String(v))],
  ["application/json", (v) => JSON.stringify(v, null, 2) ?? String(v)],
  ["text/latex", (v) => String(v).trim()],
];

/** The text of a bundle (display_data, execute_result), without a trailing newline. */
export function bundleText(data: Data, metadata: Data = {}): string {
  const plain = data["text/plain"];
  if (typeof plain === "string" && !isPlaceholder(plain)) return plain.replace(/\n$/, "");
  for (const [mime, render] of RENDERERS) if (mime in data) return render(data[mime], data);
  const rest = Object.keys(data).filter((m) => m !== "text/plain");
  const image = rest.find((m) => m.startsWith("image/"));
  if (image) return imageNote(image, data[image], metadata[image]);
  // Plotly, Vega, widget views...: what a terminal cannot draw is named, so the reader knows it is there.
  if (rest.length) return rest.map((m) => `[${m} output: open the notebook in JupyterLab to see it]`).join("\n");
  return typeof plain === "string" ? plain : "";
}

// --- HTML ---

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  mdash: "—",
  ndash: "–",
  hellip: "…",
  copy: "©",
  reg: "®",
  deg: "°",
  times: "×",
  middot: "·",
  laquo: "«",
  raquo: "»",
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const stripTags = (html: string) => html.replace(/<\/?[a-zA-Z][^>]*>/g, "");
const attribute = (tag: string, name: string) =>
  new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i")
    .exec(tag)
    ?.slice(1)
    .find((v) => v !== undefined);

/** Block elements end a line; these also leave a blank line around them. */
const PARAGRAPHS = "p|h[1-6]|ul|ol|table|blockquote|pre|dl|figure|details";
const BLOCKS = `${PARAGRAPHS}|div|section|article|header|footer|nav|main|aside|figcaption|dt|dd|summary|thead|tbody|tfoot|caption`;

/** HTML as the text a browser shows (lines, list bullets, table cells split by `|`), not its tags. */
export function htmlToText(html: string): string {
  let s = html.replace(/<!--[\s\S]*?-->/g, "").replace(/<(script|style|head|template)\b[\s\S]*?<\/\1\s*>/gi, "");
  // <pre> keeps its line breaks and spaces: set aside while the rest is collapsed as HTML is.
  const pres: string[] = [];
  s = s.replace(/<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/gi, (_, body: string) => `<p>\u0000${pres.push(stripTags(body)) - 1}\u0000</p>`);
  s = s
    .replace(/\s+/g, " ")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<hr\b[^>]*>/gi, "\n---\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/t[dh]\s*>\s*(?=<t[dh]\b)/gi, " | ")
    .replace(/<\/tr\s*>/gi, "\n")
    .replace(/<img\b[^>]*>/gi, (tag) => {
      const alt = attribute(tag, "alt");
      return alt ? `[image: ${alt}]` : "[image]";
    })
    .replace(new RegExp(`</?(?:${PARAGRAPHS})\\b[^>]*>`, "gi"), "\n\n")
    .replace(new RegExp(`</?(?:${BLOCKS})\\b[^>]*>`, "gi"), "\n");
  s = decodeEntities(stripTags(s));
  s = s
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => decodeEntities(pres[Number(i)]!).replace(/^\n|\n$/g, ""));
}

// --- Markdown ---

/** Markdown as readable text: headings underlined, emphasis marks and link syntax gone, code indented. */
export function markdownToText(md: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split(/\r?\n/)) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      else out.push(`    ${line}`);
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) {
      const text = inline(heading[2]!);
      out.push(text);
      const level = heading[1]!.length;
      if (level <= 2) out.push((level === 1 ? "=" : "-").repeat([...text].length));
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push("---");
      continue;
    }
    out.push(inline(line));
  }
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/^\n+|\s+$/g, "");
}

/** One line's inline Markdown; code spans are kept as written (backticks included). */
function inline(line: string): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      let s = part
        .replace(/!\[([^\]]*)\]\([^)]*\)/g, (_, alt: string) => (alt ? `[image: ${alt}]` : "[image]"))
        .replace(/\[([^\]]+)\]\(\s*<?([^)\s>]*)>?[^)]*\)/g, (_, text: string, url: string) =>
          text === url || !url ? text : `${text} (${url})`,
        )
        .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "$2")
        .replace(/(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?![\w*])/g, "$1$2")
        .replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, "$1$2")
        .replace(/~~(?=\S)([\s\S]*?\S)~~/g, "$1");
      if (/<\/?[a-zA-Z][^>]*>/.test(s)) s = stripTags(s.replace(/<br\s*\/?>/gi, " "));
      return decodeEntities(s.replace(/\\([\\`*_{}[\]()#+\-.!|>~])/g, "$1"));
    })
    .join("");
}
