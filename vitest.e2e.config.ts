import { defineConfig } from "vitest/config";

// Layer 2: real clients (fetch, socket.io-client) against `wrangler dev` on loopback.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["./test/e2e/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // one wrangler dev for all files; files run one after another
    fileParallelism: false,
  },
});
