import type { PackageRecord } from "../../core/debian/package.js";
import { versionSatisfies } from "../../core/debian/relation.js";
import { parseVersion } from "../../core/debian/version.js";
import type { LockArchResolution, LockCandidate, LockRoot } from "../../core/lock/index.js";
import { dependencyClosureOf } from "../../core/resolve/dependency-closure.js";
import type { Problem } from "../../core/resolve/problem.js";
import { type ResolvedPackage, type RootRequest, resolveClosure } from "../../core/resolve/resolve-closure.js";
import { buildUniverse, type Universe, type UniverseSource } from "../../core/resolve/universe.js";
import type { Manifest } from "../../edit/manifest.js";
import type { LoadedIndex } from "./index-loader.js";

/** The indexes of one manifest for one arch: one per (source, component), in manifest order. */
export interface ArchIndexes {
  readonly arch: string;
  readonly indexes: readonly {
    readonly sourceUrls: readonly string[];
    readonly suite: string;
    readonly component: string;
    readonly index: LoadedIndex;
  }[];
}

export interface RepoResolution {
  readonly resolutions: LockArchResolution[];
  readonly problems: Problem[];
  /** Per arch, the closure as resolved (for reports and `why`). */
  readonly closures: Map<string, readonly ResolvedPackage[]>;
}

export interface ArchUniverse {
  readonly universe: Universe;
  /** The canonical URLs of a universe source id. */
  readonly urlsOf: (sourceId: string) => readonly string[];
}

/**
 * Universes already built in this run, keyed by arch and the indexes they are made of (by identity, pin and
 * suite, not by URL): manifests of one workspace usually share their sources (distroless's bookworm,
 * bookworm_java and bookworm_python do), an update reads the same unchanged indexes through the old and the
 * new snapshot URLs, and indexing ~60k packages once instead of once per use is most of a warm run's time.
 */
export class UniverseCache {
  private readonly universes = new Map<string, Universe>();
  /** A number for each array of records this cache has seen: the indexes of a run, by identity. */
  private readonly recordSetIds = new WeakMap<readonly PackageRecord[], number>();
  private nextRecordSetId = 0;

  /** The universe of `arch`'s indexes, built on first use. */
  of(arch: ArchIndexes): Universe {
    const key = JSON.stringify([arch.arch, arch.indexes.map((e, n) => [this.recordSetId(e.index.records), e.index.pin, sourceIdOf(e, n)])]);
    let universe = this.universes.get(key);
    if (universe === undefined) {
      universe = buildUniverseOf(arch);
      this.universes.set(key, universe);
    }
    return universe;
  }

  private recordSetId(records: readonly PackageRecord[]): number {
    let id = this.recordSetIds.get(records);
    if (id === undefined) {
      id = this.nextRecordSetId++;
      this.recordSetIds.set(records, id);
    }
    return id;
  }
}

/** Universe source ids are `<suite>/<component>@<n>` (n: position among the arch's indexes). */
function sourceIdOf(entry: ArchIndexes["indexes"][number], n: number): string {
  return `${entry.suite}/${entry.component}@${n}`;
}

/** The suite a universe source id names. */
export function suiteOfSourceId(sourceId: string): string {
  return sourceId.slice(0, sourceId.indexOf("/"));
}

/** The universe of one arch (from `cache` when the same indexes were already indexed), and its source URLs. */
export function universeFor(arch: ArchIndexes, cache?: UniverseCache): ArchUniverse {
  const universe = cache === undefined ? buildUniverseOf(arch) : cache.of(arch);
  const urls = new Map(arch.indexes.map((entry, n) => [sourceIdOf(entry, n), entry.sourceUrls]));
  return { universe, urlsOf: (id) => urls.get(id) ?? [] };
}

function buildUniverseOf(arch: ArchIndexes): Universe {
  const sources: UniverseSource[] = arch.indexes.map((entry, n) => ({
    id: sourceIdOf(entry, n),
    pin: entry.index.pin,
    records: entry.index.records,
  }));
  return buildUniverse(sources, arch.arch);
}

function rootsOf(manifest: Manifest): RootRequest[] {
  return manifest.packages.map((p) =>
    p.constraint === undefined ? { name: p.name } : { name: p.name, op: p.constraint.op, version: p.constraint.version },
  );
}

/**
 * Resolves a manifest for every arch it lists. With `resolveTransitive`, each root carries its transitive
 * dependencies (in the resolver's order); without, only the manifest's packages are chosen (the manifest lists
 * the closure itself) and their dependencies are not followed.
 */
export function resolveRepo(
  manifest: Manifest,
  archs: readonly ArchIndexes[],
  resolveTransitive: boolean,
  universes?: UniverseCache,
): RepoResolution {
  const resolutions: LockArchResolution[] = [];
  const problems: Problem[] = [];
  const closures = new Map<string, readonly ResolvedPackage[]>();
  for (const arch of archs) {
    const { universe, urlsOf } = universeFor(arch, universes);
    const candidate = (p: ResolvedPackage): LockCandidate => ({
      name: p.name,
      version: p.record.version,
      filename: p.record.filename,
      sha256: p.record.sha256,
      sourceUrls: urlsOf(p.sourceId),
    });
    if (resolveTransitive) {
      const result = resolveClosure({ universe, roots: rootsOf(manifest) });
      if (!result.ok) {
        problems.push(...result.problems);
        continue;
      }
      closures.set(arch.arch, result.packages);
      const roots: LockRoot[] = result.roots.map((root) => ({
        package: candidate(root),
        dependencies: dependencyClosureOf(result, root.name).map(candidate),
      }));
      resolutions.push({ arch: arch.arch, roots });
    } else {
      const roots: LockRoot[] = [];
      for (const request of rootsOf(manifest)) {
        const chosen = pickCandidate(universe, request, arch.arch);
        if ("problem" in chosen) {
          problems.push(chosen.problem);
          continue;
        }
        roots.push({
          package: {
            name: chosen.name,
            version: chosen.record.version,
            filename: chosen.record.filename,
            sha256: chosen.record.sha256,
            sourceUrls: urlsOf(chosen.sourceId),
          },
          dependencies: [],
        });
      }
      resolutions.push({ arch: arch.arch, roots });
    }
  }
  return { resolutions, problems, closures };
}

/** apt's candidate for a manifest package of a non-transitive repo: the best version satisfying its constraint. */
function pickCandidate(
  universe: Universe,
  request: RootRequest,
  arch: string,
): { name: string; record: ResolvedPackage["record"]; sourceId: string } | { problem: Problem } {
  const versions = universe.versionsOf(request.name);
  const wanted = request.op === undefined || request.version === undefined ? undefined : { op: request.op, version: parseVersion(request.version) };
  if (versions.length > 0) {
    const candidate = versions[0]!;
    if (wanted === undefined) return { name: request.name, record: candidate.record, sourceId: candidate.sourceId };
    // An explicit `=` pin may select a version below the candidate, like `apt-get install pkg=1.2-3`;
    // other constraints must hold for the candidate itself, as apt would insist.
    const pool = wanted.op === "=" ? versions : [candidate];
    const match = pool.find((pv) => versionSatisfies(pv.version, wanted.op, wanted.version));
    if (match) return { name: request.name, record: match.record, sourceId: match.sourceId };
    return {
      problem: {
        code: "NO_SATISFYING_VERSION",
        package: request.name,
        arch,
        message: `${request.name} (${request.op} ${request.version}) for ${arch}: the candidate is ${candidate.record.version} (available: ${versions.map((v) => v.record.version).join(", ")})`,
        chain: [request.name],
      },
    };
  }
  const providers = universe.providersOf(request.name);
  return {
    problem: {
      code: "NOT_FOUND",
      package: request.name,
      arch,
      message:
        providers.length > 0
          ? `${request.name} is a virtual package for ${arch}, provided by ${[...new Set(providers.map((p) => p.by.record.name))].sort().join(", ")}: list one of them in the manifest`
          : `no package ${request.name} for ${arch} in the manifest's sources`,
      chain: [request.name],
    },
  };
}
