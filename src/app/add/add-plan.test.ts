import { beforeAll, describe, expect, it } from "vitest";
import { type MemoryWorkspace, memoryIndexLoader, memoryWorkspace } from "../../../test/support/memory-workspace.js";
import { DebLockError } from "../../core/errors.js";
import { type LockPackage, parseLock } from "../../core/lock/index.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { loadManifestIndexes } from "../lock/lock.js";
import { readRepo } from "../workspace/repo-state.js";
import { discoverRepos, type RepoDecl } from "../workspace/workspace.js";
import { type AddRequest, loadImageAdd } from "./add.js";
import { type AddPlan, type ImageAddInput, planImageAddition, planManifestAddition } from "./add-plan.js";

// The add planner on its own: the input is loaded once from a fixture workspace and the fixture archive held in
// memory (trimmed real bookworm and trixie indexes), then planImageAddition / planManifestAddition run
// synchronously on it. What each arch has is checked against the indexes themselves, not against a recording.

let loader: IndexLoader;
beforeAll(async () => {
  loader = await memoryIndexLoader();
});

async function imageInput(ws: MemoryWorkspace, request: Omit<AddRequest, "root">): Promise<ImageAddInput> {
  const repos = await discoverRepos(ws.root, ws);
  return loadImageAdd({ root: ws.root, ...request }, request.image!, { files: ws, loader, repos });
}

/** Every name the input's indexes have on one Debian arch (the indexes of the image's repo). */
function namesOn(input: ImageAddInput, repo: string, arch: string): Set<string> {
  const loaded = input.indexes.get(repo);
  if (loaded === undefined || !loaded.ok) throw new Error(`no indexes for ${repo}`);
  const ix = loaded.value.find((a) => a.arch === arch)!;
  return new Set(ix.indexes.flatMap((e) => e.index.records.map((r) => r.name)));
}

function thrownBy(plan: () => unknown): DebLockError {
  try {
    plan();
  } catch (e) {
    if (e instanceof DebLockError) return e;
    throw e;
  }
  throw new Error("the planner did not refuse");
}

const lockOf = (plan: AddPlan, rel: string): readonly LockPackage[] => {
  const change = plan.changes.find((c) => c.path === `/ws/${rel}`);
  return change?.after == null ? [] : parseLock(change.after, rel).lock.packages;
};

describe("planImageAddition", () => {
  it("splits a package set some archs lack into an amd64-only companion repo, checked against the indexes", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await imageInput(ws, { packages: [{ name: "ffmpeg" }], image: "python3" });
    const plan = planImageAddition(input);
    expect(plan).not.toBeInstanceOf(Promise);
    expect(plan.targets).toHaveLength(1);
    const [target] = plan.targets;
    expect(target!.repo).toBe("bookworm_python");
    expect(target!.companions?.map((c) => [c.arch, c.repo, c.created])).toEqual([["amd64", "bookworm_python_amd64_only", true]]);
    const companion = target!.companions![0]!;
    expect(companion.packages).toEqual(expect.arrayContaining(["libmfx1", "libdrm-intel1", "libquadmath0"]));

    const amd64 = namesOn(input, "bookworm_python", "amd64");
    const arm64 = namesOn(input, "bookworm_python", "arm64");
    // The companion holds exactly the new packages arm64 has no version of; the image's repo the ones both have.
    for (const name of companion.packages) expect([name, amd64.has(name), arm64.has(name)]).toEqual([name, true, false]);
    const mainLock = lockOf(plan, "private/repos/deb/bookworm_python.lock.json");
    const before = new Set(parseLock(ws.text("private/repos/deb/bookworm_python.lock.json")!, "x").lock.packages.map((p) => p.key));
    const added = mainLock.filter((p) => !before.has(p.key));
    expect(added.some((p) => p.name === "ffmpeg" && p.arch === "arm64")).toBe(true);
    for (const p of added) expect([p.name, p.arch, amd64.has(p.name) && arm64.has(p.name)]).toEqual([p.name, p.arch, true]);
    const companionLock = lockOf(plan, "private/repos/deb/bookworm_python_amd64_only.lock.json");
    expect(new Set(companionLock.map((p) => p.arch))).toEqual(new Set(["amd64"]));
    expect(companionLock.map((p) => p.name).sort()).toEqual([...companion.packages].sort());
    // The image's list takes the new packages for every arch, and an amd64-only addition for the rest.
    const build = plan.changes.find((c) => c.path === "/ws/python3/BUILD")!.after!;
    expect(build).toContain('"@bookworm_python_amd64_only//libmfx1/amd64",');
    expect(build).toContain('] if arch == "amd64" else []),');
    // Pure: the same input plans the same bytes again.
    expect(planImageAddition(input)).toEqual(plan);
  }, 60_000);

  it("--arch amd64 puts the package and its new dependencies into the companion only; the image's repo is untouched", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await imageInput(ws, { packages: [{ name: "postgresql-client" }], image: "python3", archs: ["amd64"] });
    const plan = planImageAddition(input);
    expect(plan.changes.map((c) => c.path)).toEqual([
      "/ws/private/repos/deb/bookworm_python_amd64_only.lock.json",
      "/ws/private/repos/deb/bookworm_python_amd64_only.yaml",
      "/ws/private/repos/deb/repositories.bzl",
      "/ws/python3/BUILD",
    ]);
    expect(plan.targets[0]!.archs.map((a) => a.arch)).toEqual(["amd64"]);
    const companion = lockOf(plan, "private/repos/deb/bookworm_python_amd64_only.lock.json");
    expect(companion.map((p) => p.name)).toContain("postgresql-client");
    expect(companion.every((p) => p.arch === "amd64")).toBe(true);
    // Only the repo serving a kept arch had its indexes loaded.
    expect([...input.indexes.keys()]).toEqual(["bookworm_python"]);
  }, 60_000);

  it("refuses: ADD_COMPANION_EXISTS when the companion's files exist undeclared, USAGE for an arch the image lacks, ADD_UNRESOLVABLE", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await imageInput(ws, { packages: [{ name: "ffmpeg" }], image: "python3" });
    const existing = new Map(input.existing);
    existing.set("private/repos/deb/bookworm_python_amd64_only.yaml", { ok: true, value: true });
    const exists = thrownBy(() => planImageAddition({ ...input, existing }));
    expect(exists.code).toBe("ADD_COMPANION_EXISTS");
    expect(exists.message).toContain("private/repos/deb/bookworm_python_amd64_only.yaml exists");

    const s390x = await imageInput(ws, { packages: [{ name: "libmfx1" }], image: "python3", archs: ["s390x"] });
    const usage = thrownBy(() => planImageAddition(s390x));
    expect(usage.code).toBe("USAGE");
    expect(usage.hint).toContain("amd64, arm64");

    const typo = await imageInput(ws, { packages: [{ name: "ffmpg" }], image: "python3" });
    expect(thrownBy(() => planImageAddition(typo)).code).toBe("ADD_UNRESOLVABLE");
  }, 60_000);

  it("a failed read surfaces where the plan needs it: an index that did not load fails the add, not a plan that needs none", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await imageInput(ws, { packages: [{ name: "sensible-utils" }], image: "python3" });
    const lost = new Error("the index did not load");
    const indexes = new Map([...input.indexes].map(([k]) => [k, { ok: false as const, error: lost }]));
    expect(() => planImageAddition({ ...input, indexes })).toThrow(lost);
    // A package the image lists already needs no index: nothing to resolve, nothing loaded, nothing changed.
    const present = await imageInput(ws, { packages: [{ name: "libexpat1" }], image: "python3" });
    expect(present.indexes.size).toBe(0);
    const plan = planImageAddition(present);
    expect(plan.targets[0]!.alreadyPresent).toEqual(["libexpat1"]);
    expect(plan.changes).toEqual([]);
  }, 60_000);
});

describe("planImageAddition with one list shared by two distros (2024 layout)", () => {
  /** distroless-2024 with python3 built for debian12 and debian13 from its one list (as add-cli.test.ts sets up). */
  function twoDistros(): MemoryWorkspace {
    const ws = memoryWorkspace("distroless-2024");
    const trixie = memoryWorkspace("distroless-2026");
    const edit = (rel: string, from: string, to: string): void => {
      const text = ws.text(rel)!;
      expect(text).toContain(from);
      ws.texts.set(`/ws/${rel}`, text.replace(from, to));
    };
    edit("base/distro.bzl", 'DISTROS = ["debian12"]', 'DISTROS = ["debian12", "debian13"]');
    edit("python3/BUILD", '    "debian12",\n]', '    "debian12",\n    "debian13",\n]');
    const decl = (name: string) =>
      `    deb_index(\n        name = "${name}",\n        lock = "//private/repos/deb:${name}.lock.json",\n        manifest = "//private/repos/deb:${name}.yaml",\n        resolve_transitive = False,\n    )\n\n`;
    edit("private/repos/deb/repositories.bzl", "    # bookworm python only", `${decl("trixie")}${decl("trixie_python")}    # bookworm python only`);
    for (const f of ["trixie.yaml", "trixie.lock.json", "trixie_python.yaml", "trixie_python.lock.json"]) {
      ws.texts.set(`/ws/private/repos/deb/${f}`, trixie.text(`private/repos/deb/${f}`)!);
    }
    return ws;
  }

  it("refuses --distro for one of them, refuses a closure one distro lacks, adds a package both have to both repos and once to the list", async () => {
    const ws = twoDistros();
    const one = await imageInput(ws, { packages: [{ name: "postgresql-client" }], image: "python3", distro: "debian12" });
    const shared = thrownBy(() => planImageAddition(one));
    expect(shared.code).toBe("ADD_SHARED_LIST");
    expect(shared.message).toContain("python3/BUILD:44 lists the packages of debian12 and debian13 at once");
    expect(one.indexes.size).toBe(0); // refused before anything resolves: no index was loaded for it

    const both = await imageInput(ws, { packages: [{ name: "postgresql-client" }], image: "python3" });
    const lacking = thrownBy(() => planImageAddition(both));
    expect(lacking.code).toBe("ADD_DISTRO_MISSING");
    expect(lacking.message).toMatch(/libperl5\.40.* do not exist in the sources of private\/repos\/deb\/bookworm_python\.yaml \(debian12\)/);
    expect(namesOn(both, "bookworm_python", "amd64").has("libperl5.40")).toBe(false);
    expect(namesOn(both, "trixie_python", "amd64").has("libperl5.40")).toBe(true);

    const plan = planImageAddition(await imageInput(ws, { packages: [{ name: "sensible-utils" }], image: "python3" }));
    expect(plan.targets.map((t) => [t.distro, t.repo])).toEqual([
      ["debian12", "bookworm_python"],
      ["debian13", "trixie_python"],
    ]);
    const build = plan.changes.find((c) => c.path === "/ws/python3/BUILD")!.after!;
    expect(build.split('deb.package(arch, distro, "sensible-utils")')).toHaveLength(2);
    for (const repo of ["bookworm_python", "trixie_python"]) {
      const added = lockOf(plan, `private/repos/deb/${repo}.lock.json`).filter((p) => p.name === "sensible-utils");
      expect(added.map((p) => p.arch).sort()).toEqual(["amd64", "arm64"]);
    }
  }, 60_000);
});

describe("planManifestAddition", () => {
  async function manifestInput(ws: MemoryWorkspace, name: string, packages: string[]) {
    const repos: RepoDecl[] = await discoverRepos(ws.root, ws);
    const state = await readRepo(ws.root, repos.find((r) => r.name === name)!, ws);
    const indexes = await loadManifestIndexes(state.manifest, loader);
    return { root: ws.root, packages: packages.map((p) => ({ name: p })), state, indexes: { ok: true as const, value: indexes } };
  }

  it("refuses with ADD_ARCH_MISSING a package one of the manifest's archs lacks, and adds one every arch has", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await manifestInput(ws, "bookworm_python", ["libmfx1"]);
    const arm64 = new Set(input.indexes.value.find((a) => a.arch === "arm64")!.indexes.flatMap((e) => e.index.records.map((r) => r.name)));
    expect(arm64.has("libmfx1")).toBe(false);
    const refused = thrownBy(() => planManifestAddition(input));
    expect(refused.code).toBe("ADD_ARCH_MISSING");
    expect(refused.message).toContain("libmfx1: no arm64 package (requested)");

    const plan = planManifestAddition(await manifestInput(ws, "bookworm_python", ["sensible-utils"]));
    expect(plan.changes.map((c) => c.path)).toEqual([
      "/ws/private/repos/deb/bookworm_python.lock.json",
      "/ws/private/repos/deb/bookworm_python.yaml",
    ]);
    expect(
      lockOf(plan, "private/repos/deb/bookworm_python.lock.json")
        .filter((p) => p.name === "sensible-utils")
        .map((p) => p.arch),
    ).toEqual(["amd64", "arm64"]);
    expect(plan.changes[1]!.after).toContain("  - sensible-utils");
  }, 60_000);
});
