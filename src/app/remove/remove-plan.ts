import type { Relation, RelationField } from "../../core/debian/relation.js";
import { parseVersion, type Version } from "../../core/debian/version.js";
import { InternalError, ProblemError } from "../../core/errors.js";
import { formatLock } from "../../core/lock/index.js";
import { formatMarker, markerOf, removeManifestPackages, setManifestPackageComments } from "../../edit/manifest.js";
import { ChangeSet, type FileChange } from "../changes/change-set.js";
import { parseCompanionRepoName } from "../changes/companion.js";
import { removeCompanionBlock, removeImageListPackages } from "../changes/image-list-edit.js";
import { type Loaded, type LoadedRepos, loadedEntry, loadedValue } from "../changes/loaded.js";
import { undeclareRepo } from "../changes/repo-declaration.js";
import { pinnedUniverseFor, pinsFor, recordOf } from "../indexes/pinned-universe.js";
import { providesMeets, versionMeets } from "../indexes/relation-match.js";
import { type ArchIndexes, UniverseCache } from "../indexes/resolve-repo.js";
import type { CompanionList, ImageDistro, ImageInfo } from "../workspace/images.js";
import { presentFor } from "../workspace/present-packages.js";
import { currentState, lockedVersions, type RepoState } from "../workspace/repo-state.js";

/**
 * The planner of `deb-lock remove`: pure and synchronous. It takes what remove.ts loaded (repo states, archive
 * indexes, the texts of the files it may edit, the other images of the workspace) and returns the edits and
 * reports; MODULE.bazel.lock is brought in step afterwards by the caller.
 */

export interface RemoveTargetReport {
  readonly distro?: string;
  readonly repo: string;
  readonly manifestFile: string;
  readonly lockFile: string;
  /** Requested packages removed from the image list (or manifest). */
  readonly removed: readonly string[];
  /** Marked dependencies nothing needs any more, removed with them. */
  readonly pruned: readonly string[];
  /** Requested packages the image (or manifest) does not list. */
  readonly notListed: readonly string[];
  /** Removed from the image but kept in the repo's manifest and lock because another file still names them. */
  readonly keptInRepo: readonly { readonly name: string; readonly file: string; readonly line: number }[];
}

export interface RemovePlan {
  readonly image?: string;
  readonly targets: readonly RemoveTargetReport[];
  readonly changes: readonly FileChange[];
  /** MODULE.bazel.lock entries that could not follow the change safely, with the command to run. */
  readonly warnings: readonly string[];
}

/** What remove --manifest plans from. */
export interface ManifestRemoveInput {
  readonly root: string;
  readonly packages: readonly string[];
  readonly state: RepoState;
  /** The archive indexes of the repo's manifest (absent for a transitive repo, which needs none). */
  readonly indexes?: Loaded<ArchIndexes[]>;
}

/** One distro of another image of the workspace (or another distro of this one): which repos it takes packages from. */
export interface OtherImageDistro {
  readonly image: string;
  readonly distro: string;
  readonly repos: readonly string[];
  readonly packages: readonly { readonly name: string; readonly file: string; readonly line: number }[];
}

/** What remove --image plans from. */
export interface ImageRemoveInput {
  readonly root: string;
  readonly packages: readonly string[];
  /** Only these archs (Bazel or Debian names). */
  readonly archs?: readonly string[];
  readonly info: ImageInfo;
  /** The image's repos: each distro's repo, its companions' and its ancestors'. */
  readonly repos: LoadedRepos;
  /** The archive indexes of each distro's repo, by repo name. */
  readonly indexes: ReadonlyMap<string, Loaded<ArchIndexes[]>>;
  /** The image's list files and the declaration files of its companion repos, by workspace-relative path. */
  readonly texts: ReadonlyMap<string, Loaded<string>>;
  /**
   * Every image distro of the workspace, in Bazel package order (the image's own too: the planner skips it);
   * absent when the load step saw that the remove can drop nothing (no requested name listed, no marked entry).
   */
  readonly imageDistros?: readonly OtherImageDistro[];
}

/** Who needs what among the packages that stay, on one arch. */
interface Needs {
  readonly arch: string;
  /** Packages that stay, each with the package that needs it (undefined for the image's own roots). */
  readonly kept: ReadonlyMap<string, string | undefined>;
  /** A package being removed that a staying package still needs: the path root → ... → package. */
  readonly violation?: readonly string[];
}

interface PoolEntry {
  readonly name: string;
  readonly version: Version;
  readonly provides: RelationField;
}

function satisfies(entry: PoolEntry, rel: Relation): boolean {
  return entry.name === rel.name ? versionMeets(entry.version, rel) : providesMeets(entry.provides.flat(), rel);
}

/**
 * Which packages of an image (or manifest) are still needed once `removing` is gone, on each arch. The image's
 * unmarked packages stay; a marked dependency stays when a staying package depends on it (directly or through
 * other staying packages) and nothing else present satisfies that dependency. Like add, this follows only
 * dependencies between packages of the image: an image may knowingly leave out dependencies of its packages.
 */
function neededAfterRemoval(
  state: RepoState,
  indexes: readonly ArchIndexes[],
  archs: readonly string[],
  listed: readonly string[],
  marked: ReadonlySet<string>,
  removing: ReadonlySet<string>,
  ancestorsOf: (arch: string) => { name: string; version: string }[],
  /** Per Debian arch, packages the image has on that arch only (companion repos), at their locked versions. */
  archOnly: (arch: string) => { name: string; version: string }[] = () => [],
): Needs[] {
  const out: Needs[] = [];
  for (const arch of archs) {
    const ix = indexes.find((i) => i.arch === arch);
    if (ix === undefined) continue;
    const locked = lockedVersions(state, arch);
    const ancestors = ancestorsOf(arch);
    const { universe } = pinnedUniverseFor(ix, pinsFor(state, arch, ancestors), new UniverseCache()); // one universe per arch of the repo;
    const entryOf = (name: string, version: string): PoolEntry & { deps: RelationField } => {
      const rec = recordOf(universe, name, version);
      const rel = rec === undefined ? undefined : universe.relationsOf(rec);
      return { name, version: parseVersion(version), provides: rel?.provides ?? [], deps: rel?.dependencies ?? [] };
    };
    const base = ancestors.map((p) => entryOf(p.name, p.version));
    const pool = new Map(listed.filter((n) => locked.has(n)).map((n) => [n, entryOf(n, locked.get(n)!)]));
    for (const p of archOnly(arch)) if (!pool.has(p.name)) pool.set(p.name, entryOf(p.name, p.version));
    const kept = new Map<string, string | undefined>();
    const queue: string[] = [];
    for (const n of pool.keys()) {
      if (!marked.has(n) && !removing.has(n)) {
        kept.set(n, undefined);
        queue.push(n);
      }
    }
    const pathTo = (name: string): string[] => {
      const path = [name];
      for (let p = kept.get(name); p !== undefined; p = kept.get(p)) path.unshift(p);
      return path;
    };
    let violation: string[] | undefined;
    while (queue.length > 0 && violation === undefined) {
      const k = queue.shift()!;
      for (const group of pool.get(k)!.deps) {
        const met = (e: PoolEntry) => group.some((r) => satisfies(e, r));
        if (base.some(met) || [...kept.keys()].some((n) => met(pool.get(n)!))) continue;
        const dep = [...pool.values()].find((e) => marked.has(e.name) && !removing.has(e.name) && !kept.has(e.name) && met(e));
        if (dep !== undefined) {
          kept.set(dep.name, k);
          queue.push(dep.name);
          continue;
        }
        const gone = [...pool.values()].find((e) => removing.has(e.name) && met(e));
        if (gone !== undefined) {
          violation = [...pathTo(k), gone.name];
          break;
        }
      }
    }
    out.push({ arch, kept, ...(violation === undefined ? {} : { violation }) });
  }
  return out;
}

function stillNeededError(label: string, needs: readonly Needs[]): ProblemError | undefined {
  const n = needs.find((x) => x.violation !== undefined);
  if (n === undefined) return undefined;
  const path = n.violation!;
  const name = path[path.length - 1]!;
  return new ProblemError("REMOVE_STILL_NEEDED", `${label}: ${name} is still needed on ${n.arch}: ${path.join(" → ")}`, {
    hint: `remove ${path[0]} as well (deb-lock remove ${path[0]} ${name} ...), or keep ${name}; nothing was written`,
  });
}

/** The image's own packages (unmarked) that need a kept package, through the need chain. */
function rootsOf(needs: readonly Needs[], name: string): string[] {
  const out = new Set<string>();
  for (const n of needs) {
    let cur: string | undefined = name;
    let guard = 0;
    while (cur !== undefined && n.kept.get(cur) !== undefined && guard++ < 1000) cur = n.kept.get(cur);
    if (cur !== undefined && cur !== name && n.kept.has(cur)) out.add(cur);
  }
  return [...out];
}

/** remove --manifest: a plain rules_distroless repo. */
export function planManifestRemoval(input: ManifestRemoveInput): RemovePlan {
  const { state } = input;
  const repo = state.repo;
  const cs = new ChangeSet(input.root, new Map());
  const wanted = new Set(input.packages);
  const listed = new Set(state.manifest.packages.map((p) => p.name));
  const notListed = [...wanted].filter((n) => !listed.has(n));
  if (repo.resolveTransitive) {
    removeFromTransitiveRepo(cs, state, wanted);
    const removed = [...wanted].filter((n) => listed.has(n));
    return {
      targets: [{ repo: repo.name, manifestFile: state.manifestPath, lockFile: state.lockPath, removed, pruned: [], notListed, keptInRepo: [] }],
      changes: cs.changes(),
      warnings: [],
    };
  }
  const marked = new Set(state.manifest.packages.filter((p) => markerOf(p) !== undefined).map((p) => p.name));
  const removed = [...wanted].filter((n) => listed.has(n));
  if (input.indexes === undefined) throw new InternalError("INTERNAL", `archive indexes of repo ${repo.name} were not loaded before planning`);
  const indexes = loadedValue(input.indexes);
  const needs = neededAfterRemoval(state, indexes, state.manifest.archs, [...listed], marked, wanted, () => []);
  const refusal = stillNeededError(repo.name, needs);
  if (refusal !== undefined) throw refusal;
  const needed = new Set(needs.flatMap((n) => [...n.kept.keys()]));
  const pruned = [...marked].filter((n) => !wanted.has(n) && !needed.has(n));
  dropFromRepo(cs, state, [...removed, ...pruned], needs, wanted);
  return {
    targets: [{ repo: repo.name, manifestFile: state.manifestPath, lockFile: state.lockPath, removed, pruned, notListed, keptInRepo: [] }],
    changes: cs.changes(),
    warnings: [],
  };
}

/** A companion repo of an image (one arch), with its state. */
interface CompanionState {
  readonly list: CompanionList;
  readonly state: RepoState;
  readonly debArch: string;
}

/**
 * Packages other images (or other distros of this image) take from `repo`, with where they are listed: those
 * keep their manifest and lock entries when this image drops them.
 */
function usedByOtherImages(
  imageDistros: readonly OtherImageDistro[] | undefined,
  repo: string,
  self: { image: string; distro: string },
): Map<string, { file: string; line: number }> {
  if (imageDistros === undefined)
    throw new InternalError("INTERNAL", "the workspace's images were not loaded before planning a remove that drops packages");
  const used = new Map<string, { file: string; line: number }>();
  for (const d of imageDistros) {
    if (d.image === self.image && d.distro === self.distro) continue;
    if (!d.repos.includes(repo)) continue;
    for (const ref of d.packages) if (!used.has(ref.name)) used.set(ref.name, { file: ref.file, line: ref.line });
  }
  return used;
}

/** The companion repos of one distro with their states; throws IMAGE_REPO_UNKNOWN for one the workspace does not declare. */
function companionStates(info: ImageInfo, distro: ImageDistro, repos: LoadedRepos): CompanionState[] {
  const companions: CompanionState[] = [];
  for (const c of distro.companions) {
    const cstate = repos.get(c.repo);
    if (cstate === undefined) {
      throw new ProblemError(
        "IMAGE_REPO_UNKNOWN",
        `${c.list.file}: image ${info.image} (${distro.distro}, ${c.arch}) names repo ${c.repo}, which the workspace does not declare`,
        {
          hint: "declare it like the image's other repos, or remove the labels naming it; nothing was written",
        },
      );
    }
    companions.push({ list: c, state: cstate, debArch: distro.debianArch[c.arch]! });
  }
  return companions;
}

/** remove --image: every distro of a distroless image (or the one --distro names). */
export function planImageRemoval(input: ImageRemoveInput): RemovePlan {
  const { info, repos } = input;
  const cs = new ChangeSet(input.root, input.texts);
  const wanted = new Set(input.packages);
  const targets: RemoveTargetReport[] = [];
  const pending: {
    distro: ImageDistro;
    state: RepoState;
    removed: string[];
    pruned: string[];
    notListed: string[];
    needs: Needs[];
    companions: CompanionState[];
  }[] = [];
  for (const distro of info.distros) {
    for (const a of Object.values(distro.ancestors).flat()) repos.get(a.repo);
    const companions = companionStates(info, distro, repos);
    const own = new Set(distro.packages.map((p) => p.name));
    if (input.archs !== undefined) {
      const archs = input.archs;
      const archWanted = (c: CompanionState) => archs.includes(c.list.arch) || archs.includes(c.debArch);
      const everywhere = [...wanted].filter((n) => own.has(n));
      const elsewhere = [...wanted].filter((n) => companions.some((c) => !archWanted(c) && c.list.packages.some((p) => p.name === n)));
      if (everywhere.length > 0 || elsewhere.length > 0) {
        const which = everywhere.length > 0 ? "every arch" : "other archs too";
        const pronoun = everywhere.length + elsewhere.length === 1 ? "it" : "them";
        throw new ProblemError(
          "REMOVE_ARCH_SHARED",
          `image ${info.image} (${distro.distro}) lists ${[...everywhere, ...elsewhere].join(", ")} for ${which}, so --arch ${archs.join(",")} cannot remove ${pronoun} there alone`,
          {
            hint: "leave --arch out to remove them from every arch; nothing was written",
          },
        );
      }
    }
    const listed = new Set([...own, ...companions.flatMap((c) => c.list.packages.map((p) => p.name))]);
    const state = repos.get(distro.repo.name)!;
    const markedIn = (st: RepoState, names: ReadonlySet<string>) =>
      st.manifest.packages.filter((p) => markerOf(p) !== undefined && names.has(p.name)).map((p) => p.name);
    const marked = new Set([...markedIn(state, own), ...companions.flatMap((c) => markedIn(c.state, new Set(c.list.packages.map((p) => p.name))))]);
    const removed = [...wanted].filter((n) => listed.has(n));
    const debArchs = distro.archs.map((a) => distro.debianArch[a]!);
    const needs = neededAfterRemoval(
      state,
      loadedEntry(input.indexes, distro.repo.name, "archive indexes of repo"),
      debArchs,
      [...own],
      marked,
      wanted,
      (arch) => presentFor(distro, info.image, repos.states, arch).filter((p) => p.from !== info.image),
      (arch) =>
        companions
          .filter((c) => c.debArch === arch)
          .flatMap((c) => {
            const locked = lockedVersions(c.state, arch);
            return c.list.packages.flatMap((p) => (locked.has(p.name) ? [{ name: p.name, version: locked.get(p.name)! }] : []));
          }),
    );
    const refusal = stillNeededError(`image ${info.image} (${distro.distro})`, needs);
    if (refusal !== undefined) throw refusal;
    const needed = new Set(needs.flatMap((n) => [...n.kept.keys()]));
    const pruned = [...marked].filter((n) => !wanted.has(n) && !needed.has(n));
    pending.push({ distro, state, removed, pruned, notListed: [...wanted].filter((n) => !listed.has(n)), needs, companions });
  }
  for (const p of pending) {
    const doomed = new Set([...p.removed, ...p.pruned]);
    if (doomed.size === 0) continue;
    for (const loc of p.distro.lists) {
      if (!loc.packages.some((x) => doomed.has(x.name))) continue;
      const edit = cs.file(loc.file);
      edit.record(loc.listStart, removeImageListPackages(edit.text, loc, edit.map(loc.listStart), doomed));
    }
    for (const c of p.companions) {
      const names = c.list.packages.map((x) => x.name);
      if (!names.some((n) => doomed.has(n))) continue;
      const edit = cs.file(c.list.list.file);
      if (names.every((n) => doomed.has(n))) {
        // Nothing left for this arch: the whole addition goes, and the companion repo with it.
        edit.record(c.list.block.start, removeCompanionBlock(edit.text, edit.map(c.list.block.start), edit.map(c.list.block.end)));
      } else {
        edit.record(c.list.list.listStart, removeImageListPackages(edit.text, c.list.list, edit.map(c.list.list.listStart), doomed));
      }
    }
  }
  for (const p of pending) {
    const doomed = new Set([...p.removed, ...p.pruned]);
    const own = new Set(p.distro.packages.map((x) => x.name));
    const elsewhere =
      doomed.size === 0
        ? new Map<string, { file: string; line: number }>()
        : usedByOtherImages(input.imageDistros, p.state.repo.name, { image: info.image, distro: p.distro.distro });
    const drop = [...doomed].filter((n) => own.has(n) && !elsewhere.has(n));
    dropFromRepo(cs, p.state, drop, p.needs, wanted);
    for (const c of p.companions) {
      const names = c.list.packages.map((x) => x.name);
      const gone = names.filter((n) => doomed.has(n));
      if (gone.length === 0) continue;
      const cur = currentState(cs, c.state);
      const left = cur.manifest.packages.filter((m) => !gone.includes(m.name));
      if (left.length === 0 && parseCompanionRepoName(c.state.repo.name) !== undefined) {
        // A companion repo add created and that is now empty: its files and its declaration go.
        cs.delete(c.state.manifestPath, c.state.manifestText);
        cs.delete(c.state.lockPath, c.state.lockText);
        const declFile = c.state.repo.declaredIn.file;
        const decl = cs.file(declFile);
        cs.set(declFile, decl.before, undeclareRepo(decl.text, declFile, c.state.repo.name));
      } else {
        dropFromRepo(cs, c.state, gone, p.needs, wanted);
      }
    }
    targets.push({
      distro: p.distro.distro,
      repo: p.state.repo.name,
      manifestFile: p.state.manifestPath,
      lockFile: p.state.lockPath,
      removed: p.removed,
      pruned: p.pruned,
      notListed: p.notListed,
      keptInRepo: [...doomed].filter((n) => elsewhere.has(n)).map((n) => ({ name: n, ...elsewhere.get(n)! })),
    });
  }
  return { image: info.image, targets, changes: cs.changes(), warnings: [] };
}

/** Removes names from a repo's manifest and lock; re-points markers that named a removed package. */
function dropFromRepo(
  cs: ChangeSet,
  original: RepoState,
  names: readonly string[],
  needs: readonly Needs[],
  removedRoots: ReadonlySet<string>,
): void {
  const state = currentState(cs, original);
  let manifestText = names.length === 0 ? state.manifestText : removeManifestPackages(state.manifestText, names, state.manifestPath);
  // A kept dependency whose marker names a removed package now belongs to the packages that still need it.
  const comments = new Map<string, string | undefined>();
  for (const p of state.manifest.packages) {
    const marker = markerOf(p);
    if (marker === undefined || names.includes(p.name) || !marker.dependencyOf.some((d) => removedRoots.has(d))) continue;
    const parents = rootsOf(needs, p.name);
    const kept = marker.dependencyOf.filter((d) => !removedRoots.has(d));
    const next = [...kept, ...parents.filter((r) => !kept.includes(r))];
    if (next.length > 0) comments.set(p.name, formatMarker({ dependencyOf: next }));
  }
  if (comments.size > 0) manifestText = setManifestPackageComments(manifestText, comments, state.manifestPath);
  cs.set(state.manifestPath, state.manifestText, manifestText);
  if (names.length === 0) return;
  const drop = new Set(names);
  const packages = state.lock.lock.packages.filter((p) => !drop.has(p.name));
  if (packages.length !== state.lock.lock.packages.length) {
    cs.set(state.lockPath, state.lockText, formatLock({ version: 1, packages }, state.lock.dialect, state.lock.layout));
  }
}

/**
 * A transitive repo's lock records each manifest package with its whole closure: removing packages keeps the
 * entries of the remaining packages and of their recorded dependencies, and drops the rest.
 */
function removeFromTransitiveRepo(cs: ChangeSet, state: RepoState, wanted: ReadonlySet<string>): void {
  const remaining = new Set(state.manifest.packages.map((p) => p.name).filter((n) => !wanted.has(n)));
  const keep = new Set<string>();
  for (const p of state.lock.lock.packages) {
    if (!remaining.has(p.name)) continue;
    const needed = p.dependencies.find((d) => wanted.has(d.name));
    if (needed !== undefined) {
      throw new ProblemError(
        "REMOVE_STILL_NEEDED",
        `${state.repo.name}: ${needed.name} is still needed on ${p.arch}: ${p.name} depends on it (its locked dependencies in ${state.lockPath} list it)`,
        {
          hint: `remove ${p.name} as well, or keep ${needed.name}; nothing was written`,
        },
      );
    }
    keep.add(p.key);
    for (const d of p.dependencies) keep.add(d.key);
  }
  const names = [...wanted].filter((n) => state.manifest.packages.some((p) => p.name === n));
  if (names.length === 0) return;
  cs.set(state.manifestPath, state.manifestText, removeManifestPackages(state.manifestText, names, state.manifestPath));
  const packages = state.lock.lock.packages.filter((p) => keep.has(p.key));
  if (packages.length !== state.lock.lock.packages.length)
    cs.set(state.lockPath, state.lockText, formatLock({ version: 1, packages }, state.lock.dialect, state.lock.layout));
}
