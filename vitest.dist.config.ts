import { defineConfig } from "vitest/config";

// The distribution tests (`npm run test:dist`): the packed package on several Node.js releases, the hooks
// through the real pre-commit client, and the Renovate preset through the real Renovate CLI. They install
// tools (cached under node_modules/.cache), so they run apart from the unit suite.
export default defineConfig({
  test: {
    include: ["test/distribution/**/*.test.ts"],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // One file at a time: each installs and runs real tools on a small machine.
    fileParallelism: false,
    reporters: ["default", "json"],
    outputFile: { json: "node_modules/.cache/deb-lock-test/dist.json" },
  },
});
