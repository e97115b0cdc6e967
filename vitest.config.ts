import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/no-leaks.ts", "test/helpers/matchers.ts"],
    // The construct deploys the prebuilt handler bundle (dist/handler): built from these sources first.
    globalSetup: ["test/helpers/handler-bundle.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: more workers only contend for them and stretch loopback handshakes into timeouts.
    maxWorkers: 2,
  },
});
