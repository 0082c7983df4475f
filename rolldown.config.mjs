// The I/O worker is bundled into one file after `tsc`: it is on the start-up path (the first
// kernel_info_reply comes from it), and loading ~20 separate ES modules in a fresh worker isolate
// cost ~18 ms of a ~165 ms start here, where one file costs ~1 ms (docs/performance.md).
// zeromq stays external (a native addon, loaded from node_modules); pino is required lazily at
// run time (src/kernel/log.ts). src/io/spawn.ts starts the bundle when it exists.
import { defineConfig } from "rolldown";

export default defineConfig({
  input: { "worker.bundle": "dist/io/worker.js" },
  platform: "node",
  external: ["zeromq", "pino"],
  output: {
    dir: "dist/io",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "worker.bundle.[name].js",
    sourcemap: true,
  },
});
