import { describe, expect, it } from "vitest";
import { byteSize, imageNote } from "../../src/cli/image_info.js";
import { bundleText, htmlToText, isPlaceholder, markdownToText } from "../../src/cli/rich_text.js";

const PNG_2x3 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAYAAAC56t6BAAAAE0lEQVR4nGP8z8DAwMDAxMDAAAAnBwIBVK2hJgAAAABJRU5ErkJggg==";

describe("bundleText", () => {
  it("shows a bundle's own text/plain, but not a placeholder naming a rich type", () => {
    expect(bundleText({ "text/plain": "Temperature(28.4)", "text/html": "<b>28.4 °C</b>" })).toBe("Temperature(28.4)");
    expect(isPlaceholder("<text/html>")).toBe(true);
    expect(isPlaceholder("<Foo>")).toBe(false);
    expect(bundleText({ "text/plain": "<text/html>", "text/html": "<b>28.4 °C</b>" })).toBe("28.4 °C");
  });

  it("prefers Markdown, then HTML, then JSON, then LaTeX, then an image note, then names the rest", () => {
    expect(bundleText({ "text/markdown": "**a**", "text/html": "<i>b</i>" })).toBe("a");
    expect(bundleText({ "application/json": { a: [1] } })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(bundleText({ "text/latex": " $x^2$ " })).toBe("$x^2$");
    expect(bundleText({ "text/plain": "<image/png>", "image/png": PNG_2x3 })).toBe("[image/png 2×3, 76 B]");
    expect(bundleText({ "application/vnd.plotly.v1+json": {} })).toMatch(/^\[application\/vnd\.plotly\.v1\+json output: /);
  });
});

describe("htmlToText", () => {
  it("keeps the text, lines, list bullets and table cells, and decodes entities", () => {
    expect(htmlToText("<p>Hello <b>world</b> &amp; all&#33;</p><ul><li>one</li><li>two</li></ul>")).toBe(
      "Hello world & all!\n\n- one\n- two",
    );
    expect(htmlToText("<table><tr><th>a</th> <th>b</th></tr><tr><td>1</td><td>2</td></tr></table>")).toBe("a | b\n1 | 2");
    expect(htmlToText("line<br>next<script>alert(1)</script><style>p{}</style><!-- note -->")).toBe("line\nnext");
    expect(htmlToText('<img src="x.png" alt="a chart">')).toBe("[image: a chart]");
  });

  it("collapses whitespace as a browser does, except in <pre>", () => {
    expect(htmlToText("<div>a\n   b</div><pre>  x\n    y &lt;</pre>")).toBe("a b\n\n  x\n    y <");
  });
});

describe("markdownToText", () => {
  it("underlines headings, drops emphasis and link syntax, indents fenced code", () => {
    expect(markdownToText("# Title\n\nSome **bold**, *it*, _em_ and [a link](https://x.org).\n\n```ts\nconst a = 1\n```")).toBe(
      "Title\n=====\n\nSome bold, it, em and a link (https://x.org).\n\n    const a = 1",
    );
    expect(markdownToText("## Sub\n### Third")).toBe("Sub\n---\nThird");
  });

  it("keeps code spans, lists, and snake_case words as written", () => {
    expect(markdownToText("- `a*b*c` in my_var_name\n- ![alt](p.png)")).toBe("- `a*b*c` in my_var_name\n- [image: alt]");
  });
});

describe("imageNote", () => {
  it("reads the size of PNG, GIF, JPEG and SVG images, and their bytes", () => {
    expect(imageNote("image/png", PNG_2x3)).toBe("[image/png 2×3, 76 B]");
    const gif = Buffer.from("GIF89a\x05\x00\x07\x00", "latin1").toString("base64");
    expect(imageNote("image/gif", gif)).toBe("[image/gif 5×7, 10 B]");
    // SOI, an APP0 segment of 4 bytes, then SOF0: length, precision, height 480, width 640
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0xff, 0xc0, 0x00, 0x11, 8, 0x01, 0xe0, 0x02, 0x80, 0, 0]);
    expect(imageNote("image/jpeg", jpeg.toString("base64"))).toBe("[image/jpeg 640×480, 19 B]");
    expect(imageNote("image/svg+xml", '<svg width="100" height="50"></svg>')).toBe("[image/svg+xml 100×50, 35 B]");
    expect(imageNote("image/svg+xml", '<svg viewBox="0 0 30 20"/>')).toBe("[image/svg+xml 30×20, 26 B]");
  });

  it("falls back on the output's metadata, else gives the bytes only", () => {
    expect(imageNote("image/webp", "AAAA", { width: 8, height: 9 })).toBe("[image/webp 8×9, 3 B]");
    expect(imageNote("image/png", "AAAA")).toBe("[image/png, 3 B]");
    expect(byteSize(12_345)).toBe("12.3 kB");
    expect(byteSize(2_500_000)).toBe("2.5 MB");
  });
});
