import { defineConfig } from "vitest/config";

// The browser suite (test/e2e/run.sh): its own config, so `npm run test:unit` never starts a browser.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["test/e2e/lab_server.ts"],
    // One JupyterLab and one browser at a time: 2 cores are shared with the kernel under test.
    fileParallelism: false,
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
