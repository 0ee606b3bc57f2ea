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
] = COLUMN_FIELDS.map((_, i) => i) as number[] as [
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
  private rows = new Int32Array(COLUMN_COUNT * 1024);
  private size = new Float64Array(1024);
  private installedSize = new Float64Array(1024);
  private essential = new Uint8Array(1024);
  private blob = new Uint8Array(1 << 20);
  private blobLength = 0;
  private ends = new Uint32Array(1 << 14);
  private strings = 0;
  private high = 0;
  /** Shared strings by hash of their bytes: the ids of those with that hash. */
  private readonly shared = new Map<number, number[]>();
  private readonly names: string[] = [];
  private readonly providesList: [number, string][] = [];

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
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
    h = Math.imul(h ^ (end - start), 0x01000193);
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
    const values: (string | undefined)[] = [
      r.name,
      r.version,
      r.architecture,
      r.filename,
      r.sha256,
      r.multiArch,
      r.priority,
      r.source,
      r.section,
      r.depends,
      r.preDepends,
      r.provides,
      r.conflicts,
      r.breaks,
      r.otherRelations,
    ];
    values.forEach((v, field) => {
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
