import { resolve as resolvePath } from "node:path";
import type { PackageRecord } from "../../core/debian/package.js";
import { parseRelations } from "../../core/debian/relation.js";
import { ProblemError, UsageError } from "../../core/errors.js";
import { type LockPackage, parseLock } from "../../core/lock/index.js";
import { withAffectedImages } from "../../core/report/image-impact.js";
import { buildUpdateReport, type ReportEntry, type ReportProblem, type SnapshotMove, type UpdateReport } from "../../core/report/model.js";
import { type InstalledPackage, resolveClosure } from "../../core/resolve/resolve-closure.js";
import { isSnapshotTimestamp, type SnapshotTimestamp } from "../../core/snapshot/timestamp.js";
import { rewriteSnapshotUrl, type SnapshotRef, snapshotOf, snapshotTimelineKey } from "../../core/snapshot/url.js";
import {
  addManifestPackages,
  formatMarker,
  type Manifest,
  markerOf,
  parseManifest,
  removeManifestPackages,
  rewriteSourceUrls,
} from "../../edit/manifest.js";
import type { FileChange } from "../../io/files.js";
import type { HttpClient } from "../../io/http.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { additionCondition, newAdditionOffset, parseCompanionRepoName } from "../changes/companion.js";
import { insertCompanionBlock, insertImageListPackages, removeCompanionBlock, removeImageListPackages } from "../changes/image-list-edit.js";
import { formatModuleLockNotice, planModuleLockSync } from "../changes/module-lock-sync.js";
import { declareRepo, undeclareRepo } from "../changes/repo-declaration.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { type ArchIndexes, suiteOfSourceId, type UniverseCache, universeFor } from "../indexes/resolve-repo.js";
import { findLatestSnapshot } from "../indexes/snapshots.js";
import { loadManifestIndexes, planLock, readRepoFiles } from "../lock/lock.js";
import type { ImageListLocation } from "../workspace/images.js";
import type { RepoDecl } from "../workspace/workspace.js";
import { discoverWorkspaceImages } from "../workspace/workspace-images.js";
import { type CompanionMovesPlan, type PlannedMove, planCompanionMoves } from "./companion-moves.js";
import { readImagePackages } from "./image-packages.js";

/**
 * `deb-lock update` (and `outdated`, which plans the same and writes nothing): move every snapshot URL
 * of the manifests to the chosen instant, add the dependencies new versions newly require to
 * explicit-closure manifests (and prune marked ones no longer needed), relock everything, and report
 * what moved. Planning is complete before anything is written: the caller applies `changes` in one
 * transaction, or not at all.
 */

export interface UpdateRequest {
  /** Absolute workspace root */
  readonly root: string;
  /** The repos to update (all of the workspace, or those named on the command line) */
  readonly repos: readonly RepoDecl[];
  /**
   * Every repo of the workspace (default: `repos`). Packages listed by explicit-closure repos of the same
   * distro count as present when deciding what a narrowed update newly requires (images combine them).
   */
  readonly workspaceRepos?: readonly RepoDecl[];
  /** `latest` (per archive timeline) or one timestamp for every snapshot URL */
  readonly snapshot: "latest" | SnapshotTimestamp;
  /** Skip runs of the current UTC day when discovering the latest snapshot (default true) */
  readonly skipToday?: boolean;
  /** false (`--no-new-deps`): report newly required dependencies as problems instead of adding them */
  readonly newDeps: boolean;
}

export interface UpdateDeps {
  readonly files: WorkspaceFiles;
  readonly loader: IndexLoader;
  /** For snapshot listings (mirrors apply) */
  readonly http: HttpClient;
  /** Milliseconds since the epoch */
  readonly now: number;
}

export interface UpdatePlan {
  readonly report: UpdateReport;
  /** Things the user should know that do not stop the update (printed on stderr) */
  readonly warnings: readonly string[];
  /** Every file to write (manifests, locks); empty when there are problems */
  readonly changes: readonly FileChange[];
  readonly problems: readonly ReportProblem[];
}

/** A timeline found in the manifests, with the instant it moves to. */
interface TimelineTarget {
  readonly ref: SnapshotRef;
  readonly from: Set<SnapshotTimestamp>;
  to: SnapshotTimestamp;
}

interface RepoState {
  readonly repo: RepoDecl;
  readonly manifestFile: string;
  readonly lockFile: string;
  readonly manifestText: string;
  readonly manifest: Manifest;
  readonly lockText: string | null;
  bumpedText: string;
  bumped: Manifest;
  oldIndexes: ArchIndexes[] | undefined;
  newIndexes: ArchIndexes[];
}

/** Chooses the instant of every snapshot timeline named by the manifests. */
async function chooseTargets(states: readonly RepoState[], request: UpdateRequest, deps: UpdateDeps): Promise<Map<string, TimelineTarget>> {
  const targets = new Map<string, TimelineTarget>();
  for (const s of states) {
    for (const source of s.manifest.sources) {
      for (const url of source.urls) {
        const ref = snapshotOf(url);
        if (ref === undefined) continue;
        const key = snapshotTimelineKey(ref);
        const t = targets.get(key);
        if (t === undefined) targets.set(key, { ref, from: new Set([ref.timestamp]), to: ref.timestamp });
        else t.from.add(ref.timestamp);
      }
    }
  }
  const at = request.snapshot === "latest" ? undefined : request.snapshot;
  if (at !== undefined && !isSnapshotTimestamp(at)) {
    throw new UsageError(`--snapshot ${JSON.stringify(at)} is neither "latest" nor a snapshot timestamp`, {
      hint: "write a UTC timestamp like 20240706T203757Z, or latest",
    });
  }
  await Promise.all(
    [...targets.values()].map(async (t) => {
      // An explicit instant becomes the last run at or before it (the run the service would serve for it).
      const found = await findLatestSnapshot(
        { serviceRoot: t.ref.serviceRoot, archive: t.ref.archive, rule: t.ref.rule },
        at === undefined
          ? { http: deps.http, now: deps.now, skipToday: request.skipToday ?? true }
          : { http: deps.http, now: deps.now, skipToday: false, at },
      );
      // "latest" never moves a timeline backwards (e.g. a manifest already pinned to today's run).
      const newest = [...t.from].sort().at(-1)!;
      t.to = at === undefined && newest > found.timestamp ? newest : found.timestamp;
    }),
  );
  return targets;
}

type RecordLookup = (arch: string, name: string, version: string) => { record: PackageRecord; suite: string } | undefined;

/** Finds the index record of a locked (arch, name, version), and the suite that carries it (the first in manifest order). */
function recordLookup(indexes: readonly ArchIndexes[] | undefined, universes: UniverseCache): RecordLookup {
  const byArch = new Map((indexes ?? []).map((arch) => [arch.arch, universeFor(arch, universes).universe]));
  return (arch, name, version) => {
    const found = byArch
      .get(arch)
      ?.versionsOf(name)
      .find((pv) => pv.record.version === version);
    return found === undefined ? undefined : { record: found.record, suite: suiteOfSourceId(found.sourceId) };
  };
}

function sourceOf(record: PackageRecord | undefined): { source?: string; sourceVersion?: string } {
  if (record?.source === undefined) return {};
  const m = /^(\S+)(?:\s*\((\S+)\))?/.exec(record.source);
  if (!m) return {};
  return { source: m[1]!, ...(m[2] === undefined ? {} : { sourceVersion: m[2] }) };
}

/** Report entries of a lock: direct dependencies are those of the record that the same lock (and arch) holds. */
function reportEntries(repo: string, packages: readonly LockPackage[], records: RecordLookup, fallback: RecordLookup): ReportEntry[] {
  const locked = new Set(packages.map((p) => `${p.arch}\u0000${p.name}`));
  return packages.map((p) => {
    const found = records(p.arch, p.name, p.version) ?? fallback(p.arch, p.name, p.version);
    const dependencies = new Set<string>(p.dependencies.map((d) => d.name));
    if (found !== undefined) {
      for (const group of parseRelations(
        `${found.record.preDepends ?? ""}${found.record.preDepends && found.record.depends ? ", " : ""}${found.record.depends ?? ""}`,
      )) {
        const hit = group.find((alt) => locked.has(`${p.arch}\u0000${alt.name}`));
        if (hit !== undefined) dependencies.add(hit.name);
      }
    }
    return {
      repo,
      name: p.name,
      version: p.version,
      arch: p.arch,
      ...sourceOf(found?.record),
      ...(found === undefined ? {} : { suite: found.suite }),
      dependencies: [...dependencies],
      url: p.urls?.[0] ?? p.url ?? "",
    };
  });
}

/** The or-groups of a record's Pre-Depends and Depends. */
function dependencyGroups(record: PackageRecord) {
  return [...parseRelations(record.preDepends ?? ""), ...parseRelations(record.depends ?? "")];
}

/** Closure names of `roots` for one arch, with what requires each (none for roots). Undefined when resolution fails. */
function closureOf(
  arch: ArchIndexes,
  roots: readonly string[],
  installed: readonly string[],
  universes: UniverseCache,
): { needs: Map<string, string[]>; records: Map<string, PackageRecord>; problems: string[] } {
  const { universe } = universeFor(arch, universes);
  const present: InstalledPackage[] = [];
  for (const name of installed) {
    const best = universe.versionsOf(name)[0];
    if (best !== undefined)
      present.push({ name, version: best.record.version, ...(best.record.provides === undefined ? {} : { provides: best.record.provides }) });
  }
  const result = resolveClosure({
    universe,
    roots: roots.filter((r) => universe.versionsOf(r).length > 0).map((name) => ({ name })),
    installed: present,
  });
  const needs = new Map<string, string[]>();
  for (const p of result.packages) if (!needs.has(p.name)) needs.set(p.name, []);
  for (const p of result.packages) for (const d of p.dependsOn) needs.get(d)?.push(p.name);
  const records = new Map(result.packages.map((p) => [p.name, p.record]));
  return { needs, records, problems: result.ok ? [] : result.problems.map((p) => p.message) };
}

/**
 * For an explicit-closure repo: packages a listed package newly depends on (an edge of the new closure
 * from a listed package that the old closure did not have), with what they in turn need, and marked
 * packages no longer needed. Dependencies the workspace leaves out on purpose stay out: their edges
 * exist before and after. Packages listed by sibling explicit repos of the same distro (images combine
 * them) count as present.
 */
function dependencyDelta(
  state: RepoState,
  siblingPackages: readonly string[],
  universes: UniverseCache,
  /** For an arch-specific companion repo: its main repo's own packages, whose dependencies it holds. */
  mainRoots: readonly string[] = [],
): { add: Map<string, Set<string>>; prune: string[]; warnings: string[] } {
  const listed = new Set(state.bumped.packages.map((p) => p.name));
  const roots = [...state.bumped.packages.filter((p) => markerOf(p) === undefined).map((p) => p.name), ...mainRoots];
  const installed = new Set(siblingPackages.filter((n) => !listed.has(n)));
  const add = new Map<string, Set<string>>();
  const needed = new Set<string>();
  const warnings: string[] = [];
  let complete = true;
  const note = (name: string, by: readonly string[]) => {
    let set = add.get(name);
    if (set === undefined) add.set(name, (set = new Set()));
    for (const b of by) set.add(b);
  };
  state.newIndexes.forEach((arch, i) => {
    const now = closureOf(arch, roots, [...installed], universes);
    for (const name of now.needs.keys()) needed.add(name);
    const old = state.oldIndexes?.[i];
    const then = old === undefined ? undefined : closureOf(old, roots, [...installed], universes);
    // The closure only informs the manifest edits (the lock comes from the manifest alone): when it cannot
    // be computed, say so and change nothing for this arch.
    if (now.problems.length > 0 || then === undefined || then.problems.length > 0) {
      complete = false;
      const why = then === undefined ? "the indexes of the old snapshot could not be read" : [...now.problems, ...then.problems][0];
      warnings.push(`${state.manifestFile} (${arch.arch}): newly required dependencies not determined: ${why}`);
      return;
    }
    const before = then.records;
    const absent = (name: string) => !listed.has(name) && !installed.has(name);
    const relationNames = (r: PackageRecord | undefined) =>
      new Set(
        r === undefined
          ? []
          : dependencyGroups(r)
              .flat()
              .map((a) => a.name),
      );
    // The alternative of each unmet or-group of `record` that the new closure chose.
    const unmetChoices = (record: PackageRecord) =>
      dependencyGroups(record).flatMap((group) => {
        if (group.some((a) => !absent(a.name) || add.has(a.name))) return [];
        const chosen = group.find((a) => now.records.has(a.name));
        return chosen === undefined ? [] : [chosen.name];
      });
    for (const name of listed) {
      const record = now.records.get(name);
      if (record === undefined) continue;
      const had = relationNames(before.get(name));
      for (const dep of unmetChoices(record)) if (!had.has(dep)) note(dep, [name]);
    }
    // What a newly added package needs is new as well.
    for (let grew = true; grew; ) {
      grew = false;
      for (const name of [...add.keys()]) {
        for (const dep of unmetChoices(now.records.get(name)!)) {
          note(dep, [name]);
          grew = true;
        }
      }
    }
  });
  // Prune only what no arch needs, judged on complete closures.
  const prune = complete ? state.bumped.packages.filter((p) => markerOf(p) !== undefined && !needed.has(p.name)).map((p) => p.name) : [];
  return { add, prune, warnings };
}

/** Plans an update in memory. Throws for network, verification and usage failures; dependency problems are data. */
export async function planUpdate(request: UpdateRequest, deps: UpdateDeps): Promise<UpdatePlan> {
  const read = await Promise.all(request.repos.map((repo) => readRepoFiles(request.root, repo, deps.files)));
  const states: RepoState[] = read.map((r, i) => ({
    ...r,
    repo: request.repos[i]!,
    bumpedText: r.manifestText,
    bumped: r.manifest,
    oldIndexes: undefined,
    newIndexes: [],
  }));

  const targets = await chooseTargets(states, request, deps);
  for (const s of states) {
    s.bumpedText = rewriteSourceUrls(
      s.manifestText,
      (url) => {
        const ref = snapshotOf(url);
        const target = ref === undefined ? undefined : targets.get(snapshotTimelineKey(ref));
        return ref === undefined || target === undefined || target.to === ref.timestamp ? undefined : rewriteSnapshotUrl(url, target.to);
      },
      s.manifestFile,
    );
    s.bumped = parseManifest(s.bumpedText, s.manifestFile);
  }

  // Indexes before and after the bump, all at once (the loader shares downloads between repos).
  const explicit = states.filter((s) => !s.repo.resolveTransitive);
  await Promise.all(
    states.map(async (s) => {
      const [before, after] = await Promise.all([
        loadManifestIndexes(s.manifest, deps.loader).catch(() => undefined),
        loadManifestIndexes(s.bumped, deps.loader),
      ]);
      s.oldIndexes = before;
      s.newIndexes = after;
    }),
  );

  const problems: ReportProblem[] = [];
  const warnings: string[] = [];
  // Old and new snapshots of an unchanged suite are the same index: one universe serves both.
  const universes: UniverseCache = deps.loader.universes;
  const addedByRepo = new Map<string, Map<string, Set<string>>>();
  const prunedByRepo = new Map<string, string[]>();
  // Explicit-closure repos outside the update's scope still count as siblings (read as they are).
  const inScope = new Set(request.repos.map((r) => r.name));
  const outsideRepos = (request.workspaceRepos ?? []).filter((r) => !r.resolveTransitive && !inScope.has(r.name));
  const outsideByName = new Map<string, Manifest>();
  const outside = await Promise.all(
    outsideRepos.map((r) =>
      readRepoFiles(request.root, r, deps.files).then((x) => {
        outsideByName.set(r.name, x.manifest);
        return x.manifest;
      }),
    ),
  );
  const distroOf = (m: Manifest) => m.sources[0]?.suite;
  for (const s of explicit) {
    // A companion repo (<repo>_<arch>_only) holds dependencies of its main repo's packages on that arch: the
    // main repo's own packages are roots of its closure, not present packages.
    const companionOf = parseCompanionRepoName(s.repo.name);
    const main =
      companionOf === undefined ? undefined : (explicit.find((o) => o.repo.name === companionOf.repo)?.bumped ?? outsideByName.get(companionOf.repo));
    const siblingPackages = [...explicit.filter((o) => o !== s).map((o) => o.bumped), ...outside]
      .filter((m) => m !== main && distroOf(m) === distroOf(s.bumped))
      .flatMap((m) => m.packages.map((p) => p.name));
    const mainRoots = main === undefined ? [] : main.packages.filter((p) => markerOf(p) === undefined).map((p) => p.name);
    const delta = dependencyDelta(s, siblingPackages, universes, mainRoots);
    warnings.push(...delta.warnings);
    if (!request.newDeps) {
      for (const [name, by] of delta.add) {
        problems.push({
          code: "NEW_DEPENDENCY",
          message: `${s.manifestFile}: ${[...by].sort().join(", ")} now depend${by.size === 1 ? "s" : ""} on ${name}, which the manifest does not list`,
          hint: `add ${name} to ${s.manifestFile}, or run update without --no-new-deps`,
        });
      }
      continue;
    }
    addedByRepo.set(s.repo.name, delta.add);
    prunedByRepo.set(s.repo.name, delta.prune);
    let text = s.bumpedText;
    if (delta.prune.length > 0) text = removeManifestPackages(text, delta.prune, s.manifestFile);
    const additions = [...delta.add.entries()].sort(([a], [b]) => a.localeCompare(b, "en"));
    if (additions.length > 0) {
      text = addManifestPackages(
        text,
        additions.map(([name, by]) => ({ name, comment: formatMarker({ dependencyOf: [...by].sort() }) })),
        s.manifestFile,
      );
    }
    if (text !== s.bumpedText) {
      s.bumpedText = text;
      s.bumped = parseManifest(text, s.manifestFile);
      s.newIndexes = await loadManifestIndexes(s.bumped, deps.loader);
    }
  }

  // Packages the new snapshot builds for more (or fewer) archs move between repos and their companions.
  const workspaceRepos = request.workspaceRepos ?? request.repos;
  const multiArch = states.some((s) => s.bumped.archs.length > 1);
  const companionMoves = multiArch
    ? await planCompanionMoves(
        states,
        async () => (await discoverWorkspaceImages(request.root, deps.files, workspaceRepos)).images,
        workspaceRepos,
        universes,
      )
    : { moves: [], created: [], deleted: [], warnings: [] };
  warnings.push(...companionMoves.warnings);
  const deletedRepos = new Set(companionMoves.deleted.map((r) => r.name));
  const createdLocks = new Set(companionMoves.created.map((c) => resolvePath(request.root, c.repo.lockPath)));

  // Relock every repo from the bumped manifests (read through an overlay: nothing is written yet).
  const overlay = new Map(states.map((s) => [resolvePath(request.root, s.repo.manifestPath), s.bumpedText]));
  for (const c of companionMoves.created) {
    overlay.set(resolvePath(request.root, c.repo.manifestPath), c.manifestText);
    overlay.set(resolvePath(request.root, c.repo.lockPath), c.lockText);
  }
  const files: WorkspaceFiles = {
    readText: async (path) => overlay.get(resolvePath(path)) ?? deps.files.readText(path),
    exists: (path) => (overlay.has(resolvePath(path)) ? Promise.resolve(true) : deps.files.exists(path)),
    listDir: (path) => deps.files.listDir(path),
  };
  const lockRepos = [...request.repos.filter((r) => !deletedRepos.has(r.name)), ...companionMoves.created.map((c) => c.repo)];
  const lockPlan = await planLock(request.root, lockRepos, { files, loader: deps.loader, universes });
  for (const p of lockPlan.problems) problems.push({ code: p.code, message: `${p.manifestFile}: ${p.message}` });
  // A created companion's lock does not exist yet (the overlay held its empty text).
  const lockChanges = lockPlan.changes.map((c) => (createdLocks.has(c.path) ? { ...c, before: null } : c));

  const before: ReportEntry[] = [];
  const after: ReportEntry[] = [];
  for (const s of states) {
    const oldRecords = recordLookup(s.oldIndexes, universes);
    const newRecords = recordLookup(s.newIndexes, universes);
    if (s.lockText !== null) before.push(...reportEntries(s.repo.name, parseLock(s.lockText, s.lockFile).lock.packages, oldRecords, newRecords));
    const planned = lockPlan.repos.find((r) => r.repo === s.repo);
    if (planned !== undefined) after.push(...reportEntries(s.repo.name, parseLock(planned.after, s.lockFile).lock.packages, newRecords, oldRecords));
  }
  for (const c of companionMoves.created) {
    const planned = lockPlan.repos.find((r) => r.repo === c.repo);
    const main = states.find((s) => s.repo.name === c.main.name)!;
    const records = recordLookup(main.newIndexes, universes);
    if (planned !== undefined) after.push(...reportEntries(c.repo.name, parseLock(planned.after, c.repo.lockPath).lock.packages, records, records));
  }
  const snapshots: SnapshotMove[] = [...targets.values()].flatMap((t) =>
    [...t.from].sort().map((from) => ({ host: t.ref.host, archive: t.ref.archive, from, to: t.to })),
  );
  const imagePackages = await readImagePackages(request.root, deps.files, request.workspaceRepos ?? request.repos);
  const moves = companionMoves.moves.map(({ name, from, to, reason }) => ({ name, from, to, reason }));
  const report = withAffectedImages(buildUpdateReport({ before, after, snapshots, problems, moves }), imagePackages, after);

  const changes: FileChange[] =
    problems.length > 0
      ? []
      : [
          ...states
            .filter((s) => s.bumpedText !== s.manifestText && !deletedRepos.has(s.repo.name))
            .map((s) => ({ path: resolvePath(request.root, s.repo.manifestPath), before: s.manifestText, after: s.bumpedText })),
          ...companionMoves.created.map((c) => ({ path: resolvePath(request.root, c.repo.manifestPath), before: null, after: c.manifestText })),
          ...states
            .filter((s) => deletedRepos.has(s.repo.name))
            .flatMap((s) => [
              { path: resolvePath(request.root, s.repo.manifestPath), before: s.manifestText, after: null },
              ...(s.lockText === null ? [] : [{ path: resolvePath(request.root, s.repo.lockPath), before: s.lockText, after: null }]),
            ]),
          ...lockChanges,
        ];
  if (changes.length > 0) {
    changes.push(...(await planImageListEdits(request.root, deps.files, workspaceRepos, addedByRepo, prunedByRepo, companionMoves.moves)));
    changes.push(...(await planDeclarationEdits(request.root, deps.files, companionMoves.created, companionMoves.deleted)));
  }
  if (
    companionMoves.created.length > 0 &&
    workspaceRepos.some((r) => r.via === "module") &&
    (await deps.files.exists(resolvePath(request.root, "MODULE.bazel.lock")))
  ) {
    warnings.push(
      `MODULE.bazel.lock does not record the new repo${companionMoves.created.length === 1 ? "" : "s"} ${companionMoves.created.map((c) => c.repo.name).join(", ")} of the apt extension (its usages changed); ` +
        "refresh it with `bazel mod deps --lockfile_mode=update` before building with --lockfile_mode=error",
    );
  }
  // MODULE.bazel.lock records what Bazel's extensions read: it follows every change (not only the locks'
  // that planLock saw), in the same transaction; entries that cannot follow are left, with a warning.
  const moduleLockPath = resolvePath(request.root, "MODULE.bazel.lock");
  const fromLockPlan = changes.findIndex((c) => c.path === moduleLockPath);
  if (fromLockPlan >= 0) changes.splice(fromLockPlan, 1);
  const moduleLock = await planModuleLockSync(request.root, deps.files, changes);
  if (moduleLock.change !== undefined) changes.push(moduleLock.change);
  warnings.push(...moduleLock.notices.map(formatModuleLockNotice));
  return { report, changes, problems, warnings };
}

/**
 * Image lists (distroless layouts) follow the manifests: a dependency added to a repo goes into every image
 * list of that repo that names a package requiring it; a pruned dependency leaves the lists of its repo.
 */
async function planImageListEdits(
  root: string,
  files: WorkspaceFiles,
  repos: readonly RepoDecl[],
  added: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>,
  pruned: ReadonlyMap<string, readonly string[]>,
  moves: readonly PlannedMove[] = [],
): Promise<FileChange[]> {
  const anything = [...added.values()].some((m) => m.size > 0) || [...pruned.values()].some((l) => l.length > 0) || moves.length > 0;
  if (!anything) return [];
  const { images } = await discoverWorkspaceImages(root, files, repos);
  // Per list (file + offset): names to insert and to remove.
  const edits = new Map<string, { loc: ImageListLocation; insert: Set<string>; remove: Set<string> }>();
  // Whole arch-specific additions to write or to take out, per file.
  const blocks: { file: string; at: number; apply: (text: string) => string }[] = [];
  const listEdit = (loc: ImageListLocation) => {
    const key = `${loc.file}\u0000${loc.listStart}`;
    const entry = edits.get(key) ?? { loc, insert: new Set<string>(), remove: new Set<string>() };
    edits.set(key, entry);
    return entry;
  };
  for (const image of images) {
    for (const d of image.distros) {
      const repoNames = new Set(Object.values(d.repoByArch).map((r) => r.name));
      // Into the image's list from its companions; out of the image's list into the companions of the archs that have it.
      const goneFrom = new Map<string, Set<string>>();
      for (const m of moves.filter((x) => x.toMain && repoNames.has(x.main))) {
        for (const c of d.companions.filter((x) => x.repo === m.from && x.packages.some((p) => p.name === m.name))) {
          listEdit(c.list).remove.add(m.name);
          goneFrom.set(`${c.arch}\u0000${c.repo}`, (goneFrom.get(`${c.arch}\u0000${c.repo}`) ?? new Set()).add(m.name));
          if (!d.packages.some((p) => p.name === m.name)) listEdit(d.list).insert.add(m.name);
        }
      }
      const incoming = new Set(
        moves
          .filter((x) => !x.toMain && repoNames.has(x.main) && d.packages.some((p) => p.name === x.name))
          .map((x) => `${d.archs.find((a) => d.debianArch[a] === x.arch)}\u0000${x.to}`),
      );
      for (const c of d.companions) {
        const gone = goneFrom.get(`${c.arch}\u0000${c.repo}`);
        if (gone === undefined || !c.packages.every((p) => gone.has(p.name)) || incoming.has(`${c.arch}\u0000${c.repo}`)) continue;
        // Nothing left for this arch: the whole addition goes (its list edits with it).
        edits.delete(`${c.list.file}\u0000${c.list.listStart}`);
        blocks.push({ file: c.block.file, at: c.block.start, apply: (text) => removeCompanionBlock(text, c.block.start, c.block.end) });
      }
      const fresh = new Map<string, { bazelArch: string; debArch: string; names: Set<string> }>();
      for (const m of moves.filter((x) => !x.toMain && repoNames.has(x.main) && d.packages.some((p) => p.name === x.name))) {
        for (const loc of d.lists) if (loc.packages.some((p) => p.name === m.name)) listEdit(loc).remove.add(m.name);
        const bazelArch = d.archs.find((a) => d.debianArch[a] === m.arch);
        if (bazelArch === undefined) continue;
        const existing = d.companions.find((c) => c.arch === bazelArch && c.repo === m.to);
        if (existing !== undefined) {
          if (!existing.packages.some((p) => p.name === m.name)) listEdit(existing.list).insert.add(m.name);
          continue;
        }
        const sharing = image.distros.filter((o) => o !== d && o.list.file === d.list.file && o.list.listStart === d.list.listStart);
        if (sharing.length > 0 && d.list.element.kind === "deb.package") {
          throw new ProblemError(
            "UPDATE_PROBLEMS",
            `image ${image.image}: ${m.name} is ${m.reason} and moves to ${m.to}, but ${d.list.file} lists the packages of ${[d, ...sharing].map((x) => x.distro).join(" and ")} at once, so an addition for ${d.distro} alone cannot be written there`,
            {
              hint: `give ${d.distro} a package list of its own, or list ${m.name} for ${bazelArch} only by hand; nothing was written`,
            },
          );
        }
        if (d.additionsAt === undefined) {
          throw new ProblemError(
            "UPDATE_PROBLEMS",
            `image ${image.image} (${d.distro}): ${m.name} is ${m.reason} and moves to ${m.to}, but ${d.list.file} has no deb.package(arch, distro, ...) list or comprehension to append an arch-specific addition to`,
            {
              hint: `list ${m.name} for ${bazelArch} only by hand (as an arch-conditional addition of @${m.to} labels), then run update again; nothing was written`,
            },
          );
        }
        const f = fresh.get(m.to) ?? { bazelArch, debArch: m.arch, names: new Set<string>() };
        f.names.add(m.name);
        fresh.set(m.to, f);
      }
      for (const [repo, f] of fresh) {
        const after = newAdditionOffset(d);
        blocks.push({
          file: d.additionsAt!.file,
          at: after,
          apply: (text) => insertCompanionBlock(text, after, additionCondition(d, f.bazelArch), repo, f.debArch, [...f.names]),
        });
      }
    }
  }
  for (const image of images) {
    for (const d of image.distros) {
      const repoNames = new Set(Object.values(d.repoByArch).map((r) => r.name));
      const listed = new Set(d.packages.map((p) => p.name));
      const key = `${d.list.file}\u0000${d.list.listStart}`;
      const entry = edits.get(key) ?? { loc: d.list, insert: new Set<string>(), remove: new Set<string>() };
      for (const repo of repoNames) {
        for (const [name, by] of added.get(repo) ?? [])
          if (!listed.has(name) && [...by].some((b) => listed.has(b) || entry.insert.has(b))) entry.insert.add(name);
        for (const name of pruned.get(repo) ?? []) if (listed.has(name)) entry.remove.add(name);
      }
      if (entry.insert.size > 0 || entry.remove.size > 0) edits.set(key, entry);
      // An arch-specific companion list follows its own repo the same way; what its packages need from the
      // image's repo goes into the image's list.
      for (const c of d.companions) {
        const own = new Set(c.packages.map((p) => p.name));
        const ckey = `${c.list.file}\u0000${c.list.listStart}`;
        const centry = edits.get(ckey) ?? { loc: c.list, insert: new Set<string>(), remove: new Set<string>() };
        for (const [name, by] of added.get(c.repo) ?? [])
          if (!own.has(name) && [...by].some((b) => own.has(b) || listed.has(b) || centry.insert.has(b))) centry.insert.add(name);
        for (const name of pruned.get(c.repo) ?? []) if (own.has(name)) centry.remove.add(name);
        if (centry.insert.size > 0 || centry.remove.size > 0) edits.set(ckey, centry);
      }
    }
  }
  const byFile = new Map<string, { at: number; apply: (text: string) => string }[]>();
  const op = (file: string, at: number, apply: (text: string) => string) => byFile.set(file, [...(byFile.get(file) ?? []), { at, apply }]);
  for (const { loc, insert, remove } of edits.values()) {
    if (insert.size === 0 && remove.size === 0) continue;
    op(loc.file, loc.listStart, (text) => {
      let out = text;
      if (remove.size > 0) out = removeImageListPackages(out, loc, loc.listStart, remove);
      if (insert.size > 0) out = insertImageListPackages(out, loc, loc.listStart, [...insert].sort());
      return out;
    });
  }
  for (const b of blocks) op(b.file, b.at, b.apply);
  const changes: FileChange[] = [];
  for (const [file, ops] of byFile) {
    const path = resolvePath(root, file);
    const before = await files.readText(path);
    let text = before;
    // Last edit first: offsets of the text before it stay valid.
    for (const { apply } of ops.sort((a, b) => b.at - a.at)) text = apply(text);
    if (text !== before) changes.push({ path, before, after: text });
  }
  return changes;
}

/** Declarations of the companion repos update creates (beside their main repo's) and of those it deletes. */
async function planDeclarationEdits(
  root: string,
  files: WorkspaceFiles,
  created: CompanionMovesPlan["created"],
  deleted: readonly RepoDecl[],
): Promise<FileChange[]> {
  const texts = new Map<string, { before: string; text: string }>();
  const edit = async (file: string, f: (text: string) => string) => {
    const path = resolvePath(root, file);
    const cur = texts.get(path) ?? { before: await files.readText(path), text: "" };
    if (!texts.has(path)) cur.text = cur.before;
    cur.text = f(cur.text);
    texts.set(path, cur);
  };
  for (const c of created) {
    const arch = parseCompanionRepoName(c.repo.name)!.arch;
    await edit(c.main.declaredIn.file, (text) =>
      declareRepo(text, c.main.declaredIn.file, c.main.name, c.repo.name, `${c.main.name}: packages only ${arch} has`),
    );
  }
  for (const r of deleted) await edit(r.declaredIn.file, (text) => undeclareRepo(text, r.declaredIn.file, r.name));
  return [...texts].filter(([, t]) => t.text !== t.before).map(([path, t]) => ({ path, before: t.before, after: t.text }));
}

/** The error `update` fails with when the plan has problems (nothing is written). */
export function updateProblemsError(problems: readonly ReportProblem[]): ProblemError {
  return new ProblemError(
    "UPDATE_PROBLEMS",
    `update found ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  ${p.code}: ${p.message}`).join("\n")}`,
    {
      hint: problems[0]?.hint ?? "fix the problems above, then run deb-lock update again",
    },
  );
}
