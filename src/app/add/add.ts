import { posix } from "node:path";
import { UsageError } from "../../core/errors.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { companionFiles, companionRepoName } from "../changes/companion.js";
import { type Loaded, LoadedRepos } from "../changes/loaded.js";
import { loadRepoIndexes, loadRepoStates, loadTexts, settle, withModuleLock } from "../changes/plan-load.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { loadManifestIndexes } from "../lock/lock.js";
import { discoverImage } from "../workspace/images.js";
import { RepoStates, readRepo } from "../workspace/repo-state.js";
import { findManifestRepo, requireImageOrManifest } from "../workspace/target-selection.js";
import type { RepoDecl } from "../workspace/workspace.js";
import {
  type AddPlan,
  distroRepoGroups,
  type ImageAddInput,
  imageAddIndexedRepos,
  manifestAddRoots,
  manifestArchRefusal,
  planImageAddition,
  planManifestAddition,
  type RequestedPackage,
  sharedListRefusal,
} from "./add-plan.js";

export type {
  AddArchReport,
  AddCompanionReport,
  AddedPackage,
  AddPlan,
  AddTargetReport,
  RequestedPackage,
  SkippedPackage,
} from "./add-plan.js";

export interface AddRequest {
  readonly root: string;
  readonly packages: readonly RequestedPackage[];
  /** The image's Bazel package directory (distroless layouts). */
  readonly image?: string;
  /** A manifest of a plain rules_distroless workspace (workspace-relative or absolute path), instead of an image. */
  readonly manifest?: string;
  /** `debian12` or `bookworm`; default every distro the image is built for. */
  readonly distro?: string;
  /**
   * Only these archs (Bazel or Debian names): the packages go into the arch-specific companion repo of each,
   * referenced only for it. Default every arch the image (or manifest) is built for.
   */
  readonly archs?: readonly string[];
}

export interface AddDeps {
  readonly files: WorkspaceFiles;
  readonly loader: IndexLoader;
  readonly repos: readonly RepoDecl[];
}

/**
 * Plans `deb-lock add`: resolves the new packages for every arch of the image (or manifest) with everything
 * already present treated as installed, and computes every file edit in memory. Nothing is written; the
 * caller applies `changes` in one transaction. Throws ProblemError when the packages cannot be added
 * cleanly (unresolvable, or missing on one of the image's archs). Loads what the plan can need, plans in
 * add-plan.ts (pure), then brings MODULE.bazel.lock in step.
 */
export async function planAdd(request: AddRequest, deps: AddDeps): Promise<AddPlan> {
  if (request.packages.length === 0) throw new UsageError("add needs at least one package", { hint: "deb-lock add PKG[=VERSION]... --image DIR" });
  requireImageOrManifest(request);
  const plan =
    request.manifest !== undefined
      ? await planManifestAdd(request, request.manifest, deps)
      : planImageAddition(await loadImageAdd(request, request.image!, deps));
  const { changes, notices } = await withModuleLock(request.root, deps.files, plan.changes);
  return { ...plan, changes, warnings: [...notices, ...plan.warnings] };
}

/** add --manifest: a plain rules_distroless repo; its manifest and lock take the new packages. */
async function planManifestAdd(request: AddRequest, manifest: string, deps: AddDeps): Promise<AddPlan> {
  const repo = findManifestRepo(request.root, manifest, deps.repos);
  const state = await readRepo(request.root, repo, deps.files);
  // Nothing to resolve (every package listed already, or --arch refused): no index is needed.
  const needsIndexes = manifestArchRefusal(state, request.archs) === undefined && manifestAddRoots(request.packages, state).roots.length > 0;
  const indexes = needsIndexes ? await settle(loadManifestIndexes(state.manifest, deps.loader)) : undefined;
  return planManifestAddition({
    root: request.root,
    packages: request.packages,
    ...(request.archs === undefined ? {} : { archs: request.archs }),
    state,
    ...(indexes === undefined ? {} : { indexes }),
    universes: deps.loader.universes,
  });
}

/**
 * add --image: discovers the image, then loads the repos its distros use (and the companion repos the add may
 * fill), the indexes of the repos that get new packages, the files the edits may touch and whether the files
 * of a new companion repo exist.
 */
export async function loadImageAdd(request: AddRequest, image: string, deps: AddDeps): Promise<ImageAddInput> {
  const info = await discoverImage(request.root, image, deps.files, deps.repos, request.distro === undefined ? {} : { distro: request.distro });
  const all = request.distro === undefined ? undefined : await discoverImage(request.root, image, deps.files, deps.repos);
  const mains = info.distros.flatMap((d) => [...distroRepoGroups(d, request.archs).groups.keys()].map((repo) => ({ distro: d, repo })));
  // The companion repos add may fill: one per repo serving the image and Debian arch.
  const companions = mains.flatMap(({ distro, repo }) =>
    distro.archs.map((a) => ({ main: repo, name: companionRepoName(repo, distro.debianArch[a]!) })),
  );
  const loaded = await loadRepoStates(new RepoStates(request.root, deps.repos, deps.files), [
    ...info.distros.flatMap((d) => [
      ...Object.values(d.ancestors)
        .flat()
        .map((a) => a.repo),
      ...d.companions.map((c) => c.repo),
    ]),
    ...mains.map((m) => m.repo),
    ...companions.map((c) => c.name),
  ]);
  const repos = new LoadedRepos(loaded);
  // A list several distros share refuses --distro before anything resolves: no index is needed then.
  const refused = all !== undefined && sharedListRefusal(info, all.distros) !== undefined;
  const indexes = refused ? new Map() : await loadRepoIndexes(loaded, imageAddIndexedRepos(info, request.packages, request.archs), deps.loader);
  const mainStates = [...new Set(mains.map((m) => m.repo))].flatMap((name) => (repos.states.has(name) ? [repos.states.get(name)!] : []));
  const texts = await loadTexts(request.root, deps.files, [
    ...info.distros.flatMap((d) => [
      d.list.file,
      ...d.companions.map((c) => c.list.file),
      ...(d.additionsAt === undefined ? [] : [d.additionsAt.file]),
    ]),
    ...mainStates.map((s) => s.repo.declaredIn.file),
  ]);
  // The files a new companion repo would create must not exist yet.
  const newFiles = companions.flatMap((c) => {
    const main = repos.states.get(c.main);
    return main === undefined || deps.repos.some((r) => r.name === c.name) ? [] : Object.values(companionFiles(main, c.name));
  });
  const existing = new Map<string, Loaded<boolean>>();
  for (const rel of new Set(newFiles)) existing.set(rel, await settle(deps.files.exists(posix.join(request.root, rel))));
  const moduleLockRecordsRepos =
    deps.repos.some((r) => r.via === "module") && (await deps.files.exists(posix.join(request.root, "MODULE.bazel.lock")));
  return {
    root: request.root,
    packages: request.packages,
    ...(request.archs === undefined ? {} : { archs: request.archs }),
    info,
    ...(all === undefined ? {} : { allDistros: all.distros }),
    repos,
    indexes,
    texts,
    existing,
    moduleLockRecordsRepos,
    universes: deps.loader.universes,
  };
}
