/**
 * `Deno` as cell code sees it: notebooks written for Deno's kernel use `Deno.jupyter` to display
 * and to broadcast comm messages. It is a name of the cells' own (transform/rewrite.ts
 * CELL_LOCALS), never a global: packages test `typeof Deno` to pick Deno's file APIs, and must
 * keep seeing Node. Its other APIs say what to use in Node instead.
 */
export function denoForCells(): object {
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key === "symbol") return undefined;
        throw new TypeError(`Deno.${key} is not available: this is a Node.js kernel (ts-async-kernel); use Node's API instead`);
      },
    },
  );
}
