/**
 * Live check of the resolver against apt on FULL bookworm indexes (bookworm, bookworm-updates,
 * bookworm-security; amd64 and arm64), and of the trimmed fixtures against the full data:
 *
 * 1. trimming loses nothing that matters: apt on indexes freshly trimmed by test/tools/trim-index.mjs
 *    answers exactly as apt on the full indexes, for every package of packages.txt; apt on the committed
 *    fixtures (test/fixtures/resolve/bookworm) answers the same too — exactly when the full indexes have the
 *    fixtures' Release dates, else with the same packages in every closure;
 * 2. deb-lock on the full indexes equals apt on the full indexes;
 * 3. speed on the full universe (~65k versions): buildUniverse, and resolving all packages at once (printed).
 *
 * Full indexes come from $DEB_LOCK_INDEX_DIR or /tmp/debdata (laid out as <archive>/dists/<suite>/...),
 * else (or with DEB_LOCK_LIVE_MIRROR=1) they are downloaded from the live Debian mirror (live-mirror.ts).
 * Skipped, saying why, only when that mirror is unreachable; without apt-get or xz it fails.
 *
 *   npx vitest run --config vitest.live.config.ts test/live/resolve-conformance.live.test.ts
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveClosure } from "../../src/core/resolve/resolve-closure.js";
import { buildUniverse } from "../../src/core/resolve/universe.js";
import {
  type AptAnswer,
  archiveOf,
  BOOKWORM_SUITES,
  closureLines,
  loadSources,
  missingTools,
  readPackageList,
  runAptOracle,
} from "../oracle/apt-oracle.js";
import { type LiveMirror, liveMirror, liveSuiteOptions } from "./live-mirror.js";

const TRIMMED = join(import.meta.dirname, "../fixtures/resolve/bookworm");
const TRIM_TOOL = join(import.meta.dirname, "../tools/trim-index.mjs");
const PACKAGES = readPackageList(join(TRIMMED, "packages.txt"));
const ARCHS = ["amd64", "arm64"] as const;

function hasFullIndexes(root: string): boolean {
  return BOOKWORM_SUITES.every((suite) =>
    ARCHS.every((arch) => existsSync(join(root, archiveOf(suite), "dists", suite, "main", `binary-${arch}`, "Packages.xz"))),
  );
}

async function download(uri: string, to: string): Promise<void> {
  const res = await fetch(uri, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`GET ${uri}: HTTP ${res.status}`);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, new Uint8Array(await res.arrayBuffer()));
}

/** The Date of a suite's Release (or InRelease) under root. */
function releaseDate(root: string, suite: string): string | undefined {
  const dist = join(root, archiveOf(suite), "dists", suite);
  const file = [join(dist, "InRelease"), join(dist, "Release")].find((f) => existsSync(f));
  return file === undefined ? undefined : /^Date: (.*)$/m.exec(readFileSync(file, "utf8"))?.[1];
}

/**
 * Full indexes on disk, or downloaded from the live mirror. Skips (says why) only when that mirror is unreachable;
 * a download that fails once the mirror is reachable is a failure.
 */
async function fullIndexes(): Promise<{ root: string; cleanup?: string } | { live: Extract<LiveMirror, { detail: string }> }> {
  if (process.env.DEB_LOCK_LIVE_MIRROR !== "1") {
    for (const root of [process.env.DEB_LOCK_INDEX_DIR, "/tmp/debdata"]) {
      if (root !== undefined && hasFullIndexes(root)) return { root };
    }
  }
  const live = await liveMirror();
  if (live.skipReason !== undefined) return { live };
  const root = mkdtempSync(join(tmpdir(), "deb-lock-full-"));
  try {
    for (const suite of BOOKWORM_SUITES) {
      const archive = archiveOf(suite) === "debian-security" ? live.mirrors.debianSecurity : live.mirrors.debian;
      const base = `${archive}/dists/${suite}`;
      const dist = join(root, archiveOf(suite), "dists", suite);
      await download(`${base}/InRelease`, join(dist, "InRelease"));
      for (const arch of ARCHS) await download(`${base}/main/binary-${arch}/Packages.xz`, join(dist, "main", `binary-${arch}`, "Packages.xz"));
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return { root, cleanup: root };
}

const tools = missingTools();
if (tools !== undefined) throw new Error(`resolver live conformance needs apt-get and xz: ${tools} (bash .ci/run installs them)`);
const full = await fullIndexes();

/** apt's answers with versions left out: which packages each closure holds, or that it failed. */
function closureNames(answers: Map<string, AptAnswer>): Record<string, string[] | "fails"> {
  return Object.fromEntries([...answers].map(([name, a]) => [name, a.ok ? a.closure.map((l) => l.split(" ")[0]!) : "fails"]));
}

// Nested describes do not inherit a describe's meta, so each carries the options.
const suiteOptions = liveSuiteOptions("live" in full ? full.live : { mirrors: { debian: "", debianSecurity: "" } });

describe("resolver on full bookworm indexes", suiteOptions, () => {
  const root = "root" in full ? full.root : "";
  const fresh = mkdtempSync(join(tmpdir(), "deb-lock-trimmed-"));
  const sameDataAsFixtures = BOOKWORM_SUITES.every((s) => releaseDate(root, s) !== undefined && releaseDate(root, s) === releaseDate(TRIMMED, s));
  beforeAll(() => {
    execFileSync(
      process.execPath,
      [TRIM_TOOL, "--from", root, "--to", fresh, "--suites", BOOKWORM_SUITES.join(" "), "--archs", ARCHS.join(" "), ...PACKAGES],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
  }, 900_000);
  afterAll(() => {
    rmSync(fresh, { recursive: true, force: true });
    if ("cleanup" in full && full.cleanup !== undefined) rmSync(full.cleanup, { recursive: true, force: true });
  });

  for (const arch of ARCHS) {
    describe(arch, suiteOptions, () => {
      let aptFull: ReturnType<typeof runAptOracle>;
      beforeAll(() => {
        aptFull = runAptOracle(root, BOOKWORM_SUITES, arch, PACKAGES);
      }, 900_000);

      it("apt answers the same on freshly trimmed indexes as on the full indexes", () => {
        const aptTrimmed = runAptOracle(fresh, BOOKWORM_SUITES, arch, PACKAGES);
        expect(Object.fromEntries(aptTrimmed)).toEqual(Object.fromEntries(aptFull));
      }, 900_000);

      // The committed fixtures were cut from the archive at their Release dates; the mirror moves on (-updates and
      // -security change weekly). When the dates match, apt must answer identically; when they do not, what the
      // trimming could have lost still shows: which packages each closure holds, and whether it resolves at all.
      it("apt answers the same on the committed fixtures as on the full indexes (exactly, when cut from the same dates)", () => {
        const aptFixture = runAptOracle(TRIMMED, BOOKWORM_SUITES, arch, PACKAGES);
        if (sameDataAsFixtures) expect(Object.fromEntries(aptFixture)).toEqual(Object.fromEntries(aptFull));
        else expect(closureNames(aptFixture)).toEqual(closureNames(aptFull));
      }, 900_000);

      it("deb-lock's closures on the full indexes equal apt's (and how long they take)", () => {
        const sources = loadSources(root, BOOKWORM_SUITES, arch);
        const builds: number[] = [];
        let universe = buildUniverse(sources, arch);
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          universe = buildUniverse(sources, arch);
          builds.push(performance.now() - t);
        }
        const differing: string[] = [];
        for (const name of PACKAGES) {
          const result = resolveClosure({ universe, roots: [{ name }] });
          const apt = aptFull.get(name)!;
          if (result.ok !== apt.ok || (apt.ok && closureLines(result).join("\n") !== apt.closure.join("\n"))) differing.push(name);
        }
        expect(differing).toEqual([]);

        const resolves: number[] = [];
        for (let i = 0; i < 5; i++) {
          const fresh = buildUniverse(sources, arch); // cold relation cache each time
          const t = performance.now();
          const r = resolveClosure({ universe: fresh, roots: PACKAGES.map((name) => ({ name })) });
          resolves.push(performance.now() - t);
          expect(r.ok).toBe(true);
        }
        const best = (xs: number[]): string => Math.min(...xs).toFixed(1);
        console.log(
          `${arch}: ${universe.size} versions; buildUniverse best ${best(builds)} ms; resolve ${PACKAGES.length} roots (cold cache) best ${best(resolves)} ms`,
        );
        // Printed, not asserted: on a shared machine a time bound fails for reasons that are not deb-lock's
        // (measured 1.2 s here under load, 0.3 s idle). `npm run bench` is where speed is judged.
      }, 900_000);
    });
  }
});
