import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/app/check/check.js";
import { createIndexLoader } from "../../src/app/indexes/index-loader.js";
import { createArchiveServices } from "../../src/app/indexes/services.js";
import { planUpdate } from "../../src/app/update/update.js";
import { discoverRepos } from "../../src/app/workspace/workspace.js";
import { parseSnapshotTimestamp } from "../../src/core/snapshot/timestamp.js";
import { applyChangeSet } from "../../src/io/files.js";
import { nodeWorkspaceFiles } from "../../src/io/workspace-files.js";
import { type ArchiveServer, startArchiveServer } from "../support/archive-server.js";
import { readFixtureSuites } from "../support/fixture-archive.js";
import { type SnapshotService, startSnapshotService } from "../support/snapshot-listing.js";

// The distroless-2026 fixture (explicit-closure repos, config.bzl image lists) and its real indexes, served
// as two snapshots: in the newer one libpython3.11-stdlib also depends on libacl1.
const ROOT = join(import.meta.dirname, "../..");
const FIXTURE = join(ROOT, "test/fixtures/workspaces/distroless-2026");
const OLD = { debian: "20260818T205150Z", "debian-security": "20260818T224315Z" };
const NEW = { debian: "20260901T020304Z", "debian-security": "20260901T030405Z" };

/** In the newer snapshot libpython3.11-stdlib also depends on libacl1. */
function bump(stanza: string): string {
  return stanza.startsWith("Package: libpython3.11-stdlib\n") ? stanza.replace(/^Depends: (.*)$/m, "Depends: $1, libacl1 (>= 2.2.23)") : stanza;
}

let archive: ArchiveServer;
let service: SnapshotService;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "deb-lock-update-images-"));
  const [before, after] = [await readFixtureSuites(join(FIXTURE, "archive")), await readFixtureSuites(join(FIXTURE, "archive"), bump)];
  archive = await startArchiveServer({
    archives: {
      debian: { [OLD.debian]: before.debian!, [NEW.debian]: after.debian! },
      "debian-security": { [OLD["debian-security"]]: before["debian-security"]!, [NEW["debian-security"]]: after["debian-security"]! },
    },
  });
  writeFileSync(join(tmp, "key.asc"), archive.publicKeyArmored);
  service = await startSnapshotService(
    { debian: [OLD.debian, NEW.debian], "debian-security": [OLD["debian-security"], NEW["debian-security"]] },
    archive.url,
  );
});
afterAll(async () => {
  await service?.close();
  await archive?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.each([
  ["the whole workspace", false],
  ["only the manifest that changes", true],
])("update of %s in a distroless workspace (2026 layout)", (_, narrowed) => {
  it("adds a newly required dependency to the manifest, the lock and the image list that needs it", async () => {
    const ws = join(tmp, narrowed ? "narrowed" : "whole");
    cpSync(join(FIXTURE, "workspace"), ws, { recursive: true });
    const files = nodeWorkspaceFiles();
    const workspaceRepos = await discoverRepos(ws, files);
    const repos = narrowed ? workspaceRepos.filter((r) => r.name === "bookworm_python") : workspaceRepos;
    const services = createArchiveServices({
      mirrors: [{ from: "https://snapshot.debian.org", to: service.url }],
      cacheDir: join(tmp, "cache"),
      offline: false,
      keyrings: [join(tmp, "key.asc")],
      env: {},
      homeDir: tmp,
    });
    const configBefore = readFileSync(join(ws, "python3/config.bzl"), "utf8");
    try {
      const plan = await planUpdate(
        { root: ws, repos, workspaceRepos, snapshot: "latest", newDeps: true },
        { files, loader: createIndexLoader(services), http: services.http, now: parseSnapshotTimestamp("20260905T000000Z") },
      );
      expect(plan.problems).toEqual([]);
      expect(plan.report.added.map((a) => [a.repo, a.name, a.archs, a.requiredBy])).toEqual([
        ["bookworm_python", "libacl1", ["amd64", "arm64"], ["libpython3.11-stdlib"]],
      ]);
      // The changed package is in python3's debian12 list (and in no other image's): the report says which image it reaches.
      expect(plan.report.changes.map((c) => [c.repo, c.name, c.images])).toEqual([["bookworm_python", "libpython3.11-stdlib", ["python3"]]]);
      expect(configBefore).toContain('"libpython3.11-stdlib"');
      for (const other of ["base", "cc", "static"]) expect(readFileSync(join(ws, other, "config.bzl"), "utf8")).not.toContain("libpython3.11-stdlib");
      if (narrowed)
        expect(plan.changes.map((c) => relative(ws, c.path)).sort()).toEqual([
          "MODULE.bazel.lock",
          "private/repos/deb/bookworm_python.lock.json",
          "private/repos/deb/bookworm_python.yaml",
          "python3/config.bzl",
        ]);
      await applyChangeSet(plan.changes);
    } finally {
      await services.close();
    }
    const manifest = readFileSync(join(ws, "private/repos/deb/bookworm_python.yaml"), "utf8");
    expect(manifest).toContain("  - libacl1 # dependency of libpython3.11-stdlib\n");
    expect(readFileSync(join(ws, "private/repos/deb/trixie_python.yaml"), "utf8")).not.toContain("libacl1");
    // The debian12 list gains the package in its own style; the debian13 list is untouched.
    const config = readFileSync(join(ws, "python3/config.bzl"), "utf8");
    const added = config.split("\n").filter((l) => !configBefore.split("\n").includes(l));
    expect(added).toEqual(['        "libacl1",']);
    expect(config.indexOf('"libacl1"')).toBeLessThan(config.lastIndexOf('"debian13": ['));
    const buildifier = (path: string) => spawnSync(join(ROOT, "node_modules/.bin/buildifier"), ["--mode=check", path]).status;
    expect(buildifier(join(FIXTURE, "workspace/python3/config.bzl"))).toBe(0);
    expect(buildifier(join(ws, "python3/config.bzl"))).toBe(0);
    // Everything agrees afterwards: manifests, locks, image lists.
    const after = await runCheck({ root: ws, repos: workspaceRepos, discoverImages: true }, { files });
    expect(after.findings).toEqual([]);
    expect(after.stats.images).toBeGreaterThan(0);
  });
});
