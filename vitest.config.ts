import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["test/live/**", "test/distribution/**", "node_modules/**", "dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The JSON report lets .ci/run print one "N passed, N failed" line for the whole run.
    reporters: ["default", "json"],
    outputFile: { json: "node_modules/.cache/deb-lock-test/unit.json" },
  },
});
