import type { PackageRecord } from "../core/debian/package.js";
import { providedNamesOf, type RecordLookup, withLookup } from "../core/resolve/universe.js";
import type { Cache } from "./cache.js";

/** Version of the derived-records format; bump when PackageRecord or the parser changes. */
export const DERIVED_FORMAT = "deb-lock/packages-records/6";

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
const DERIVED_FIELDS = [
  "name",
  "version",
  "architecture",
  "filename",
  "sha256",
  "multiArch",
  "priority",
  "source",
  "section",
  "depends",
  "preDepends",
  "provides",
  "conflicts",
  "breaks",
  "otherRelations",
] as const;
const FIELDS = DERIVED_FIELDS.length;
const [
  D_NAME,
  D_VERSION,
  D_ARCHITECTURE,
  D_FILENAME,
  D_SHA256,
  D_MULTI_ARCH,
  D_PRIORITY,
  D_SOURCE,
  D_SECTION,
  D_DEPENDS,
  D_PRE_DEPENDS,
  D_PROVIDES,
  D_CONFLICTS,
  D_BREAKS,
  D_OTHER_RELATIONS,
] = DERIVED_FIELDS.map((_, i) => i) as number[] as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** Written in the header to detect a reader of the other byte order (typed arrays use the platform's). */
const BYTE_ORDER_MARK = 0x01020304;
/** Header after the magic line and the index hash: byte-order mark, record count, string count, blob bytes, flags, Provides pairs. */
const HEADER_WORDS = 6;
const ASCII_BLOB = 1;
/** Strings joined at once when writing the string table. */
const STRING_BATCH = 8192;

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
  const n = records.length;
  const ids = new Map<string, number>();
  const strings: string[] = [];
  const refs = new Int32Array(n * FIELDS);
  const size = new Float64Array(n);
  const installedSize = new Float64Array(n);
  const essential = new Uint8Array(n);
  // Short values that repeat (versions, sources, words) go through the table once; the others (names, file names,
  // hashes, relation fields) are not looked up: hashing 300k long or unique strings cost more than it saved
  // (relation fields repeat in a quarter of the records: 1 MB more per big index, encoding 30% faster).
  const put = (field: number, i: number, value: string | undefined): void => {
    let id = -1;
    if (value !== undefined) {
      id = ids.get(value) ?? -1;
      if (id < 0) {
        id = strings.push(value) - 1;
        ids.set(value, id);
      }
    }
    refs[field * n + i] = id;
  };
  const add = (field: number, i: number, value: string | undefined): void => {
    refs[field * n + i] = value === undefined ? -1 : strings.push(value) - 1;
  };
  for (let i = 0; i < n; i++) {
    // Named reads, one pass: records come in many shapes (optional fields), so keyed reads would be slow.
    const r = records[i]!;
    add(D_NAME, i, r.name);
    put(D_VERSION, i, r.version);
    put(D_ARCHITECTURE, i, r.architecture);
    add(D_FILENAME, i, r.filename);
    add(D_SHA256, i, r.sha256);
    put(D_MULTI_ARCH, i, r.multiArch);
    put(D_PRIORITY, i, r.priority);
    put(D_SOURCE, i, r.source);
    put(D_SECTION, i, r.section);
    add(D_DEPENDS, i, r.depends);
    add(D_PRE_DEPENDS, i, r.preDepends);
    add(D_PROVIDES, i, r.provides);
    add(D_CONFLICTS, i, r.conflicts);
    add(D_BREAKS, i, r.breaks);
    add(D_OTHER_RELATIONS, i, r.otherRelations);
    size[i] = r.size;
    installedSize[i] = r.installedSize ?? -1;
    essential[i] = r.essential === true ? 1 : 0;
  }
  // Lookups (see RecordLookup): record numbers by name, and (provided name, record number) pairs, both sorted.
  const byName = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = records[a]!.name;
    const y = records[b]!.name;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const pairs: [string, number][] = [];
  for (let i = 0; i < n; i++) {
    const provides = records[i]!.provides;
    if (provides === undefined) continue;
    for (const name of new Set(providedNamesOf(provides))) pairs.push([name, i]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const provName = new Int32Array(pairs.length);
  const provRecord = new Int32Array(pairs.length);
  pairs.forEach(([name, i], k) => {
    let id = ids.get(name);
    if (id === undefined) {
      id = strings.push(name) - 1;
      ids.set(name, id);
    }
    provName[k] = id;
    provRecord[k] = i;
  });
  // The strings are joined a batch at a time: one joined string of a whole index would be another ~25 MB held
  // while the entry is built. The kept fields of a Debian index are ASCII, so the entry is first sized as if every
  // string were (a byte per character) and each batch is joined once, checked and written; only an index with a
  // non-ASCII value pays for a second, exact pass.
  const batch = (from: number): string => strings.slice(from, from + STRING_BATCH).join("");
  const ends = new Uint32Array(strings.length);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    at += strings[i]!.length;
    ends[i] = at;
  }
  // Float64 columns first, then the 4-byte ones, then bytes: from an 8-byte aligned start, each is aligned for a view.
  const columns = [size, installedSize, refs, ends, byName, provName, provRecord, essential].map(
    (p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength),
  );
  const magic = derivedMagic(indexSha256);
  const assemble = (blobBytes: number, ascii: boolean): { out: Buffer; offset: number } => {
    const header = new Uint32Array([BYTE_ORDER_MARK, n, strings.length, blobBytes, ascii ? ASCII_BLOB : 0, pairs.length]);
    const parts = [magic, new Uint8Array(header.buffer), ...columns];
    // One allocation for the whole entry: the strings are written straight into it.
    const out = Buffer.allocUnsafe(parts.reduce((sum, p) => sum + p.byteLength, 0) + blobBytes);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.byteLength;
    }
    return { out, offset };
  };
  const fast = assemble(at, true);
  let offset = fast.offset;
  for (let i = 0; i < strings.length; i += STRING_BATCH) {
    const part = batch(i);
    if (Buffer.byteLength(part, "utf8") !== part.length) return encodeUtf8();
    offset += fast.out.write(part, offset, "latin1");
  }
  return new Uint8Array(fast.out.buffer, fast.out.byteOffset, fast.out.byteLength);

  function encodeUtf8(): Uint8Array {
    let bytes = 0;
    for (let i = 0; i < strings.length; i++) {
      bytes += Buffer.byteLength(strings[i]!, "utf8");
      ends[i] = bytes;
    }
    const slow = assemble(bytes, false);
    let offset = slow.offset;
    for (let i = 0; i < strings.length; i += STRING_BATCH) offset += slow.out.write(batch(i), offset, "utf8");
    return new Uint8Array(slow.out.buffer, slow.out.byteOffset, slow.out.byteLength);
  }
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
      s = this.blob.toString(this.encoding, id === 0 ? 0 : this.ends[id - 1]!, this.ends[id]!);
      this.#strings[id] = s;
    }
    return s;
  }
}

/**
 * The lookups of a decoded entry, by binary search over its sorted columns: a universe built over cached indexes
 * indexes nothing up front. Decode refuses entries whose lookup columns point out of range; the cache's CRC-32 guards
 * their order.
 */
function tableLookup(table: RecordTable, byName: Int32Array, provName: Int32Array, provRecord: Int32Array): RecordLookup {
  const nameAt = (k: number): string => table.text(D_NAME, byName[k]!)!;
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
    return this.#t.text(D_NAME, this.#i)!;
  }
  get version(): string {
    return this.#t.text(D_VERSION, this.#i)!;
  }
  get architecture(): string {
    return this.#t.text(D_ARCHITECTURE, this.#i)!;
  }
  get multiArch(): PackageRecord["multiArch"] {
    return this.#t.text(D_MULTI_ARCH, this.#i) as PackageRecord["multiArch"];
  }
  get essential(): true | undefined {
    return this.#t.essential[this.#i] === 1 ? true : undefined;
  }
  get priority(): string | undefined {
    return this.#t.text(D_PRIORITY, this.#i);
  }
  get source(): string | undefined {
    return this.#t.text(D_SOURCE, this.#i);
  }
  get section(): string | undefined {
    return this.#t.text(D_SECTION, this.#i);
  }
  get depends(): string | undefined {
    return this.#t.text(D_DEPENDS, this.#i);
  }
  get preDepends(): string | undefined {
    return this.#t.text(D_PRE_DEPENDS, this.#i);
  }
  get provides(): string | undefined {
    return this.#t.text(D_PROVIDES, this.#i);
  }
  get conflicts(): string | undefined {
    return this.#t.text(D_CONFLICTS, this.#i);
  }
  get breaks(): string | undefined {
    return this.#t.text(D_BREAKS, this.#i);
  }
  get otherRelations(): string | undefined {
    return this.#t.text(D_OTHER_RELATIONS, this.#i);
  }
  get filename(): string {
    return this.#t.text(D_FILENAME, this.#i)!;
  }
  get size(): number {
    return this.#t.size[this.#i]!;
  }
  get sha256(): string {
    return this.#t.text(D_SHA256, this.#i)!;
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
  const [mark, n, stringCount, blobBytes, flags, pairCount] = header as unknown as [number, number, number, number, number, number];
  if (mark !== BYTE_ORDER_MARK) return undefined;
  const expected = at + n * FIELDS * 4 + n * 8 * 2 + n * 4 + pairCount * 8 + n + stringCount * 4 + blobBytes;
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
  for (const field of [D_NAME, D_VERSION, D_ARCHITECTURE, D_FILENAME, D_SHA256]) {
    for (let i = field * n; i < (field + 1) * n; i++) if (refs[i]! < 0) return undefined;
  }
  for (let i = 0; i < n; i++) if (byName[i]! < 0 || byName[i]! >= n) return undefined;
  for (let k = 0; k < pairCount; k++)
    if (provName[k]! < 0 || provName[k]! >= stringCount || provRecord[k]! < 0 || provRecord[k]! >= n) return undefined;

  const table = new RecordTable(n, refs, size, installedSize, essential, ends, blob, (flags & ASCII_BLOB) !== 0 ? "latin1" : "utf8");
  const records = new Array<PackageRecord>(n);
  for (let i = 0; i < n; i++) records[i] = new TableRecord(table, i);
  return withLookup(records, tableLookup(table, byName, provName, provRecord));
}

/** The cached records of the index with this SHA256, or undefined (absent, of another format, or inconsistent). */
export async function readDerivedRecords(cache: Cache, indexSha256: string): Promise<PackageRecord[] | undefined> {
  const bytes = await cache.getDerived(derivedKey(indexSha256));
  return bytes === undefined ? undefined : decodeDerivedRecords(indexSha256, bytes);
}

/**
 * Stores the records as derived data and returns them read back from it: the parsed objects (every string of the
 * index) can then be collected, and a cold run holds the same compact form as a warm one.
 */
export async function writeDerivedRecords(cache: Cache, indexSha256: string, records: readonly PackageRecord[]): Promise<PackageRecord[]> {
  const encoded = encodeDerivedRecords(indexSha256, records);
  await cache.putDerived(derivedKey(indexSha256), encoded);
  const back = decodeDerivedRecords(indexSha256, encoded);
  if (back === undefined) throw new Error(`derived records of index ${indexSha256} do not read back`);
  return back;
}
