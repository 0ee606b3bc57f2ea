import { beforeAll, describe, expect, it } from "vitest";
import { type MemoryWorkspace, memoryIndexLoader, memoryWorkspace } from "../../../test/support/memory-workspace.js";
import { DebLockError } from "../../core/errors.js";
import { loadImageAdd } from "../add/add.js";
import { planImageAddition, planManifestAddition } from "../add/add-plan.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { loadManifestIndexes } from "../lock/lock.js";
import { readRepo } from "../workspace/repo-state.js";
import { discoverRepos } from "../workspace/workspace.js";
import { loadImageRemove, type RemoveRequest } from "./remove.js";
import { type ImageRemoveInput, planImageRemoval, planManifestRemoval } from "./remove-plan.js";

// The remove planner on its own, on inputs loaded from a fixture workspace and the fixture archive held in
// memory. The oracle for what remove does is add: removing what add added gives back every byte it changed.

let loader: IndexLoader;
beforeAll(async () => {
  loader = await memoryIndexLoader();
});

async function removeInput(ws: MemoryWorkspace, request: Omit<RemoveRequest, "root">): Promise<ImageRemoveInput> {
  const repos = await discoverRepos(ws.root, ws);
  return loadImageRemove({ root: ws.root, ...request }, request.image!, { files: ws, loader, repos });
}

async function add(ws: MemoryWorkspace, packages: string[], archs?: string[]): Promise<void> {
  const repos = await discoverRepos(ws.root, ws);
  const request = { root: ws.root, packages: packages.map((name) => ({ name })), image: "python3", ...(archs === undefined ? {} : { archs }) };
  ws.apply(planImageAddition(await loadImageAdd(request, "python3", { files: ws, loader, repos })).changes);
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

describe("planImageRemoval", () => {
  it("undoes add ffmpeg, companion repo and its declaration included, byte for byte", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const start = ws.snapshot();
    await add(ws, ["ffmpeg"]);
    expect(ws.text("private/repos/deb/bookworm_python_amd64_only.yaml")).toBeDefined();
    const input = await removeInput(ws, { packages: ["ffmpeg"], image: "python3" });
    const plan = planImageRemoval(input);
    expect(plan).not.toBeInstanceOf(Promise);
    expect(plan.targets[0]!.removed).toEqual(["ffmpeg"]);
    expect(plan.targets[0]!.pruned).toEqual(expect.arrayContaining(["libmfx1", "libavcodec59"]));
    expect(plan.changes.filter((c) => c.after === null).map((c) => c.path)).toEqual([
      "/ws/private/repos/deb/bookworm_python_amd64_only.lock.json",
      "/ws/private/repos/deb/bookworm_python_amd64_only.yaml",
    ]);
    ws.apply(plan.changes);
    expect(ws.snapshot()).toEqual(start);
  }, 60_000);

  it("undoes add --arch amd64 with remove --arch amd64, and refuses --arch for a package every arch lists", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const start = ws.snapshot();
    await add(ws, ["postgresql-client"], ["amd64"]);
    const everywhere = await removeInput(ws, { packages: ["libexpat1"], image: "python3", archs: ["amd64"] });
    const refused = thrownBy(() => planImageRemoval(everywhere));
    expect(refused.code).toBe("REMOVE_ARCH_SHARED");
    expect(refused.message).toContain("lists libexpat1 for every arch");
    ws.apply(planImageRemoval(await removeInput(ws, { packages: ["postgresql-client"], image: "python3", archs: ["amd64"] })).changes);
    expect(ws.snapshot()).toEqual(start);
  }, 60_000);

  it("refuses to remove a package a staying one needs, naming a path the index confirms", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await removeInput(ws, { packages: ["libexpat1"], image: "python3" });
    const refused = thrownBy(() => planImageRemoval(input));
    expect(refused.code).toBe("REMOVE_STILL_NEEDED");
    const path = /still needed on (\w+): (.*)$/m.exec(refused.message);
    expect(path).not.toBeNull();
    const names = path![2]!.split(" → ");
    expect(names.at(-1)).toBe("libexpat1");
    // The last link is a real dependency in the archive: the package before libexpat1 depends on it.
    const indexes = input.indexes.get("bookworm_python")!;
    if (!indexes.ok) throw new Error("indexes did not load");
    const records = indexes.value.find((a) => a.arch === path![1])!.indexes.flatMap((e) => e.index.records);
    const needer = records.find((r) => r.name === names.at(-2));
    expect(needer?.depends ?? "").toMatch(/(^|[ ,|])libexpat1( |,|$)/);
  }, 60_000);

  it("a name the image does not list changes nothing and reads no other image", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const input = await removeInput(ws, { packages: ["ffmpg"], image: "python3" });
    expect(input.imageDistros).toBeUndefined();
    const plan = planImageRemoval(input);
    expect(plan.targets[0]!.notListed).toEqual(["ffmpg"]);
    expect(plan.changes).toEqual([]);
  }, 60_000);
});

describe("planManifestRemoval", () => {
  async function state(ws: MemoryWorkspace, name: string) {
    const repos = await discoverRepos(ws.root, ws);
    const st = await readRepo(ws.root, repos.find((r) => r.name === name)!, ws);
    return { st, indexes: { ok: true as const, value: await loadManifestIndexes(st.manifest, loader) } };
  }

  it("undoes add --manifest of a package with dependencies, pruning the marked ones, byte for byte", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const start = ws.snapshot();
    const before = await state(ws, "bookworm");
    const added = planManifestAddition({ root: ws.root, packages: [{ name: "postgresql-client" }], state: before.st, indexes: before.indexes });
    ws.apply(added.changes);
    expect(ws.text("private/repos/deb/bookworm.yaml")).toContain("# dependency of postgresql-client");
    const after = await state(ws, "bookworm");
    const plan = planManifestRemoval({ root: ws.root, packages: ["postgresql-client"], state: after.st, indexes: after.indexes });
    expect(plan.targets[0]!.removed).toEqual(["postgresql-client"]);
    expect(plan.targets[0]!.pruned.length).toBeGreaterThan(0);
    ws.apply(plan.changes);
    expect(ws.snapshot()).toEqual(start);
  }, 60_000);

  it("add --manifest refuses an --arch that leaves out one of the manifest's archs", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const { st, indexes } = await state(ws, "bookworm_python");
    const refused = thrownBy(() =>
      planManifestAddition({ root: ws.root, packages: [{ name: "sensible-utils" }], archs: ["amd64"], state: st, indexes }),
    );
    expect(refused.code).toBe("USAGE");
    expect(refused.message).toContain("--arch amd64 cannot add to some of them only");
  }, 60_000);

  it("keeps a dependency the add brought that a staying package needs, its marker naming that package", async () => {
    const ws = memoryWorkspace("distroless-2024");
    const before = await state(ws, "bookworm_python");
    ws.apply(planManifestAddition({ root: ws.root, packages: [{ name: "postgresql-client" }], state: before.st, indexes: before.indexes }).changes);
    const after = await state(ws, "bookworm_python");
    const plan = planManifestRemoval({ root: ws.root, packages: ["postgresql-client"], state: after.st, indexes: after.indexes });
    ws.apply(plan.changes);
    // The manifest of python packages leaves libc6 to another repo; the add brought it as postgresql-client's
    // dependency, and the python packages that stay need it: it stays, marked for one of them.
    expect(plan.targets[0]!.pruned).toContain("libpq5");
    expect(plan.targets[0]!.pruned).not.toContain("libc6");
    const marker = /^ {2}- libc6 # dependency of (\S+)$/m.exec(ws.text("private/repos/deb/bookworm_python.yaml")!);
    expect(marker).not.toBeNull();
    const parent = marker![1]!;
    expect(before.st.manifest.packages.map((p) => p.name)).toContain(parent);
    const amd64 = after.indexes.value.find((a) => a.arch === "amd64")!.indexes.flatMap((e) => e.index.records);
    expect(amd64.find((r) => r.name === parent)?.depends ?? "").toMatch(/(^|[ ,|])libc6( |,|$)/);
    const lock = ws.text("private/repos/deb/bookworm_python.lock.json")!;
    expect(lock).toContain('"name": "libc6"');
    expect(lock).not.toContain('"name": "libpq5"');
  }, 60_000);
});
