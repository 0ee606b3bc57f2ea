import type { PackageRecord } from "../core/debian/package.js";
import {
  C_ARCHITECTURE,
  C_BREAKS,
  C_CONFLICTS,
  C_DEPENDS,
  C_FILENAME,
  C_MULTI_ARCH,
  C_NAME,
  C_OTHER_RELATIONS,
  C_PRE_DEPENDS,
  C_PRIORITY,
  C_PROVIDES,
  C_SECTION,
  C_SHA256,
  C_SOURCE,
  C_VERSION,
  COLUMN_COUNT,
  columnsOf,
  type PackagesColumns,
  type RegistrationTable,
  registrationRank,
  registrationTableOf,
} from "../core/debian/packages-columns.js";
import { providedNamesOf, type RecordLookup, withLookup } from "../core/resolve/universe.js";
import { concatBytes } from "./bytes.js";
import type { Cache } from "./cache.js";

/** Version of the derived-records format; bump when PackageRecord or the parser changes. */
export const DERIVED_FORMAT = "deb-lock/packages-records/7";

/*
 * Derived data: the parsed records of an index, keyed by the index SHA256 and a format version (the cache checks
 * the payload's own hash on read, and the payload names the index it came from).
 *
 * The format is binary and columnar: a table of strings (one UTF-8 blob and the end offset of each string; short
 * values that repeat, like versions, sources and the words of Section or Priority, are in it once), then per field
 * an Int32 column of string ids (-1: absent), Float64 columns for Size and Installed-Size and a byte column for
 * Essential. Reading it back creates one small object per record over the columns (see TableRecord); a string is
 * decoded when a record's field is first read. A warm run reads the name and architecture of every record and the
 * other fields of a few hundred: decoding bookworm amd64 (63k records, 24 MB) into plain objects with every string
 * took ~45-50 ms and 35 MB of heap per index, and most of a warm run's garbage collection.
 */
const FIELDS = COLUMN_COUNT;

/** Written in the header to detect a reader of the other byte order (typed arrays use the platform's). */
const BYTE_ORDER_MARK = 0x01020304;
/**
 * Header after the magic line and the index hash: byte-order mark, record count, string count, blob bytes, flags,
 * Provides pairs, registered names, registration slots (see RegistrationTable).
 */
const HEADER_WORDS = 8;
const ASCII_BLOB = 1;

function derivedKey(indexSha256: string): string {
  return `${DERIVED_FORMAT}/${indexSha256}`;
}

/** The first line(s) of an entry, padded so that magic + header end on a multiple of 8 bytes (see the columns). */
function derivedMagic(indexSha256: string): Uint8Array {
  const text = `${DERIVED_FORMAT}\n${indexSha256}`;
  const padded = text.length + 1 + ((8 - ((text.length + 1 + HEADER_WORDS * 4) % 8)) % 8);
  return new TextEncoder().encode(`${text.padEnd(padded - 1, " ")}\n`);
}

/** The records as derived data (see above). */
export function encodeDerivedRecords(indexSha256: string, records: readonly PackageRecord[]): Uint8Array {
  return encodeDerivedColumns(indexSha256, columnsOf(records));
}

/** Columns, as the parser writes them, as derived data: the lookups added, and the header. */
export function encodeDerivedColumns(indexSha256: string, c: PackagesColumns): Uint8Array {
  return concatBytes(derivedParts(indexSha256, c).parts);
}

/** The lookups of the columns, and the parts of their derived entry, in order (see decodeDerivedRecords). */
function derivedParts(
  indexSha256: string,
  c: PackagesColumns,
): { parts: Uint8Array[]; lookups: Lookups; ends: Uint32Array; extra: Uint8Array; ascii: boolean } {
  const n = c.n;
  // Lookups (see RecordLookup): record numbers by name, and (provided name, record number) pairs, both sorted.
  const names = c.names;
  const byName = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = names[a]!;
    const y = names[b]!;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const pairs: [string, number][] = [];
  for (const [i, provides] of c.provides) for (const name of new Set(providedNamesOf(provides))) pairs.push([name, i]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  // The provided names become strings of their own, after the columns' strings.
  const extraIds = new Map<string, number>();
  const extraStrings: string[] = [];
  const provName = new Int32Array(pairs.length);
  const provRecord = new Int32Array(pairs.length);
  pairs.forEach(([name, i], k) => {
    let id = extraIds.get(name);
    if (id === undefined) {
      id = c.ends.length + extraStrings.push(name) - 1;
      extraIds.set(name, id);
    }
    provName[k] = id;
    provRecord[k] = i;
  });
  // apt's registration order of the index's names (see registrationOrder): a hash table over the columns' bytes
  const registration = registrationTableOf(c);
  const extra = new TextEncoder().encode(extraStrings.join(""));
  const ends = new Uint32Array(c.ends.length + extraStrings.length);
  ends.set(c.ends);
  let at = c.blob.byteLength;
  const extraAscii = extra.byteLength === extraStrings.reduce((sum, x) => sum + x.length, 0);
  extraStrings.forEach((x, k) => {
    at += extraAscii ? x.length : Buffer.byteLength(x, "utf8");
    ends[c.ends.length + k] = at;
  });
  const ascii = c.ascii && extraAscii;
  const header = new Uint32Array([
    BYTE_ORDER_MARK,
    n,
    ends.length,
    c.blob.byteLength + extra.byteLength,
    ascii ? ASCII_BLOB : 0,
    pairs.length,
    registration.starts.length,
    registration.slots.length,
  ]);
  // Float64 columns first, then the 4-byte ones, then bytes: from an 8-byte aligned start, each is aligned for a view.
  const parts = [
    derivedMagic(indexSha256),
    header,
    c.size,
    c.installedSize,
    c.refs,
    ends,
    byName,
    provName,
    provRecord,
    registration.starts,
    registration.stops,
    registration.slots,
    c.essential,
    c.blob,
    extra,
  ].map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return { parts, lookups: { byName, provName, provRecord, registration }, ends, extra, ascii };
}

/** The columns of one decoded entry; strings are decoded from the blob on first read and kept. */
class RecordTable {
  readonly #strings: (string | undefined)[];
  constructor(
    readonly n: number,
    readonly refs: Int32Array,
    readonly size: Float64Array,
    readonly installedSize: Float64Array,
    readonly essential: Uint8Array,
    readonly ends: Uint32Array,
    readonly blob: Buffer,
    readonly encoding: "latin1" | "utf8",
    /** Strings from `split` on are in `more`, which continues `blob` (the provided names of a freshly parsed index). */
    readonly split = ends.length,
    readonly more: Buffer = blob,
  ) {
    this.#strings = new Array<string | undefined>(ends.length);
  }

  text(field: number, i: number): string | undefined {
    const id = this.refs[field * this.n + i]!;
    return id < 0 ? undefined : this.string(id);
  }

  string(id: number): string {
    let s = this.#strings[id];
    if (s === undefined) {
      const start = id === 0 ? 0 : this.ends[id - 1]!;
      if (id < this.split) s = this.blob.toString(this.encoding, start, this.ends[id]!);
      else {
        const base = this.blob.byteLength;
        s = this.more.toString(this.encoding, start - base, this.ends[id]! - base);
      }
      this.#strings[id] = s;
    }
    return s;
  }
}

/** The sorted columns an entry's lookups read (see tableLookup). */
interface Lookups {
  readonly byName: Int32Array;
  readonly provName: Int32Array;
  readonly provRecord: Int32Array;
  readonly registration: RegistrationTable;
}

function bufferOf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The records of a table, one small object each over its columns, with the entry's lookups. */
function tableRecords(table: RecordTable, lookups: Lookups): PackageRecord[] {
  const records = new Array<PackageRecord>(table.n);
  for (let i = 0; i < table.n; i++) records[i] = new TableRecord(table, i);
  return withLookup(records, tableLookup(table, lookups));
}

/**
 * The lookups of a decoded entry, by binary search over its sorted columns: a universe built over cached indexes
 * indexes nothing up front. Decode refuses entries whose lookup columns point out of range; the cache's CRC-32 guards
 * their order.
 */
function tableLookup(table: RecordTable, { byName, provName, provRecord, registration }: Lookups): RecordLookup {
  const nameAt = (k: number): string => table.text(C_NAME, byName[k]!)!;
  const lowerBound = (length: number, keyAt: (k: number) => string, key: string): number => {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    positionsOf(name) {
      const out: number[] = [];
      for (let k = lowerBound(byName.length, nameAt, name); k < byName.length && nameAt(k) === name; k++) out.push(byName[k]!);
      return out;
    },
    providerPositionsOf(name) {
      const out: number[] = [];
      const at = (k: number): string => table.string(provName[k]!);
      for (let k = lowerBound(provName.length, at, name); k < provName.length && at(k) === name; k++) out.push(provRecord[k]!);
      return out;
    },
    registrationOf: (name) => registrationRank(table.blob, registration, name),
  };
}

/**
 * A record of a decoded entry: its fields are read from the table when first asked for (a run reads the name and
 * architecture of every record, and the rest of a few hundred). Not a plain object: `toJSON` and `plainRecord` give
 * one.
 */
class TableRecord implements PackageRecord {
  readonly #t: RecordTable;
  readonly #i: number;
  constructor(table: RecordTable, i: number) {
    this.#t = table;
    this.#i = i;
  }
  get name(): string {
    return this.#t.text(C_NAME, this.#i)!;
  }
  get version(): string {
    return this.#t.text(C_VERSION, this.#i)!;
  }
  get architecture(): string {
    return this.#t.text(C_ARCHITECTURE, this.#i)!;
  }
  get multiArch(): PackageRecord["multiArch"] {
    return this.#t.text(C_MULTI_ARCH, this.#i) as PackageRecord["multiArch"];
  }
  get essential(): true | undefined {
    return this.#t.essential[this.#i] === 1 ? true : undefined;
  }
  get priority(): string | undefined {
    return this.#t.text(C_PRIORITY, this.#i);
  }
  get source(): string | undefined {
    return this.#t.text(C_SOURCE, this.#i);
  }
  get section(): string | undefined {
    return this.#t.text(C_SECTION, this.#i);
  }
  get depends(): string | undefined {
    return this.#t.text(C_DEPENDS, this.#i);
  }
  get preDepends(): string | undefined {
    return this.#t.text(C_PRE_DEPENDS, this.#i);
  }
  get provides(): string | undefined {
    return this.#t.text(C_PROVIDES, this.#i);
  }
  get conflicts(): string | undefined {
    return this.#t.text(C_CONFLICTS, this.#i);
  }
  get breaks(): string | undefined {
    return this.#t.text(C_BREAKS, this.#i);
  }
  get otherRelations(): string | undefined {
    return this.#t.text(C_OTHER_RELATIONS, this.#i);
  }
  get filename(): string {
    return this.#t.text(C_FILENAME, this.#i)!;
  }
  get size(): number {
    return this.#t.size[this.#i]!;
  }
  get sha256(): string {
    return this.#t.text(C_SHA256, this.#i)!;
  }
  get installedSize(): number | undefined {
    const v = this.#t.installedSize[this.#i]!;
    return v >= 0 ? v : undefined;
  }
  toJSON(): PackageRecord {
    return plainRecord(this);
  }
}

/** A plain object with the fields of `r` that are present, in the order the Packages parser sets them. */
export function plainRecord(r: PackageRecord): PackageRecord {
  const out: { -readonly [K in keyof PackageRecord]: PackageRecord[K] } = {
    name: r.name,
    version: r.version,
    architecture: r.architecture,
    filename: r.filename,
    size: r.size,
    sha256: r.sha256,
  };
  if (r.multiArch !== undefined) out.multiArch = r.multiArch;
  if (r.essential === true) out.essential = true;
  if (r.priority !== undefined) out.priority = r.priority;
  if (r.source !== undefined) out.source = r.source;
  if (r.section !== undefined) out.section = r.section;
  if (r.depends !== undefined) out.depends = r.depends;
  if (r.preDepends !== undefined) out.preDepends = r.preDepends;
  if (r.provides !== undefined) out.provides = r.provides;
  if (r.conflicts !== undefined) out.conflicts = r.conflicts;
  if (r.breaks !== undefined) out.breaks = r.breaks;
  if (r.installedSize !== undefined) out.installedSize = r.installedSize;
  if (r.otherRelations !== undefined) out.otherRelations = r.otherRelations;
  return out;
}

/**
 * Records from derived data, or undefined when the data is not in this format, not of this index, or not
 * consistent (the caller then parses the index again). The records read their fields from `data` when first asked
 * (see TableRecord): decoding allocates one small object per record and nothing else.
 */
export function decodeDerivedRecords(indexSha256: string, data: Uint8Array): PackageRecord[] | undefined {
  // A plain view: slice() of a Node Buffer would share memory instead of copying (see `column`). The records keep
  // views of `data`: it must not change afterwards.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const magic = derivedMagic(indexSha256);
  if (bytes.byteLength < magic.byteLength + HEADER_WORDS * 4) return undefined;
  for (let i = 0; i < magic.byteLength; i++) if (bytes[i] !== magic[i]) return undefined;
  // Typed-array views need aligned offsets: where the payload sits 8-byte aligned (as a file read whole does), the
  // columns are views of it; elsewhere they are copied.
  const column = (offset: number, length: number, align: number): ArrayBuffer | [ArrayBuffer, number] =>
    (bytes.byteOffset + offset) % align === 0
      ? [bytes.buffer as ArrayBuffer, bytes.byteOffset + offset]
      : (bytes.slice(offset, offset + length).buffer as ArrayBuffer);
  const int32s = (offset: number, count: number): Int32Array => {
    const c = column(offset, count * 4, 4);
    return Array.isArray(c) ? new Int32Array(c[0], c[1], count) : new Int32Array(c);
  };
  const uint32s = (offset: number, count: number): Uint32Array => {
    const c = column(offset, count * 4, 4);
    return Array.isArray(c) ? new Uint32Array(c[0], c[1], count) : new Uint32Array(c);
  };
  const float64s = (offset: number, count: number): Float64Array => {
    const c = column(offset, count * 8, 8);
    return Array.isArray(c) ? new Float64Array(c[0], c[1], count) : new Float64Array(c);
  };
  let at = magic.byteLength;
  const header = uint32s(at, HEADER_WORDS);
  at += HEADER_WORDS * 4;
  const [mark = 0, n = 0, stringCount = 0, blobBytes = 0, flags = 0, pairCount = 0, registered = 0, slotCount = 0] = header;
  if (mark !== BYTE_ORDER_MARK) return undefined;
  const expected = at + n * FIELDS * 4 + n * 8 * 2 + n * 4 + pairCount * 8 + registered * 8 + slotCount * 4 + n + stringCount * 4 + blobBytes;
  if (bytes.byteLength !== expected) return undefined;
  const size = float64s(at, n);
  at += n * 8;
  const installedSize = float64s(at, n);
  at += n * 8;
  const refs = int32s(at, n * FIELDS);
  at += n * FIELDS * 4;
  const ends = uint32s(at, stringCount);
  at += stringCount * 4;
  const byName = int32s(at, n);
  at += n * 4;
  const provName = int32s(at, pairCount);
  at += pairCount * 4;
  const provRecord = int32s(at, pairCount);
  at += pairCount * 4;
  const regStarts = int32s(at, registered);
  at += registered * 4;
  const regStops = int32s(at, registered);
  at += registered * 4;
  const regSlots = int32s(at, slotCount);
  at += slotCount * 4;
  const essential = bytes.subarray(at, at + n);
  at += n;
  const blob = Buffer.from(bytes.buffer, bytes.byteOffset + at, blobBytes);

  // Checked up front, so that a field read later cannot fail: string bounds, ids, the fields every record has.
  let start = 0;
  for (let i = 0; i < stringCount; i++) {
    const end = ends[i]!;
    if (end < start || end > blobBytes) return undefined;
    start = end;
  }
  for (let i = 0; i < refs.length; i++) if (refs[i]! >= stringCount || refs[i]! < -1) return undefined;
  for (const field of [C_NAME, C_VERSION, C_ARCHITECTURE, C_FILENAME, C_SHA256]) {
    for (let i = field * n; i < (field + 1) * n; i++) if (refs[i]! < 0) return undefined;
  }
  for (let i = 0; i < n; i++) if (byName[i]! < 0 || byName[i]! >= n) return undefined;
  for (let k = 0; k < pairCount; k++)
    if (provName[k]! < 0 || provName[k]! >= stringCount || provRecord[k]! < 0 || provRecord[k]! >= n) return undefined;
  for (let k = 0; k < registered; k++) if (regStarts[k]! < 0 || regStops[k]! < regStarts[k]! || regStops[k]! > blobBytes) return undefined;
  if ((slotCount & (slotCount - 1)) !== 0 || slotCount < registered) return undefined;
  for (let k = 0; k < slotCount; k++) if (regSlots[k]! < -1 || regSlots[k]! >= registered) return undefined;

  const table = new RecordTable(n, refs, size, installedSize, essential, ends, blob, (flags & ASCII_BLOB) !== 0 ? "latin1" : "utf8");
  const registration = { slots: regSlots, starts: regStarts, stops: regStops };
  return tableRecords(table, { byName, provName, provRecord, registration });
}

/** The cached records of the index with this SHA256, or undefined (absent, of another format, or inconsistent). */
export async function readDerivedRecords(cache: Cache, indexSha256: string): Promise<PackageRecord[] | undefined> {
  const bytes = await cache.getDerived(derivedKey(indexSha256));
  return bytes === undefined ? undefined : decodeDerivedRecords(indexSha256, bytes);
}

/**
 * Stores the columns as derived data and returns their records: the entry is written from the columns as they are,
 * and the records read the same columns (nothing is copied: a fresh copy of a large index costs its page faults again).
 */
export async function writeDerivedColumns(cache: Cache, indexSha256: string, c: PackagesColumns): Promise<PackageRecord[]> {
  const d = derivedParts(indexSha256, c);
  await cache.putDerived(derivedKey(indexSha256), d.parts);
  const table = new RecordTable(
    c.n,
    c.refs,
    c.size,
    c.installedSize,
    c.essential,
    d.ends,
    bufferOf(c.blob),
    d.ascii ? "latin1" : "utf8",
    c.ends.length,
    bufferOf(d.extra),
  );
  return tableRecords(table, d.lookups);
}
