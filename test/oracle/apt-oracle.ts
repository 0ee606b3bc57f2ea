import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRepo } from "../../src/app/indexes/resolve-repo.js";
import { parsePackagesIndex } from "../../src/core/debian/packages-index.js";
import type { Release } from "../../src/core/debian/release.js";
import { buildLock, type Lock, type LockPackage } from "../../src/core/lock/index.js";
import type { ResolveResult } from "../../src/core/resolve/resolve-closure.js";
import type { UniverseSource } from "../../src/core/resolve/universe.js";
import type { Manifest } from "../../src/edit/manifest.js";

/** The suites of the conformance data, in sources.list order. */
export const BOOKWORM_SUITES = ["bookworm", "bookworm-updates", "bookworm-security"] as const;

export const APT_CLOSURE_SCRIPT = join(import.meta.dirname, "apt-closure.sh");

/** debian-security for suites ending in -security, debian otherwise (the snapshot archive layout). */
export function archiveOf(suite: string): string {
  return suite.endsWith("-security") ? "debian-security" : "debian";
}

/** Whether apt-get (and xz) can run here; the oracle tests skip, saying so, when not. */
export function missingTools(): string | undefined {
  for (const tool of ["apt-get", "xz"]) {
    if (spawnSync(tool, ["--version"], { stdio: "ignore" }).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

/** apt's default pin for a Release: 1 for NotAutomatic, 100 with ButAutomaticUpgrades, else 500. */
export function pinOfRelease(text: string): number {
  const notAutomatic = /^NotAutomatic: yes$/m.test(text);
  const butAutomaticUpgrades = /^ButAutomaticUpgrades: yes$/m.test(text);
  return notAutomatic ? (butAutomaticUpgrades ? 100 : 1) : 500;
}

/** Reads <root>/<archive>/dists/<suite>/main/binary-<arch>/Packages.xz of each suite as universe sources. */
export function loadSources(root: string, suites: readonly string[], arch: string): UniverseSource[] {
  return suites.map((suite) => {
    const dist = join(root, archiveOf(suite), "dists", suite);
    const file = join(dist, "main", `binary-${arch}`, "Packages.xz");
    const bytes = execFileSync("xz", ["-dc", file], { maxBuffer: 1 << 30 });
    const release = [join(dist, "InRelease"), join(dist, "Release")].find((f) => existsSync(f));
    const pin = release === undefined ? 500 : pinOfRelease(readFileSync(release, "utf8"));
    return { id: `${archiveOf(suite)} ${suite}`, pin, records: parsePackagesIndex(new Uint8Array(bytes), file) };
  });
}

export interface AptAnswer {
  /** apt could install the package. */
  readonly ok: boolean;
  /** "name version" lines, sorted. */
  readonly closure: readonly string[];
  /** apt's error lines when not ok. */
  readonly message: string;
}

/** Runs test/oracle/apt-closure.sh --each: apt's closure of each package on its own. */
export function runAptOracle(root: string, suites: readonly string[], arch: string, packages: readonly string[]): Map<string, AptAnswer> {
  const out = execFileSync(APT_CLOSURE_SCRIPT, ["--root", root, "--suites", suites.join(" "), "--arch", arch, "--each", ...packages], {
    maxBuffer: 1 << 28,
    encoding: "utf8",
  });
  const answers = new Map<string, { ok: boolean; lines: string[] }>();
  let current: { ok: boolean; lines: string[] } | undefined;
  for (const line of out.split("\n")) {
    const head = /^== (\S+)( !)?$/.exec(line);
    if (head !== null) {
      current = { ok: head[2] === undefined, lines: [] };
      answers.set(head[1]!, current);
    } else if (line !== "" && current !== undefined) {
      current.lines.push(line);
    }
  }
  return new Map([...answers].map(([name, a]) => [name, { ok: a.ok, closure: a.ok ? a.lines : [], message: a.ok ? "" : a.lines.join("\n") }]));
}

/** Runs apt-closure.sh once for all packages together. */
export function runAptOracleTogether(root: string, suites: readonly string[], arch: string, packages: readonly string[]): string[] {
  const out = execFileSync(APT_CLOSURE_SCRIPT, ["--root", root, "--suites", suites.join(" "), "--arch", arch, ...packages], {
    maxBuffer: 1 << 28,
    encoding: "utf8",
  });
  return out.split("\n").filter((l) => l !== "");
}

/** deb-lock's closure in the oracle's format: "name version", sorted as `LC_ALL=C sort`. */
export function closureLines(result: ResolveResult): string[] {
  return result.packages.map((p) => `${p.name} ${p.version}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One package name per line; `#` starts a comment. */
export function readPackageList(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l !== "");
}

/**
 * The lock `deb-lock lock` writes for a manifest listing `packages` in that order (transitive, one arch),
 * built by the same code (resolveRepo → buildLock) from the given sources.
 */
export function lockOf(sources: readonly UniverseSource[], arch: string, packages: readonly string[]): { lock: Lock; problems: readonly string[] } {
  const manifest: Manifest = {
    version: 1,
    sources: [],
    archs: [arch],
    packages: packages.map((name, i) => ({ name, spec: name, line: i + 1, col: 5 })),
  };
  const indexes = sources.map((s) => ({
    sourceUrls: [`http://archive.invalid/${s.id.replaceAll(" ", "/")}`],
    suite: s.id,
    component: "main",
    index: { records: s.records, release: {} as Release, pin: s.pin, url: `http://archive.invalid/${s.id}` },
  }));
  const resolution = resolveRepo(manifest, [{ arch, indexes }], true);
  return {
    lock: buildLock(resolution.resolutions, { resolveTransitive: true }),
    problems: resolution.problems.map((p) => `${p.code} ${p.package}: ${p.message}`),
  };
}

/** A lock entry and its `dependencies` as "name version" lines, sorted like the oracle's. */
export function entryLines(entry: LockPackage): string[] {
  return [`${entry.name} ${entry.version}`, ...entry.dependencies.map((d) => `${d.name} ${d.version}`)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
