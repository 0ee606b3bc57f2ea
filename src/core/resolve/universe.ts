import type { PackageRecord } from "../debian/package.js";
import { isNameChar, isNameStart } from "../debian/packages-columns.js";
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
 * Lookups an index can answer without a scan (the cached form of an index carries them, see withLookup): a
 * universe over such indexes builds no name index.
 */
export interface RecordLookup {
  /** Positions in the index's records, ascending, of the records named `name`. */
  positionsOf(name: string): readonly number[];
  /** Positions, ascending, of the records whose Provides may list `name` (a superset: providersOf checks each). */
  providerPositionsOf(name: string): readonly number[];
  /**
   * When reading this index alone registers `name` (see Universe.registeredAt and registrationOrder): 0 for the
   * first name, undefined for a name it never mentions.
   */
  registrationOf?(name: string): number | undefined;
}

const LOOKUP = Symbol("deb-lock record lookup");

/** `records`, carrying `lookup` (a non-enumerable property: a copy or a filtered array carries none). */
export function withLookup<T extends readonly PackageRecord[]>(records: T, lookup: RecordLookup): T {
  Object.defineProperty(records, LOOKUP, { value: lookup });
  return records;
}

function lookupOf(records: readonly PackageRecord[]): RecordLookup | undefined {
  return (records as { [LOOKUP]?: RecordLookup })[LOOKUP];
}

/** A record's place: source number × RECORD_SPAN + position in the source's records (a small integer, no object). */
const RECORD_SPAN = 2 ** 24;

/**
 * Indexes the records of `arch` and `all` from every source. The same version of a package in several
 * sources is one version, as apt merges them; its pin is the highest of them, and its record (so the URL a
 * lock records) is the LAST source's in the given order. That is rules_distroless's choice: it files records
 * in a dict keyed by (arch, name, version) while reading sources in manifest order, so a later source's record
 * replaces an earlier one's (e.g. a version in both bookworm and bookworm-security is fetched from -security).
 */
export function buildUniverse(sources: readonly UniverseSource[], arch: string): Universe {
  // Only a name index is built up front, of record places (numbers: no object per record). A name's versions are
  // merged and ordered on first use, and a provided name's providers on the first providersOf it: a run that reads
  // a few hundred names out of ~60k never pays for the rest.
  // Sources without lookups get a name index here, of record places (numbers: no object per record).
  const lookups = sources.map((source) => lookupOf(source.records));
  const entries = new Map<string, number | number[]>();
  const withProvides: number[] = [];
  for (let s = 0; s < sources.length; s++) {
    const records = sources[s]!.records;
    if (records.length >= RECORD_SPAN) throw new RangeError(`index ${sources[s]!.id} has ${records.length} records, more than deb-lock indexes`);
    if (lookups[s] !== undefined) continue;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const a = record.architecture;
      if (a !== arch && a !== "all") continue;
      const place = s * RECORD_SPAN + i;
      const name = record.name;
      const seen = entries.get(name);
      if (seen === undefined) entries.set(name, place);
      else if (typeof seen === "number") entries.set(name, [seen, place]);
      else seen.push(place);
      if (record.provides !== undefined) withProvides.push(place);
    }
  }
  const ofArch = (record: PackageRecord): boolean => record.architecture === arch || record.architecture === "all";
  /** The places of a name's records, sources in order (so the first is where the name first appears). */
  const placesCache = new Map<string, readonly number[]>();
  const placesOf = (name: string): readonly number[] => {
    let places = placesCache.get(name);
    if (places === undefined) {
      const out: number[] = [];
      for (let s = 0; s < sources.length; s++) {
        const lookup = lookups[s];
        if (lookup === undefined) {
          const seen = entries.get(name);
          if (seen === undefined) continue;
          for (const place of typeof seen === "number" ? [seen] : seen) if (Math.floor(place / RECORD_SPAN) === s) out.push(place);
        } else {
          const records = sources[s]!.records;
          for (const i of lookup.positionsOf(name)) if (ofArch(records[i]!)) out.push(s * RECORD_SPAN + i);
        }
      }
      places = out;
      placesCache.set(name, places);
    }
    return places;
  };
  const recordAt = (place: number): PackageRecord => sources[Math.floor(place / RECORD_SPAN)]!.records[place % RECORD_SPAN]!;
  const entryAt = (place: number): IndexedVersion => {
    const source = sources[Math.floor(place / RECORD_SPAN)]!;
    return new IndexedVersion(source.records[place % RECORD_SPAN]!, source.id, source.pin);
  };
  /** Where a name first appears (sources in order): the order of names in provider lists. */
  const firstPlace = (name: string): number => placesOf(name)[0] ?? Number.MAX_SAFE_INTEGER;

  const merged = new Map<string, IndexedVersion[]>();
  const versionsOf = (name: string): readonly PackageVersion[] => {
    const done = merged.get(name);
    if (done !== undefined) return done;
    const seen = placesOf(name);
    if (seen.length === 0) return NO_VERSIONS;
    if (seen.length === 1) {
      const one = [entryAt(seen[0]!)];
      merged.set(name, one);
      return one;
    }
    const list: IndexedVersion[] = [];
    for (const place of seen) {
      const entry = entryAt(place);
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

  const provideItems = new WeakMap<PackageRecord, [string, string | undefined][]>();
  const itemsOf = (record: PackageRecord): [string, string | undefined][] => {
    let items = provideItems.get(record);
    if (items === undefined) {
      items = record.provides === undefined ? [] : splitProvides(record.provides);
      provideItems.set(record, items);
    }
    return items;
  };
  // provided name → the names of the packages whose records provide it (each once)
  let providerNames: Map<string, string[]> | undefined;
  const indexProviderNames = (): Map<string, string[]> => {
    const index = new Map<string, string[]>();
    for (const place of withProvides) {
      const record = recordAt(place);
      const by = record.name;
      const add = (provided: string): void => {
        const names = index.get(provided);
        if (names === undefined) index.set(provided, [by]);
        else if (names[names.length - 1] !== by && !names.includes(by)) names.push(by);
      };
      // A superset is enough here (providersOf reads each provider's exact items): the names a scan finds, or the
      // full split where the field is unusual.
      if (!scanProvidedNames(record.provides!, add)) for (const [provided] of itemsOf(record)) add(provided);
    }
    return index;
  };
  const providers = new Map<string, Provision[]>();
  // The providers of a name: providing packages in order of their names' first appearance, each one's versions
  // best first (the order resolution relies on), every version whose own Provides lists the name.
  const providersOf = (name: string): readonly Provision[] => {
    const done = providers.get(name);
    if (done !== undefined) return done;
    const names = new Set((providerNames ??= indexProviderNames()).get(name));
    for (let s = 0; s < sources.length; s++) {
      const lookup = lookups[s];
      if (lookup === undefined) continue;
      const records = sources[s]!.records;
      for (const i of lookup.providerPositionsOf(name)) if (ofArch(records[i]!)) names.add(records[i]!.name);
    }
    if (names.size === 0) return NO_PROVISIONS;
    const list: Provision[] = [];
    for (const by of [...names].sort((a, b) => firstPlace(a) - firstPlace(b))) {
      for (const pv of versionsOf(by)) {
        for (const [provided, versionText] of itemsOf(pv.record)) {
          if (provided !== name) continue;
          list.push({ by: pv, version: versionText === undefined ? undefined : parsedVersion(versionText) });
        }
      }
    }
    providers.set(name, list);
    return list;
  };

  let registration: Map<string, number> | undefined;
  const indexRegistration = (): Map<string, number> => {
    const order = new Map<string, number>();
    for (const source of sources) for (const name of registrationOrder(source.records)) if (!order.has(name)) order.set(name, order.size);
    return order;
  };
  // Indexes that carry their own registration order (the cached form does): a name first registered by source s
  // comes after every name an earlier source registers, and in source s's own order among those s registers first.
  const ranked = lookups.every((l) => l?.registrationOf !== undefined) ? (lookups as RecordLookup[]) : undefined;
  const registeredAt = (name: string): number => {
    if (ranked !== undefined) {
      for (let s = 0; s < ranked.length; s++) {
        const rank = ranked[s]!.registrationOf!(name);
        if (rank !== undefined) return s * 2 ** 32 + rank;
      }
      return Number.MAX_SAFE_INTEGER;
    }
    return (registration ??= indexRegistration()).get(name) ?? Number.MAX_SAFE_INTEGER;
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
        for (const name of allNames()) size += versionsOf(name).length;
      }
      return size;
    },
    versionsOf,
    providersOf,
    relationsOf,
    parsedVersion,
    registeredAt,
    names: () => (names ??= allNames()),
  };

  function allNames(): string[] {
    const all = new Set(entries.keys());
    for (let s = 0; s < sources.length; s++) {
      if (lookups[s] === undefined) continue;
      for (const record of sources[s]!.records) if (ofArch(record)) all.add(record.name);
    }
    return [...all].sort();
  }
}

/**
 * `universe` with every package of `pins` held at its pinned version: other versions of it are not there (neither
 * as versions nor as providers). What add, remove and why resolve against: deb-lock never upgrades what a lock
 * pins. A view: the universe's indexes are shared, so one universe serves every pin set of a run.
 */
export function pinnedUniverse(universe: Universe, pins: ReadonlyMap<string, string>): Universe {
  if (pins.size === 0) return universe;
  const kept = (pv: PackageVersion): boolean => {
    const pin = pins.get(pv.record.name);
    return pin === undefined || pv.record.version === pin;
  };
  const versions = new Map<string, readonly PackageVersion[]>();
  const versionsOf = (name: string): readonly PackageVersion[] => {
    let list = versions.get(name);
    if (list === undefined) {
      const all = universe.versionsOf(name);
      list = pins.has(name) ? all.filter(kept) : all;
      versions.set(name, list);
    }
    return list;
  };
  const provisions = new Map<string, readonly Provision[]>();
  let names: string[] | undefined;
  let size: number | undefined;
  return {
    arch: universe.arch,
    get size() {
      if (size === undefined) {
        size = 0;
        for (const name of universe.names()) size += versionsOf(name).length;
      }
      return size;
    },
    versionsOf,
    providersOf: (name) => {
      let list = provisions.get(name);
      if (list === undefined) {
        const all = universe.providersOf(name);
        list = all.some((p) => !kept(p.by)) ? all.filter((p) => kept(p.by)) : all;
        provisions.set(name, list);
      }
      return list;
    },
    relationsOf: (record) => universe.relationsOf(record),
    parsedVersion: (text) => universe.parsedVersion(text),
    registeredAt: (name) => universe.registeredAt(name),
    names: () => (names ??= universe.names().filter((n) => versionsOf(n).length > 0)),
  };
}

/**
 * The package names one index registers, in the order apt registers them while reading it: each record's own name,
 * then the names its Pre-Depends, Depends, Conflicts, Breaks, Recommends, Suggests, Replaces, Enhances and Provides
 * mention, in that order; each name once.
 */
export function registrationOrder(records: readonly PackageRecord[]): string[] {
  const seen = new Set<string>();
  const register = (name: string): void => {
    seen.add(name);
  };
  for (const record of records) {
    register(record.name);
    for (const text of [record.preDepends, record.depends, record.conflicts, record.breaks, record.otherRelations, record.provides]) {
      if (text !== undefined) registerMentions(text, register);
    }
  }
  return [...seen];
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

/** The names a Provides field lists (a superset where the field is unusual: see scanProvidedNames). */
export function providedNamesOf(text: string): string[] {
  const out: string[] = [];
  if (!scanProvidedNames(text, (name) => out.push(name))) for (const [name] of splitProvides(text)) out.push(name);
  return out;
}

/**
 * Calls `found` with the name of each item of a plain Provides field (`a, b (= 1.0), c`) and returns true; returns
 * false as soon as the field holds anything else (the caller then splits it properly; names already passed on
 * stay valid, as a superset is all that is asked).
 */
function scanProvidedNames(text: string, found: (name: string) => void): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    const start = i;
    while (i < n && isNameChar(text.charCodeAt(i))) i++;
    if (i === start) return false;
    found(text.slice(start, i));
    while (i < n && text.charCodeAt(i) === 32) i++;
    if (i < n && text.charCodeAt(i) === 40 /* ( */) {
      const close = text.indexOf(")", i);
      if (close < 0) return false;
      i = close + 1;
      while (i < n && text.charCodeAt(i) === 32) i++;
    }
    if (i === n) return true;
    if (text.charCodeAt(i) !== 44 /* , */) return false;
    i++;
  }
  return true;
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
