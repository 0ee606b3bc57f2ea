import type { PackageRecord } from "../debian/package.js";
import { type Alternatives, formatRelations, parseRelations, type Relation, type RelationOp, versionSatisfies } from "../debian/relation.js";
import { compareVersions, formatVersion, type Version } from "../debian/version.js";
import type { Problem, ProblemCode } from "./problem.js";
import type { PackageVersion, Universe } from "./universe.js";

/** A package the user asked for, optionally with a version constraint (`pkg (>= 1.2)`, `pkg (= 1.2-3)`). */
export interface RootRequest {
  readonly name: string;
  readonly op?: RelationOp;
  readonly version?: string;
}

/**
 * A package that is already present (in an ancestor image, or already locked): it satisfies
 * dependencies, is never added again, and its own dependencies are not followed.
 */
export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** Raw `Provides` text, e.g. "awk, libfoo (= 1.2)". */
  readonly provides?: string;
}

export interface ResolvedPackage {
  readonly name: string;
  readonly version: string;
  readonly record: PackageRecord;
  readonly sourceId: string;
  /**
   * Names of the chosen (or installed) packages that satisfy this package's Pre-Depends and Depends,
   * one per or-group, in field order (Pre-Depends first), without duplicates.
   */
  readonly dependsOn: readonly string[];
  /**
   * For each Pre-Depends/Depends or-group in field order, the package that satisfies it in this result:
   * the one the resolver picked for it, or the chosen (or installed) package that already satisfied it
   * when the group was reached; undefined when nothing does (a problem is reported then).
   */
  readonly groupSatisfiers: readonly (string | undefined)[];
}

export type ResolveResult =
  | { readonly ok: true; readonly packages: readonly ResolvedPackage[]; readonly roots: readonly ResolvedPackage[] }
  | {
      readonly ok: false;
      readonly problems: readonly Problem[];
      /** The partial closure: everything that could be chosen. */
      readonly packages: readonly ResolvedPackage[];
      /** The roots that could be chosen. */
      readonly roots: readonly ResolvedPackage[];
    };

export interface ResolveInput {
  readonly universe: Universe;
  readonly roots: readonly RootRequest[];
  readonly installed?: readonly InstalledPackage[];
}

interface Chosen {
  readonly pv: PackageVersion;
  /** The package whose dependency brought this one in; undefined for roots. */
  readonly parent: string | undefined;
  expanded: boolean;
  /** Per dependency or-group, the package credited with satisfying it (set by expand). */
  readonly satisfiers: (string | undefined)[];
}

interface Present {
  readonly name: string;
  readonly version: Version;
  /** The chosen version, undefined for an installed package. */
  readonly pv: PackageVersion | undefined;
}

interface Provided {
  readonly name: string;
  readonly provider: Present;
  readonly version: Version | undefined;
}

/**
 * apt's ranking of the Priority field, lower sorts first. As in apt's cache, an absent Priority ranks 0
 * and a value apt does not know ranks as extra.
 */
const PRIORITY_RANK: ReadonlyMap<string, number> = new Map([
  ["required", 1],
  ["important", 2],
  ["standard", 3],
  ["optional", 4],
  ["extra", 5],
]);

function priorityRank(record: PackageRecord): number {
  return record.priority === undefined ? 0 : (PRIORITY_RANK.get(record.priority) ?? 5);
}

/**
 * Computes what `apt-get install --no-install-recommends <roots>` installs on a system where only
 * `installed` is present, the way apt's MarkInstall does it:
 *
 * - a package's candidate is its best version: highest pin, then highest version (a root constraint
 *   selects the best version satisfying it, like `apt-get install pkg=1.2-3`);
 * - all roots are marked first, then each root's Pre-Depends and Depends are followed depth first, roots
 *   in request (manifest) order, as `apt-get install a b c` does;
 *   an or-group already satisfied by a marked (or installed) package is skipped, otherwise the first
 *   alternative whose candidate satisfies it is installed;
 * - for one alternative, the real package comes before providers; providers rank Essential first,
 *   then by Priority (required … extra), then the one apt registered LAST while reading the indexes
 *   (apt's package ID, see Universe.registeredAt); for `x:any` the real x has no preference;
 * - like apt, a candidate with a dependency no candidate can satisfy is skipped for the next solution;
 *   deb-lock also skips a solution that Conflicts/Breaks with the marked set when another exists;
 * - Conflicts and Breaks inside the result are reported as problems, never ignored.
 *
 * Pure and synchronous. Like apt's, the result depends on the order of `roots` (an or-group may already be
 * satisfied by an earlier root's pick) and, for providers that tie, on the order of the index records.
 */
export function resolveClosure(input: ResolveInput): ResolveResult {
  // A Conflicts/Breaks between two picks is what apt's problem resolver repairs after MarkInstall: it withdraws
  // a pick whose dependents can be satisfied otherwise (an or-group's other alternative, a provider) and
  // installs that instead. deb-lock does the same by resolving again with that package left out, until the
  // set is clean or nothing can be withdrawn.
  const excluded = new Set<string>();
  for (let round = 0; ; round++) {
    const resolver = new ClosureResolver(input.universe, input.installed ?? [], excluded);
    const result = resolver.run(input.roots);
    if (result.ok || round >= MAX_WITHDRAWALS) return result;
    const withdraw = resolver.withdrawable();
    if (withdraw === undefined) return result;
    excluded.add(withdraw);
  }
}

/** How many picks resolveClosure withdraws at most to settle Conflicts/Breaks. */
const MAX_WITHDRAWALS = 16;

class ClosureResolver {
  private readonly arch: string;
  private readonly chosen = new Map<string, Chosen>();
  private readonly present = new Map<string, Present>();
  private readonly providedInSet = new Map<string, Provided[]>();
  private readonly candidates = new Map<string, PackageVersion | null>();
  private readonly problems: Problem[] = [];
  private readonly problemKeys = new Set<string>();
  private readonly installedNames = new Set<string>();
  /** Conflicts and Breaks of marked packages, by the name they target. */
  private readonly negativeIndex = new Map<string, { owner: string; rel: Relation }[]>();

  /** Conflicting pairs [owner, target] found by checkNegativeRelations, in the order found. */
  private readonly clashes: [string, string][] = [];
  private rootNames = new Set<string>();

  constructor(
    private readonly universe: Universe,
    installed: readonly InstalledPackage[],
    excluded: ReadonlySet<string> = new Set(),
  ) {
    this.arch = universe.arch;
    for (const name of excluded) this.candidates.set(name, null);
    for (const pkg of [...installed].sort((a, b) => cmpStr(a.name, b.name))) {
      if (this.present.has(pkg.name)) continue;
      const present: Present = { name: pkg.name, version: this.parse(pkg.version), pv: undefined };
      this.present.set(pkg.name, present);
      this.installedNames.add(pkg.name);
      for (const group of pkg.provides === undefined ? [] : parseRelations(pkg.provides)) {
        const rel = group[0];
        if (rel !== undefined) this.addProvided(rel.name, present, rel.version === undefined ? undefined : this.parse(rel.version));
      }
    }
  }

  run(requests: readonly RootRequest[]): ResolveResult {
    const rootNames = this.markRoots(requests);
    this.rootNames = new Set(rootNames);
    // apt-get install expands its arguments in the order given
    for (const name of rootNames) this.expand(name);
    this.checkNegativeRelations();

    const packages = [...this.chosen.keys()].sort(cmpStr).map((name) => this.toResolved(name));
    const byName = new Map(packages.map((p) => [p.name, p]));
    const roots: ResolvedPackage[] = [];
    for (const name of rootNames) {
      const p = byName.get(name);
      if (p !== undefined) roots.push(p);
    }
    if (this.problems.length > 0) return { ok: false, problems: this.problems, packages, roots };
    return { ok: true, packages, roots };
  }

  // ---- roots -------------------------------------------------------------------------------

  /** Marks every root (without following dependencies yet); returns the chosen root names in request order. */
  private markRoots(requests: readonly RootRequest[]): string[] {
    const byName = new Map<string, RootRequest[]>();
    for (const r of requests) {
      const list = byName.get(r.name);
      if (list === undefined) byName.set(r.name, [r]);
      else list.push(r);
    }
    const out: string[] = [];
    for (const [name, reqs] of [...byName].sort((a, b) => cmpStr(a[0], b[0]))) {
      const chosenName = this.markRoot(name, reqs);
      if (chosenName !== undefined && !out.includes(chosenName)) out.push(chosenName);
    }
    // request order, for people and lock files
    const order = new Map<string, number>();
    requests.forEach((r, i) => {
      if (!order.has(r.name)) order.set(r.name, i);
    });
    return out.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || cmpStr(a, b));
  }

  private markRoot(name: string, reqs: readonly RootRequest[]): string | undefined {
    const constraints = reqs.filter((r) => r.op !== undefined && r.version !== undefined);
    const fits = (v: Version): boolean => constraints.every((c) => versionSatisfies(v, c.op!, this.parse(c.version!)));
    const describe = constraints.map((c) => `${name} (${c.op} ${c.version})`).join(" and ") || name;

    const installed = this.installedNames.has(name) ? this.present.get(name) : undefined;
    if (installed !== undefined) {
      if (fits(installed.version)) return undefined;
      this.problem("VERSION_CLASH", name, `${describe} is requested, but version ${formatVersion(installed.version)} is already installed`, [name]);
      return undefined;
    }

    const versions = this.universe.versionsOf(name);
    if (versions.length === 0) {
      // a virtual root an installed package already provides needs nothing more
      if (constraints.length === 0 && this.satisfierOf({ name }) !== undefined) return undefined;
      const providers = this.candidateProviders(name);
      if (providers.length === 1 && constraints.length === 0) {
        const pv = providers[0]!;
        this.mark(pv, undefined);
        return pv.record.name;
      }
      const message =
        providers.length === 0
          ? `no package ${name} for ${this.arch} in any source`
          : `${name} is a virtual package provided by ${providers.map((p) => p.record.name).join(", ")}; name one of them`;
      this.problem("NOT_FOUND", name, message, [name]);
      return undefined;
    }

    const candidate = versions[0]!;
    let pick: PackageVersion | undefined = fits(candidate.version) ? candidate : undefined;
    if (pick === undefined) {
      for (const pv of versions) if (fits(pv.version) && (pick === undefined || compareVersions(pv.version, pick.version) > 0)) pick = pv;
    }
    if (pick === undefined) {
      const clash =
        constraints.length > 1 && constraints.every((c) => versions.some((pv) => versionSatisfies(pv.version, c.op!, this.parse(c.version!))));
      this.problem(
        clash ? "VERSION_CLASH" : "NO_SATISFYING_VERSION",
        name,
        clash
          ? `${describe} are requested, but no single version satisfies all of them`
          : `${describe} is requested, but only ${versions.map((v) => v.record.version).join(", ")} exist for ${this.arch}`,
        [name],
      );
      return undefined;
    }
    this.candidates.set(name, pick);
    this.mark(pick, undefined);
    return name;
  }

  // ---- the depth-first walk ----------------------------------------------------------------

  private mark(pv: PackageVersion, parent: string | undefined): void {
    const name = pv.record.name;
    if (this.chosen.has(name)) return;
    this.chosen.set(name, { pv, parent, expanded: false, satisfiers: [] });
    const present: Present = { name, version: pv.version, pv };
    this.present.set(name, present);
    const rels = this.universe.relationsOf(pv.record);
    for (const group of rels.provides) {
      const rel = group[0];
      if (rel !== undefined) this.addProvided(rel.name, present, rel.version === undefined ? undefined : this.parse(rel.version));
    }
    for (const field of [rels.conflicts, rels.breaks]) {
      for (const group of field) {
        for (const rel of group) {
          const list = this.negativeIndex.get(rel.name);
          if (list === undefined) this.negativeIndex.set(rel.name, [{ owner: name, rel }]);
          else list.push({ owner: name, rel });
        }
      }
    }
  }

  private expand(name: string): void {
    const chosen = this.chosen.get(name);
    if (chosen === undefined || chosen.expanded) return;
    chosen.expanded = true;
    for (const group of this.universe.relationsOf(chosen.pv.record).dependencies) {
      const already = this.satisfierInSet(group);
      if (already !== undefined) {
        chosen.satisfiers.push(already);
        continue;
      }
      const solution = this.solve(group);
      if (solution === undefined) {
        chosen.satisfiers.push(undefined);
        this.reportUnsatisfied(group, name);
        continue;
      }
      // credit the group to the package picked for it (not to whatever satisfies it once the walk is over)
      chosen.satisfiers.push(solution.record.name);
      this.mark(solution, name);
      this.expand(solution.record.name);
    }
  }

  /** The version apt would install for an unsatisfied or-group, or undefined. */
  private solve(group: Alternatives): PackageVersion | undefined {
    let fallback: PackageVersion | undefined;
    for (const rel of group) {
      for (const pv of this.candidateSolutions(rel)) {
        // a marked or installed package stays as it is: one version per package
        if (this.present.has(pv.record.name)) continue;
        if (!this.dependenciesSatisfiable(pv)) {
          // apt discards such a candidate for the rest of the run (#735967 in apt's history)
          this.candidates.set(pv.record.name, null);
          continue;
        }
        if (!this.clashesWithSet(pv)) return pv;
        fallback ??= pv;
      }
    }
    return fallback;
  }

  /**
   * Candidate versions that satisfy `rel`: the real package first, then providers in apt's order. For `x:any`
   * apt files the name `x:any` as a package of its own, which x (when Multi-Arch: allowed) only provides, so x
   * ranks among the providers there, without a preference.
   */
  private candidateSolutions(rel: Relation): PackageVersion[] {
    const out: PackageVersion[] = [];
    const providers: PackageVersion[] = [];
    const real = this.candidateOf(rel.name);
    if (real !== undefined && this.realMatches(rel, real.record, real.version)) (rel.archQualifier === "any" ? providers : out).push(real);
    for (const prov of this.universe.providersOf(rel.name)) {
      const owner = prov.by;
      if (owner.record.name === rel.name) continue;
      if (this.candidateOf(owner.record.name) !== owner) continue;
      if (!this.provisionMatches(rel, owner.record, prov.version)) continue;
      if (!providers.includes(owner)) providers.push(owner);
    }
    providers.sort(this.compareProviders);
    out.push(...providers);
    return out;
  }

  /** Whether candidateSolutions(rel) is not empty, without building it. */
  private hasCandidateSolution(rel: Relation): boolean {
    const real = this.candidateOf(rel.name);
    if (real !== undefined && this.realMatches(rel, real.record, real.version)) return true;
    for (const prov of this.universe.providersOf(rel.name)) {
      const owner = prov.by;
      if (owner.record.name !== rel.name && this.candidateOf(owner.record.name) === owner && this.provisionMatches(rel, owner.record, prov.version))
        return true;
    }
    return false;
  }

  private candidateProviders(name: string): PackageVersion[] {
    return this.candidateSolutions({ name }).filter((pv) => pv.record.name !== name);
  }

  private candidateOf(name: string): PackageVersion | undefined {
    const override = this.candidates.get(name);
    if (override !== undefined) return override ?? undefined;
    return this.universe.versionsOf(name)[0];
  }

  /** apt's IsInstallOkDependenciesSatisfiableByCandidates: every dependency group has some answer. */
  private dependenciesSatisfiable(pv: PackageVersion): boolean {
    for (const group of this.universe.relationsOf(pv.record).dependencies) {
      if (this.satisfierInSet(group) !== undefined) continue;
      if (!group.some((rel) => this.hasCandidateSolution(rel))) return false;
    }
    return true;
  }

  // ---- satisfaction ------------------------------------------------------------------------

  /** The name of the marked (or installed) package satisfying the or-group, first alternative first. */
  private satisfierInSet(group: Alternatives): string | undefined {
    for (const rel of group) {
      const s = this.satisfierOf(rel);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  private satisfierOf(rel: Relation): string | undefined {
    const p = this.present.get(rel.name);
    if (p !== undefined && (p.pv === undefined ? this.versionMatches(rel, p.version) : this.realMatches(rel, p.pv.record, p.version))) return p.name;
    let best: string | undefined;
    for (const prov of this.providedInSet.get(rel.name) ?? []) {
      const record = prov.provider.pv?.record;
      const ok = record === undefined ? this.versionMatchesProvision(rel, prov.version) : this.provisionMatches(rel, record, prov.version);
      if (ok && (best === undefined || cmpStr(prov.provider.name, best) < 0)) best = prov.provider.name;
    }
    return best;
  }

  private archMatches(rel: Relation, record: PackageRecord, provided: boolean): boolean {
    const q = rel.archQualifier;
    if (q === undefined || q === "native") return true;
    // `name:any` is satisfied by Multi-Arch: allowed packages, and by the Provides of such packages
    if (q === "any") return record.multiArch === "allowed";
    return !provided && (record.architecture === q || (record.architecture === "all" && q === this.arch));
  }

  private realMatches(rel: Relation, record: PackageRecord, version: Version): boolean {
    return this.archMatches(rel, record, false) && this.versionMatches(rel, version);
  }

  private provisionMatches(rel: Relation, record: PackageRecord, provided: Version | undefined): boolean {
    return this.archMatches(rel, record, true) && this.versionMatchesProvision(rel, provided);
  }

  private versionMatches(rel: Relation, version: Version): boolean {
    return rel.op === undefined || versionSatisfies(version, rel.op, this.parse(rel.version!));
  }

  /** Only a versioned Provides satisfies a versioned dependency. */
  private versionMatchesProvision(rel: Relation, provided: Version | undefined): boolean {
    if (rel.op === undefined) return true;
    return provided !== undefined && versionSatisfies(provided, rel.op, this.parse(rel.version!));
  }

  private addProvided(name: string, provider: Present, version: Version | undefined): void {
    const list = this.providedInSet.get(name);
    const entry: Provided = { name, provider, version };
    if (list === undefined) this.providedInSet.set(name, [entry]);
    else list.push(entry);
  }

  // ---- Conflicts / Breaks ------------------------------------------------------------------

  /** Whether installing pv next to the marked set would violate a Conflicts or Breaks (either way). */
  private clashesWithSet(pv: PackageVersion): boolean {
    const name = pv.record.name;
    const rels = this.universe.relationsOf(pv.record);
    for (const field of [rels.conflicts, rels.breaks]) {
      for (const group of field) for (const rel of group) if (this.negativeTargets(rel, name).length > 0) return true;
    }
    for (const hit of this.negativeIndex.get(name) ?? []) {
      if (hit.owner !== name && this.realMatches(hit.rel, pv.record, pv.version)) return true;
    }
    for (const group of rels.provides) {
      const p = group[0];
      if (p === undefined) continue;
      for (const hit of this.negativeIndex.get(p.name) ?? []) {
        if (hit.owner !== name && this.provisionMatches(hit.rel, pv.record, p.version === undefined ? undefined : this.parse(p.version))) return true;
      }
    }
    return false;
  }

  /** Names of present packages (other than `self`) hit by the negative relation `rel`. */
  private negativeTargets(rel: Relation, self: string): string[] {
    const out: string[] = [];
    const p = this.present.get(rel.name);
    if (p !== undefined && p.name !== self) {
      const ok = p.pv === undefined ? this.versionMatches(rel, p.version) : this.realMatches(rel, p.pv.record, p.version);
      if (ok) out.push(p.name);
    }
    for (const prov of this.providedInSet.get(rel.name) ?? []) {
      const name = prov.provider.name;
      if (name === self || out.includes(name)) continue;
      const record = prov.provider.pv?.record;
      const ok = record === undefined ? this.versionMatchesProvision(rel, prov.version) : this.provisionMatches(rel, record, prov.version);
      if (ok) out.push(name);
    }
    return out.sort(cmpStr);
  }

  private checkNegativeRelations(): void {
    for (const name of [...this.chosen.keys()].sort(cmpStr)) {
      const chosen = this.chosen.get(name)!;
      const rels = this.universe.relationsOf(chosen.pv.record);
      for (const [code, field, verb] of [
        ["CONFLICTS", rels.conflicts, "conflicts with"],
        ["BREAKS", rels.breaks, "breaks"],
      ] as const) {
        for (const group of field) {
          for (const rel of group) {
            for (const target of this.negativeTargets(rel, name)) {
              this.clashes.push([name, target]);
              const t = this.present.get(target)!;
              const where = this.installedNames.has(target) ? "installed" : "chosen";
              this.problem(
                code,
                name,
                `${name} ${chosen.pv.record.version} ${verb} ${target} ${formatVersion(t.version)} (${where}) through "${formatRelations([[rel]])}"`,
                this.chainOf(name),
              );
            }
          }
        }
      }
    }
  }

  // ---- withdrawing a pick -------------------------------------------------------------------

  /**
   * A chosen package of a Conflicts/Breaks pair that can be left out: not a root, and every or-group it was
   * credited with has another candidate. Of a pair, the one picked earlier is withdrawn first, as apt's
   * problem resolver gives up an earlier or-group pick for a later hard dependency.
   */
  withdrawable(): string | undefined {
    const order = new Map([...this.chosen.keys()].map((name, i) => [name, i]));
    for (const [a, b] of this.clashes) {
      const pair = [a, b].filter((n) => this.chosen.has(n)).sort((x, y) => order.get(x)! - order.get(y)!);
      for (const name of pair) if (!this.rootNames.has(name) && this.replaceable(name)) return name;
    }
    return undefined;
  }

  private replaceable(name: string): boolean {
    for (const chosen of this.chosen.values()) {
      const groups = this.universe.relationsOf(chosen.pv.record).dependencies;
      for (let i = 0; i < chosen.satisfiers.length; i++) {
        if (chosen.satisfiers[i] !== name) continue;
        const others = groups[i]!.some((rel) => this.candidateSolutions(rel).some((pv) => pv.record.name !== name));
        if (!others) return false;
      }
    }
    return true;
  }

  // ---- problems and results ----------------------------------------------------------------

  private reportUnsatisfied(group: Alternatives, parent: string): void {
    const text = formatRelations([group]);
    const first = group[0]!;
    const chain = [...this.chainOf(parent), first.name];
    const owner = this.chosen.get(parent)!.pv.record;
    const needs = `${parent} ${owner.version} depends on "${text}"`;

    const clash = group.find((rel) => this.present.has(rel.name));
    if (clash !== undefined) {
      const p = this.present.get(clash.name)!;
      const where = this.installedNames.has(clash.name) ? "installed" : "chosen";
      this.problem(
        "VERSION_CLASH",
        clash.name,
        `${needs}, but ${clash.name} ${formatVersion(p.version)} is ${where} (one version per package and arch)`,
        [...this.chainOf(parent), clash.name],
      );
      return;
    }
    const known = group.filter((rel) => this.universe.versionsOf(rel.name).length > 0 || this.universe.providersOf(rel.name).length > 0);
    if (known.length === 0) {
      this.problem(
        "NOT_FOUND",
        first.name,
        `${needs}, but no package or provider of ${group.map((r) => r.name).join(" or ")} exists for ${this.arch}`,
        chain,
      );
      return;
    }
    const rel = known[0]!;
    const have = this.universe
      .versionsOf(rel.name)
      .map((pv) => pv.record.version)
      .join(", ");
    this.problem(
      "NO_SATISFYING_VERSION",
      rel.name,
      `${needs}, but no installable candidate satisfies it${have === "" ? "" : ` (${rel.name} has ${have})`}`,
      [...this.chainOf(parent), rel.name],
    );
  }

  private chainOf(name: string): string[] {
    const chain: string[] = [];
    const seen = new Set<string>();
    let at: string | undefined = name;
    while (at !== undefined && !seen.has(at)) {
      seen.add(at);
      chain.push(at);
      at = this.chosen.get(at)?.parent;
    }
    return chain.reverse();
  }

  private problem(code: ProblemCode, pkg: string, message: string, chain: readonly string[]): void {
    // A set, not a scan of the list: a manifest of thousands of unknown packages would make this quadratic.
    const key = `${code}\u0000${pkg}\u0000${message}`;
    if (this.problemKeys.has(key)) return;
    this.problemKeys.add(key);
    this.problems.push({ code, package: pkg, arch: this.arch, message, chain });
  }

  private toResolved(name: string): ResolvedPackage {
    const { pv, expanded, satisfiers } = this.chosen.get(name)!;
    const groups = this.universe.relationsOf(pv.record).dependencies;
    const groupSatisfiers = expanded ? satisfiers : groups.map((group) => this.satisfierInSet(group));
    const dependsOn: string[] = [];
    for (const s of groupSatisfiers) if (s !== undefined && s !== name && !dependsOn.includes(s)) dependsOn.push(s);
    return { name, version: pv.record.version, record: pv.record, sourceId: pv.sourceId, dependsOn, groupSatisfiers };
  }

  /**
   * apt's CompareProviders for new installs on one architecture: Essential first, then by Priority, then the
   * package apt registered last while reading the indexes (its highest package ID) first.
   */
  private readonly compareProviders = (a: PackageVersion, b: PackageVersion): number => {
    const ea = a.record.essential === true ? 0 : 1;
    const eb = b.record.essential === true ? 0 : 1;
    if (ea !== eb) return ea - eb;
    const pa = priorityRank(a.record);
    const pb = priorityRank(b.record);
    if (pa !== pb) return pa - pb;
    return this.universe.registeredAt(b.record.name) - this.universe.registeredAt(a.record.name) || cmpStr(b.record.name, a.record.name);
  };

  private parse(text: string): Version {
    return this.universe.parsedVersion(text);
  }
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
