import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIndexLoader } from "../../src/app/indexes/index-loader.js";
import { type ArchiveServices, createArchiveServices } from "../../src/app/indexes/services.js";
import { planLock } from "../../src/app/lock/lock.js";
import { planUpdate } from "../../src/app/update/update.js";
import { discoverRepos } from "../../src/app/workspace/workspace.js";
import { formatReportJson } from "../../src/core/report/format-json.js";
import { formatPrBody } from "../../src/core/report/format-markdown.js";
import { parseSnapshotTimestamp } from "../../src/core/snapshot/timestamp.js";
import { parseManifest } from "../../src/edit/manifest.js";
import { applyChangeSet } from "../../src/io/files.js";
import { nodeWorkspaceFiles } from "../../src/io/workspace-files.js";
import { type ArchiveServer, type ArchiveServerSpec, startArchiveServer } from "../support/archive-server.js";
import { type SnapshotService, startSnapshotService } from "../support/snapshot-listing.js";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURE = join(ROOT, "test/fixtures/update");
const GOLDEN = join(ROOT, "test/golden/report/update-e2e");
const data = JSON.parse(readFileSync(join(FIXTURE, "archive.json"), "utf8")) as {
  now: string;
  runs: Record<string, string[]>;
  spec: ArchiveServerSpec;
};
const MANIFEST = "private/repos/deb/bookworm.yaml";
const LOCK = "private/repos/deb/bookworm.lock.json";

let archive: ArchiveServer;
let service: SnapshotService;
let tmp: string;

/** Services that fetch https://snapshot.debian.org from the fake service, trusting the test key. */
function services(cacheDir: string, extraMirrors: { from: string; to: string }[] = []): ArchiveServices {
  return createArchiveServices({
    mirrors: [{ from: "https://snapshot.debian.org", to: service.url }, ...extraMirrors],
    cacheDir,
    offline: false,
    keyrings: [join(tmp, "archive-key.asc")],
    env: {},
    homeDir: tmp,
  });
}

/** A fresh copy of the fixture workspace, locked at the old snapshots. */
async function lockedWorkspace(name: string): Promise<string> {
  const ws = join(tmp, name);
  cpSync(join(FIXTURE, "workspace"), ws, { recursive: true });
  const files = nodeWorkspaceFiles();
  const s = services(join(tmp, "cache"));
  try {
    const plan = await planLock(ws, await discoverRepos(ws, files), {
      files,
      loader: createIndexLoader(s),
      defaults: { dialect: "urls", keyStyle: "tilde-replaced" },
    });
    expect(plan.problems).toEqual([]);
    await applyChangeSet(plan.changes);
  } finally {
    await s.close();
  }
  return ws;
}

function snapshotOfFiles(ws: string): Record<string, string> {
  return Object.fromEntries([MANIFEST, LOCK, "MODULE.bazel"].map((p) => [p, readFileSync(join(ws, p), "utf8")]));
}

async function update(ws: string, options: { newDeps?: boolean; snapshot?: string; cacheDir?: string } = {}) {
  const files = nodeWorkspaceFiles();
  const s = services(options.cacheDir ?? join(tmp, "cache"));
  try {
    return await planUpdate(
      { root: ws, repos: await discoverRepos(ws, files), snapshot: options.snapshot ?? "latest", newDeps: options.newDeps ?? true },
      { files, loader: createIndexLoader(s), http: s.http, now: parseSnapshotTimestamp(data.now) },
    );
  } finally {
    await s.close();
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "deb-lock-update-"));
  archive = await startArchiveServer(data.spec);
  writeFileSync(join(tmp, "archive-key.asc"), archive.publicKeyArmored);
  service = await startSnapshotService(data.runs, archive.url);
});
afterAll(async () => {
  await service?.close();
  await archive?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("update, end to end against a fake snapshot service", () => {
  it("bumps both timelines, moves versions, adds the new dependency and flags the security update", async () => {
    const ws = await lockedWorkspace("e2e");
    const before = snapshotOfFiles(ws);
    const plan = await update(ws);
    expect(plan.problems).toEqual([]);
    expect(plan.warnings).toEqual([]);

    // Snapshots: debian and debian-security independently, today's run skipped.
    expect(plan.report.snapshots).toEqual([
      { host: "snapshot.debian.org", archive: "debian", from: "20260701T024210Z", to: "20260801T021544Z" },
      { host: "snapshot.debian.org", archive: "debian-security", from: "20260701T031207Z", to: "20260801T025533Z" },
    ]);
    // Planning wrote nothing.
    expect(snapshotOfFiles(ws)).toEqual(before);

    await applyChangeSet(plan.changes);
    const manifestText = readFileSync(join(ws, MANIFEST), "utf8");
    // Every comment and every untouched line survives; only the timestamps and the new dependency differ.
    const oldLines = before[MANIFEST]!.split("\n");
    const newLines = manifestText.split("\n");
    for (const line of oldLines.filter((l) => l.includes("#"))) expect(newLines).toContain(line);
    expect(newLines.filter((l) => !oldLines.includes(l))).toEqual([
      "    url: https://snapshot.debian.org/archive/debian/20260801T021544Z",
      "    url: https://snapshot.debian.org/archive/debian-security/20260801T025533Z",
      "  - libpsl5 # dependency of libcurl4",
    ]);
    expect(parseManifest(manifestText, MANIFEST).packages.map((p) => p.name)).toContain("libpsl5");

    const lock = JSON.parse(readFileSync(join(ws, LOCK), "utf8")) as { packages: { name: string; arch: string; version: string; urls: string[] }[] };
    const v = (name: string, arch = "amd64") => lock.packages.find((p) => p.name === name && p.arch === arch);
    expect(v("libc6")?.version).toBe("2.36-9+deb12u14");
    expect(v("curl", "arm64")?.version).toBe("7.88.1-10+deb12u15");
    expect(v("libpsl5", "arm64")?.version).toBe("0.21.2-1");
    expect(v("libssl3")?.version).toBe("3.0.22-1~deb12u2");
    expect(v("libssl3")?.urls[0]).toMatch(/^https:\/\/snapshot\.debian\.org\/archive\/debian-security\/20260801T025533Z\/pool\//);

    const security = plan.report.changes.filter((c) => c.security);
    expect(security.map((c) => [c.name, c.from, c.to, c.suite])).toEqual([["libssl3", "3.0.11-1~deb12u2", "3.0.22-1~deb12u2", "bookworm-security"]]);
    expect(plan.report.changes.find((c) => c.name === "libcurl4")?.addedDeps).toEqual(["libpsl5"]);
    expect(plan.report.added.map((a) => [a.name, a.archs, a.requiredBy])).toEqual([["libpsl5", ["amd64", "arm64"], ["libcurl4"]]]);

    const template = readFileSync(join(ROOT, "templates/pr-body.md"), "utf8");
    await expect(formatPrBody(plan.report, template)).toMatchFileSnapshot(join(GOLDEN, "output.md"));
    await expect(formatReportJson(plan.report)).toMatchFileSnapshot(join(GOLDEN, "output.json"));

    // A second update finds nothing to do.
    const again = await update(ws);
    expect(again.changes).toEqual([]);
    expect(again.report.changes).toEqual([]);
  });

  it("with --no-new-deps reports the new dependency as a problem and plans no writes", async () => {
    const ws = await lockedWorkspace("no-new-deps");
    const plan = await update(ws, { newDeps: false });
    expect(plan.problems.map((p) => p.code)).toEqual(["NEW_DEPENDENCY"]);
    expect(plan.problems[0]?.message).toContain("libcurl4 now depends on libpsl5");
    expect(plan.changes).toEqual([]);
  });

  it("moves snapshot.ubuntu.com URLs to the start of the current UTC day, independently of Debian's", async () => {
    const ws = join(tmp, "ubuntu");
    cpSync(join(FIXTURE, "workspace"), ws, { recursive: true });
    writeFileSync(
      join(ws, "private/repos/deb/noble.yaml"),
      "version: 1\nsources:\n  - channel: noble main\n    url: https://snapshot.ubuntu.com/ubuntu/20260701T000000Z # any instant works\narchs: [amd64]\npackages:\n  - libc6\n",
    );
    writeFileSync(
      join(ws, "MODULE.bazel"),
      `${readFileSync(join(ws, "MODULE.bazel"), "utf8")}apt.install(\n    name = "noble",\n    manifest = "//private/repos/deb:noble.yaml",\n)\n`,
    );
    const files = nodeWorkspaceFiles();
    const s = services(join(tmp, "cache"), [{ from: "https://snapshot.ubuntu.com", to: `${archive.url}/archive` }]);
    try {
      const repos = await discoverRepos(ws, files);
      expect(repos.map((r) => [r.name, r.resolveTransitive])).toEqual([
        ["bookworm", false],
        ["noble", true],
      ]);
      await applyChangeSet((await planLock(ws, repos, { files, loader: createIndexLoader(s) })).changes);
      const plan = await planUpdate(
        { root: ws, repos, snapshot: "latest", newDeps: true },
        { files, loader: createIndexLoader(s), http: s.http, now: parseSnapshotTimestamp(data.now) },
      );
      expect(plan.problems).toEqual([]);
      expect(plan.report.snapshots.map((x) => [x.host, x.archive, x.to])).toEqual([
        ["snapshot.debian.org", "debian", "20260801T021544Z"],
        ["snapshot.debian.org", "debian-security", "20260801T025533Z"],
        ["snapshot.ubuntu.com", "ubuntu", "20260802T000000Z"],
      ]);
      const noble = plan.report.changes.filter((c) => c.repo === "noble").map((c) => [c.name, c.from, c.to]);
      expect(noble).toEqual([["libc6", "2.39-0ubuntu8.3", "2.39-0ubuntu8.4"]]);
      const manifest = plan.changes.find((c) => c.path.endsWith("noble.yaml"))?.after;
      expect(manifest).toContain("    url: https://snapshot.ubuntu.com/ubuntu/20260802T000000Z # any instant works\n");
      // The transitive lock records libc6's dependencies.
      const lock = plan.changes.find((c) => c.path.endsWith("noble.lock.json"))?.after ?? "";
      expect(
        (JSON.parse(lock) as { packages: { name: string; dependencies: { name: string }[] }[] }).packages
          .find((p) => p.name === "libc6")
          ?.dependencies.map((d) => d.name),
      ).toEqual(["libgcc-s1", "gcc-14-base"]);
    } finally {
      await s.close();
    }
  });

  it("warns, and adds nothing, when the old snapshot cannot be read to tell what is new", async () => {
    const ws = await lockedWorkspace("old-gone");
    archive.faults = [{ path: /^\/archive\/debian\/20260701T024210Z\/dists\//, notFound: true }];
    try {
      const plan = await update(ws, { cacheDir: join(tmp, "cold-cache") }); // nothing of the old snapshot cached
      expect(plan.problems).toEqual([]);
      expect(plan.warnings).toEqual([
        "private/repos/deb/bookworm.yaml (amd64): newly required dependencies not determined: the indexes of the old snapshot could not be read",
        "private/repos/deb/bookworm.yaml (arm64): newly required dependencies not determined: the indexes of the old snapshot could not be read",
      ]);
      expect(plan.changes.find((c) => c.path.endsWith("bookworm.yaml"))?.after).not.toContain("libpsl5");
    } finally {
      archive.faults = [];
    }
  });

  it("prunes a marked dependency no longer needed, keeping the other lines", async () => {
    const ws = await lockedWorkspace("prune");
    const path = join(ws, MANIFEST);
    const original = readFileSync(path, "utf8");
    writeFileSync(path, original.replace("  - curl\n", "  - curl\n  - libpsl5 # dependency of libcurl4\n"));
    const plan = await update(ws, { snapshot: "20260701T120000Z" }); // the snapshots it is locked at
    expect(plan.problems).toEqual([]);
    expect(plan.report.snapshots.every((s) => s.from === s.to)).toBe(true);
    const manifest = plan.changes.find((c) => c.path.endsWith("bookworm.yaml"));
    expect(manifest?.after).toBe(original);
  });

  it("moves every URL to the last run at or before an explicit instant", async () => {
    const ws = await lockedWorkspace("explicit");
    const plan = await update(ws, { snapshot: "20260801T023000Z" });
    expect(plan.problems).toEqual([]);
    // debian's run of 02:15 qualifies; debian-security's run of 02:55 is after the instant.
    expect(plan.report.snapshots.map((s) => [s.archive, s.from, s.to])).toEqual([
      ["debian", "20260701T024210Z", "20260801T021544Z"],
      ["debian-security", "20260701T031207Z", "20260701T031207Z"],
    ]);
    expect(plan.report.changes.some((c) => c.security)).toBe(false);
    await expect(update(ws, { snapshot: "2026-07-01" })).rejects.toMatchObject({ code: "USAGE" });
  });
});
