/**
 * JSX and TSX in cells (as Deno runs them): React's automatic runtime by default, a cell's
 * `@jsxImportSource` / `@jsx` pragmas and the notebook's tsconfig.json; a React element shown as
 * static HTML. React, react-dom and preact are devDependencies: the project root is the notebook.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";

import { Shell } from "../../src/shell/shell.js";
import type { CellOutput } from "../../src/shell/output.js";
import { transformCell } from "../../src/shell/transform/index.js";

/**
 * Imports resolved from the notebook's node_modules with Node's own resolution (the kernel's
 * loader hooks are compiled files, which vitest's sources do not have; modules.test.ts tests them).
 */
const importerFor = (cwd: string) => {
  const require = createRequire(join(cwd, "__notebook__.js"));
  return async (specifier: unknown) => import(pathToFileURL(require.resolve(String(specifier))).href);
};

function notebook(cwd = process.cwd(), language: "typescript" | "javascript" = "typescript") {
  const stderr: string[] = [];
  const output: CellOutput = { stream: (name, text) => void (name === "stderr" && stderr.push(text)), display() {}, clearOutput() {} };
  const shell = new Shell({ cwd, language, importModule: importerFor(cwd) });
  const run = async (code: string) => {
    const out = await shell.execute(code, "In[1]", output);
    if (out.status !== "ok") throw new Error(out.error.traceback.join("\n"));
    return out.result?.data;
  };
  return { shell, run, stderr };
}

describe("JSX in cells", () => {
  test("a TSX cell's element is its result, as HTML (React's automatic runtime)", async () => {
    const nb = notebook();
    const data = await nb.run("const who: string = 'world'\nconst el = <div className=\"greet\">\n  Hello, <b>{who}</b>!\n</div>\nel");
    expect(data?.["text/html"]).toBe('<div class="greet">Hello, <b>world</b>!</div>');
    expect(
      (
        await nb.run(
          "function Item({ n }: { n: number }) { return <li>item {n}</li> }\n<ul>{[1, 2].map((n) => <Item key={n} n={n} />)}</ul>",
        )
      )?.["text/html"],
    ).toBe("<ul><li>item 1</li><li>item 2</li></ul>");
    expect((await nb.run("<>\n  <p>a</p>\n  <p>b</p>\n</>"))?.["text/html"]).toBe("<p>a</p><p>b</p>");
  });

  test("a cell without JSX keeps TypeScript's `<T>x` casts; a JavaScript cell takes JSX too", async () => {
    const nb = notebook();
    expect((await nb.run("let castMe: unknown = 5;\n(<number>castMe) + 1"))?.["text/plain"]).toBe("6");
    const js = notebook(process.cwd(), "javascript");
    expect((await js.run("const jsEl = <span>{1 + 1}</span>\njsEl"))?.["text/html"]).toBe("<span>2</span>");
  });

  test("@jsxImportSource and @jsx pragmas choose the runtime", async () => {
    const nb = notebook();
    expect(
      (
        await nb.run("/** @jsxImportSource preact */\nimport { renderToString } from 'preact-render-to-string'\nrenderToString(<i>pre</i>)")
      )?.["text/plain"],
    ).toBe("'<i>pre</i>'");
    expect(
      (
        await nb.run(
          "// @jsx hyper\nconst hyper = (tag: string, _props: unknown, ...children: unknown[]) => ({ tag, children });\n<a>x</a>",
        )
      )?.["text/plain"],
    ).toBe("{ tag: 'a', children: [ 'x' ] }");
  });

  test("the notebook's tsconfig.json names the runtime", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsak-jsx-"));
    symlinkSync(join(process.cwd(), "node_modules"), join(dir, "node_modules"));
    writeFileSync(
      join(dir, "tsconfig.json"),
      '{\n  // comments and trailing commas, as tsconfig allows\n  "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "preact", },\n}\n',
    );
    const nb = notebook(dir);
    expect((await nb.run("import { renderToString as rts } from 'preact-render-to-string'\nrts(<u>cfg</u>)"))?.["text/plain"]).toBe(
      "'<u>cfg</u>'",
    );
  });

  test("an element whose render throws is shown as text, with a note on stderr; lines are kept", async () => {
    const nb = notebook();
    const data = await nb.run("function Bad(): never { throw new Error('render failed') }\n<Bad />");
    expect(data?.["text/html"]).toBeUndefined();
    expect(nb.stderr.join("")).toContain("rendering the React element failed, so it is shown as text: render failed");
    const { code } = transformCell("const a = 1\nconst b = <div>\n  {a}\n</div>\nb", { language: "typescript" });
    expect(code.split("\n")).toHaveLength(6);
    expect(code.split("\n")[4]).toContain("__tsak_r(b)");
  });
});
