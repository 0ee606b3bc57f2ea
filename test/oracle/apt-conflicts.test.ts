import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveClosure } from "../../src/core/resolve/resolve-closure.js";
import { buildUniverse } from "../../src/core/resolve/universe.js";
import { closureLines, entryLines, loadSources, lockOf, missingTools, runAptOracle, runAptOracleTogether } from "./apt-oracle.js";

// A dependency that Conflicts with (or Breaks) an earlier pick: apt's problem resolver withdraws the pick and
// satisfies its dependents otherwise. Real cases, on real indexes trimmed by test/tools/trim-index.mjs to what
// they can touch (regenerate with the roots below, --archs amd64); apt decides on the same files.
const FIXTURES = join(import.meta.dirname, "../fixtures/resolve");

const CASES = [
  {
    // libavcodec-extra59 Conflicts with libavcodec59, which ffmpeg's dependencies picked first; it also
    // Provides libavcodec59 (= its version), so apt withdraws libavcodec59 and keeps ffmpeg working
    dir: "conflicts-bookworm",
    suites: ["bookworm", "bookworm-updates", "bookworm-security"],
    roots: ["ffmpeg", "libavcodec-extra"],
    withdrawn: "libavcodec59",
  },
  {
    // libreoffice-base-core's `libreoffice-core | libreoffice-core-nogui` is met by -nogui first; writer then
    // needs libreoffice-core, which Conflicts with -nogui: apt withdraws -nogui
    dir: "conflicts-trixie",
    suites: ["trixie", "trixie-updates", "trixie-security"],
    roots: ["libreoffice-writer"],
    withdrawn: "libreoffice-core-nogui",
  },
] as const;

const missing = missingTools();
if (missing !== undefined) console.warn(`apt conflict cases skipped: ${missing}`);

describe.skipIf(missing !== undefined)("a conflict after an earlier pick is settled as apt settles it", () => {
  for (const c of CASES) {
    it(`${c.roots.join(" + ")} (${c.suites[0]})`, () => {
      const root = join(FIXTURES, c.dir);
      const sources = loadSources(root, c.suites, "amd64");
      const universe = buildUniverse(sources, "amd64");
      const apt = runAptOracleTogether(root, c.suites, "amd64", c.roots);
      const result = resolveClosure({ universe, roots: c.roots.map((name) => ({ name })) });
      expect(result.ok, result.ok ? "" : result.problems.map((p) => p.message).join("\n")).toBe(true);
      expect(closureLines(result)).toEqual(apt);
      expect(apt.some((l) => l.startsWith(`${c.withdrawn} `))).toBe(false);
      // the pick that is withdrawn is really met first: the data still holds the conflict
      expect(universe.versionsOf(c.withdrawn).length).toBeGreaterThan(0);
      // and the lock's entries are apt's install
      const { lock, problems } = lockOf(sources, "amd64", c.roots);
      expect(problems).toEqual([]);
      expect(lock.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(apt);
      if (c.roots.length === 1) {
        expect(entryLines(lock.packages[0]!)).toEqual(apt);
        expect(runAptOracle(root, c.suites, "amd64", c.roots).get(c.roots[0])?.closure).toEqual(apt);
      }
    }, 300_000);
  }
});
