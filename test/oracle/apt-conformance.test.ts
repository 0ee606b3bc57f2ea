import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveClosure } from "../../src/core/resolve/resolve-closure.js";
import { buildUniverse, type Universe, type UniverseSource } from "../../src/core/resolve/universe.js";
import {
  type AptAnswer,
  BOOKWORM_SUITES,
  closureLines,
  entryLines,
  loadSources,
  lockOf,
  missingTools,
  readPackageList,
  runAptOracle,
  runAptOracleTogether,
} from "./apt-oracle.js";

// apt is the judge: for every package of packages.txt, on real bookworm + bookworm-updates +
// bookworm-security indexes (trimmed by test/tools/trim-index.mjs to what these packages can touch),
// deb-lock's closure must equal what `apt-get -s install --no-install-recommends` installs on an empty
// system, per package and per architecture.
const ROOT = join(import.meta.dirname, "../fixtures/resolve/bookworm");
const PACKAGES = readPackageList(join(ROOT, "packages.txt"));
const ARCHS = ["amd64", "arm64"] as const;
// No exception list: every package must agree with apt (provider ties included, see resolve-closure.ts).

const missing = missingTools();
if (missing !== undefined) console.warn(`apt conformance skipped: ${missing}`);

describe.skipIf(missing !== undefined)("closures equal apt's on real bookworm data", () => {
  it("covers at least 30 packages, including the ones people ask about most", () => {
    expect(PACKAGES.length).toBeGreaterThanOrEqual(30);
    for (const p of ["ffmpeg", "python3.11-minimal", "bash", "nginx", "openjdk-17-jre-headless", "postgresql-client", "curl", "git"]) {
      expect(PACKAGES).toContain(p);
    }
  });

  for (const arch of ARCHS) {
    describe(arch, () => {
      let universe: Universe;
      let sources: UniverseSource[];
      let apt: Map<string, AptAnswer>;

      beforeAll(() => {
        sources = loadSources(ROOT, BOOKWORM_SUITES, arch);
        universe = buildUniverse(sources, arch);
        apt = runAptOracle(ROOT, BOOKWORM_SUITES, arch, PACKAGES);
      }, 600_000);

      it.each(PACKAGES)("%s", (name) => {
        const expected = apt.get(name);
        expect(expected, `apt gave no answer for ${name}`).toBeDefined();
        const result = resolveClosure({ universe, roots: [{ name }] });
        expect(result.ok, result.ok ? "" : result.problems.map((p) => p.message).join("\n")).toBe(expected!.ok);
        if (expected!.ok) expect(closureLines(result)).toEqual(expected!.closure);
      });

      // the lock entry itself, as `deb-lock lock` writes it for a manifest listing only this package:
      // the entry and its `dependencies` are exactly what apt installs
      it.each(PACKAGES)("%s: lock entry", (name) => {
        const expected = apt.get(name)!;
        const { lock, problems } = lockOf(sources, arch, [name]);
        expect(problems.length === 0, problems.join("\n")).toBe(expected.ok);
        if (!expected.ok) return;
        const entry = lock.packages.find((p) => p.name === name);
        expect(entry, `no lock entry for ${name}`).toBeDefined();
        expect(entryLines(entry!)).toEqual(expected.closure);
        // every entry of the lock is the root or one of its dependencies
        expect(lock.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(expected.closure);
      });

      it("all packages at once, as one manifest would ask, in manifest order", () => {
        const aptJoint = runAptOracleTogether(ROOT, BOOKWORM_SUITES, arch, PACKAGES);
        const result = resolveClosure({ universe, roots: PACKAGES.map((name) => ({ name })) });
        expect(result.ok).toBe(true);
        expect(closureLines(result)).toEqual(aptJoint);
        // the lock of that manifest: its entries are apt's install, and each is a manifest package or
        // listed in some manifest package's dependencies
        const { lock, problems } = lockOf(sources, arch, PACKAGES);
        expect(problems).toEqual([]);
        expect(lock.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(aptJoint);
        const reached = new Set(lock.packages.filter((p) => PACKAGES.includes(p.name)).flatMap((p) => [p.key, ...p.dependencies.map((d) => d.key)]));
        expect(lock.packages.filter((p) => !reached.has(p.key)).map((p) => p.key)).toEqual([]);
      }, 300_000);
    });
  }
});
