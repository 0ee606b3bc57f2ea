import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileHash } from "../../src/app/changes/module-lock.js";
import { formatUnifiedDiff } from "../../src/cli/render/diff.js";
import { parseLock } from "../../src/core/lock/index.js";
import { type ArchiveServer, type SuiteSpec, startArchiveServer } from "../support/archive-server.js";
import { readFixtureSuites } from "../support/fixture-archive.js";
import { runCli } from "../support/run-cli.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// add / remove / why as a person runs them, on the two fixture layouts, with golden outputs:
// test/fixtures/workspaces/<layout>/golden/<case>.txt holds the command's stdout and stderr and the unified
// diff of the workspace after the run.
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "workspaces");
const ARCHIVE = join(FIXTURES, "distroless-2026", "archive");
const SNAPSHOT = "https://snapshot.debian.org/archive";
const TIMESTAMPS = ["20240706T203757Z", "20260818T205150Z", "20260818T224315Z"];
const BUILDIFIER = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "buildifier");

let server: ArchiveServer;
let cache: string;
let keyring: string;
const dirs: string[] = [];

beforeAll(async () => {
  const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
  for (const [archive, suites] of Object.entries(await readFixtureSuites(ARCHIVE)))
    archives[archive] = Object.fromEntries(TIMESTAMPS.map((ts) => [ts, suites]));
  server = await startArchiveServer({ archives });
  cache = mkdtempSync(join(tmpdir(), "deb-lock-cli-cache-"));
  dirs.push(cache);
  keyring = join(cache, "archive.asc");
  writeFileSync(keyring, server.publicKeyArmored);
});

afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function copyWorkspace(layout: string): string {
  const root = mkdtempSync(join(tmpdir(), `deb-lock-${layout}-`));
  dirs.push(root);
  cpSync(join(FIXTURES, layout, "workspace"), root, { recursive: true });
  return root;
}

/** Runs deb-lock in-process (the registered command table), against the fake archive. */
async function cli(root: string, argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli([...argv, "-C", root, "--cache-dir", cache, "--keyring", keyring, "--mirror", `${SNAPSHOT}=${server.url}/archive`, "--quiet"], {
    cwd: root,
    homeDir: cache,
  });
}

function workspaceDiff(before: Record<string, string>, root: string): string {
  const after = snapshotTree(root);
  const text = (b64: string | undefined) => (b64 === undefined ? null : Buffer.from(b64, "base64").toString("utf8"));
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort()
    .map((f) => formatUnifiedDiff(f, text(before[f]), text(after[f])))
    .join("");
}

function golden(layout: string, name: string, run: { code: number; stdout: string; stderr: string }, diff: string): string {
  void layout;
  void name;
  return `exit: ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}--- workspace diff\n${diff}`;
}

function buildifierClean(root: string, rel: string): boolean {
  const type = /(^|\/)BUILD(\.bazel)?$/.test(rel) ? "build" : "bzl";
  const r = spawnSync(BUILDIFIER, ["--mode=check", `--type=${type}`, join(root, rel)], { encoding: "utf8" });
  return r.status === 0;
}

/** Follows the ADD_ARCH_MISSING instruction: python3 for debian12 on amd64 only (image arch list and manifest). */
function amd64OnlyPython(root: string): void {
  const edit = (rel: string, from: string | RegExp, to: string): void => {
    const text = readFileSync(join(root, rel), "utf8");
    const next = text.replace(from, to);
    expect(next).not.toBe(text);
    writeFileSync(join(root, rel), next);
  };
  edit("python3/config.bzl", '"debian12": ["amd64", "arm64"]', '"debian12": ["amd64"]');
  edit("private/repos/deb/bookworm_python.yaml", "  - amd64\n  - arm64\n", "  - amd64\n");
}

const CASES: { layout: string; name: string; argv: string[]; setup?: string[][]; prepare?: (root: string) => void }[] = [
  { layout: "distroless-2024", name: "add-postgresql-client", argv: ["add", "postgresql-client", "--image", "python3"] },
  {
    layout: "distroless-2026",
    name: "add-postgresql-client-debian12",
    argv: ["add", "postgresql-client", "--image", "python3", "--distro", "debian12"],
  },
  {
    layout: "distroless-2026",
    name: "add-postgresql-client-dry-run",
    argv: ["add", "postgresql-client", "--image", "python3", "--distro", "bookworm", "--dry-run"],
  },
  { layout: "distroless-2024", name: "add-ffmpeg", argv: ["add", "ffmpeg", "--image", "python3"] },
  { layout: "distroless-2026", name: "add-ffmpeg", argv: ["add", "ffmpeg", "--image", "python3"] },
  {
    layout: "distroless-2026",
    name: "add-ffmpeg-amd64-only",
    prepare: amd64OnlyPython,
    argv: ["add", "ffmpeg", "--image", "python3", "--distro", "debian12"],
  },
  { layout: "distroless-2026", name: "add-libquadmath0-arch-specific", argv: ["add", "libquadmath0", "--image", "python3", "--distro", "debian13"] },
  { layout: "distroless-2024", name: "remove-still-needed", argv: ["remove", "libexpat1", "--image", "python3"] },
  // A typo (the package is in no list of the image): exit 1 naming it, nothing written.
  { layout: "distroless-2024", name: "remove-not-listed", argv: ["remove", "ffmpg", "--image", "python3"] },
  {
    layout: "distroless-2026",
    name: "remove-postgresql-client-debian12",
    setup: [["add", "postgresql-client", "libgdbm6", "--image", "python3", "--distro", "debian12"]],
    argv: ["remove", "postgresql-client", "--image", "python3", "--distro", "debian12"],
  },
  {
    layout: "distroless-2026",
    name: "why-libpq5",
    setup: [["add", "postgresql-client", "--image", "python3", "--distro", "debian12"]],
    argv: ["why", "libpq5", "--image", "python3", "--distro", "debian12"],
  },
  {
    layout: "distroless-2026",
    name: "add-never-upgrades",
    // libpq5 locked at the bookworm (not -security) version; postgresql-client-15 needs libpq5 (>= 15.20)
    setup: [["add", "libpq5=15.18-0+deb12u1", "--image", "python3", "--distro", "debian12"]],
    argv: ["add", "postgresql-client", "--image", "python3", "--distro", "debian12"],
  },
  { layout: "distroless-2026", name: "why-ffmpeg-not-present", argv: ["why", "ffmpeg", "--image", "python3", "--distro", "debian13"] },
  {
    layout: "distroless-2024",
    name: "remove-keeps-dependencies-still-needed",
    setup: [
      ["add", "postgresql-client", "--image", "python3"],
      ["add", "perl", "--image", "python3"],
    ],
    argv: ["remove", "postgresql-client", "--image", "python3", "--dry-run"],
  },
  { layout: "distroless-2024", name: "why-libc6-arm64", argv: ["why", "libc6", "--image", "python3", "--arch", "arm64"] },
  { layout: "distroless-2024", name: "why-libexpat1", argv: ["why", "libexpat1", "--image", "python3", "--arch", "amd64"] },
];

describe("add / remove / why golden runs", () => {
  for (const c of CASES) {
    it(`${c.layout}: ${c.argv.join(" ")}`, async () => {
      const root = copyWorkspace(c.layout);
      c.prepare?.(root);
      for (const step of c.setup ?? []) expect((await cli(root, step)).code).toBe(0);
      const before = snapshotTree(root);
      const run = await cli(root, c.argv);
      const diff = workspaceDiff(before, root);
      await expect(golden(c.layout, c.name, run, diff)).toMatchFileSnapshot(join(FIXTURES, c.layout, "golden", `${c.name}.txt`));
      // Failures and dry runs write nothing.
      if (run.code !== 0 || c.argv.includes("--dry-run") || c.argv[0] === "why") expect(diff).toBe("");
      // Every edited Starlark file stays buildifier-clean.
      for (const f of diff.matchAll(/^\+\+\+ b\/(\S+)$/gm)) {
        if (/(^|\/)(BUILD(\.bazel)?|[^/]*\.bzl)$/.test(f[1]!)) expect(buildifierClean(root, f[1]!), f[1]).toBe(true);
      }
    });
  }
});

describe("invariants on the command line", () => {
  it("distroless-2026: add twice changes nothing the second time; add then remove restores every byte, MODULE.bazel.lock included", async () => {
    const root = copyWorkspace("distroless-2026");
    const before = snapshotTree(root);
    const moduleLock = readFileSync(join(root, "MODULE.bazel.lock"), "utf8");
    expect((await cli(root, ["add", "postgresql-client", "--image", "python3"])).code).toBe(0);
    // the recorded hash of the changed lock follows the new content
    const lockAfter = readFileSync(join(root, "private/repos/deb/trixie_python.lock.json"));
    expect(readFileSync(join(root, "MODULE.bazel.lock"), "utf8")).toContain(fileHash(lockAfter));
    expect(readFileSync(join(root, "MODULE.bazel.lock"), "utf8")).not.toBe(moduleLock);
    const once = snapshotTree(root);
    const second = await cli(root, ["add", "postgresql-client", "--image", "python3"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("nothing to change");
    expect(snapshotTree(root)).toEqual(once);
    expect((await cli(root, ["remove", "postgresql-client", "--image", "python3"])).code).toBe(0);
    expect(workspaceDiff(before, root)).toBe("");
  });

  it("usage errors: no package, both --image and --manifest, an image the workspace does not have", async () => {
    const root = copyWorkspace("distroless-2024");
    expect((await cli(root, ["add", "--image", "python3"])).code).toBe(2);
    expect((await cli(root, ["add", "x", "--image", "python3", "--manifest", "private/repos/deb/bookworm.yaml"])).code).toBe(2);
    const unknown = await cli(root, ["add", "x", "--image", "nosuchimage"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("IMAGE_NOT_FOUND");
  });

  it("why names the missing lock of the image's repo and how to create it", async () => {
    const root = copyWorkspace("distroless-2026");
    rmSync(join(root, "private/repos/deb/bookworm_python.lock.json"));
    const run = await cli(root, ["why", "libexpat1", "--image", "python3", "--distro", "debian12"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("LOCK_MISSING");
    expect(run.stderr).toContain("private/repos/deb/bookworm_python.lock.json");
    expect(run.stderr).toContain("deb-lock lock private/repos/deb/bookworm_python.yaml");
  });

  it("an unknown --manifest or --arch is refused with the choices there are", async () => {
    const root = copyWorkspace("distroless-2026");
    const manifest = await cli(root, ["why", "libc6", "--manifest", "nosuch.yaml"]);
    expect(manifest.code).toBe(2);
    expect(manifest.stderr).toContain("private/repos/deb/bookworm.yaml");
    const arch = await cli(root, ["why", "libc6", "--image", "python3", "--distro", "debian12", "--arch", "s390x"]);
    expect(arch.code).toBe(2);
    expect(arch.stderr).toMatch(/--arch .*amd64/);
  });
});

describe("conformance with apt", () => {
  // apt installs from an empty system; add treats the image's packages as installed and does not follow their
  // own dependencies (distroless lists leave some out on purpose). The one difference on this data:
  // readline-common, a dependency of libreadline8, which python3 lists without it.
  const notFollowed: Record<string, string[]> = { ffmpeg: [], "postgresql-client": ["readline-common"] };
  for (const pkg of ["ffmpeg", "postgresql-client"]) {
    it(`${pkg}: what add adds to python3 (debian12, amd64) plus what the image already has is apt's closure on an empty system`, async () => {
      const root = copyWorkspace("distroless-2026");
      amd64OnlyPython(root);
      const run = await cli(root, ["add", pkg, "--image", "python3", "--distro", "debian12", "--dry-run", "--json"]);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as {
        targets: { archs: { arch: string; added: { name: string; version: string }[]; skipped: { name: string; version: string }[] }[] }[];
      };
      const amd64 = report.targets[0]!.archs.find((a) => a.arch === "amd64")!;
      const oracle = readFileSync(join(FIXTURES, "distroless-2026", "oracle", `apt-${pkg}-bookworm-amd64.txt`), "utf8")
        .trim()
        .split("\n")
        .sort();
      const added = amd64.added.map((p) => `${p.name} ${p.version}`);
      // every package add chose is apt's choice, at apt's version
      expect(added.filter((a) => !oracle.includes(a))).toEqual([]);
      // and every package of apt's closure is either added or already in the image / an ancestor at that version
      const missing = oracle.filter((o) => !added.includes(o) && !notFollowed[pkg]!.includes(o.split(" ")[0]!));
      for (const m of missing) {
        const [name, version] = m.split(" ");
        const why = JSON.parse(
          (await cli(root, ["why", name!, "--image", "python3", "--distro", "debian12", "--arch", "amd64", "--json"])).stdout,
        ) as { distros: { archs: { present: boolean; version?: string }[] }[] };
        expect(why.distros[0]!.archs[0], m).toMatchObject({ present: true, version });
      }
    });
  }
});

describe("--manifest: a plain rules_distroless repo (transitive)", () => {
  const MODULE = `bazel_dep(name = "rules_distroless", version = "0.5.1")

apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(
    name = "bookworm",
    lock = "//apt:bookworm.lock.json",
    manifest = "//apt:bookworm.yaml",
)
`;
  const manifest = (packages: string) => `version: 1
sources:
  - channel: bookworm main
    url: ${SNAPSHOT}/debian/20260818T205150Z
  - channel: bookworm-security main
    url: ${SNAPSHOT}/debian-security/20260818T224315Z

archs:
  - amd64
  - arm64

packages:
${packages}`;

  function plainWorkspace(packages: string): string {
    const root = mkdtempSync(join(tmpdir(), "deb-lock-plain-"));
    dirs.push(root);
    writeFileSync(join(root, "MODULE.bazel"), MODULE);
    cpSync(join(FIXTURES, "distroless-2026", "workspace", "BUILD"), join(root, "apt", "BUILD"), { recursive: true });
    writeFileSync(join(root, "apt", "bookworm.yaml"), manifest(packages));
    return root;
  }

  it("writes the lock `deb-lock lock` would write for the new manifest; remove restores it", async () => {
    const root = plainWorkspace("  - libc6\n  - netbase # for /etc/services\n");
    const lock = await runCli(
      ["lock", "-C", root, "--cache-dir", cache, "--keyring", keyring, "--mirror", `${SNAPSHOT}=${server.url}/archive`, "--quiet"],
      { cwd: root },
    );
    expect(lock.stderr).toBe("");
    const before = snapshotTree(root);
    const added = await cli(root, ["add", "postgresql-client", "--manifest", "apt/bookworm.yaml"]);
    expect(added.stderr).toBe("");
    expect(readFileSync(join(root, "apt/bookworm.yaml"), "utf8")).toBe(
      manifest("  - libc6\n  - netbase # for /etc/services\n  - postgresql-client\n"),
    );

    const fresh = plainWorkspace("  - libc6\n  - netbase # for /etc/services\n  - postgresql-client\n");
    expect(
      (
        await runCli(["lock", "-C", fresh, "--cache-dir", cache, "--keyring", keyring, "--mirror", `${SNAPSHOT}=${server.url}/archive`, "--quiet"], {
          cwd: fresh,
        })
      ).code,
    ).toBe(0);
    expect(readFileSync(join(root, "apt/bookworm.lock.json"), "utf8")).toBe(readFileSync(join(fresh, "apt/bookworm.lock.json"), "utf8"));

    const why = await cli(root, ["why", "libpq5", "--manifest", "apt/bookworm.yaml", "--arch", "amd64"]);
    expect(why.stdout).toContain("postgresql-client → postgresql-client-15 → libpq5");
    expect((await cli(root, ["remove", "postgresql-client", "--manifest", "apt/bookworm.yaml"])).code).toBe(0);
    expect(workspaceDiff(before, root)).toBe("");
  });

  it("add PKG=VERSION writes the pin into the manifest, so a later lock keeps that version", async () => {
    const root = plainWorkspace("  - libc6\n");
    const args = ["--cache-dir", cache, "--keyring", keyring, "--mirror", `${SNAPSHOT}=${server.url}/archive`, "--quiet"];
    expect((await runCli(["lock", "-C", root, ...args], { cwd: root })).code).toBe(0);
    const added = await cli(root, ["add", "libpq5=15.18-0+deb12u1", "--manifest", "apt/bookworm.yaml"]);
    expect(added.code).toBe(0);
    expect(readFileSync(join(root, "apt/bookworm.yaml"), "utf8")).toBe(manifest("  - libc6\n  - libpq5 (= 15.18-0+deb12u1)\n"));
    const pinned = () =>
      parseLock(readFileSync(join(root, "apt/bookworm.lock.json"), "utf8"), "bookworm.lock.json")
        .lock.packages.filter((p) => p.name === "libpq5")
        .map((p) => p.version);
    expect(pinned().length).toBeGreaterThan(0);
    expect(new Set(pinned())).toEqual(new Set(["15.18-0+deb12u1"]));
    const relocked = await runCli(["lock", "-C", root, ...args], { cwd: root });
    expect(relocked.code).toBe(0);
    expect(relocked.stdout).toContain("up to date");
    expect(new Set(pinned())).toEqual(new Set(["15.18-0+deb12u1"]));
  });
});

describe("a list shared by several distros (2024 layout)", () => {
  /** python3 (and its ancestors) for debian12 and debian13 from the same inline lists. */
  function twoDistros(root: string): void {
    const edit = (rel: string, from: string, to: string): void => {
      const text = readFileSync(join(root, rel), "utf8");
      expect(text).toContain(from);
      writeFileSync(join(root, rel), text.replace(from, to));
    };
    edit("base/distro.bzl", 'DISTROS = ["debian12"]', 'DISTROS = ["debian12", "debian13"]');
    edit("python3/BUILD", '    "debian12",\n]', '    "debian12",\n    "debian13",\n]');
    edit(
      "private/repos/deb/repositories.bzl",
      "    # bookworm python only",
      `    deb_index(
        name = "trixie",
        lock = "//private/repos/deb:trixie.lock.json",
        manifest = "//private/repos/deb:trixie.yaml",
        resolve_transitive = False,
    )

    deb_index(
        name = "trixie_python",
        lock = "//private/repos/deb:trixie_python.lock.json",
        manifest = "//private/repos/deb:trixie_python.yaml",
        resolve_transitive = False,
    )

    # bookworm python only`,
    );
    for (const f of ["trixie.yaml", "trixie.lock.json", "trixie_python.yaml", "trixie_python.lock.json"]) {
      cpSync(join(FIXTURES, "distroless-2026", "workspace", "private/repos/deb", f), join(root, "private/repos/deb", f));
    }
  }

  it("refuses --distro for one of them, refuses names one distro lacks, adds a package both have to both", async () => {
    const root = copyWorkspace("distroless-2024");
    twoDistros(root);
    const before = snapshotTree(root);
    const one = await cli(root, ["add", "postgresql-client", "--image", "python3", "--distro", "debian12"]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain("ADD_SHARED_LIST");
    expect(one.stderr).toContain("python3/BUILD:44 lists the packages of debian12 and debian13 at once");
    expect(snapshotTree(root)).toEqual(before);
    // Without --distro: the list would need bookworm and trixie names at once, which neither repo has all of.
    const both = await cli(root, ["add", "postgresql-client", "--image", "python3"]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("ADD_DISTRO_MISSING");
    expect(both.stderr).toMatch(/libperl5\.40.* do not exist in the sources of private\/repos\/deb\/bookworm_python\.yaml \(debian12\)/);
    expect(snapshotTree(root)).toEqual(before);
    // A package both distros have under one name goes into the shared list once and into both repos.
    const ok = await cli(root, ["add", "sensible-utils", "--image", "python3"]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toContain("python3 (debian12) ← repo bookworm_python");
    expect(ok.stdout).toContain("python3 (debian13) ← repo trixie_python");
    const build = readFileSync(join(root, "python3/BUILD"), "utf8");
    expect(build.split('deb.package(arch, distro, "sensible-utils")').length).toBe(2);
    for (const repo of ["bookworm_python", "trixie_python"]) {
      expect(readFileSync(join(root, `private/repos/deb/${repo}.lock.json`), "utf8")).toContain('"name": "sensible-utils"');
    }
    expect(buildifierClean(root, "python3/BUILD")).toBe(true);
  });
});

describe("key style decided by the workspace (rules_distroless 0.3.2 keeps ~ in keys)", () => {
  // bookworm_python.lock.json has no ~ version yet, so its own keys cannot tell; its sibling bookworm.lock.json
  // and the WORKSPACE's rules_distroless release (0.3.2) both say ~ is kept.
  it("add writes libdbus-1-3_1.14.10-1~deb12u1_amd64 into a lock that had no ~ yet", async () => {
    const root = copyWorkspace("distroless-2024");
    const lockFile = join(root, "private/repos/deb/bookworm_python.lock.json");
    expect(readFileSync(lockFile, "utf8")).not.toContain("~");
    const run = await cli(root, ["add", "libdbus-1-3", "--image", "python3"]);
    expect(run.code).toBe(0);
    const keys = parseLock(readFileSync(lockFile, "utf8"), lockFile).lock.packages.map((p) => p.key);
    expect(keys).toContain("libdbus-1-3_1.14.10-1~deb12u1_amd64");
    expect(keys.filter((k) => k.includes("_deb12u"))).toEqual([]);
  });

  it("lock writes a new lock in the workspace's style", async () => {
    const root = copyWorkspace("distroless-2024");
    const manifest = join(root, "private/repos/deb/bookworm_python.yaml");
    writeFileSync(manifest, `${readFileSync(manifest, "utf8").trimEnd()}\n  - libdbus-1-3\n`);
    rmSync(join(root, "private/repos/deb/bookworm_python.lock.json"));
    const run = await cli(root, ["lock", "private/repos/deb/bookworm_python.yaml"]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(root, "private/repos/deb/bookworm_python.lock.json"), "utf8")).toContain('"key": "libdbus-1-3_1.14.10-1~deb12u1_arm64"');
  });
});

describe("property: add S then remove S restores every byte", () => {
  it("for random sets of packages, in both layouts", async () => {
    const pool = ["postgresql-client", "sensible-utils", "libgdbm6", "perl", "libpq5", "liblz4-1", "tar"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("distroless-2024", "distroless-2026"),
        fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: 3 }),
        async (layout, set) => {
          const root = copyWorkspace(layout);
          const before = snapshotTree(root);
          const add = await cli(root, ["add", ...set, "--image", "python3", "--distro", "debian12"]);
          expect(add.stderr).toBe("");
          const remove = await cli(root, ["remove", ...set, "--image", "python3", "--distro", "debian12"]);
          expect(remove.stderr).toBe("");
          expect(workspaceDiff(before, root)).toBe("");
        },
      ),
      { numRuns: 8 },
    );
  });

  it("for two sets added one after the other, then removed together", async () => {
    const pool = ["postgresql-client", "sensible-utils", "libgdbm6", "perl", "libpq5", "liblz4-1", "tar"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("distroless-2024", "distroless-2026"),
        fc.shuffledSubarray(pool, { minLength: 2, maxLength: 4 }),
        fc.nat(),
        async (layout, picked, cut) => {
          const at = 1 + (cut % (picked.length - 1));
          const [first, second] = [picked.slice(0, at), picked.slice(at)];
          const root = copyWorkspace(layout);
          const before = snapshotTree(root);
          // (Removing one set alone may be refused: a package of the other set may need it.)
          for (const [verb, set] of [
            ["add", first],
            ["add", second],
            ["remove", picked],
          ] as const) {
            const run = await cli(root, [verb, ...set, "--image", "python3", "--distro", "debian12"]);
            expect(run.stderr, `${verb} ${set.join(" ")}`).toBe("");
          }
          expect(workspaceDiff(before, root)).toBe("");
        },
      ),
      { numRuns: 8 },
    );
  });
});
