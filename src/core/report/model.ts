import { compareVersions, parseVersion } from "../debian/version.js";

/** Version of the JSON document of `update --json` / `outdated --json`; bump on any incompatible change. */
export const UPDATE_REPORT_SCHEMA_VERSION = 1;

/** One locked package of one arch, as the report sees it (before or after an update). */
export interface ReportEntry {
  /** The repo (manifest) it is locked in, e.g. "bookworm" for private/repos/deb/bookworm.yaml */
  readonly repo: string;
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** Source package name; defaults to the binary name */
  readonly source?: string;
  /** Source package version when it differs from the binary version (binNMUs) */
  readonly sourceVersion?: string;
  /** Suite of the index the version came from, e.g. "bookworm-security" */
  readonly suite?: string;
  /** Names of the packages it depends on directly (Depends and Pre-Depends that the lock resolves) */
  readonly dependencies: readonly string[];
  /** Download URL: packages under a debian-security root are security updates */
  readonly url?: string;
}

/** A snapshot URL moved from one instant to another (one per archive timeline). */
export interface SnapshotMove {
  readonly host: string;
  readonly archive: string;
  readonly from: string;
  readonly to: string;
}

export interface PackageChange {
  readonly repo: string;
  readonly name: string;
  readonly source: string;
  readonly archs: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly sourceVersion: string;
  readonly suite: string | null;
  readonly security: boolean;
  /** "upgrade" normally, "downgrade" when the new version sorts lower (e.g. a package left -updates) */
  readonly direction: "upgrade" | "downgrade";
  readonly addedDeps: readonly string[];
  readonly removedDeps: readonly string[];
  /** Images (distroless layouts) that hold the package, directly or as a dependency; absent when none */
  readonly images?: readonly string[];
}

export interface PackagePresence {
  readonly repo: string;
  readonly name: string;
  readonly source: string;
  readonly archs: readonly string[];
  readonly version: string;
  readonly sourceVersion: string;
  readonly suite: string | null;
  readonly security: boolean;
  /** Packages of the same repo that depend on it (on the side where it is present) */
  readonly requiredBy: readonly string[];
}

/**
 * A package that moved between an image's repo and an arch-specific companion repo (`<repo>_<arch>_only`)
 * because a new snapshot builds it for more (or fewer) archs.
 */
export interface RepoMove {
  readonly name: string;
  /** The repo it left */
  readonly from: string;
  /** The repo it is in now */
  readonly to: string;
  /** Why, e.g. "now built for arm64" or "no longer built for arm64" */
  readonly reason: string;
}

export interface ReportProblem {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** What `update` changed (or `outdated` would change). Plain data: rendered as table, Markdown or JSON. */
export interface UpdateReport {
  readonly schemaVersion: typeof UPDATE_REPORT_SCHEMA_VERSION;
  readonly snapshots: readonly SnapshotMove[];
  /** Packages whose version moved; security updates first, then by source, name, repo */
  readonly changes: readonly PackageChange[];
  /** Packages that are locked now and were not before (e.g. new dependencies) */
  readonly added: readonly PackagePresence[];
  /** Packages that were locked before and are not any more */
  readonly removed: readonly PackagePresence[];
  readonly problems: readonly ReportProblem[];
  /** Packages moved between a repo and its arch-specific companion repos; absent when none moved */
  readonly moves?: readonly RepoMove[];
  readonly summary: {
    readonly changed: number;
    readonly added: number;
    readonly removed: number;
    readonly security: number;
    readonly sourcePackages: number;
  };
}

/** Whether an entry came from a security archive (suite ending in -security or /updates, or a URL under debian-security). */
export function isSecurityEntry(entry: Pick<ReportEntry, "suite" | "url">): boolean {
  if (entry.suite !== undefined && (/-security$/.test(entry.suite) || /\/updates$/.test(entry.suite))) return true;
  return entry.url !== undefined && /\/debian-security\//.test(entry.url);
}

function byKey<T>(items: Iterable<T>, key: (t: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) map.set(key(item), item);
  return map;
}

function idOf(e: ReportEntry): string {
  return `${e.repo}\u0000${e.name}\u0000${e.arch}`;
}
const sortedUnique = (xs: Iterable<string>) => [...new Set(xs)].sort();

function requiredByIndex(entries: readonly ReportEntry[]): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const e of entries) {
    for (const dep of e.dependencies) {
      const key = `${e.repo}\u0000${dep}`;
      let set = index.get(key);
      if (set === undefined) index.set(key, (set = new Set()));
      set.add(e.name);
    }
  }
  return index;
}

/** Groups per-arch rows that differ only in arch into one row listing the archs (sorted). */
function mergeArchs<T extends { archs: readonly string[] }>(rows: readonly (T & { arch: string })[], groupKey: (r: T) => string): T[] {
  const groups = new Map<string, { row: T & { arch: string }; archs: string[] }>();
  for (const row of rows) {
    const k = groupKey(row);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, { row, archs: [row.arch] });
    else if (!g.archs.includes(row.arch)) g.archs.push(row.arch);
  }
  return [...groups.values()].map(({ row, archs }) => {
    const { arch: _arch, ...rest } = row;
    return { ...(rest as unknown as T), archs: archs.sort() };
  });
}

function compareRows(a: { security: boolean; source: string; name: string; repo: string; archs: readonly string[] }, b: typeof a): number {
  if (a.security !== b.security) return a.security ? -1 : 1;
  return (
    a.source.localeCompare(b.source, "en") ||
    a.name.localeCompare(b.name, "en") ||
    a.repo.localeCompare(b.repo, "en") ||
    a.archs.join(",").localeCompare(b.archs.join(","), "en")
  );
}

/**
 * The update report from the locked packages before and after. Pure and deterministic: the same
 * entries in any order give the same report.
 */
export function buildUpdateReport(input: {
  before: readonly ReportEntry[];
  after: readonly ReportEntry[];
  snapshots?: readonly SnapshotMove[];
  problems?: readonly ReportProblem[];
  moves?: readonly RepoMove[];
}): UpdateReport {
  const before = byKey(input.before, idOf);
  const after = byKey(input.after, idOf);
  const requiredBefore = requiredByIndex(input.before);
  const requiredAfter = requiredByIndex(input.after);

  const changeRows: (PackageChange & { arch: string })[] = [];
  const addedRows: (PackagePresence & { arch: string })[] = [];
  const removedRows: (PackagePresence & { arch: string })[] = [];

  const presence = (e: ReportEntry, required: Map<string, Set<string>>): PackagePresence & { arch: string } => ({
    repo: e.repo,
    name: e.name,
    source: e.source ?? e.name,
    arch: e.arch,
    archs: [],
    version: e.version,
    sourceVersion: e.sourceVersion ?? e.version,
    suite: e.suite ?? null,
    security: isSecurityEntry(e),
    requiredBy: sortedUnique(required.get(`${e.repo}\u0000${e.name}`) ?? []),
  });

  for (const [id, now] of after) {
    const old = before.get(id);
    if (old === undefined) {
      addedRows.push(presence(now, requiredAfter));
      continue;
    }
    const oldDeps = new Set(old.dependencies);
    const newDeps = new Set(now.dependencies);
    const addedDeps = sortedUnique(now.dependencies.filter((d) => !oldDeps.has(d)));
    const removedDeps = sortedUnique(old.dependencies.filter((d) => !newDeps.has(d)));
    if (old.version === now.version && addedDeps.length === 0 && removedDeps.length === 0) continue;
    changeRows.push({
      repo: now.repo,
      name: now.name,
      source: now.source ?? now.name,
      arch: now.arch,
      archs: [],
      from: old.version,
      to: now.version,
      sourceVersion: now.sourceVersion ?? now.version,
      suite: now.suite ?? null,
      security: isSecurityEntry(now),
      direction: compareVersions(parseVersion(now.version), parseVersion(old.version)) < 0 ? "downgrade" : "upgrade",
      addedDeps,
      removedDeps,
    });
  }
  for (const [id, old] of before) if (!after.has(id)) removedRows.push(presence(old, requiredBefore));

  const changes = mergeArchs<PackageChange>(changeRows, (r) =>
    JSON.stringify([r.repo, r.name, r.from, r.to, r.suite, r.security, r.addedDeps, r.removedDeps, r.source, r.sourceVersion]),
  ).sort(compareRows);
  const presenceKey = (r: PackagePresence) => JSON.stringify([r.repo, r.name, r.version, r.suite, r.security, r.requiredBy, r.source]);
  const added = mergeArchs<PackagePresence>(addedRows, presenceKey).sort(compareRows);
  const removed = mergeArchs<PackagePresence>(removedRows, presenceKey).sort(compareRows);
  const snapshots = [...(input.snapshots ?? [])].sort((a, b) => a.host.localeCompare(b.host, "en") || a.archive.localeCompare(b.archive, "en"));

  return {
    schemaVersion: UPDATE_REPORT_SCHEMA_VERSION,
    snapshots,
    changes,
    added,
    removed,
    problems: [...(input.problems ?? [])],
    ...(input.moves === undefined || input.moves.length === 0
      ? {}
      : {
          moves: [...input.moves].sort(
            (a, b) => a.name.localeCompare(b.name, "en") || a.from.localeCompare(b.from, "en") || a.to.localeCompare(b.to, "en"),
          ),
        }),
    summary: {
      changed: changes.length,
      added: added.length,
      removed: removed.length,
      security: changes.filter((c) => c.security).length + added.filter((a) => a.security).length,
      sourcePackages: new Set(changes.map((c) => c.source)).size,
    },
  };
}

/** Whether the report has nothing to say (no snapshot moved, no package changed). */
export function isEmptyReport(report: UpdateReport): boolean {
  return (
    report.changes.length === 0 &&
    report.added.length === 0 &&
    report.removed.length === 0 &&
    report.problems.length === 0 &&
    (report.moves ?? []).length === 0 &&
    report.snapshots.every((s) => s.from === s.to)
  );
}
