import type { PackageRecord } from "./package.js";

/**
 * The records of a Packages index in columns: what the parser writes while it reads an index, and what the cache
 * stores (io/derived-records.ts adds the lookups and the header). Values are kept as the index's bytes, so a
 * cold run creates no string for a field nobody reads; the strings are decoded when a record's field is first asked
 * for (see TableRecord in io/derived-records.ts).
 */

/** The text fields, in column order. */
export const COLUMN_FIELDS = [
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
export const COLUMN_COUNT = COLUMN_FIELDS.length;
export const [
  C_NAME,
  C_VERSION,
  C_ARCHITECTURE,
  C_FILENAME,
  C_SHA256,
  C_MULTI_ARCH,
  C_PRIORITY,
  C_SOURCE,
  C_SECTION,
  C_DEPENDS,
  C_PRE_DEPENDS,
  C_PROVIDES,
  C_CONFLICTS,
  C_BREAKS,
  C_OTHER_RELATIONS,
] = COLUMN_FIELDS.map((_, i) => i) as unknown as NumberPer<typeof COLUMN_FIELDS>;

/** A number for each element of tuple T. */
type NumberPer<T extends readonly unknown[]> = { -readonly [K in keyof T]: number };

/**
 * Text fields that take few distinct values (versions repeat across the records of a source, and the words of
 * Architecture, Section, Priority and Multi-Arch): each distinct value is stored once.
 */
const SHARED: readonly boolean[] = COLUMN_FIELDS.map((_, c) =>
  [C_VERSION, C_ARCHITECTURE, C_MULTI_ARCH, C_PRIORITY, C_SOURCE, C_SECTION].includes(c),
);

export interface PackagesColumns {
  /** Number of records. */
  readonly n: number;
  /** The string id of each text field of each record, field by field (`refs[field * n + i]`); -1: absent. */
  readonly refs: Int32Array;
  readonly size: Float64Array;
  /** -1: absent. */
  readonly installedSize: Float64Array;
  /** 1: `Essential: yes`. */
  readonly essential: Uint8Array;
  /** The UTF-8 bytes of every string, one after the other; string `id` ends at `ends[id]`. */
  readonly blob: Uint8Array;
  readonly ends: Uint32Array;
  /** Every byte of `blob` is ASCII. */
  readonly ascii: boolean;
  /** Each record's name (for the name lookup). */
  readonly names: readonly string[];
  /** The Provides field of the records that have one, with the record number. */
  readonly provides: readonly (readonly [number, string])[];
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/** Builds PackagesColumns a record at a time: `begin`, then the record's fields, in any order. */
export class ColumnsBuilder {
  private n = 0;
  /** Record by record while building (`rows[i * COLUMN_COUNT + field]`); turned field by field at the end. */
  private rows: Int32Array;
  private size: Float64Array;
  private installedSize: Float64Array;
  private essential: Uint8Array;
  private blob: Uint8Array;
  private blobLength = 0;
  private ends: Uint32Array;
  private strings = 0;
  private high = 0;
  /** Shared strings by hash of their bytes: the ids of those with that hash. */
  private readonly shared = new Map<number, number[]>();
  private readonly names: string[] = [];
  private readonly providesList: [number, string][] = [];

  /**
   * `indexBytes`: the size of the index text, when known (the signed Release states it), so that the columns are
   * allocated once instead of grown by copying: in Debian's indexes the kept values take about 40% of the text, and a
   * record about 800 bytes of it. Memory allocated and never written is not resident.
   */
  constructor(indexBytes?: number) {
    const text = Math.min(indexBytes ?? 0, 1 << 28);
    const records = Math.max(1024, Math.ceil(text / 500));
    this.rows = new Int32Array(COLUMN_COUNT * records);
    this.size = new Float64Array(records);
    this.installedSize = new Float64Array(records);
    this.essential = new Uint8Array(records);
    this.blob = new Uint8Array(Math.max(1 << 16, Math.ceil(text * 0.5)));
    this.ends = new Uint32Array(Math.max(1 << 12, records * 12));
  }

  /** Starts the next record: every field absent, size 0. */
  begin(name: string): void {
    const i = this.n++;
    if (this.n > this.size.length) this.grow();
    this.rows.fill(-1, i * COLUMN_COUNT, (i + 1) * COLUMN_COUNT);
    this.installedSize[i] = -1;
    this.names.push(name);
  }

  /** Sets text field `field` of the current record to the bytes buf[start, end), which are UTF-8. */
  bytes(field: number, buf: Uint8Array, start: number, end: number): void {
    this.rows[(this.n - 1) * COLUMN_COUNT + field] = SHARED[field] ? this.sharedId(buf, start, end) : this.append(buf, start, end);
  }

  /** Sets text field `field` of the current record to `text`. */
  text(field: number, text: string): void {
    const bytes = utf8.encode(text);
    this.bytes(field, bytes, 0, bytes.length);
  }

  /** Sets text field `field` of the current record to the byte ranges `ranges` (start, end, start, end, …) of `buf` joined by ", ". */
  joined(field: number, buf: Uint8Array, ranges: readonly number[]): void {
    for (let k = 0; k < ranges.length; k += 2) {
      if (k > 0) this.put(SEPARATOR, 0, SEPARATOR.length);
      this.put(buf, ranges[k]!, ranges[k + 1]!);
    }
    this.rows[(this.n - 1) * COLUMN_COUNT + field] = this.end();
  }

  provides(text: string): void {
    this.providesList.push([this.n - 1, text]);
  }

  numbers(size: number, installedSize: number | undefined, essential: boolean): void {
    const i = this.n - 1;
    this.size[i] = size;
    if (installedSize !== undefined) this.installedSize[i] = installedSize;
    this.essential[i] = essential ? 1 : 0;
  }

  finish(): PackagesColumns {
    const n = this.n;
    const refs = new Int32Array(n * COLUMN_COUNT);
    const rows = this.rows;
    for (let f = 0; f < COLUMN_COUNT; f++) for (let i = 0; i < n; i++) refs[f * n + i] = rows[i * COLUMN_COUNT + f]!;
    return {
      n,
      refs,
      size: this.size.slice(0, n),
      installedSize: this.installedSize.slice(0, n),
      essential: this.essential.slice(0, n),
      blob: this.blob.subarray(0, this.blobLength),
      ends: this.ends.slice(0, this.strings),
      ascii: this.high < 0x80,
      names: this.names,
      provides: this.providesList,
    };
  }

  private grow(): void {
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, length: number): T => {
      const b = new (a.constructor as new (n: number) => T)(length);
      b.set(a);
      return b;
    };
    const records = this.size.length * 2;
    this.rows = grow(this.rows, records * COLUMN_COUNT);
    this.size = grow(this.size, records);
    this.installedSize = grow(this.installedSize, records);
    this.essential = grow(this.essential, records);
  }

  /** Appends buf[start, end) to the blob (not yet a string: see #end). */
  private put(buf: Uint8Array, start: number, end: number): void {
    const length = end - start;
    let at = this.blobLength;
    if (at + length > this.blob.length) {
      const grown = new Uint8Array(Math.max(this.blob.length * 2, at + length));
      grown.set(this.blob.subarray(0, at));
      this.blob = grown;
    }
    const blob = this.blob;
    let high = 0;
    if (length < 256) {
      // a loop: cheaper than a subarray view for the short values most fields hold
      for (let k = start; k < end; k++) {
        const b = buf[k]!;
        high |= b;
        blob[at++] = b;
      }
    } else {
      blob.set(buf.subarray(start, end), at);
      at += length;
      for (let k = start; k < end; k++) high |= buf[k]!;
    }
    this.high |= high;
    this.blobLength = at;
  }

  /** Ends the string appended since the last one ended; returns its id. */
  private end(): number {
    if (this.strings === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.strings] = this.blobLength;
    return this.strings++;
  }

  private append(buf: Uint8Array, start: number, end: number): number {
    this.put(buf, start, end);
    return this.end();
  }

  private sharedId(buf: Uint8Array, start: number, end: number): number {
    const h = nameHash(buf, start, end);
    let ids = this.shared.get(h);
    if (ids !== undefined) {
      const blob = this.blob;
      outer: for (const id of ids) {
        const s = id === 0 ? 0 : this.ends[id - 1]!;
        if (this.ends[id]! - s !== end - start) continue;
        for (let k = 0; k < end - start; k++) if (blob[s + k] !== buf[start + k]) continue outer;
        return id;
      }
    } else {
      ids = [];
      this.shared.set(h, ids);
    }
    const id = this.append(buf, start, end);
    ids.push(id);
    return id;
  }
}

const SEPARATOR = utf8.encode(", ");

/** The columns of `records` (for records that do not come from the parser: tests, and the cache's own checks). */
export function columnsOf(records: readonly PackageRecord[]): PackagesColumns {
  const b = new ColumnsBuilder();
  for (const r of records) {
    b.begin(r.name);
    COLUMN_FIELDS.forEach((key, field) => {
      const v = r[key];
      if (v !== undefined) b.text(field, v);
    });
    if (r.provides !== undefined) b.provides(r.provides);
    b.numbers(r.size, r.installedSize, r.essential === true);
  }
  return b.finish();
}

/** The records the columns hold, as plain objects (the reference the cached form is checked against). */
export function recordsOf(c: PackagesColumns): PackageRecord[] {
  const text = (field: number, i: number): string | undefined => {
    const id = c.refs[field * c.n + i]!;
    return id < 0 ? undefined : utf8Decoder.decode(c.blob.subarray(id === 0 ? 0 : c.ends[id - 1]!, c.ends[id]!));
  };
  const out: PackageRecord[] = [];
  for (let i = 0; i < c.n; i++) {
    const r: { -readonly [K in keyof PackageRecord]: PackageRecord[K] } = {
      name: text(C_NAME, i)!,
      version: text(C_VERSION, i)!,
      architecture: text(C_ARCHITECTURE, i)!,
      filename: text(C_FILENAME, i)!,
      size: c.size[i]!,
      sha256: text(C_SHA256, i)!,
    };
    const multiArch = text(C_MULTI_ARCH, i);
    if (multiArch !== undefined) r.multiArch = multiArch as PackageRecord["multiArch"];
    if (c.essential[i] === 1) r.essential = true;
    const optional = [
      ["priority", C_PRIORITY],
      ["source", C_SOURCE],
      ["section", C_SECTION],
      ["depends", C_DEPENDS],
      ["preDepends", C_PRE_DEPENDS],
      ["provides", C_PROVIDES],
      ["conflicts", C_CONFLICTS],
      ["breaks", C_BREAKS],
    ] as const;
    for (const [key, field] of optional) {
      const v = text(field, i);
      if (v !== undefined) r[key] = v;
    }
    if (c.installedSize[i]! >= 0) r.installedSize = c.installedSize[i]!;
    const other = text(C_OTHER_RELATIONS, i);
    if (other !== undefined) r.otherRelations = other;
    out.push(r);
  }
  return out;
}

/** The relation fields whose names apt registers after a record's own name, in that order (see registrationOrder). */
const MENTION_FIELDS = [C_PRE_DEPENDS, C_DEPENDS, C_CONFLICTS, C_BREAKS, C_OTHER_RELATIONS, C_PROVIDES];

/**
 * The names an index registers, in the order apt registers them (registrationOrder in core/resolve/universe.ts), as
 * a hash table over the columns' bytes: name k (its rank) is blob[starts[k], stops[k]), its first occurrence, and
 * `slots` (a power of two long, -1 where empty) finds it by nameHash with linear probing. Stored with the columns, so
 * that a run finds a name's rank without reading any relation field.
 */
export interface RegistrationTable {
  readonly slots: Int32Array;
  readonly starts: Int32Array;
  readonly stops: Int32Array;
}

/** FNV-1a over bytes[start, end): a name (names are ASCII: see isNameChar), or a shared value of the columns. */
export function nameHash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  return h >>> 0;
}

/** registrationOrder of the columns' records, read from their bytes without decoding a relation field. */
export function registrationTableOf(c: PackagesColumns): RegistrationTable {
  const blob = c.blob;
  const { n, refs, ends } = c;
  let slots = new Int32Array(1 << 16).fill(-1);
  let mask = slots.length - 1;
  let starts: Int32Array = new Int32Array(1 << 15);
  let stops: Int32Array = new Int32Array(1 << 15);
  let count = 0;
  const register = (start: number, end: number): void => {
    const length = end - start;
    let slot = nameHash(blob, start, end) & mask;
    for (let at = slots[slot]!; at !== -1; slot = (slot + 1) & mask, at = slots[slot]!) {
      const s = starts[at]!;
      if (stops[at]! - s !== length) continue;
      let k = 0;
      while (k < length && blob[s + k] === blob[start + k]) k++;
      if (k === length) return;
    }
    if (count === starts.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      starts = grow(starts);
      stops = grow(stops);
    }
    starts[count] = start;
    stops[count] = end;
    slots[slot] = count++;
    if (count * 2 > slots.length) {
      // at most half full: probes stay short
      slots = new Int32Array(slots.length * 2).fill(-1);
      mask = slots.length - 1;
      for (let k = 0; k < count; k++) {
        let at = nameHash(blob, starts[k]!, stops[k]!) & mask;
        while (slots[at] !== -1) at = (at + 1) & mask;
        slots[at] = k;
      }
    }
  };
  let from = 0;
  let to = 0;
  const bounds = (field: number, i: number): boolean => {
    const id = refs[field * n + i]!;
    if (id < 0) return false;
    from = id === 0 ? 0 : ends[id - 1]!;
    to = ends[id]!;
    return true;
  };
  for (let i = 0; i < n; i++) {
    bounds(C_NAME, i);
    register(from, to);
    for (const field of MENTION_FIELDS) if (bounds(field, i)) mentions(blob, from, to, register);
  }
  return { slots, starts: starts.slice(0, count), stops: stops.slice(0, count) };
}

/** The rank of `name` in a registration table over `blob` (see RegistrationTable), or undefined. */
export function registrationRank(blob: Uint8Array, table: RegistrationTable, name: string): number | undefined {
  const length = name.length;
  let h = 0x811c9dc5;
  for (let k = 0; k < length; k++) {
    const c = name.charCodeAt(k);
    if (c >= 0x80) return undefined; // not a name an index registers
    h = Math.imul(h ^ c, 0x01000193);
  }
  const { slots, starts, stops } = table;
  const mask = slots.length - 1;
  for (let slot = (h >>> 0) & mask, at = slots[slot]!; at !== -1; slot = (slot + 1) & mask, at = slots[slot]!) {
    const s = starts[at]!;
    if (stops[at]! - s !== length) continue;
    let k = 0;
    while (k < length && blob[s + k] === name.charCodeAt(k)) k++;
    if (k === length) return at;
  }
  return undefined;
}

/** The names of a registration table, in rank order. */
export function registeredNames(blob: Uint8Array, table: RegistrationTable): string[] {
  return Array.from(table.starts, (s, k) => utf8Decoder.decode(blob.subarray(s, table.stops[k])));
}

/** registerMentions (core/resolve/universe.ts) over the bytes buf[from, to): each mentioned name's byte range. */
function mentions(buf: Uint8Array, from: number, to: number, register: (start: number, end: number) => void): void {
  let i = from;
  while (i < to) {
    const c = buf[i]!;
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 60 /* < */) {
      const close = c === 40 ? 41 : c === 91 ? 93 : 62;
      let end = i + 1;
      while (end < to && buf[end] !== close) end++;
      i = end < to ? end + 1 : to;
      continue;
    }
    if (!isNameStart(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < to && isNameChar(buf[j]!)) j++;
    let end = j;
    if (j < to && buf[j] === 58 /* : */) {
      let k = j + 1;
      while (k < to && isNameChar(buf[k]!)) k++;
      // `name:any` is a name of its own (the text holds it as written); other qualifiers are dropped
      if (k - j - 1 === 3 && buf[j + 1] === 97 && buf[j + 2] === 110 && buf[j + 3] === 121) end = k;
      j = k;
    }
    register(i, end);
    i = j;
  }
}

/** A character code that may start a package name as apt's registration scan reads one (a letter or digit, ASCII). */
export function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

/** A character code that may continue such a name. */
export function isNameChar(c: number): boolean {
  return isNameStart(c) || c === 43 /* + */ || c === 45 /* - */ || c === 46 /* . */;
}
