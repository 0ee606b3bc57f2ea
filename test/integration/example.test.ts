import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";

// `npm run example` (the README's first command) starts with `deb-lock check` on a copy of examples/distroless and
// expects it to pass; the rest needs the network (live). The offline part is checked here, so that a change of what
// check reads cannot break the example unnoticed.
const EXAMPLE = join(import.meta.dirname, "..", "..", "examples", "distroless");

describe("examples/distroless", () => {
  it("passes an offline check: manifests, locks and every image's lists agree", async () => {
    const r = await runCli(["check", "--offline", "-C", EXAMPLE], { cwd: EXAMPLE });
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^deb-lock check: ok \(2 repo\(s\), \d+ lock entries, 5 image list\(s\)\)\n$/);
    expect(r.code).toBe(0);
  });
});
