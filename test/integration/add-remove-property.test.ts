import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureArchive, startFixtureArchive } from "../support/fixture-archive.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// Random add/remove sequences on python3 (2024 layout, amd64 + arm64) with packages only amd64 has: after every
// step `check` passes, and removing whatever is still added gives back the starting workspace byte for byte.
// libmfx1, libquadmath0 and libdrm-intel1 exist on amd64 only (companion repo); libgdbm6 and libpq5 on both.
const POOL = ["libmfx1", "libquadmath0", "libdrm-intel1", "libgdbm6", "libpq5"] as const;

let archive: FixtureArchive;
beforeAll(async () => {
  archive = await startFixtureArchive();
});
afterAll(async () => {
  await archive.close();
});

function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => a[f] !== b[f]).sort();
}

describe("add/remove sequences with arch-only packages", () => {
  it("keep check green and end byte-identical to the start", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...POOL), { minLength: 1, maxLength: 5 }), fc.boolean(), async (toggles, archOnly) => {
        const root = archive.copyWorkspace("distroless-2024");
        const start = snapshotTree(root);
        const added: string[] = [];
        const step = async (argv: string[]): Promise<void> => {
          const run = await archive.cli(root, argv);
          expect(run.code, `${argv.join(" ")}: ${run.stderr}`).toBe(0);
          const check = await archive.cli(root, ["check"]);
          expect(check.code, `check after ${argv.join(" ")}: ${check.stdout}${check.stderr}`).toBe(0);
        };
        // Each name toggles: added when absent, removed when present. With archOnly, libgdbm6 and libpq5 are
        // added for amd64 alone (--arch amd64), so they go into the companion too.
        const arch = (name: string) => (archOnly && (name === "libgdbm6" || name === "libpq5") ? ["--arch", "amd64"] : []);
        for (const name of toggles) {
          if (added.includes(name)) {
            await step(["remove", name, "--image", "python3"]);
            added.splice(added.indexOf(name), 1);
          } else {
            await step(["add", name, "--image", "python3", ...arch(name)]);
            added.push(name);
          }
        }
        for (const name of [...added].reverse()) await step(["remove", name, "--image", "python3"]);
        expect(changed(start, snapshotTree(root))).toEqual([]);
      }),
      { numRuns: 6, seed: 7, endOnFailure: true },
    );
  }, 600_000);
});
