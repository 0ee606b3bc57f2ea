import { InternalError, ProblemError, UsageError } from "../../core/errors.js";
import { formatLock, type KeyStyle, type LockDialect, type LockPackage, packageKey } from "../../core/lock/index.js";
import { dependencyClosureOf } from "../../core/resolve/dependency-closure.js";
import { type PathExplainer, pathExplainer } from "../../core/resolve/explain-paths.js";
import { formatProblem, type Problem } from "../../core/resolve/problem.js";
import {
  type InstalledPackage,
  type ResolvedPackage,
  type ResolveResult,
  type RootRequest,
  resolveClosure,
} from "../../core/resolve/resolve-closure.js";
import type { Universe } from "../../core/resolve/universe.js";
import {
  addManifestPackages,
  formatMarker,
  markerOf,
  type PackageConstraint,
  type PackageToAdd,
  setManifestPackageComments,
} from "../../edit/manifest.js";
import { ChangeSet, type FileChange } from "../changes/change-set.js";
import { additionCondition, companionRepoName, newAdditionOffset, newCompanionState } from "../changes/companion.js";
import { insertCompanionBlock, insertImageListPackages } from "../changes/image-list-edit.js";
import { type Loaded, type LoadedRepos, loadedEntry, loadedValue } from "../changes/loaded.js";
import { declareRepo } from "../changes/repo-declaration.js";
import { pinnedUniverseFor, pinsFor, recordOf } from "../indexes/pinned-universe.js";
import { type ArchIndexes, UniverseCache, universeFor } from "../indexes/resolve-repo.js";
import type { ImageDistro, ImageInfo, ImageListLocation } from "../workspace/images.js";
import { type Present, presentFor } from "../workspace/present-packages.js";
import { currentState, lockedVersions, type RepoState } from "../workspace/repo-state.js";
import { fixedPoint, sameSetMap, showSetMap } from "./fixed-point.js";

/**
 * The planner of `deb-lock add`: pure and synchronous. It takes what add.ts loaded (the image, the repo states,
 * the archive indexes of the repos the plan may touch, the texts of the files its edits may touch) and returns
 * the edits and reports; MODULE.bazel.lock is brought in step afterwards by the caller.
 */

/** A package named on the command line: `ffmpeg` or `ffmpeg=7:5.1.6-0+deb12u1`. */
export interface RequestedPackage {
  readonly name: string;
  readonly constraint?: PackageConstraint;
}

/** A package add puts into an image (or manifest) for one arch, and why. */
export interface AddedPackage {
  readonly name: string;
  readonly version: string;
  /** `Installed-Size` in KiB (0 when the index does not say). */
  readonly installedSize: number;
  /** Requested package → ... → this package (just [name] for a requested one). */
  readonly chain: readonly string[];
  readonly requested: boolean;
}

/** A dependency add did not add because something already present satisfies it. */
export interface SkippedPackage {
  readonly name: string;
  readonly version: string;
  /** The image (or repo) that already has it, e.g. `cc` or `python3`. */
  readonly providedBy: string;
  /** The new package that needed it. */
  readonly neededBy: string;
}

export interface AddArchReport {
  /** Debian arch. */
  readonly arch: string;
  readonly added: readonly AddedPackage[];
  readonly skipped: readonly SkippedPackage[];
  /** Sum of Installed-Size of `added`, KiB. */
  readonly installedSize: number;
}

export interface AddTargetReport {
  /** Packages only some archs have, put into arch-specific companion repos. */
  readonly companions?: readonly AddCompanionReport[];
  /** The distro of an image (absent in --manifest mode). */
  readonly distro?: string;
  readonly repo: string;
  readonly manifestFile: string;
  readonly lockFile: string;
  /** Requested packages already in the image (or manifest): nothing to do for them. */
  readonly alreadyPresent: readonly string[];
  /** Requested packages an ancestor image already provides (on every arch): not added. */
  readonly providedByAncestor: readonly { readonly name: string; readonly image: string }[];
  readonly archs: readonly AddArchReport[];
}

export interface AddPlan {
  readonly image?: string;
  readonly targets: readonly AddTargetReport[];
  /** Every file whose bytes change (absolute paths), in a stable order. */
  readonly changes: readonly FileChange[];
  /** MODULE.bazel.lock entries that could not follow the change safely, with the command to run. */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// Resolution for one target (an image distro served by one repo, or a manifest)

interface ArchPlan {
  /** Debian arch. */
  readonly arch: string;
  readonly universe: Universe;
  readonly urlsOf: (sourceId: string) => readonly string[];
  readonly result: ResolveResult & { ok: true };
  readonly present: ReadonlyMap<string, Present>;
  /** Dependency questions about `result` (reach, first path), each walk done once. */
  readonly explain: PathExplainer;
}

interface TargetInput {
  readonly label: string;
  /** The universes of the run's indexes (a memo: one universe per arch and indexes, whatever the pins). */
  readonly universes: UniverseCache;
  /** Debian archs to resolve for. */
  readonly archs: readonly string[];
  readonly state: RepoState;
  /** Per Debian arch: what is already installed (image, ancestors, or the repo's locked packages). */
  readonly present: (arch: string) => Present[];
  /** Names the target's package list already holds. */
  readonly listed: ReadonlySet<string>;
}

/**
 * Locked packages the failing chains depend on that the sources have newer versions of: what `deb-lock update`
 * would move (add itself never does).
 */
function heldBack(problems: readonly Problem[], unpinned: Universe, pins: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const names = new Set(problems.flatMap((p) => [...p.chain, p.package]));
  const deps = new Set<string>();
  for (const n of names) {
    for (const v of unpinned.versionsOf(n)) for (const group of unpinned.relationsOf(v.record).dependencies) for (const r of group) deps.add(r.name);
  }
  for (const d of [...deps].sort()) {
    const pinned = pins.get(d);
    const best = unpinned.versionsOf(d)[0];
    if (pinned !== undefined && best !== undefined && best.record.version !== pinned)
      out.push(`${d} ${pinned} (the sources have ${best.record.version})`);
  }
  return out;
}

function unresolvable(label: string, problems: readonly Problem[], held: readonly string[] = []): ProblemError {
  const locked = held.length > 0 || problems.some((p) => p.code === "VERSION_CLASH" || p.code === "BREAKS" || p.code === "CONFLICTS");
  const lines = problems.map((p) => `  ${formatProblem(p).replace(/\n/g, "\n  ")}`);
  if (held.length > 0) lines.push(`  locked at older versions: ${held.join(", ")}`);
  return new ProblemError("ADD_UNRESOLVABLE", `${label}: the new packages cannot be installed beside what is already locked:\n${lines.join("\n")}`, {
    hint: locked
      ? "deb-lock add never upgrades locked packages; run `deb-lock update` to move the locks forward, then add again"
      : "check the package names and the manifest's sources (suites, components, archs); nothing was written",
  });
}

function resolveTarget(
  input: TargetInput,
  roots: readonly RootRequest[],
  /** The archive indexes of the target's manifest, per arch. */
  indexes: readonly ArchIndexes[],
  /** Names another distro sharing the same package list needs: installed here too wherever they exist. */
  shared: readonly string[] = [],
): { archs: ArchPlan[]; names: string[]; missing: Map<string, string[]> } {
  const byArch = new Map(indexes.map((i) => [i.arch, i]));
  const missingArch = input.archs.filter((a) => !byArch.has(a));
  if (missingArch.length > 0) {
    throw new ProblemError(
      "ADD_ARCH_NOT_IN_MANIFEST",
      `${input.state.manifestPath}: ${input.label} is built for ${missingArch.join(", ")}, which the manifest's archs do not list`,
      {
        hint: `add ${missingArch.join(", ")} to archs: in ${input.state.manifestPath} and run \`deb-lock lock\``,
      },
    );
  }
  const universes = new Map<
    string,
    { universe: Universe; urlsOf: (id: string) => readonly string[]; present: Map<string, Present>; installed: InstalledPackage[] }
  >();
  for (const arch of input.archs) {
    const present = new Map(input.present(arch).map((p) => [p.name, p]));
    const { universe, urlsOf } = pinnedUniverseFor(byArch.get(arch)!, pinsFor(input.state, arch, present.values()), input.universes);
    const installed: InstalledPackage[] = [...present.values()].map((p) => {
      const rec = recordOf(universe, p.name, p.version);
      return rec?.provides === undefined ? { name: p.name, version: p.version } : { name: p.name, version: p.version, provides: rec.provides };
    });
    universes.set(arch, { universe, urlsOf, present, installed });
  }
  // The image's list is shared by its archs: whatever one arch needs is listed, so it is installed (and must
  // resolve) on every arch where it exists. Iterate until the set of names is stable.
  const otherArchHas = (name: string, arch: string): boolean =>
    input.archs.some(
      (a) => a !== arch && (universes.get(a)!.universe.versionsOf(name).length > 0 || universes.get(a)!.universe.providersOf(name).length > 0),
    );
  let names = new Set<string>();
  let plans: ArchPlan[] = [];
  // The last plan of each arch with the extras it was resolved with: an arch whose extras did not change is not
  // resolved again.
  const previous = new Map<string, { extras: string; plan: ArchPlan }>();
  const round = (extras: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Set<string>> => {
    plans = [];
    for (const arch of input.archs) {
      const u = universes.get(arch)!;
      const key = [...extras.get(arch)!].sort().join(" ");
      const reuse = previous.get(arch);
      if (reuse !== undefined && reuse.extras === key) {
        plans.push(reuse.plan);
        continue;
      }
      const extra = [...extras.get(arch)!].map((name) => ({ name }));
      // A requested package this arch does not have at all is reported as missing on this arch (below).
      const here = roots.filter(
        (r) => !(otherArchHas(r.name, arch) && u.universe.versionsOf(r.name).length === 0 && u.universe.providersOf(r.name).length === 0),
      );
      const result = resolveClosure({ universe: u.universe, roots: [...here, ...extra], installed: u.installed });
      if (!result.ok) {
        const pins = pinsFor(input.state, arch, u.present.values());
        throw unresolvable(
          `${input.label} (${arch})`,
          result.problems,
          heldBack(result.problems, universeFor(byArch.get(arch)!, input.universes).universe, pins),
        );
      }
      const plan = { arch, universe: u.universe, urlsOf: u.urlsOf, result, present: u.present, explain: pathExplainer(result) };
      previous.set(arch, { extras: key, plan });
      plans.push(plan);
    }
    names = new Set(plans.flatMap((p) => p.result.packages.map((x) => x.name)));
    const next = new Map([...extras].map(([a, v]) => [a, new Set(v)]));
    for (const plan of plans) {
      const u = universes.get(plan.arch)!;
      const have = new Set(plan.result.packages.map((p) => p.name));
      for (const n of new Set([...names, ...shared])) {
        if (have.has(n) || u.present.has(n) || u.universe.versionsOf(n).length === 0) continue;
        next.get(plan.arch)!.add(n);
      }
    }
    return next;
  };
  fixedPoint(
    `the package set of ${input.label} shared by its archs`,
    new Map(input.archs.map((a) => [a, new Set<string>()])),
    round,
    sameSetMap,
    showSetMap,
  );
  // Names some arch cannot have.
  const missing = new Map<string, string[]>();
  for (const name of names) {
    for (const plan of plans) {
      if (plan.result.packages.some((p) => p.name === name) || plan.present.has(name)) continue;
      missing.set(name, [...(missing.get(name) ?? []), plan.arch]);
    }
  }
  // Deterministic order: requested first (command-line order), then by first appearance in the resolver's
  // order over the archs in manifest order.
  const ordered: string[] = [];
  for (const r of roots) if (names.has(r.name)) ordered.push(r.name);
  for (const plan of plans) for (const p of plan.result.packages) if (!ordered.includes(p.name)) ordered.push(p.name);
  return { archs: plans, names: ordered, missing };
}

/** The dependency path from a requested package to `name`: on this arch, else on the arch whose closure needs it. */
function chainOf(plan: ArchPlan, name: string, all: readonly ArchPlan[] = [plan], requested?: ReadonlySet<string>): string[] {
  for (const p of [plan, ...all]) {
    const path = p.explain.firstPath(name, requested);
    if (path !== undefined) return path;
  }
  return [name];
}

/** The requested packages that need `name` (depend on it, directly or not) on some arch. */
function rootsNeeding(plans: readonly ArchPlan[], name: string, requested: ReadonlySet<string>): string[] {
  return [...requested].filter((r) => plans.some((plan) => plan.explain.reaches(r, name)));
}

// ---------------------------------------------------------------------------------------------------------
// Edits

/** The new lock text: new entries after the last entry of their arch, every existing entry untouched. */
function lockWithAdditions(state: RepoState, additions: ReadonlyMap<string, LockPackage[]>): string {
  if ([...additions.values()].every((a) => a.length === 0)) return state.lockText;
  const packages = [...state.lock.lock.packages];
  for (const [arch, entries] of additions) {
    if (entries.length === 0) continue;
    let at = -1;
    packages.forEach((p, i) => {
      if (p.arch === arch) at = i;
    });
    if (at === -1) {
      // No entry of this arch yet: after the archs that come before it in the manifest.
      const order = state.manifest.archs;
      at = packages.length - 1;
      for (let i = 0; i < packages.length; i++) {
        if (order.indexOf(packages[i]!.arch) > order.indexOf(arch)) {
          at = i - 1;
          break;
        }
      }
    }
    packages.splice(at + 1, 0, ...entries);
  }
  return formatLock({ version: 1, packages }, state.lock.dialect, state.lock.layout);
}

function lockEntry(plan: ArchPlan, pkg: ResolvedPackage, transitive: boolean, dialect: LockDialect, keyStyle: KeyStyle): LockPackage {
  const urls = plan.urlsOf(pkg.sourceId).map((root) => `${root.replace(/\/+$/, "")}/${pkg.record.filename}`);
  const dependencies = transitive
    ? dependencyClosureOf(plan.result, pkg.name).map((d) => ({
        key: packageKey(d.name, d.record.version, plan.arch, keyStyle),
        name: d.name,
        version: d.record.version,
      }))
    : [];
  const base = {
    arch: plan.arch,
    dependencies,
    key: packageKey(pkg.name, pkg.record.version, plan.arch, keyStyle),
    name: pkg.name,
    sha256: pkg.record.sha256,
  };
  return dialect === "url" ? { ...base, url: urls[0] ?? "", version: pkg.record.version } : { ...base, urls, version: pkg.record.version };
}

function requestRoots(packages: readonly RequestedPackage[]): RootRequest[] {
  return packages.map((p) => (p.constraint === undefined ? { name: p.name } : { name: p.name, op: p.constraint.op, version: p.constraint.version }));
}

/** The version constraints of the requested packages (`pkg=1.2-3`), by name. */
function constraintsOf(packages: readonly RequestedPackage[]): Map<string, PackageConstraint> {
  return new Map(packages.flatMap((p) => (p.constraint === undefined ? [] : [[p.name, p.constraint] as const])));
}

/** A new manifest entry: a requested package as asked for (`pkg=1.2-3` keeps its `(= 1.2-3)`), a dependency marked. */
function manifestEntry(
  name: string,
  plans: readonly ArchPlan[],
  requested: ReadonlySet<string>,
  constraints: ReadonlyMap<string, PackageConstraint>,
): PackageToAdd {
  if (!requested.has(name)) return { name, comment: formatMarker({ dependencyOf: rootsNeeding(plans, name, requested) }) };
  const constraint = constraints.get(name);
  return constraint === undefined ? { name } : { name, constraint };
}

/** Adds manifest entries (requested plain, dependencies marked) and lock entries for one repo. */
function addToRepo(
  cs: ChangeSet,
  original: RepoState,
  plans: readonly ArchPlan[],
  names: readonly string[],
  requested: ReadonlySet<string>,
  constraints: ReadonlyMap<string, PackageConstraint> = new Map(),
  /** The plans of every arch, for the dependency markers (a companion repo locks one arch). */
  allPlans: readonly ArchPlan[] = plans,
): void {
  const state = currentState(cs, original);
  const inManifest = new Set(state.manifest.packages.map((p) => p.name));
  const manifestAdds = names.filter((n) => !inManifest.has(n)).map((n) => manifestEntry(n, allPlans, requested, constraints));
  let manifestText = addManifestPackages(state.manifestText, manifestAdds, state.manifestPath);
  // A requested package that was listed only as someone's dependency becomes a package of its own.
  const promoted = new Map<string, string | undefined>();
  for (const p of state.manifest.packages) if (requested.has(p.name) && markerOf(p) !== undefined) promoted.set(p.name, undefined);
  if (promoted.size > 0) manifestText = setManifestPackageComments(manifestText, promoted, state.manifestPath);
  cs.set(state.manifestPath, state.manifestText, manifestText);

  const additions = new Map<string, LockPackage[]>();
  for (const plan of plans) {
    const locked = lockedVersions(state, plan.arch);
    const entries: LockPackage[] = [];
    for (const name of names) {
      if (locked.has(name)) continue;
      const pkg = plan.result.packages.find((p) => p.name === name);
      if (pkg !== undefined)
        entries.push(lockEntry(plan, pkg, state.repo.resolveTransitive && requested.has(name), state.lock.dialect, state.lock.keyStyle));
    }
    additions.set(plan.arch, entries);
  }
  cs.set(state.lockPath, state.lockText, lockWithAdditions(state, additions));
}

function archReports(
  plans: readonly ArchPlan[],
  names: readonly string[],
  requested: ReadonlySet<string>,
  isNew: (arch: string, name: string) => boolean = () => true,
): AddArchReport[] {
  return plans.map((plan) => {
    const added: AddedPackage[] = [];
    for (const name of names) {
      const pkg = plan.result.packages.find((p) => p.name === name);
      if (pkg === undefined || !isNew(plan.arch, name)) continue;
      added.push({
        name,
        version: pkg.record.version,
        installedSize: pkg.record.installedSize ?? 0,
        chain: chainOf(plan, name, plans, requested),
        requested: requested.has(name),
      });
    }
    const skipped: SkippedPackage[] = [];
    const seen = new Set<string>();
    for (const pkg of plan.result.packages) {
      for (const dep of pkg.dependsOn) {
        const present = plan.present.get(dep);
        if (present === undefined || seen.has(dep)) continue;
        seen.add(dep);
        skipped.push({ name: dep, version: present.version, providedBy: present.from, neededBy: pkg.name });
      }
    }
    skipped.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { arch: plan.arch, added, skipped, installedSize: added.reduce((n, p) => n + p.installedSize, 0) };
  });
}

function missingArchError(
  label: string,
  where: string,
  distro: ImageDistro | undefined,
  plans: readonly ArchPlan[],
  missing: ReadonlyMap<string, string[]>,
  repo: string,
  manifestFile: string,
  whyNoCompanion: string,
): ProblemError {
  const lines: string[] = [];
  for (const [name, archs] of missing) {
    const plan = plans.find((p) => p.result.packages.some((x) => x.name === name));
    const chain = plan === undefined ? [name] : chainOf(plan, name, plans);
    const why = chain.length > 1 ? `needed on ${plan?.arch} by ${chain.join(" → ")}` : `requested`;
    lines.push(`  ${name}: no ${archs.join(", ")} package (${why}); @${repo}//${name}/${archs[0]} would not resolve`);
  }
  const archList = distro?.archs.join(", ") ?? plans.map((p) => p.arch).join(", ");
  const without = [...new Set([...missing.values()].flat())];
  return new ProblemError(
    "ADD_ARCH_MISSING",
    `${label} is built for ${archList} from one package list (${where}), and some packages it would need do not exist on ${without.join(", ")}:\n${lines.join("\n")}`,
    {
      hint:
        `nothing was written. deb-lock puts such packages into an arch-specific companion repo (<repo>_<arch>_only, referenced only for the archs that have them), but not here: ${whyNoCompanion}. ` +
        `Otherwise restrict the packages to the archs that have them with --arch (e.g. --arch ${plans.find((p) => !without.includes(p.arch))?.arch ?? "amd64"}), or stop building ${label} for ${without.join(", ")} ` +
        `(remove ${without.join(", ")} from archs: in ${manifestFile} and from the image's arch list)`,
    },
  );
}

/** Why the companion layout cannot be written for this image list; undefined when it can. */
function companionRefusal(distro: ImageDistro, sharedWithOtherDistros: boolean): string | undefined {
  if (sharedWithOtherDistros && distro.list.element.kind === "deb.package")
    return `${distro.list.file} lists the packages of several distros at once`;
  if (distro.additionsAt === undefined)
    return `found no deb.package(arch, distro, ...) list or comprehension with plain arch and distro variables to append an arch-specific addition to`;
  return undefined;
}

export interface AddCompanionReport {
  /** Debian arch. */
  readonly arch: string;
  readonly repo: string;
  readonly manifestFile: string;
  readonly lockFile: string;
  /** Whether add creates the repo (files and declaration). */
  readonly created: boolean;
  readonly packages: readonly string[];
}

/**
 * Adds packages only `plan.arch` has to the image's companion repo for that arch: creates the repo (manifest,
 * lock, declaration beside the main repo's) when the workspace does not declare it yet, and lists the packages
 * in the image's arch-conditional addition for that arch (written after the image's list when new).
 */
function addToCompanion(
  cs: ChangeSet,
  input: ImageAddInput,
  distro: ImageDistro,
  main: RepoState,
  plan: ArchPlan,
  plans: readonly ArchPlan[],
  names: readonly string[],
  requested: ReadonlySet<string>,
  constraints: ReadonlyMap<string, PackageConstraint>,
): AddCompanionReport {
  const image = input.info.image;
  const bazelArch = Object.entries(distro.debianArch).find(([, d]) => d === plan.arch)![0];
  const name = companionRepoName(main.repo.name, plan.arch);
  let state = input.repos.get(name);
  const created = state === undefined;
  if (state === undefined) {
    state = newCompanionState(main, name, plan.arch, `${main.repo.name}, ${plan.arch} only: packages ${image} needs that other archs do not have`);
    for (const path of [state.manifestPath, state.lockPath]) {
      if (loadedEntry(input.existing, path, "existence of")) {
        throw new ProblemError("ADD_COMPANION_EXISTS", `${path} exists, but the workspace declares no repo ${name} for it`, {
          hint: `declare ${name} like ${main.repo.name} (in ${main.repo.declaredIn.file}), or move ${path} away; nothing was written`,
        });
      }
    }
    cs.create(state.manifestPath, state.manifestText);
    cs.create(state.lockPath, state.lockText);
    const declFile = main.repo.declaredIn.file;
    const decl = cs.file(declFile);
    cs.set(declFile, decl.before, declareRepo(decl.text, declFile, main.repo.name, name, `${main.repo.name}: packages only ${plan.arch} has`));
  }
  addToRepo(cs, state, [plan], names, requested, constraints, plans);
  const block = distro.companions.find((c) => c.arch === bazelArch && c.repo === name);
  const fresh = names.filter((n) => !(block?.packages ?? []).some((x) => x.name === n));
  if (block !== undefined) {
    if (fresh.length > 0) {
      const edit = cs.file(block.list.file);
      edit.record(block.list.listStart, insertImageListPackages(edit.text, block.list, edit.map(block.list.listStart), fresh));
    }
  } else {
    // After the image's deb.package list (or comprehension), and after the additions already there.
    const edit = cs.file(distro.additionsAt!.file);
    const after = newAdditionOffset(distro);
    edit.record(after, insertCompanionBlock(edit.text, edit.mapAfter(after), additionCondition(distro, bazelArch), name, plan.arch, fresh));
  }
  return { arch: plan.arch, repo: name, manifestFile: state.manifestPath, lockFile: state.lockPath, created, packages: names };
}

/** What add --manifest plans from. */
export interface ManifestAddInput {
  readonly root: string;
  readonly packages: readonly RequestedPackage[];
  readonly archs?: readonly string[];
  readonly state: RepoState;
  /** The archive indexes of the repo's manifest (absent when every requested package is already listed). */
  readonly indexes?: Loaded<ArchIndexes[]>;
  /** Universes already built from those indexes in this run (a memo; default none). */
  readonly universes?: UniverseCache;
}

/** The requested packages add --manifest resolves: all but those the manifest lists already, as asked. */
export function manifestAddRoots(packages: readonly RequestedPackage[], state: RepoState): { alreadyPresent: string[]; roots: RootRequest[] } {
  const inManifest = new Set(state.manifest.packages.map((p) => p.name));
  const alreadyPresent = packages.filter((p) => inManifest.has(p.name) && p.constraint === undefined).map((p) => p.name);
  return { alreadyPresent, roots: requestRoots(packages.filter((p) => !alreadyPresent.includes(p.name))) };
}

/** --arch with a manifest: refused unless it names every arch the manifest lists (one package list for all). */
export function manifestArchRefusal(state: RepoState, archs: readonly string[] | undefined): UsageError | undefined {
  if (archs === undefined || state.manifest.archs.every((a) => archs.includes(a))) return undefined;
  return new UsageError(
    `${state.manifestPath} lists one set of packages for ${state.manifest.archs.join(", ")}: --arch ${archs.join(",")} cannot add to some of them only`,
    {
      hint: `leave --arch out, or keep the packages in a manifest of their own whose archs: are ${archs.join(", ")}`,
    },
  );
}

/** add --manifest: a plain rules_distroless repo; its manifest and lock take the new packages. */
export function planManifestAddition(input: ManifestAddInput): AddPlan {
  const { state } = input;
  const repo = state.repo;
  const cs = new ChangeSet(input.root, new Map());
  const requested = new Set(input.packages.map((p) => p.name));
  const archRefusal = manifestArchRefusal(state, input.archs);
  if (archRefusal !== undefined) throw archRefusal;
  const inManifest = new Set(state.manifest.packages.map((p) => p.name));
  const { alreadyPresent, roots } = manifestAddRoots(input.packages, state);
  let archs: AddArchReport[] = state.manifest.archs.map((arch) => ({ arch, added: [], skipped: [], installedSize: 0 }));
  if (roots.length > 0) {
    if (input.indexes === undefined) throw new InternalError("INTERNAL", `archive indexes of repo ${repo.name} were not loaded before planning`);
    const {
      archs: plans,
      names,
      missing,
    } = resolveTarget(
      {
        label: repo.name,
        universes: input.universes ?? new UniverseCache(),
        archs: state.manifest.archs,
        state,
        // A non-transitive repo's manifest lists its whole closure: those packages are present. A transitive
        // repo records each root's full closure, so nothing counts as present there (locked versions stay
        // pinned all the same).
        present: (arch) =>
          repo.resolveTransitive
            ? []
            : [...lockedVersions(state, arch)].filter(([n]) => inManifest.has(n)).map(([name, version]) => ({ name, version, from: repo.name })),
        listed: inManifest,
      },
      roots,
      loadedValue(input.indexes),
    );
    // One manifest, one package list for all its archs: a package (or, in a non-transitive repo, any package
    // of the closure) that some arch lacks would leave that arch without an entry the next check and lock want.
    const blocking = [...missing].filter(([name]) => requested.has(name) || !repo.resolveTransitive);
    if (blocking.length > 0) {
      const lines = blocking.map(([name, archs]) => `  ${name}: no ${archs.join(", ")} package${requested.has(name) ? " (requested)" : ""}`);
      const without = [...new Set(blocking.flatMap(([, a]) => a))];
      const have = state.manifest.archs.filter((a) => !without.includes(a));
      throw new ProblemError(
        "ADD_ARCH_MISSING",
        `${state.manifestPath} lists one set of packages for ${state.manifest.archs.join(", ")}, and some packages this add needs do not exist on ${without.join(", ")}:\n${lines.join("\n")}`,
        {
          hint: `nothing was written. Put them in a manifest of their own for ${have.join(", ") || "the archs that have them"} (archs: [${have.join(", ")}]), declared like ${repo.name}, and add them there with --manifest; or remove ${without.join(", ")} from archs: in ${state.manifestPath}`,
        },
      );
    }
    // A transitive repo lists only what was asked for; its lock records the dependencies.
    const manifestNames = repo.resolveTransitive ? names.filter((n) => requested.has(n)) : names;
    addToManifestRepo(cs, state, plans, names, manifestNames, requested, constraintsOf(input.packages));
    archs = archReports(plans, names, requested, (arch, name) => !lockedVersions(state, arch).has(name));
  }
  const target: AddTargetReport = {
    repo: repo.name,
    manifestFile: state.manifestPath,
    lockFile: state.lockPath,
    alreadyPresent,
    providedByAncestor: [],
    archs,
  };
  return { targets: [target], changes: cs.changes(), warnings: [] };
}

/** What add --image plans from. */
export interface ImageAddInput {
  readonly root: string;
  readonly packages: readonly RequestedPackage[];
  /** Only these archs (Bazel or Debian names). */
  readonly archs?: readonly string[];
  readonly info: ImageInfo;
  /** Every distro of the image, when --distro picked some of them (to refuse a list they share). */
  readonly allDistros?: readonly ImageDistro[];
  /** The image's repos, its ancestors' and companions', and the companion repos the add may fill. */
  readonly repos: LoadedRepos;
  /** The archive indexes of the repos serving the image (see imageAddIndexedRepos), by repo name. */
  readonly indexes: ReadonlyMap<string, Loaded<ArchIndexes[]>>;
  /** The image's list files and the declaration files of its repos, by workspace-relative path. */
  readonly texts: ReadonlyMap<string, Loaded<string>>;
  /** Whether each file a new companion repo would create exists already, by workspace-relative path. */
  readonly existing: ReadonlyMap<string, Loaded<boolean>>;
  /** The workspace declares repos through MODULE.bazel and has a MODULE.bazel.lock: a new repo must be noted. */
  readonly moduleLockRecordsRepos: boolean;
  /** Universes already built from the indexes in this run (a memo; default none). */
  readonly universes?: UniverseCache;
}

/** What add does with the requested packages for one distro of an image. */
function distroRoots(
  distro: ImageDistro,
  packages: readonly RequestedPackage[],
): { listed: Set<string>; alreadyPresent: string[]; providedByAncestor: { name: string; image: string }[]; roots: RootRequest[] } {
  const listed = new Set(distro.packages.map((p) => p.name));
  const alreadyPresent = packages.filter((p) => listed.has(p.name)).map((p) => p.name);
  // A requested package every arch's ancestors already have needs no entry of its own.
  const providedByAncestor: { name: string; image: string }[] = [];
  for (const p of packages) {
    if (listed.has(p.name)) continue;
    const owners = distro.archs.map((a) => (distro.ancestors[a] ?? []).find((x) => x.packages.some((q) => q.name === p.name))?.image);
    if (owners.every((o) => o !== undefined)) providedByAncestor.push({ name: p.name, image: owners[0]! });
  }
  const roots = requestRoots(packages.filter((p) => !listed.has(p.name) && !providedByAncestor.some((a) => a.name === p.name)));
  return { listed, alreadyPresent, providedByAncestor, roots };
}

/** The distro's repos (one per group of Bazel archs it serves) and whether --arch keeps each Bazel arch. */
export function distroRepoGroups(
  distro: ImageDistro,
  archs: readonly string[] | undefined,
): { groups: Map<string, string[]>; wanted: (a: string) => boolean } {
  const groups = new Map<string, string[]>();
  for (const arch of distro.archs) groups.set(distro.repoByArch[arch]!.name, [...(groups.get(distro.repoByArch[arch]!.name) ?? []), arch]);
  const wanted = (a: string): boolean => archs === undefined || archs.includes(a) || archs.includes(distro.debianArch[a]!);
  return { groups, wanted };
}

/** The repos whose archive indexes add --image resolves against: those serving a kept arch of a distro that gets new packages. */
export function imageAddIndexedRepos(info: ImageInfo, packages: readonly RequestedPackage[], archs: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  for (const distro of info.distros) {
    if (distroRoots(distro, packages).roots.length === 0) continue;
    const { groups, wanted } = distroRepoGroups(distro, archs);
    for (const [repo, groupArchs] of groups) if (groupArchs.some(wanted)) out.add(repo);
  }
  return [...out];
}

/** One distro of the image (one repo group of it), resolved: what add puts where. */
interface DistroPlan {
  readonly distro: ImageDistro;
  readonly state: RepoState;
  readonly plans: readonly ArchPlan[];
  readonly names: readonly string[];
  readonly alreadyPresent: readonly string[];
  readonly providedByAncestor: readonly { readonly name: string; readonly image: string }[];
  /** Names some of the distro's archs do not have, with those archs. */
  readonly missing: ReadonlyMap<string, string[]>;
}

/** The package list a distro's packages are written in: distros with the same key share one list (2024 layout). */
function listKey(d: ImageDistro): string {
  return `${d.list.file}@${d.list.listStart}`;
}

/**
 * A list written once for several distros (2024 layout) cannot take a package for one distro only (--distro):
 * the other distros' repos would have no entry for it. The refusal, or undefined.
 */
export function sharedListRefusal(info: ImageInfo, allDistros: readonly ImageDistro[]): ProblemError | undefined {
  for (const d of info.distros) {
    const sharing = allDistros.filter((o) => o.distro !== d.distro && o.list.file === d.list.file && o.list.listStart === d.list.listStart);
    if (sharing.length === 0) continue;
    const distros = [d, ...sharing].map((x) => x.distro).join(" and ");
    return new ProblemError(
      "ADD_SHARED_LIST",
      `image ${info.image}: ${d.list.file}:${positionLine(d.list)} lists the packages of ${distros} at once, so a package cannot be added for ${d.distro} alone`,
      {
        hint: `run the add without --distro (it then resolves and locks the package for ${distros}); nothing was written`,
      },
    );
  }
  return undefined;
}

/**
 * One round over the image's distros: resolves the new packages for each (per repo group of its archs), with
 * `shared` (list key → names the distros sharing that list need) installed too wherever they exist.
 */
function planDistros(input: ImageAddInput, shared: ReadonlyMap<string, ReadonlySet<string>>): DistroPlan[] {
  const { info, repos } = input;
  const universes = input.universes ?? new UniverseCache();
  const out: DistroPlan[] = [];
  for (const distro of info.distros) {
    for (const a of Object.values(distro.ancestors).flat()) repos.get(a.repo);
    for (const c of distro.companions) repos.get(c.repo);
    const { groups, wanted } = distroRepoGroups(distro, input.archs);
    const { listed, alreadyPresent, providedByAncestor, roots } = distroRoots(distro, input.packages);
    if (!distro.archs.some(wanted)) {
      throw new UsageError(`image ${info.image} (${distro.distro}) is not built for ${input.archs!.join(", ")}`, {
        hint: `give --arch some of ${distro.archs.join(", ")} (or their Debian names)`,
      });
    }
    for (const [repoName, allArchs] of groups) {
      const bazelArchs = allArchs.filter(wanted);
      if (bazelArchs.length === 0) continue;
      const state = repos.get(repoName)!;
      if (roots.length === 0) {
        out.push({ distro, state, plans: [], names: [], alreadyPresent, providedByAncestor, missing: new Map() });
        continue;
      }
      const target: TargetInput = {
        label: `image ${info.image} (${distro.distro})`,
        universes,
        archs: bazelArchs.map((a) => distro.debianArch[a]!),
        state,
        present: (arch) => presentFor(distro, info.image, repos.states, arch),
        listed,
      };
      const indexes = loadedEntry(input.indexes, repoName, "archive indexes of repo");
      const { archs: plans, names, missing } = resolveTarget(target, roots, indexes, [...(shared.get(listKey(distro)) ?? [])]);
      // Restricted to some archs: every new package is arch-specific, lacking on the archs left out.
      const left = distro.archs.filter((a) => !wanted(a)).map((a) => distro.debianArch[a]!);
      if (left.length > 0) for (const n of names) missing.set(n, [...new Set([...(missing.get(n) ?? []), ...left])]);
      out.push({ distro, state, plans, names, alreadyPresent, providedByAncestor, missing });
    }
  }
  return out;
}

/** list key → every name the distros writing to that list resolved. */
function namesByList(distros: readonly DistroPlan[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of distros) {
    const set = out.get(listKey(p.distro)) ?? new Set<string>();
    for (const n of p.names) set.add(n);
    out.set(listKey(p.distro), set);
  }
  return out;
}

/** A name one distro of a shared list needs that another distro's sources do not have: ADD_DISTRO_MISSING, or undefined. */
function distroMissingRefusal(
  info: ImageInfo,
  distros: readonly DistroPlan[],
  shared: ReadonlyMap<string, ReadonlySet<string>>,
): ProblemError | undefined {
  for (const p of distros) {
    const ancestorNames = new Set(
      Object.values(p.distro.ancestors)
        .flat()
        .flatMap((a) => a.packages.map((x) => x.name)),
    );
    const lacking = [...(shared.get(listKey(p.distro)) ?? [])].filter(
      (n) => !p.names.includes(n) && !p.distro.packages.some((x) => x.name === n) && !ancestorNames.has(n),
    );
    if (lacking.length === 0) continue;
    const others = distros.filter((o) => o !== p && listKey(o.distro) === listKey(p.distro)).map((o) => o.distro.distro);
    const where = `${p.distro.list.file}:${positionLine(p.distro.list)}`;
    return new ProblemError(
      "ADD_DISTRO_MISSING",
      `image ${info.image}: ${where} lists the packages of ${[p.distro.distro, ...others].join(" and ")} at once, ` +
        `but ${lacking.join(", ")} (needed on ${others.join(", ")}) ${lacking.length === 1 ? "does" : "do"} not exist ` +
        `in the sources of ${p.state.manifestPath} (${p.distro.distro}); @${p.state.repo.name}//${lacking[0]}/... would not resolve`,
      {
        hint: `give ${p.distro.distro} and ${others.join(", ")} separate package lists (e.g. a dict keyed by distro in a .bzl file), then add per distro with --distro; nothing was written`,
      },
    );
  }
  return undefined;
}

/** Writes one resolved distro: its repo's manifest and lock, its list, and its companion repos. */
function addDistro(cs: ChangeSet, input: ImageAddInput, p: DistroPlan, distros: readonly DistroPlan[]): AddTargetReport {
  const requested = new Set(input.packages.map((x) => x.name));
  const constraints = constraintsOf(input.packages);
  // Asking for a package the image has only as someone's dependency makes it a package of its own.
  const promote = new Map(
    p.state.manifest.packages.filter((m) => p.alreadyPresent.includes(m.name) && markerOf(m) !== undefined).map((m) => [m.name, undefined]),
  );
  if (promote.size > 0) {
    const current = cs.edits.get(p.state.manifestPath)?.text ?? p.state.manifestText;
    cs.set(p.state.manifestPath, p.state.manifestText, setManifestPackageComments(current, promote, p.state.manifestPath));
  }
  // Packages some archs lack go to arch-specific companion repos; the rest into the image's repo and list.
  if (p.missing.size > 0) {
    const refusal = companionRefusal(p.distro, distros.filter((o) => o !== p && listKey(o.distro) === listKey(p.distro)).length > 0);
    if (refusal !== undefined)
      throw missingArchError(
        `image ${input.info.image} (${p.distro.distro})`,
        `${p.distro.list.file}:${positionLine(p.distro.list)}`,
        p.distro,
        p.plans,
        p.missing,
        p.state.repo.name,
        p.state.manifestPath,
        refusal,
      );
  }
  const mainNames = p.names.filter((n) => !p.missing.has(n));
  if (mainNames.length > 0) {
    addToRepo(cs, p.state, p.plans, mainNames, requested, constraints);
    const newNames = mainNames.filter((n) => !p.distro.packages.some((x) => x.name === n));
    if (newNames.length > 0) {
      const edit = cs.file(p.distro.list.file);
      edit.record(p.distro.list.listStart, insertImageListPackages(edit.text, p.distro.list, edit.map(p.distro.list.listStart), newNames));
    }
  }
  const companions: AddCompanionReport[] = [];
  for (const plan of p.plans) {
    const names = p.names.filter((n) => p.missing.has(n) && plan.result.packages.some((x) => x.name === n));
    if (names.length > 0) companions.push(addToCompanion(cs, input, p.distro, p.state, plan, p.plans, names, requested, constraints));
  }
  return {
    ...(companions.length === 0 ? {} : { companions }),
    distro: p.distro.distro,
    repo: p.state.repo.name,
    manifestFile: p.state.manifestPath,
    lockFile: p.state.lockPath,
    alreadyPresent: p.alreadyPresent,
    providedByAncestor: p.providedByAncestor,
    archs:
      p.plans.length === 0
        ? p.distro.archs.map((a) => ({ arch: p.distro.debianArch[a]!, added: [], skipped: [], installedSize: 0 }))
        : archReports(p.plans, p.names, requested),
  };
}

/** add --image: every distro of a distroless image; the image's list, and the manifest and lock of its repo, take the new packages. */
export function planImageAddition(given: ImageAddInput): AddPlan {
  // one memo of universes for every round of the fixed point
  const input: ImageAddInput = given.universes === undefined ? { ...given, universes: new UniverseCache() } : given;
  const { info } = input;
  const sharedList = input.allDistros === undefined ? undefined : sharedListRefusal(info, input.allDistros);
  if (sharedList !== undefined) throw sharedList;
  // Plan every distro before writing anything. Distros that share one package list (2024 layout) must agree on
  // it: what one needs is resolved, locked and listed for the others too, until the shared names are stable.
  // With one distro per list, one round is the fixed point.
  let distros: DistroPlan[] = [];
  const round = (shared: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Set<string>> => {
    distros = planDistros(input, shared);
    return namesByList(distros);
  };
  const listUsers = new Map<string, number>();
  for (const d of info.distros) listUsers.set(listKey(d), (listUsers.get(listKey(d)) ?? 0) + 1);
  const shared = [...listUsers.values()].some((n) => n > 1)
    ? fixedPoint(`the package list shared by the distros of image ${info.image}`, new Map<string, Set<string>>(), round, sameSetMap, showSetMap)
    : round(new Map());
  const lacking = distroMissingRefusal(info, distros, shared);
  if (lacking !== undefined) throw lacking;
  const cs = new ChangeSet(input.root, input.texts);
  const targets = distros.map((p) => addDistro(cs, input, p, distros));
  const warnings: string[] = [];
  const createdModuleRepos = targets.flatMap((t) => (t.companions ?? []).filter((c) => c.created));
  if (createdModuleRepos.length > 0 && input.moduleLockRecordsRepos) {
    warnings.push(
      `MODULE.bazel.lock does not record the new repo${createdModuleRepos.length === 1 ? "" : "s"} ${createdModuleRepos.map((c) => c.repo).join(", ")} of the apt extension (its usages changed); ` +
        "refresh it with `bazel mod deps --lockfile_mode=update` before building with --lockfile_mode=error",
    );
  }
  return { image: info.image, targets, changes: cs.changes(), warnings };
}

function positionLine(loc: ImageListLocation): number {
  return loc.packages[0]?.line ?? 1;
}

function addToManifestRepo(
  cs: ChangeSet,
  original: RepoState,
  plans: readonly ArchPlan[],
  lockNames: readonly string[],
  manifestNames: readonly string[],
  requested: ReadonlySet<string>,
  constraints: ReadonlyMap<string, PackageConstraint>,
): void {
  if (manifestNames.length === lockNames.length) {
    addToRepo(cs, original, plans, lockNames, requested, constraints);
    return;
  }
  const state = currentState(cs, original);
  // Transitive repo: the manifest gets only the requested packages; the lock gets every new package.
  const manifestText = addManifestPackages(
    state.manifestText,
    manifestNames.map((name) => manifestEntry(name, plans, requested, constraints)),
    state.manifestPath,
  );
  cs.set(state.manifestPath, state.manifestText, manifestText);
  // rules_distroless's order: each requested package, then its dependencies in lock order (see
  // dependencyClosureOf), each (package, arch) once; so a later `deb-lock lock` writes the same file.
  const additions = new Map<string, LockPackage[]>();
  for (const plan of plans) {
    const locked = lockedVersions(state, plan.arch);
    const seen = new Set<string>();
    const entries: LockPackage[] = [];
    const take = (pkg: ResolvedPackage | undefined): void => {
      if (pkg === undefined || seen.has(pkg.name) || locked.has(pkg.name) || !lockNames.includes(pkg.name)) return;
      seen.add(pkg.name);
      entries.push(lockEntry(plan, pkg, requested.has(pkg.name), state.lock.dialect, state.lock.keyStyle));
    };
    for (const name of manifestNames) {
      take(plan.result.packages.find((p) => p.name === name));
      for (const dep of dependencyClosureOf(plan.result, name)) take(dep);
    }
    for (const name of lockNames) take(plan.result.packages.find((p) => p.name === name));
    additions.set(plan.arch, entries);
  }
  cs.set(state.lockPath, state.lockText, lockWithAdditions(state, additions));
}
