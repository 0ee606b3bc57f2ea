import type { PackageRecord } from "../debian/package.js";
import { parseRelations, type RelationField } from "../debian/relation.js";
import { compareVersions, parseVersion, type Version } from "../debian/version.js";
import { DebLockError, ProblemError } from "../errors.js";

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
  /**
   * When apt registers `name` while reading the indexes (sources in order, each record's own name, then the names
   * its Pre-Depends, Depends, Conflicts, Breaks, Recommends, Suggests, Replaces, Enhances and Provides mention, in
   * that order; `x:any` is a name of its own): apt's package ID, its last tie-break between providers. Lower is
   * earlier; a name never mentioned ranks after all others.
   */
  registeredAt(name: string): number;
  /** A version text parsed once per universe (relation and Provides versions repeat across records and runs). */
  parsedVersion(text: string): Version;
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
    return (this.#version ??= inIndex(
      this.record,
      () => this.sourceId,
      () => parseVersion(this.record.version),
    ));
  }
}

function byPinThenVersion(a: PackageVersion, b: PackageVersion): number {
  if (a.pin !== b.pin) return b.pin - a.pin;
  return compareVersions(b.version, a.version);
}

/**
 * Indexes the records of `arch` and `all` from every source. The same version of a package in several
 * sources is one version, as apt merges them; its pin is the highest of them, and its record (so the URL a
 * lock records) is the LAST source's in the given order. That is rules_distroless's choice: it files records
 * in a dict keyed by (arch, name, version) while reading sources in manifest order, so a later source's record
 * replaces an earlier one's (e.g. a version in both bookworm and bookworm-security is fetched from -security).
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
      const at = list.findIndex((pv) => pv.record.version === entry.record.version || compareVersions(pv.version, entry.version) === 0);
      if (at < 0) {
        list.push(entry);
        continue;
      }
      const same = list[at]!;
      // rules_distroless keys by the version text: only an identical text replaces the record
      if (same.record.version === entry.record.version) list[at] = new IndexedVersion(entry.record, entry.sourceId, Math.max(same.pin, entry.pin));
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
      parsed = inIndex(
        record,
        () => sources.find((src) => src.records.includes(record))?.id,
        () => {
          const preDepends = record.preDepends === undefined ? [] : parseRelations(record.preDepends);
          const depends = record.depends === undefined ? [] : parseRelations(record.depends);
          return {
            dependencies: preDepends.length === 0 ? depends : depends.length === 0 ? preDepends : [...preDepends, ...depends],
            conflicts: record.conflicts === undefined ? [] : parseRelations(record.conflicts),
            breaks: record.breaks === undefined ? [] : parseRelations(record.breaks),
            provides: record.provides === undefined ? [] : parseRelations(record.provides),
          };
        },
      );
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

  let registration: Map<string, number> | undefined;
  const indexRegistration = (): Map<string, number> => {
    const order = new Map<string, number>();
    const register = (name: string): void => {
      if (!order.has(name)) order.set(name, order.size);
    };
    for (const source of sources) {
      for (const record of source.records) {
        register(record.name);
        for (const text of [record.preDepends, record.depends, record.conflicts, record.breaks, record.otherRelations, record.provides]) {
          if (text !== undefined) registerMentions(text, register);
        }
      }
    }
    return order;
  };

  const versionCache = new Map<string, Version>();
  const parsedVersion = (text: string): Version => {
    let v = versionCache.get(text);
    if (v === undefined) {
      v = parseVersion(text);
      versionCache.set(text, v);
    }
    return v;
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
    parsedVersion,
    registeredAt: (name) => (registration ??= indexRegistration()).get(name) ?? Number.MAX_SAFE_INTEGER,
    names: () => (names ??= [...entries.keys()].sort()),
  };
}

/**
 * Calls `register` with each package name a relation field mentions, in order: `name:any` as written, other
 * qualifiers (`:native`, `:amd64`) dropped. A scan, not a parse: it only reads names, for every record.
 */
function registerMentions(text: string, register: (name: string) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    // skip separators and anything inside (...) or [...] or <...>
    let c = text.charCodeAt(i);
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 60 /* < */) {
      const close = c === 40 ? ")" : c === 91 ? "]" : ">";
      const end = text.indexOf(close, i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (!isNameStart(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isNameChar((c = text.charCodeAt(j)))) j++;
    let name = text.slice(i, j);
    if (j < n && text.charCodeAt(j) === 58 /* : */) {
      let k = j + 1;
      while (k < n && isNameChar(text.charCodeAt(k))) k++;
      if (text.slice(j + 1, k) === "any") name = `${name}:any`;
      j = k;
    }
    register(name);
    i = j;
  }
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || c === 43 /* + */ || c === 45 /* - */ || c === 46 /* . */;
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
