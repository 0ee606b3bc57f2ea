import type { PackageRecord } from "../debian/package.js";
import { DebLockError, ProblemError } from "../errors.js";
import { parseRelations, type RelationField } from "../debian/relation.js";
import { compareVersions, parseVersion, type Version } from "../debian/version.js";

/** One source of package records (a suite of an archive, for one architecture), with its apt pin priority. */
export interface UniverseSource {
  /** Names the source in results, e.g. "debian bookworm-security main". */
  readonly id: string;
  /** apt pin priority: 500 by default, 1 for NotAutomatic suites, 100 for NotAutomatic + ButAutomaticUpgrades. */
  readonly pin: number;
  readonly records: readonly PackageRecord[];
}

/** One available version of a package: the record that carries it and where it comes from. */
export interface PackageVersion {
  readonly record: PackageRecord;
  readonly version: Version;
  readonly sourceId: string;
  /** The highest pin of the sources that carry this version. */
  readonly pin: number;
}

/** A version of a package that lists `name` in its Provides. */
export interface Provision {
  readonly by: PackageVersion;
  /** The provided version (`Provides: foo (= 1.2)`), undefined for an unversioned Provides. */
  readonly version: Version | undefined;
}

/** The relation fields of a record the resolver reads, parsed once. */
export interface ParsedRelations {
  /** Pre-Depends groups followed by Depends groups, in field order. */
  readonly dependencies: RelationField;
  readonly conflicts: RelationField;
  readonly breaks: RelationField;
  readonly provides: RelationField;
}

/**
 * Every package version available for one architecture (records of that architecture and of `all`),
 * indexed by package name and by provided name. Built once per (sources, arch); read by resolveClosure.
 */
export interface Universe {
  readonly arch: string;
  /** Versions of a package, best first: highest pin, then highest version. The first is apt's candidate. */
  versionsOf(name: string): readonly PackageVersion[];
  /** Versions (of any package) whose Provides list `name`. */
  providersOf(name: string): readonly Provision[];
  /** Parsed relation fields of a record of this universe (parsed on first use, then cached). */
  relationsOf(record: PackageRecord): ParsedRelations;
  /** Package names, sorted. */
  names(): readonly string[];
  /** Number of distinct package versions indexed. */
  readonly size: number;
}

/**
 * Runs a parse of an index field, naming the package (and the suite/component it came from) when the index holds
 * a value that does not parse: the index, not the user's files, is at fault.
 */
function inIndex<T>(record: PackageRecord, sourceIdOf: () => string | undefined, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof DebLockError) || e instanceof ProblemError) throw e;
    const sourceId = sourceIdOf();
    const where = sourceId === undefined ? "" : ` (index ${sourceId.replace(/@\d+$/, "")}, architecture ${record.architecture})`;
    throw new ProblemError(e.code, `package ${record.name} ${record.version}${where}: ${e.message}`, {
      hint: "the archive's index holds a value deb-lock cannot read; report it to the archive's owner, or drop the source from the manifest",
      cause: e,
    });
  }
}

const NO_VERSIONS: readonly PackageVersion[] = [];
const NO_PROVISIONS: readonly Provision[] = [];

/** A version whose text is parsed on first comparison: most packages have one version and are never compared. */
class IndexedVersion implements PackageVersion {
  #version: Version | undefined;
  constructor(
    readonly record: PackageRecord,
    readonly sourceId: string,
    public pin: number,
  ) {}
  get version(): Version {
    return (this.#version ??= inIndex(this.record, () => this.sourceId, () => parseVersion(this.record.version)));
  }
}

function byPinThenVersion(a: PackageVersion, b: PackageVersion): number {
  if (a.pin !== b.pin) return b.pin - a.pin;
  return compareVersions(b.version, a.version);
}

/**
 * Indexes the records of `arch` and `all` from every source. The same version of a package in several
 * sources is one version (the first source in the given order names it; its pin is the highest of them),
 * as apt merges them.
 */
export function buildUniverse(sources: readonly UniverseSource[], arch: string): Universe {
  // Only a name index is built up front. A name's versions are merged and ordered on first use, and the
  // Provides index on the first providersOf: a run that reads a few hundred names out of ~60k never pays
  // for the rest.
  const entries = new Map<string, IndexedVersion[]>();
  for (const source of sources) {
    for (const record of source.records) {
      if (record.architecture !== arch && record.architecture !== "all") continue;
      const entry = new IndexedVersion(record, source.id, source.pin);
      const list = entries.get(record.name);
      if (list === undefined) entries.set(record.name, [entry]);
      else list.push(entry);
    }
  }

  const merged = new Map<string, IndexedVersion[]>();
  const versionsOf = (name: string): readonly PackageVersion[] => {
    const done = merged.get(name);
    if (done !== undefined) return done;
    const all = entries.get(name);
    if (all === undefined) return NO_VERSIONS;
    const list: IndexedVersion[] = [];
    for (const entry of all) {
      const same = list.find((pv) => pv.record.version === entry.record.version || compareVersions(pv.version, entry.version) === 0);
      if (same === undefined) list.push(entry);
      else if (same.pin < entry.pin) same.pin = entry.pin;
    }
    if (list.length > 1) list.sort(byPinThenVersion);
    merged.set(name, list);
    return list;
  };

  const relations = new WeakMap<PackageRecord, ParsedRelations>();
  const relationsOf = (record: PackageRecord): ParsedRelations => {
    let parsed = relations.get(record);
    if (parsed === undefined) {
      // The source is looked up only when the record does not parse (a scan, on the error path alone).
      parsed = inIndex(record, () => sources.find((src) => src.records.includes(record))?.id, () => {
        const preDepends = record.preDepends === undefined ? [] : parseRelations(record.preDepends);
        const depends = record.depends === undefined ? [] : parseRelations(record.depends);
        return {
          dependencies: preDepends.length === 0 ? depends : depends.length === 0 ? preDepends : [...preDepends, ...depends],
          conflicts: record.conflicts === undefined ? [] : parseRelations(record.conflicts),
          breaks: record.breaks === undefined ? [] : parseRelations(record.breaks),
          provides: record.provides === undefined ? [] : parseRelations(record.provides),
        };
      });
      relations.set(record, parsed);
    }
    return parsed;
  };

  let providers: Map<string, Provision[]> | undefined;
  const indexProviders = (): Map<string, Provision[]> => {
    const index = new Map<string, Provision[]>();
    // Names in order of first appearance, each name's versions best first: the order resolution relies on.
    for (const [name, all] of entries) {
      if (!all.some((e) => e.record.provides !== undefined)) continue;
      for (const pv of versionsOf(name)) {
        const text = pv.record.provides;
        if (text === undefined) continue;
        for (const [provided, versionText] of splitProvides(text)) {
          const provision: Provision = { by: pv, version: versionText === undefined ? undefined : parseVersion(versionText) };
          const existing = index.get(provided);
          if (existing === undefined) index.set(provided, [provision]);
          else existing.push(provision);
        }
      }
    }
    return index;
  };

  let names: string[] | undefined;
  let size: number | undefined;
  return {
    arch,
    get size() {
      if (size === undefined) {
        size = 0;
        for (const name of entries.keys()) size += versionsOf(name).length;
      }
      return size;
    },
    versionsOf,
    providersOf: (name) => (providers ??= indexProviders()).get(name) ?? NO_PROVISIONS,
    relationsOf,
    names: () => (names ??= [...entries.keys()].sort()),
  };
}

const PROVIDES_ITEM = /^([a-z0-9][a-z0-9+.-]*)(?:\s*\(\s*=\s*([^\s()]+)\s*\))?$/;

/**
 * Splits a Provides field into (name, version) pairs. Provides is far simpler than Depends (no
 * alternatives, only `=`), and it is read for every record while indexing, so it gets a fast path;
 * anything unusual goes through the full relation parser.
 */
function splitProvides(text: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const item of text.split(",")) {
    const m = PROVIDES_ITEM.exec(item.trim());
    if (m === null) return parseRelations(text).flatMap((g) => g.map((r): [string, string | undefined] => [r.name, r.version]));
    out.push([m[1]!, m[2]]);
  }
  return out;
}
