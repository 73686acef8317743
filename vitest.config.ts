import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    // GitHub's workflow parser imports JSON without import attributes; inlining lets Vite load it.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
