// The I/O worker is bundled into one file after `tsc`: it is on the start-up path (the first
// kernel_info_reply comes from it), and loading ~20 separate ES modules in a fresh worker isolate
// cost ~18 ms of a ~165 ms start here, where one file costs ~1 ms (docs/performance.md).
// zeromq stays external (a native addon, loaded from node_modules); pino is required lazily at
// run time (src/kernel/log.ts), acorn imported only by the debugger's "uncaught" filter
// (src/io/debugger/catch_scan.ts). src/io/spawn.ts starts the bundle when it exists.
//
// `npm run build` runs this file with node: rolldown's API prints only warnings and errors, where
// its CLI (`rolldown -c`, which still reads this config) prints a table of the files it wrote
// whatever `--logLevel` says.
import { pathToFileURL } from "node:url";
import { defineConfig, rolldown } from "rolldown";

const config = defineConfig({
  input: { "worker.bundle": "dist/io/worker.js" },
  platform: "node",
  external: ["zeromq", "pino", "acorn"],
  output: {
    dir: "dist/io",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "worker.bundle.[name].js",
    sourcemap: true,
  },
});

export default config;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { output, ...input } = config;
  const bundle = await rolldown(input);
  try {
    await bundle.write(output);
  } finally {
    await bundle.close();
  }
}
