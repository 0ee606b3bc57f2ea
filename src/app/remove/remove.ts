import { posix } from "node:path";
import { DebLockError, UsageError } from "../../core/errors.js";
import { markerOf } from "../../edit/manifest.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { LoadedRepos } from "../changes/loaded.js";
import { loadRepoIndexes, loadRepoStates, loadTexts, settle, withModuleLock } from "../changes/plan-load.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { loadManifestIndexes } from "../lock/lock.js";
import { discoverImage, type ImageInfo } from "../workspace/images.js";
import { RepoStates, readRepo } from "../workspace/repo-state.js";
import { findManifestRepo, requireImageOrManifest } from "../workspace/target-selection.js";
import type { RepoDecl } from "../workspace/workspace.js";
import { type ImageRemoveInput, type OtherImageDistro, planImageRemoval, planManifestRemoval, type RemovePlan } from "./remove-plan.js";

export type { RemovePlan, RemoveTargetReport } from "./remove-plan.js";

export interface RemoveRequest {
  readonly root: string;
  readonly packages: readonly string[];
  readonly image?: string;
  readonly manifest?: string;
  readonly distro?: string;
  /** Only these archs (Bazel or Debian names): the packages must be listed for those archs only (companion repos). */
  readonly archs?: readonly string[];
}

export interface RemoveDeps {
  readonly files: WorkspaceFiles;
  readonly loader: IndexLoader;
  readonly repos: readonly RepoDecl[];
}

/** Bazel packages of the workspace (directories with a BUILD or BUILD.bazel file), skipping bazel-* output trees. */
async function bazelPackages(root: string, files: WorkspaceFiles, dir = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await files.listDir(posix.join(root, dir));
  if (entries.includes("BUILD") || entries.includes("BUILD.bazel")) out.push(dir);
  for (const entry of entries) {
    if (
      entry.startsWith(".") ||
      entry.startsWith("bazel-") ||
      entry === "node_modules" ||
      /^(BUILD|BUILD\.bazel|WORKSPACE|MODULE\.bazel)$/.test(entry) ||
      /\.[A-Za-z0-9]+$/.test(entry)
    )
      continue;
    out.push(...(await bazelPackages(root, files, dir === "" ? entry : `${dir}/${entry}`)));
  }
  return out;
}

/** Every image distro of the workspace, with the repos it takes packages from and the packages it lists. */
async function workspaceImageDistros(root: string, files: WorkspaceFiles, repos: readonly RepoDecl[]): Promise<OtherImageDistro[]> {
  const out: OtherImageDistro[] = [];
  for (const pkg of await bazelPackages(root, files)) {
    let info: ImageInfo;
    try {
      info = await discoverImage(root, pkg, files, repos);
    } catch (error) {
      if (!(error instanceof DebLockError)) throw error;
      continue; // not an image deb-lock understands: it lists no packages we could see
    }
    for (const d of info.distros) {
      const names = [...new Set(Object.values(d.repoByArch).map((r) => r.name))];
      out.push({
        image: info.image,
        distro: d.distro,
        repos: names,
        packages: d.packages.map((p) => ({ name: p.name, file: p.file, line: p.line })),
      });
    }
  }
  return out;
}

/**
 * Plans `deb-lock remove`: takes packages out of an image's list (or a manifest), refuses when a package that
 * stays still needs one of them (naming the path), and prunes marked dependencies (`# dependency of ...`)
 * nothing needs any more. A package another Starlark file still names keeps its manifest and lock entries.
 * Loads what the plan can need, plans in remove-plan.ts (pure), then brings MODULE.bazel.lock in step.
 */
export async function planRemove(request: RemoveRequest, deps: RemoveDeps): Promise<RemovePlan> {
  if (request.packages.length === 0) throw new UsageError("remove needs at least one package", { hint: "deb-lock remove PKG... --image DIR" });
  requireImageOrManifest(request);
  if (request.manifest !== undefined && request.archs !== undefined) {
    throw new UsageError("--arch works with --image only: a manifest lists one set of packages for all its archs", { hint: "leave --arch out" });
  }
  const plan =
    request.manifest !== undefined
      ? await planManifestRemove(request, request.manifest, deps)
      : planImageRemoval(await loadImageRemove(request, request.image!, deps));
  const { changes, notices } = await withModuleLock(request.root, deps.files, plan.changes);
  return { ...plan, changes, warnings: [...notices, ...plan.warnings] };
}

/** remove --manifest: a plain rules_distroless repo. */
async function planManifestRemove(request: RemoveRequest, manifest: string, deps: RemoveDeps): Promise<RemovePlan> {
  const repo = findManifestRepo(request.root, manifest, deps.repos);
  const state = await readRepo(request.root, repo, deps.files);
  // A transitive repo's lock records what each package needs: no index is needed to remove from it.
  const indexes = repo.resolveTransitive ? undefined : await settle(loadManifestIndexes(state.manifest, deps.loader));
  return planManifestRemoval({ root: request.root, packages: request.packages, state, ...(indexes === undefined ? {} : { indexes }) });
}

/** remove --image: discovers the image, then loads its repos, their indexes, the files the edits may touch and the workspace's other images. */
export async function loadImageRemove(request: RemoveRequest, image: string, deps: RemoveDeps): Promise<ImageRemoveInput> {
  const info = await discoverImage(request.root, image, deps.files, deps.repos, request.distro === undefined ? {} : { distro: request.distro });
  const names = info.distros.flatMap((d) => [
    ...Object.values(d.ancestors)
      .flat()
      .map((a) => a.repo),
    ...d.companions.map((c) => c.repo),
    d.repo.name,
  ]);
  const loaded = await loadRepoStates(new RepoStates(request.root, deps.repos, deps.files), names);
  const repos = new LoadedRepos(loaded);
  const indexes = await loadRepoIndexes(
    loaded,
    info.distros.map((d) => d.repo.name),
    deps.loader,
  );
  const companionStates = info.distros.flatMap((d) => d.companions.flatMap((c) => (repos.states.get(c.repo) ? [repos.states.get(c.repo)!] : [])));
  const texts = await loadTexts(request.root, deps.files, [
    ...info.distros.flatMap((d) => [...d.lists.map((l) => l.file), ...d.companions.map((c) => c.list.file)]),
    ...companionStates.map((s) => s.repo.declaredIn.file),
  ]);
  // Other images keep what they list in the repos they share; only a remove that may drop something asks.
  const wanted = new Set(request.packages);
  const mayDrop = info.distros.some(
    (d) =>
      d.packages.some((p) => wanted.has(p.name)) ||
      d.companions.some((c) => c.packages.some((p) => wanted.has(p.name))) ||
      [d.repo.name, ...d.companions.map((c) => c.repo)].some((r) => repos.states.get(r)?.manifest.packages.some((p) => markerOf(p) !== undefined)),
  );
  const imageDistros = mayDrop ? await workspaceImageDistros(request.root, deps.files, deps.repos) : undefined;
  return {
    root: request.root,
    packages: request.packages,
    ...(request.archs === undefined ? {} : { archs: request.archs }),
    info,
    repos,
    indexes,
    texts,
    ...(imageDistros === undefined ? {} : { imageDistros }),
  };
}
