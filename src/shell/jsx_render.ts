/**
 * A React element shown as a cell's result or through `display()`: static HTML, rendered with the
 * notebook's own `react-dom/server` (the React that made the element). Without react-dom the
 * element is shown as text, and the cell's stderr says once what to install.
 */
import { createRequire } from "node:module";
import { join } from "node:path";

const ELEMENT_TYPES = new Set([Symbol.for("react.element"), Symbol.for("react.transitional.element")]);

let notebookDir: string | undefined;
let warned = false;

/** Where react-dom is looked for (the notebook's directory; shell.ts sets it). */
export function useNotebookDir(dir: string): void {
  notebookDir = dir;
}

function isReactElement(value: object): boolean {
  try {
    return ELEMENT_TYPES.has((value as { $$typeof?: symbol }).$$typeof as symbol);
  } catch {
    return false;
  }
}

/**
 * The element's HTML, or undefined (not an element, no react-dom). A render that throws is the
 * display's complaint, shown by the caller.
 */
export function renderElement(value: object, complain: (text: string) => void): string | undefined {
  if (!isReactElement(value)) return undefined;
  let server: { renderToStaticMarkup(element: unknown): string };
  try {
    server = createRequire(join(notebookDir ?? process.cwd(), "__notebook__.js"))("react-dom/server") as typeof server;
  } catch {
    if (!warned) {
      warned = true;
      complain("a React element is shown as text: install react-dom next to the notebook (npm install react-dom) to see it rendered");
    }
    return undefined;
  }
  try {
    return server.renderToStaticMarkup(value);
  } catch (err) {
    complain(`rendering the React element failed, so it is shown as text: ${(err as Error)?.message ?? String(err)}`);
    return undefined;
  }
}
