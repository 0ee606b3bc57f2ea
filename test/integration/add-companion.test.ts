import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLock } from "../../src/core/lock/index.js";
import { missingTools } from "../oracle/apt-oracle.js";
import { aptClosureOf } from "../support/apt-closure.js";
import { labelsResolve, lockedOnArch } from "../support/companion-oracle.js";
import { type FixtureArchive, fixturePackages, startFixtureArchive } from "../support/fixture-archive.js";
import { startSnapshotService } from "../support/snapshot-listing.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// The story deb-lock exists for: ffmpeg into distroless's python3 image, which is built for amd64 and arm64
// from one package list. Some of ffmpeg's libraries exist only on amd64 (libmfx1, libdrm-intel1, ...): they go
// into an amd64-only companion repo, referenced from the image only for amd64.
const BUILDIFIER = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "buildifier");
const BOOKWORM = ["bookworm", "bookworm-updates", "bookworm-security"];

let archive: FixtureArchive;
const dirs: string[] = [];
beforeAll(async () => {
  archive = await startFixtureArchive();
});
afterAll(async () => {
  await archive.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => before[f] !== after[f]).sort();
}

function buildifierClean(root: string, rel: string): string | undefined {
  const type = /(^|\/)BUILD(\.bazel)?$/.test(rel) ? "build" : /(^|\/)(WORKSPACE|MODULE\.bazel)$/.test(rel) ? "default" : "bzl";
  const r = spawnSync(BUILDIFIER, ["--mode=check", `--type=${type}`, join(root, rel)], { encoding: "utf8" });
  return r.status === 0 ? undefined : `${rel}: ${r.stdout}${r.stderr}`;
}

/** apt's closure of `pkg` on an empty system for one arch, from the fixture archive's indexes (test/oracle/apt-closure.sh). */
async function aptClosure(suites: readonly string[], arch: string, pkg: string): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), "deb-lock-apt-root-"));
  dirs.push(root);
  const packages = await fixturePackages();
  return aptClosureOf(root, suites, arch, pkg, (archive, suite) => packages[archive]![suite]![arch]!);
}

const noApt = missingTools();

interface Layout {
  readonly layout: string;
  /** Every file the add changes. */
  readonly changed: readonly string[];
  /** The file the arch-specific additions are written in, and what they look like there. */
  readonly additions: { readonly file: string; readonly contains: readonly string[] };
  /** Per codename: the suites apt reads, and the companion repo. */
  readonly distros: readonly {
    readonly codename: string;
    readonly suites: readonly string[];
    readonly companion: string;
    readonly amd64Only: readonly string[];
  }[];
}

const LAYOUTS: readonly Layout[] = [
  {
    layout: "distroless-2024",
    changed: [
      "private/repos/deb/bookworm_python.lock.json",
      "private/repos/deb/bookworm_python.yaml",
      "private/repos/deb/bookworm_python_amd64_only.lock.json",
      "private/repos/deb/bookworm_python_amd64_only.yaml",
      "private/repos/deb/repositories.bzl",
      "python3/BUILD",
    ],
    additions: { file: "python3/BUILD", contains: ['"@bookworm_python_amd64_only//libmfx1/amd64",', '] if arch == "amd64" else []),'] },
    distros: [
      { codename: "bookworm", suites: BOOKWORM, companion: "bookworm_python_amd64_only", amd64Only: ["libmfx1", "libdrm-intel1", "libquadmath0"] },
    ],
  },
  {
    layout: "distroless-2026",
    changed: [
      "MODULE.bazel.lock",
      "private/repos/deb/bookworm_python.lock.json",
      "private/repos/deb/bookworm_python.yaml",
      "private/repos/deb/bookworm_python_amd64_only.lock.json",
      "private/repos/deb/bookworm_python_amd64_only.yaml",
      "private/repos/deb/deb.MODULE.bazel",
      "private/repos/deb/trixie_python.lock.json",
      "private/repos/deb/trixie_python.yaml",
      "private/repos/deb/trixie_python_amd64_only.lock.json",
      "private/repos/deb/trixie_python_amd64_only.yaml",
      "python3/config.bzl",
      "python3/python.bzl",
    ],
    additions: {
      file: "python3/python.bzl",
      contains: [
        '"@bookworm_python_amd64_only//libmfx1/amd64",',
        '] if arch == "amd64" and distro == "debian12" else [])',
        '"@trixie_python_amd64_only//libvpl2/amd64",',
        '] if arch == "amd64" and distro == "debian13" else []),',
      ],
    },
    distros: [
      { codename: "bookworm", suites: BOOKWORM, companion: "bookworm_python_amd64_only", amd64Only: ["libmfx1", "libdrm-intel1", "libquadmath0"] },
      {
        codename: "trixie",
        suites: ["trixie", "trixie-updates", "trixie-security"],
        companion: "trixie_python_amd64_only",
        amd64Only: ["libvpl2", "libdrm-intel1"],
      },
    ],
  },
];

for (const L of LAYOUTS) {
  describe(`add ffmpeg --image python3 on amd64 + arm64 (${L.layout})`, () => {
    let root: string;
    let start: Record<string, string>;
    let added: Record<string, string>;
    /** check --deep's report on the workspace before the add: dependencies its images already leave out. */
    let gapsBefore = "";

    it("exits 0 and writes an amd64-only companion repo for the packages arm64 lacks", async () => {
      root = archive.copyWorkspace(L.layout);
      start = snapshotTree(root);
      const run = await archive.cli(root, ["add", "ffmpeg", "--image", "python3"]);
      expect(run.code, run.stderr).toBe(0);
      added = snapshotTree(root);
      expect(changedFiles(start, added)).toEqual(L.changed);
      for (const d of L.distros) {
        const companion = readFileSync(join(root, `private/repos/deb/${d.companion}.yaml`), "utf8");
        expect(companion).toMatch(/^archs:\n {2}- amd64\n/m);
        for (const name of d.amd64Only) expect(companion).toContain(`  - ${name} # dependency of ffmpeg`);
        expect(run.stdout).toContain(`amd64 only (no package on the other archs), into new companion repo ${d.companion}`);
      }
      const text = readFileSync(join(root, L.additions.file), "utf8");
      for (const c of L.additions.contains) expect(text).toContain(c);
      expect(readFileSync(join(root, "python3", L.layout === "distroless-2024" ? "BUILD" : "config.bzl"), "utf8")).not.toMatch(/"libmfx1"/);
    }, 120_000);

    it("leaves every edited Starlark file buildifier-clean", () => {
      const problems = changedFiles(start, added)
        .filter((f) => /(^|\/)(BUILD|BUILD\.bazel|WORKSPACE|MODULE\.bazel)$|\.bzl$|\.MODULE\.bazel$/.test(f))
        .map((f) => buildifierClean(root, f))
        .filter((x) => x !== undefined);
      expect(problems).toEqual([]);
    });

    it("resolves every label the image's build files produce, per arch", async () => {
      const labels = await labelsResolve(root, "python3");
      for (const d of L.distros) {
        expect(labels.get(`${d.codename} amd64`)).toContainEqual({ repo: d.companion, name: d.amd64Only[0] });
        expect(labels.get(`${d.codename} arm64`)!.some((l) => l.repo.endsWith("_amd64_only"))).toBe(false);
        expect(labels.get(`${d.codename} arm64`)).toContainEqual({ repo: `${d.codename}_python`, name: "ffmpeg" });
      }
    });

    it("passes check; check --deep finds nothing it did not find before the add", async () => {
      const check = await archive.cli(root, ["check"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      // One key per finding: the entry and what it needs (which images lack it may change: python3 now has debconf).
      const findings = (run: { stdout: string; stderr: string }) =>
        new Set(
          (run.stdout + run.stderr)
            .split("\n")
            .filter((l) => /needs|no entry/.test(l))
            .map((l) => l.split(" which ")[0]),
        );
      const fresh = archive.copyWorkspace(L.layout);
      const deepBefore = await archive.cli(fresh, ["check", "--deep"]);
      gapsBefore = deepBefore.stdout + deepBefore.stderr;
      const before = findings(deepBefore);
      const after = findings(await archive.cli(root, ["check", "--deep"]));
      expect([...after].filter((l) => !before.has(l))).toEqual([]);
    }, 120_000);

    it("is what lock writes: lock afterwards changes no byte", async () => {
      const run = await archive.cli(root, ["lock"]);
      expect(run.code, run.stderr).toBe(0);
      expect(changedFiles(added, snapshotTree(root))).toEqual([]);
    }, 120_000);

    for (const d of L.distros) {
      for (const arch of ["amd64", "arm64"]) {
        it.skipIf(noApt !== undefined)(
          `holds apt's whole closure of ffmpeg on ${d.codename} ${arch} across the ${d.codename} locks`,
          async () => {
            const locked = lockedOnArch(root, arch, d.codename);
            const apt = await aptClosure(d.suites, arch, "ffmpeg");
            expect(apt.length).toBeGreaterThan(150);
            // Only what the ancestor images already did without before the add (check --deep said so then), e.g.
            // trixie's libssl3t64 → openssl-provider-legacy, which distroless's base image leaves out.
            const missing = apt
              .filter((p) => !locked.has(p))
              .filter((p) => !new RegExp(`needs [^\\n]*\\b${p.split(" ")[0]!.replace(/[.+]/g, "\\$&")}\\b`).test(gapsBefore));
            expect(missing).toEqual([]);
          },
          120_000,
        );
      }
    }

    it("remove ffmpeg restores every byte, companion repos and declarations included", async () => {
      const run = await archive.cli(root, ["remove", "ffmpeg", "--image", "python3"]);
      expect(run.code, run.stderr).toBe(0);
      expect(changedFiles(start, snapshotTree(root))).toEqual([]);
    }, 120_000);
  });
}

describe("add --manifest on a two-arch plain rules_distroless repo", () => {
  const SNAPSHOT = "https://snapshot.debian.org/archive";
  const MODULE = `bazel_dep(name = "rules_distroless", version = "0.5.1")

apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(
    name = "bookworm",
    lock = "//apt:bookworm.lock.json",
    manifest = "//apt:bookworm.yaml",
)
use_repo(apt, "bookworm")
`;
  const manifest = (packages: string) =>
    `version: 1\nsources:\n  - channel: bookworm main\n    url: ${SNAPSHOT}/debian/20260818T205150Z\n  - channel: bookworm-updates main\n    url: ${SNAPSHOT}/debian/20260818T205150Z\n  - channel: bookworm-security main\n    url: ${SNAPSHOT}/debian-security/20260818T224315Z\n\narchs:\n  - amd64\n  - arm64\n\npackages:\n${packages}`;

  async function plainWorkspace(packages: string): Promise<string> {
    const root = mkdtempSync(join(tmpdir(), "deb-lock-plain-"));
    dirs.push(root);
    mkdirSync(join(root, "apt"));
    writeFileSync(join(root, "MODULE.bazel"), MODULE);
    writeFileSync(join(root, "apt", "BUILD.bazel"), 'exports_files(glob(["*"]))\n');
    writeFileSync(join(root, "apt", "bookworm.yaml"), manifest(packages));
    expect((await archive.cli(root, ["lock"])).code).toBe(0);
    return root;
  }

  it("refuses (exit 1, nothing written) a package one of the manifest's archs does not have", async () => {
    const root = await plainWorkspace("  - libc6\n");
    const before = snapshotTree(root);
    const run = await archive.cli(root, ["add", "libquadmath0", "--manifest", "apt/bookworm.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ADD_ARCH_MISSING");
    expect(run.stderr).toContain("libquadmath0: no arm64 package (requested)");
    expect(changedFiles(before, snapshotTree(root))).toEqual([]);
  }, 120_000);

  it("adds ffmpeg (amd64-only dependencies stay in the amd64 closure): check passes, lock changes nothing, remove restores", async () => {
    const root = await plainWorkspace("  - libc6\n");
    const before = snapshotTree(root);
    const run = await archive.cli(root, ["add", "ffmpeg", "--manifest", "apt/bookworm.yaml"]);
    expect(run.code, run.stderr).toBe(0);
    const after = snapshotTree(root);
    expect((await archive.cli(root, ["check"])).code).toBe(0);
    expect((await archive.cli(root, ["lock"])).code).toBe(0);
    expect(changedFiles(after, snapshotTree(root))).toEqual([]);
    for (const arch of ["amd64", "arm64"]) {
      if (noApt !== undefined) break;
      const locked = lockedIn(root, "apt/bookworm.lock.json", arch);
      expect((await aptClosure(BOOKWORM, arch, "ffmpeg")).filter((p) => !locked.has(p))).toEqual([]);
    }
    expect(lockedIn(root, "apt/bookworm.lock.json", "arm64").has("libmfx1 22.5.4-1")).toBe(false);
    expect((await archive.cli(root, ["remove", "ffmpeg", "--manifest", "apt/bookworm.yaml"])).code).toBe(0);
    expect(changedFiles(before, snapshotTree(root))).toEqual([]);
  }, 120_000);
});

function lockedIn(root: string, rel: string, arch: string): Set<string> {
  return new Set(
    parseLock(readFileSync(join(root, rel), "utf8"), rel)
      .lock.packages.filter((p) => p.arch === arch)
      .map((p) => `${p.name} ${p.version}`),
  );
}

describe("--arch: a package on some archs only", () => {
  it("add --arch amd64 puts the package and its new dependencies into the amd64 companion; why names the repo; remove --arch amd64 restores every byte", async () => {
    const root = archive.copyWorkspace("distroless-2024");
    const start = snapshotTree(root);
    const run = await archive.cli(root, ["add", "postgresql-client", "--image", "python3", "--arch", "amd64"]);
    expect(run.code, run.stderr).toBe(0);
    expect(changedFiles(start, snapshotTree(root))).toEqual([
      "private/repos/deb/bookworm_python_amd64_only.lock.json",
      "private/repos/deb/bookworm_python_amd64_only.yaml",
      "private/repos/deb/repositories.bzl",
      "python3/BUILD",
    ]);
    const labels = await labelsResolve(root, "python3");
    expect(labels.get("bookworm amd64")).toContainEqual({ repo: "bookworm_python_amd64_only", name: "postgresql-client" });
    expect(labels.get("bookworm arm64")!.some((l) => l.name === "postgresql-client")).toBe(false);
    expect((await archive.cli(root, ["check"])).code).toBe(0);
    const added = snapshotTree(root);
    expect((await archive.cli(root, ["lock"])).code).toBe(0);
    expect(changedFiles(added, snapshotTree(root))).toEqual([]);

    const why = await archive.cli(root, ["why", "libpq5", "--image", "python3", "--arch", "amd64"]);
    expect(why.stdout).toContain("(repo bookworm_python_amd64_only)");
    expect(why.stdout).toContain("postgresql-client → postgresql-client-15 → libpq5");

    const refused = await archive.cli(root, ["remove", "libexpat1", "--image", "python3", "--arch", "amd64"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("REMOVE_ARCH_SHARED");
    const removed = await archive.cli(root, ["remove", "postgresql-client", "--image", "python3", "--arch", "amd64"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(changedFiles(start, snapshotTree(root))).toEqual([]);
  }, 120_000);

  it("add --arch with an arch the image is not built for is a usage error", async () => {
    const root = archive.copyWorkspace("distroless-2024");
    const run = await archive.cli(root, ["add", "libmfx1", "--image", "python3", "--arch", "s390x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("amd64, arm64");
  }, 60_000);
});

describe("update with a companion repo", () => {
  it("moves the companion's sources with the others; check passes afterwards and lock changes nothing", async () => {
    const root = archive.copyWorkspace("distroless-2024");
    expect((await archive.cli(root, ["add", "ffmpeg", "--image", "python3"])).code).toBe(0);
    const service = await startSnapshotService(
      { debian: ["20240706T203757Z", "20260818T205150Z"], "debian-security": ["20240706T203757Z", "20260818T224315Z"] },
      archive.server.url,
    );
    try {
      const run = await archive.cli(root, ["update", "--snapshot", "20260820T000000Z"], service.url);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    } finally {
      await service.close();
    }
    const companion = readFileSync(join(root, "private/repos/deb/bookworm_python_amd64_only.yaml"), "utf8");
    expect(companion).toContain("/archive/debian/20260818T205150Z");
    expect(readFileSync(join(root, "private/repos/deb/bookworm_python_amd64_only.lock.json"), "utf8")).toContain(
      "/archive/debian/20260818T205150Z/pool/",
    );
    expect((await archive.cli(root, ["check"])).code).toBe(0);
    const after = snapshotTree(root);
    expect((await archive.cli(root, ["lock"])).code).toBe(0);
    expect(changedFiles(after, snapshotTree(root))).toEqual([]);
  }, 180_000);
});
