import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AddPlan, planAdd, type RequestedPackage } from "../../src/app/add/add.js";
import { createIndexLoader, type IndexLoader } from "../../src/app/indexes/index-loader.js";
import { type ArchiveServices, createArchiveServices } from "../../src/app/indexes/services.js";
import { planRemove } from "../../src/app/remove/remove.js";
import { discoverRepos } from "../../src/app/workspace/workspace.js";
import { parseLock } from "../../src/core/lock/index.js";
import { applyChangeSet } from "../../src/io/files.js";
import { parseMirrorRules } from "../../src/io/mirrors.js";
import { nodeWorkspaceFiles } from "../../src/io/workspace-files.js";
import { type ArchiveServer, type SuiteSpec, startArchiveServer } from "../support/archive-server.js";
import { readFixtureSuites } from "../support/fixture-archive.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// The fixture workspaces in both distroless layouts, served real (trimmed) bookworm/trixie indexes by the fake
// archive under the snapshot timestamps their manifests name.
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "workspaces");
const ARCHIVE = join(FIXTURES, "distroless-2026", "archive");
const SNAPSHOT = "https://snapshot.debian.org/archive";
const TIMESTAMPS = ["20240706T203757Z", "20260818T205150Z", "20260818T224315Z"];

let server: ArchiveServer;
let services: ArchiveServices;
let loader: IndexLoader;
const dirs: string[] = [];

beforeAll(async () => {
  const suites = await readFixtureSuites(ARCHIVE);
  const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
  for (const [archive, bySuite] of Object.entries(suites)) archives[archive] = Object.fromEntries(TIMESTAMPS.map((ts) => [ts, bySuite]));
  server = await startArchiveServer({ archives });
  const cache = mkdtempSync(join(tmpdir(), "deb-lock-add-cache-"));
  dirs.push(cache);
  const keyring = join(cache, "archive.asc");
  writeFileSync(keyring, server.publicKeyArmored);
  services = createArchiveServices({
    mirrors: parseMirrorRules([`${SNAPSHOT}=${server.url}/archive`], undefined),
    cacheDir: cache,
    offline: false,
    keyrings: [keyring],
    env: {},
    homeDir: cache,
  });
  loader = createIndexLoader(services);
});

afterAll(async () => {
  await services.close();
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function copyWorkspace(layout: string): string {
  const root = mkdtempSync(join(tmpdir(), `deb-lock-${layout}-`));
  dirs.push(root);
  cpSync(join(FIXTURES, layout, "workspace"), root, { recursive: true });
  return root;
}

async function add(
  root: string,
  packages: readonly (string | RequestedPackage)[],
  where: { image?: string; manifest?: string; distro?: string },
): Promise<AddPlan> {
  const files = nodeWorkspaceFiles();
  const repos = await discoverRepos(root, files);
  return planAdd({ root, packages: packages.map((p) => (typeof p === "string" ? { name: p } : p)), ...where }, { files, loader, repos });
}

const text = (root: string, rel: string) => readFileSync(join(root, rel), "utf8");

describe("add postgresql-client --image python3 --distro debian12", () => {
  for (const layout of ["distroless-2024", "distroless-2026"]) {
    it(`${layout}: adds the package and the dependencies no ancestor provides to manifest, lock and image list`, async () => {
      const root = copyWorkspace(layout);
      const before = snapshotTree(root);
      const plan = await add(root, ["postgresql-client"], { image: "python3", distro: "debian12" });
      expect(snapshotTree(root)).toEqual(before);
      expect(plan.targets.map((t) => [t.distro, t.repo])).toEqual([["debian12", "bookworm_python"]]);
      const amd64 = plan.targets[0]!.archs.find((a) => a.arch === "amd64")!;
      const added = amd64.added.map((a) => a.name);
      expect(added[0]).toBe("postgresql-client");
      expect(added).toContain("libpq5");
      // provided by the image itself or its ancestors: never added again
      for (const present of ["libc6", "libssl3", "zlib1g", "libreadline8", "libgcc-s1", "netbase"]) expect(added).not.toContain(present);
      expect(amd64.skipped.map((s) => `${s.name}@${s.providedBy}`)).toEqual(
        expect.arrayContaining(["libc6@base", "libssl3@base", "libreadline8@python3"]),
      );
      expect(amd64.installedSize).toBe(amd64.added.reduce((n, a) => n + a.installedSize, 0));
      expect(amd64.installedSize).toBeGreaterThan(1000);
      const libpq = amd64.added.find((a) => a.name === "libpq5")!;
      expect(libpq.chain[0]).toBe("postgresql-client");
      expect(libpq.chain[libpq.chain.length - 1]).toBe("libpq5");

      await applyChangeSet(plan.changes);
      const changed = plan.changes.map((c) => c.path.slice(root.length + 1)).sort();
      expect(changed).toEqual(
        layout === "distroless-2024"
          ? ["private/repos/deb/bookworm_python.lock.json", "private/repos/deb/bookworm_python.yaml", "python3/BUILD"]
          : ["MODULE.bazel.lock", "private/repos/deb/bookworm_python.lock.json", "private/repos/deb/bookworm_python.yaml", "python3/config.bzl"],
      );
      const manifest = text(root, "private/repos/deb/bookworm_python.yaml");
      expect(manifest).toContain("\n  - postgresql-client\n");
      expect(manifest).toContain("\n  - libpq5 # dependency of postgresql-client\n");
      const lock = parseLock(text(root, "private/repos/deb/bookworm_python.lock.json"), "lock");
      const oldLock = parseLock(Buffer.from(before["private/repos/deb/bookworm_python.lock.json"]!, "base64").toString(), "lock");
      // existing entries byte-identical, new ones for both archs
      for (const p of oldLock.lock.packages) expect(lock.lock.packages).toContainEqual(p);
      expect(lock.lock.packages.filter((p) => p.name === "postgresql-client").map((p) => p.arch)).toEqual(["amd64", "arm64"]);
    });
  }
});

describe("add then remove", () => {
  for (const layout of ["distroless-2024", "distroless-2026"]) {
    it(`${layout}: remove gives back the original bytes of every file; a second add changes nothing`, async () => {
      const root = copyWorkspace(layout);
      const before = snapshotTree(root);
      const first = await add(root, ["postgresql-client"], { image: "python3", distro: "debian12" });
      await applyChangeSet(first.changes);
      const again = await add(root, ["postgresql-client"], { image: "python3", distro: "debian12" });
      expect(again.changes).toEqual([]);
      expect(again.targets[0]!.alreadyPresent).toEqual(["postgresql-client"]);
      const files = nodeWorkspaceFiles();
      const removal = await planRemove(
        { root, packages: ["postgresql-client"], image: "python3", distro: "debian12" },
        { files, loader, repos: await discoverRepos(root, files) },
      );
      expect(removal.targets[0]!.removed).toEqual(["postgresql-client"]);
      expect(removal.targets[0]!.pruned).toContain("libpq5");
      await applyChangeSet(removal.changes);
      expect(snapshotTree(root)).toEqual(before);
    });
  }

  it("refuses to remove a package another package of the image still needs, naming the path", async () => {
    const root = copyWorkspace("distroless-2026");
    const before = snapshotTree(root);
    const files = nodeWorkspaceFiles();
    const repos = await discoverRepos(root, files);
    const failure = planRemove({ root, packages: ["libexpat1"], image: "python3", distro: "debian12" }, { files, loader, repos });
    await expect(failure).rejects.toMatchObject({ code: "REMOVE_STILL_NEEDED" });
    await expect(failure).rejects.toThrow(/libexpat1 is still needed on amd64: python3\.11-minimal → libexpat1/);
    expect(snapshotTree(root)).toEqual(before);
  });
});
