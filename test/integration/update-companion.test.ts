import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLock } from "../../src/core/lock/index.js";
import { missingTools } from "../oracle/apt-oracle.js";
import { aptClosureOf } from "../support/apt-closure.js";
import { type ArchiveServer, type SuiteSpec, startArchiveServer } from "../support/archive-server.js";
import { labelsResolve, lockedOnArch } from "../support/companion-oracle.js";
import { FIXTURE_ARCHIVE, FIXTURES, readFixtureSuites } from "../support/fixture-archive.js";
import { runCli } from "../support/run-cli.js";
import { type SnapshotService, startSnapshotService } from "../support/snapshot-listing.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// update keeps arch-specific companion repos in step. The fixture workspaces get ffmpeg on python3 (amd64 +
// arm64) at their own snapshots; a newer snapshot then builds libmfx1 (bookworm) and libvpl2 (trixie) for arm64
// too (and libdrm-intel1, which cannot resolve there), and no longer builds libshine3 for arm64 (whose arm64 libavcodec no longer depends on it). update moves the
// first into the image's repo and the second into the amd64-only companion.
const BUILDIFIER = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "buildifier");
const OLD = ["20240706T203757Z", "20260818T205150Z", "20260818T224315Z"];
const NEW = "20261120T010203Z";
const GAINS = ["libmfx1", "libvpl2", "libdrm-intel1"];
/** Gains an arm64 build too, but needs libpciaccess0 there, which arm64 does not have: it stays in the companion. */
const STAYS = "libdrm-intel1";
const LOSES = "libshine3";

/** The newer snapshot's arm64 stanzas: GAINS copied from amd64, LOSES gone, and no arm64 package depending on it. */
function newerSuites(suites: Record<string, Record<string, SuiteSpec>>): Record<string, Record<string, SuiteSpec>> {
  const out: Record<string, Record<string, SuiteSpec>> = {};
  for (const [archive, bySuite] of Object.entries(suites)) {
    out[archive] = {};
    for (const [suite, spec] of Object.entries(bySuite)) {
      const main = spec.components.main!;
      const amd64 = main.amd64 as string[];
      const arm64 = (main.arm64 as string[])
        .filter((s) => !s.startsWith(`Package: ${LOSES}\n`))
        .map((s) => s.replace(/^((?:Pre-)?Depends: .*)$/gm, (line) => line.replace(new RegExp(`, ${LOSES}(?: \\([^)]*\\))?`, "g"), "")));
      for (const name of GAINS) {
        const stanza = amd64.find((s) => s.startsWith(`Package: ${name}\n`));
        if (stanza !== undefined) arm64.push(stanza.replace(/^Architecture: amd64$/m, "Architecture: arm64").replace(/_amd64\.deb$/m, "_arm64.deb"));
      }
      out[archive][suite] = { ...spec, components: { ...spec.components, main: { ...main, arm64 } } };
    }
  }
  return out;
}

let server: ArchiveServer;
let service: SnapshotService;
let tmp: string;
let packagesByTime: { old: Record<string, Record<string, SuiteSpec>>; new: Record<string, Record<string, SuiteSpec>> };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "deb-lock-update-companion-"));
  const old = await readFixtureSuites(FIXTURE_ARCHIVE);
  const newer = newerSuites(old);
  packagesByTime = { old, new: newer };
  const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
  for (const archive of Object.keys(old)) archives[archive] = { ...Object.fromEntries(OLD.map((ts) => [ts, old[archive]!])), [NEW]: newer[archive]! };
  server = await startArchiveServer({ archives });
  writeFileSync(join(tmp, "key.asc"), server.publicKeyArmored);
  service = await startSnapshotService({ debian: [...OLD, NEW], "debian-security": [...OLD, NEW] }, server.url);
});
afterAll(async () => {
  await service?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function cli(root: string, argv: readonly string[]) {
  return runCli(
    [
      ...argv,
      "-C",
      root,
      "--cache-dir",
      join(tmp, "cache"),
      "--keyring",
      join(tmp, "key.asc"),
      "--mirror",
      `https://snapshot.debian.org=${service.url}`,
      "--quiet",
    ],
    { cwd: root, homeDir: tmp },
  );
}

function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => before[f] !== after[f]).sort();
}

function read(root: string, rel: string): string {
  return readFileSync(join(root, rel), "utf8");
}

/** apt's closure of `pkg` on an empty system for one arch, from the newer snapshot's indexes (test/oracle/apt-closure.sh). */
function aptClosure(suites: readonly string[], arch: string, pkg: string): string[] {
  const root = mkdtempSync(join(tmp, "apt-root-"));
  return aptClosureOf(
    root,
    suites,
    arch,
    pkg,
    (archive, suite) => `${(packagesByTime.new[archive]![suite]!.components.main![arch] as string[]).join("\n\n")}\n`,
  );
}

const noApt = missingTools();
const BOOKWORM = ["bookworm", "bookworm-updates", "bookworm-security"];
const TRIXIE = ["trixie", "trixie-updates", "trixie-security"];

interface Layout {
  readonly layout: string;
  /** The file of the image's deb.package list and the file of its arch-specific additions. */
  readonly listFile: string;
  readonly additionsFile: string;
  /** The element of a package in the image's list, and of a companion label. */
  readonly element: (name: string) => string;
  readonly distros: readonly { readonly codename: string; readonly suites: readonly string[]; readonly gains: string }[];
}

const LAYOUTS: readonly Layout[] = [
  {
    layout: "distroless-2024",
    listFile: "python3/BUILD",
    additionsFile: "python3/BUILD",
    element: (name) => `deb.package(arch, distro, "${name}"),`,
    distros: [{ codename: "bookworm", suites: BOOKWORM, gains: "libmfx1" }],
  },
  {
    layout: "distroless-2026",
    listFile: "python3/config.bzl",
    additionsFile: "python3/python.bzl",
    element: (name) => `"${name}",`,
    distros: [
      { codename: "bookworm", suites: BOOKWORM, gains: "libmfx1" },
      { codename: "trixie", suites: TRIXIE, gains: "libvpl2" },
    ],
  },
];

for (const L of LAYOUTS) {
  describe(`update moves packages between python3's repo and its amd64-only companion (${L.layout})`, () => {
    let root: string;
    let added: Record<string, string>;
    let updated: Record<string, string>;
    let report: { moves?: { name: string; from: string; to: string; reason: string }[] };
    let prBody: string;
    let updateStderr = "";
    let gapsBefore = "";

    it("add ffmpeg at the old snapshot, then update to the new one", async () => {
      root = mkdtempSync(join(tmp, `${L.layout}-`));
      const { cpSync } = await import("node:fs");
      cpSync(join(FIXTURES, L.layout, "workspace"), root, { recursive: true });
      const deep = await cli(root, ["check", "--deep"]);
      gapsBefore = deep.stdout + deep.stderr;
      const add = await cli(root, ["add", "ffmpeg", "--image", "python3"]);
      expect(add.code, add.stderr).toBe(0);
      added = snapshotTree(root);
      for (const d of L.distros) {
        expect(read(root, `private/repos/deb/${d.codename}_python_amd64_only.yaml`)).toContain(`  - ${d.gains} # dependency of ffmpeg\n`);
        expect(read(root, `private/repos/deb/${d.codename}_python.yaml`)).toContain(`  - ${LOSES} # dependency of ffmpeg\n`);
      }
      // Narrowed to the image's repo, the move into the companion cannot be written: refused, nothing written.
      const narrowed = await cli(root, ["update", `private/repos/deb/${L.distros[0]!.codename}_python.yaml`]);
      expect(narrowed.code, narrowed.stderr).toBe(1);
      expect(narrowed.stderr).toContain("UPDATE_COMPANION_OUT_OF_SCOPE");
      expect(changedFiles(added, snapshotTree(root))).toEqual([]);
      const run = await cli(root, ["update", "--json", "--pr-body", join(root, "..", `${L.layout}-pr.md`)]);
      expect(run.code, run.stderr).toBe(0);
      report = JSON.parse(run.stdout).report;
      updateStderr = run.stderr;
      prBody = readFileSync(join(root, "..", `${L.layout}-pr.md`), "utf8");
      updated = snapshotTree(root);
    }, 240_000);

    it("says which packages moved, between which repos, and why", () => {
      const expected = L.distros.flatMap((d) => [
        { name: d.gains, from: `${d.codename}_python_amd64_only`, to: `${d.codename}_python`, reason: "now built for arm64" },
        { name: LOSES, from: `${d.codename}_python`, to: `${d.codename}_python_amd64_only`, reason: "no longer built for arm64" },
      ]);
      expect(report.moves).toEqual(expect.arrayContaining(expected));
      expect(report.moves).toHaveLength(expected.length);
      for (const m of expected) expect(prBody).toContain(`- \`${m.name}\` moved from ${m.from} to ${m.to}: ${m.reason}`);
    });

    it("keeps a package that would need packages no repo lists on the new arch, and says so", () => {
      for (const d of L.distros) {
        const companion = `private/repos/deb/${d.codename}_python_amd64_only`;
        expect(updateStderr).toContain(`warning: ${companion}.yaml: ${STAYS} is now built for arm64, but stays in ${d.codename}_python_amd64_only: `);
        expect(read(root, `${companion}.yaml`)).toContain(`  - ${STAYS} # dependency of ffmpeg\n`);
        expect(
          parseLock(read(root, `${companion}.lock.json`), companion)
            .lock.packages.filter((p) => p.name === STAYS)
            .map((p) => p.arch),
        ).toEqual(["amd64"]);
        expect(read(root, `private/repos/deb/${d.codename}_python.yaml`)).not.toMatch(new RegExp(`- ${STAYS}\\b`));
      }
    });

    it("moves the manifest entries, lock entries and image list entries", () => {
      expect(changedFiles(added, updated)).toEqual(expect.arrayContaining([L.listFile, L.additionsFile]));
      for (const d of L.distros) {
        const main = `private/repos/deb/${d.codename}_python`;
        const companion = `private/repos/deb/${d.codename}_python_amd64_only`;
        expect(read(root, `${main}.yaml`)).toContain(`  - ${d.gains} # dependency of ffmpeg\n`);
        expect(read(root, `${main}.yaml`)).not.toMatch(new RegExp(`- ${LOSES}\\b`));
        expect(read(root, `${companion}.yaml`)).toContain(`  - ${LOSES} # dependency of ffmpeg\n`);
        expect(read(root, `${companion}.yaml`)).not.toMatch(new RegExp(`- ${d.gains}\\b`));
        const mainLock = parseLock(read(root, `${main}.lock.json`), main).lock.packages;
        const companionLock = parseLock(read(root, `${companion}.lock.json`), companion).lock.packages;
        expect(mainLock.filter((p) => p.name === d.gains).map((p) => p.arch)).toEqual(["amd64", "arm64"]);
        expect(mainLock.some((p) => p.name === LOSES)).toBe(false);
        expect(companionLock.filter((p) => p.name === LOSES).map((p) => p.arch)).toEqual(["amd64"]);
        expect(companionLock.some((p) => p.name === d.gains)).toBe(false);
        // The image's list: out of the arch-conditional addition, into the deb.package list (and back).
        expect(read(root, L.additionsFile)).toContain(`"@${d.codename}_python_amd64_only//${LOSES}/amd64",`);
        expect(read(root, L.additionsFile)).not.toContain(`"@${d.codename}_python_amd64_only//${d.gains}/amd64"`);
      }
      const list = read(root, L.listFile);
      for (const d of L.distros) expect(list).toContain(L.element(d.gains));
      expect(list).not.toContain(L.element(LOSES));
    });

    it("leaves every edited Starlark file buildifier-clean", () => {
      const starlark = changedFiles(added, updated).filter((f) => /(^|\/)(BUILD|BUILD\.bazel|MODULE\.bazel)$|\.bzl$|\.MODULE\.bazel$/.test(f));
      expect(starlark.length).toBeGreaterThan(0);
      for (const f of starlark) {
        const type = /(^|\/)BUILD(\.bazel)?$/.test(f) ? "build" : /(^|\/)MODULE\.bazel$/.test(f) ? "default" : "bzl";
        const r = spawnSync(BUILDIFIER, ["--mode=check", `--type=${type}`, join(root, f)], { encoding: "utf8" });
        expect(r.status, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
      }
    });

    it("resolves every label the image's build files produce, per arch", async () => {
      const labels = await labelsResolve(root, "python3");
      for (const d of L.distros) {
        expect(labels.get(`${d.codename} arm64`)).toContainEqual({ repo: `${d.codename}_python`, name: d.gains });
        expect(labels.get(`${d.codename} amd64`)).toContainEqual({ repo: `${d.codename}_python_amd64_only`, name: LOSES });
        expect(labels.get(`${d.codename} arm64`)!.some((l) => l.name === LOSES)).toBe(false);
      }
    });

    it("passes check, and lock afterwards changes no byte", async () => {
      const check = await cli(root, ["check"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      const lock = await cli(root, ["lock"]);
      expect(lock.code, lock.stderr).toBe(0);
      expect(changedFiles(updated, snapshotTree(root))).toEqual([]);
    }, 120_000);

    for (const d of L.distros) {
      for (const arch of ["amd64", "arm64"]) {
        it.skipIf(noApt !== undefined)(
          `holds apt's closure of ffmpeg at the new snapshot on ${d.codename} ${arch} across the ${d.codename} locks`,
          () => {
            const locked = lockedOnArch(root, arch, d.codename);
            const apt = aptClosure(d.suites, arch, "ffmpeg");
            expect(apt.length).toBeGreaterThan(150);
            if (arch === "amd64") expect(apt.some((p) => p.startsWith(`${LOSES} `))).toBe(true);
            // Only what the ancestor images already left out before (check --deep said so then).
            const missing = apt
              .filter((p) => !locked.has(p))
              .filter((p) => !new RegExp(`needs [^\\n]*\\b${p.split(" ")[0]!.replace(/[.+]/g, "\\$&")}\\b`).test(gapsBefore));
            expect(missing).toEqual([]);
          },
          120_000,
        );
      }
    }
  });
}

/** Suites where every package amd64 has and arm64 lacks gains an arm64 build (copied from amd64). */
function everythingOnArm64(suites: Record<string, Record<string, SuiteSpec>>): Record<string, Record<string, SuiteSpec>> {
  const out: Record<string, Record<string, SuiteSpec>> = {};
  for (const [archive, bySuite] of Object.entries(suites)) {
    out[archive] = {};
    for (const [suite, spec] of Object.entries(bySuite)) {
      const main = spec.components.main!;
      const arm64 = [...(main.arm64 as string[])];
      const names = new Set(arm64.map((s) => /^Package: (\S+)/.exec(s)![1]));
      for (const stanza of main.amd64 as string[]) {
        if (names.has(/^Package: (\S+)/.exec(stanza)![1]) || /^Architecture: all$/m.test(stanza)) continue;
        arm64.push(stanza.replace(/^Architecture: amd64$/m, "Architecture: arm64").replace(/_amd64\.deb$/m, "_arm64.deb"));
      }
      out[archive][suite] = { ...spec, components: { ...spec.components, main: { ...main, arm64 } } };
    }
  }
  return out;
}

const EMPTYING = [
  { ...LAYOUTS[0]!, decl: "private/repos/deb/repositories.bzl", codenames: ["bookworm"], condition: () => `] if arch == "amd64" else [])` },
  {
    ...LAYOUTS[1]!,
    decl: "private/repos/deb/deb.MODULE.bazel",
    codenames: ["bookworm", "trixie"],
    condition: (codename: string) => `] if arch == "amd64" and distro == "${codename === "bookworm" ? "debian12" : "debian13"}" else [])`,
  },
];

for (const E of EMPTYING)
  describe(`update removes a companion left empty and creates one when needed (${E.layout})`, () => {
    const B = "20261010T000000Z";
    const C = "20261020T000000Z";
    let archive: ArchiveServer;
    let snapshots: SnapshotService;
    let root: string;
    let start: Record<string, string>;
    let added: Record<string, string>;
    const run = (argv: readonly string[]) =>
      runCli(
        [
          ...argv,
          "-C",
          root,
          "--cache-dir",
          join(tmp, `cache-${E.layout}`),
          "--keyring",
          join(tmp, `key-${E.layout}.asc`),
          "--mirror",
          `https://snapshot.debian.org=${snapshots.url}`,
          "--quiet",
        ],
        { cwd: root, homeDir: tmp },
      );

    beforeAll(async () => {
      const old = await readFixtureSuites(FIXTURE_ARCHIVE);
      const b = everythingOnArm64(old);
      const c = newerSuites(b);
      const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
      for (const name of Object.keys(old))
        archives[name] = { ...Object.fromEntries(OLD.map((ts) => [ts, old[name]!])), [B]: b[name]!, [C]: c[name]! };
      archive = await startArchiveServer({ archives });
      writeFileSync(join(tmp, `key-${E.layout}.asc`), archive.publicKeyArmored);
      snapshots = await startSnapshotService({ debian: [...OLD, B, C], "debian-security": [...OLD, B, C] }, archive.url);
      root = mkdtempSync(join(tmp, "empty-companion-"));
      const { cpSync } = await import("node:fs");
      cpSync(join(FIXTURES, E.layout, "workspace"), root, { recursive: true });
      start = snapshotTree(root);
    });
    afterAll(async () => {
      await snapshots?.close();
      await archive?.close();
    });

    it("moves every package of the companion into the image's repo, then deletes the companion, its declaration and the image's addition", async () => {
      const add = await run(["add", "ffmpeg", "--image", "python3"]);
      expect(add.code, add.stderr).toBe(0);
      added = snapshotTree(root);
      const update = await run(["update", "--snapshot", B, "--json"]);
      expect(update.code, update.stderr).toBe(0);
      const moves = JSON.parse(update.stdout).report.moves as { name: string; from: string; to: string; reason: string }[];
      const after = snapshotTree(root);
      for (const codename of E.codenames) {
        const companion = `private/repos/deb/${codename}_python_amd64_only`;
        const amd64Only = parseManifestNames(text(added, `${companion}.yaml`));
        expect(amd64Only).toContain(codename === "bookworm" ? "libmfx1" : "libvpl2");
        const mine = moves.filter((m) => m.from === `${codename}_python_amd64_only`);
        expect(mine.map((m) => m.name).sort()).toEqual([...amd64Only].sort());
        for (const m of mine) expect(m).toMatchObject({ to: `${codename}_python`, reason: "now built for arm64" });
        expect(after[`${companion}.yaml`]).toBeUndefined();
        expect(after[`${companion}.lock.json`]).toBeUndefined();
        for (const name of amd64Only) expect(text(after, E.listFile)).toContain(E.element(name));
      }
      expect(moves.every((m) => m.to.endsWith("_python"))).toBe(true);
      // The declarations go as add wrote them: the file is the fixture's again; the image has no addition left.
      expect(after[E.decl]).toBe(start[E.decl]);
      expect(text(after, E.additionsFile)).not.toContain("_amd64_only");
      const check = await run(["check"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect((await run(["lock"])).code).toBe(0);
      expect(changedFiles(after, snapshotTree(root))).toEqual([]);
    }, 240_000);

    it("creates the companion again, as add does, when a package is no longer built for arm64", async () => {
      const before = snapshotTree(root);
      const update = await run(["update", "--snapshot", C, "--json"]);
      expect(update.code, update.stderr).toBe(0);
      expect(JSON.parse(update.stdout).report.moves).toEqual(
        E.codenames.map((codename) => ({
          name: LOSES,
          from: `${codename}_python`,
          to: `${codename}_python_amd64_only`,
          reason: "no longer built for arm64",
        })),
      );
      const after = snapshotTree(root);
      expect(changedFiles(before, after)).toEqual(expect.arrayContaining([E.decl, E.listFile, E.additionsFile]));
      // Declared exactly as add declares them, and written in the same form.
      expect(after[E.decl]).toBe(added[E.decl]);
      for (const codename of E.codenames) {
        const companion = `private/repos/deb/${codename}_python_amd64_only`;
        expect(before[`${companion}.yaml`]).toBeUndefined();
        expect(text(after, `${companion}.yaml`)).toBe(
          text(added, `${companion}.yaml`)
            .replace(/packages:\n(?: {2}- .*\n)+/, `packages:\n  - ${LOSES} # dependency of ffmpeg\n`)
            .replaceAll(/\/\d{8}T\d{6}Z/g, `/${C}`),
        );
        expect(parseLock(text(after, `${companion}.lock.json`), companion).lock.packages.map((p) => [p.name, p.arch])).toEqual([[LOSES, "amd64"]]);
        const additions = text(after, E.additionsFile);
        const label = additions.indexOf(`"@${codename}_python_amd64_only//${LOSES}/amd64",`);
        expect(label).toBeGreaterThan(0);
        expect(additions.indexOf(E.condition(codename), label)).toBeGreaterThan(label);
      }
      expect(text(after, E.listFile)).not.toContain(E.element(LOSES));
      for (const f of [E.decl, E.additionsFile]) {
        const r = spawnSync(
          BUILDIFIER,
          ["--mode=check", `--type=${/BUILD$/.test(f) ? "build" : /MODULE\.bazel$/.test(f) ? "module" : "bzl"}`, join(root, f)],
          { encoding: "utf8" },
        );
        expect(r.status, f + r.stdout + r.stderr).toBe(0);
      }
      const labels = await labelsResolve(root, "python3");
      for (const codename of E.codenames)
        expect(labels.get(`${codename} amd64`)).toContainEqual({ repo: `${codename}_python_amd64_only`, name: LOSES });
      const check = await run(["check"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect((await run(["lock"])).code).toBe(0);
      expect(changedFiles(after, snapshotTree(root))).toEqual([]);
    }, 240_000);
  });

function parseManifestNames(text: string): string[] {
  return [...text.slice(text.indexOf("\npackages:")).matchAll(/^ {2}- (\S+)/gm)].map((m) => m[1]!);
}

/** A file of a snapshotTree, as text. */
function text(tree: Record<string, string>, rel: string): string {
  expect(tree[rel], `${rel} exists`).toBeDefined();
  return Buffer.from(tree[rel]!, "base64").toString("utf8");
}
