import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["app/src/**/*.test.ts", "backup/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
