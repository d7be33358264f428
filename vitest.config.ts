import { defineConfig } from "vitest/config";

// Tests run under the Node 22 that the `node` devDependency puts first on PATH for every `npm run`.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only thrash.
    maxWorkers: 2,
  },
});
