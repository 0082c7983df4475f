/**
 * What a terminal says of an image output it cannot draw: its type, its size in pixels (read from
 * the PNG, JPEG or GIF header, an SVG's width/height or viewBox, or the output's metadata) and in
 * bytes, e.g. `[image/png 640×480, 12.3 kB]`.
 */

type Size = { width: number; height: number };

export function imageNote(mime: string, value: unknown, metadata?: unknown): string {
  const text = typeof value === "string" ? value : "";
  const bytes = mime === "image/svg+xml" ? Buffer.from(text, "utf8") : Buffer.from(text, "base64");
  const size = pixelSize(mime, bytes, text) ?? metadataSize(metadata);
  return `[${mime}${size ? ` ${size.width}×${size.height}` : ""}, ${byteSize(bytes.length)}]`;
}

export function byteSize(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

function pixelSize(mime: string, bytes: Buffer, text: string): Size | undefined {
  switch (mime) {
    case "image/png":
      // signature, IHDR length and type, then width and height (big-endian)
      return bytes.length >= 24 && bytes.toString("latin1", 12, 16) === "IHDR"
        ? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
        : undefined;
    case "image/gif":
      return bytes.length >= 10 && bytes.toString("latin1", 0, 3) === "GIF"
        ? { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) }
        : undefined;
    case "image/jpeg":
      return jpegSize(bytes);
    case "image/svg+xml":
      return svgSize(text);
    default:
      return undefined;
  }
}

/** The first start-of-frame segment's height and width (SOF0..SOF15 but DHT, JPG and DAC). */
function jpegSize(b: Buffer): Size | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    }
    at += 2 + b.readUInt16BE(at + 2);
  }
  return undefined;
}

function svgSize(svg: string): Size | undefined {
  const tag = /<svg\b[^>]*>/i.exec(svg)?.[0];
  if (!tag) return undefined;
  const attr = (name: string) => new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, "i").exec(tag)?.[1];
  const px = (v: string | undefined) => (v && /^\s*[\d.]+\s*(px)?\s*$/.test(v) ? Math.round(Number.parseFloat(v)) : undefined);
  const width = px(attr("width"));
  const height = px(attr("height"));
  if (width && height) return { width, height };
  const box = attr("viewBox")
    ?.trim()
    .split(/[\s,]+/)
    .map(Number);
  if (box?.length === 4 && box[2]! > 0 && box[3]! > 0) return { width: Math.round(box[2]!), height: Math.round(box[3]!) };
  return undefined;
}

/** Jupyter's image metadata: `{ width, height }` for that MIME type. */
function metadataSize(metadata: unknown): Size | undefined {
  const m = metadata as { width?: unknown; height?: unknown } | undefined;
  return typeof m?.width === "number" && typeof m.height === "number" ? { width: m.width, height: m.height } : undefined;
}
