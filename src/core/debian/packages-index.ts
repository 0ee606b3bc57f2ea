import { ParseError } from "../errors.js";
import type { PackageRecord } from "./package.js";
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
  ColumnsBuilder,
  type PackagesColumns,
} from "./packages-columns.js";

/**
 * Byte-level parser of a Debian `Packages` index (deb822 stanzas, one per binary package).
 *
 * The index is tens of megabytes, so the parser works on bytes: it walks the data line by line with
 * `indexOf(LF)`, recognises field names without decoding them, skips the fields deb-lock does not use
 * (Description, Maintainer, Tag, ...) without creating strings, and decodes only the values it keeps.
 * Field names are case-insensitive; continuation lines (starting with a space or tab) of a kept field are
 * folded into its value with single spaces.
 */

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const COLON = 58;
const SLASH = 47;
const BACKSLASH = 92;
const QUESTION = 63;
const HASH = 35;
const DOT = 46;

const HINT = "the file is not a valid Debian Packages index; re-fetch it, and check that the URL points at dists/<suite>/<component>/binary-<arch>/";

// Field ids of the kept fields. The numbers are bit positions in a per-stanza "seen" mask.
const F_PACKAGE = 0;
const F_VERSION = 1;
const F_ARCHITECTURE = 2;
const F_MULTI_ARCH = 3;
const F_ESSENTIAL = 4;
const F_PRIORITY = 5;
const F_SOURCE = 6;
const F_SECTION = 7;
const F_DEPENDS = 8;
const F_PRE_DEPENDS = 9;
const F_PROVIDES = 10;
const F_CONFLICTS = 11;
const F_BREAKS = 12;
const F_FILENAME = 13;
const F_SIZE = 14;
const F_SHA256 = 15;
const F_INSTALLED_SIZE = 16;
const F_RECOMMENDS = 17;
const F_SUGGESTS = 18;
const F_REPLACES = 19;
const F_ENHANCES = 20;
const FIELD_COUNT = 21;

const FIELD_NAMES = [
  "Package",
  "Version",
  "Architecture",
  "Multi-Arch",
  "Essential",
  "Priority",
  "Source",
  "Section",
  "Depends",
  "Pre-Depends",
  "Provides",
  "Conflicts",
  "Breaks",
  "Filename",
  "Size",
  "SHA256",
  "Installed-Size",
  "Recommends",
  "Suggests",
  "Replaces",
  "Enhances",
] as const;

/** Recommends, Suggests, Replaces, Enhances: kept only as one joined text, see PackageRecord.otherRelations. */
const OTHER_RELATIONS = [F_RECOMMENDS, F_SUGGESTS, F_REPLACES, F_ENHANCES] as const;
const OTHER_RELATIONS_MASK = OTHER_RELATIONS.reduce((m, id) => m | (1 << id), 0);

const REQUIRED = [F_PACKAGE, F_VERSION, F_ARCHITECTURE, F_FILENAME, F_SIZE, F_SHA256];

/** Kept field names grouped by length, lower-cased as byte arrays, for matching names in place. */
const BY_LENGTH: Array<Array<{ id: number; lower: Uint8Array }>> = [];
for (let id = 0; id < FIELD_COUNT; id++) {
  const name = FIELD_NAMES[id]!.toLowerCase();
  const lower = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) lower[i] = name.charCodeAt(i);
  (BY_LENGTH[name.length] ??= []).push({ id, lower });
}

/** The id of the kept field named by buf[start, end), compared case-insensitively, or -1. */
function fieldId(buf: Uint8Array, start: number, end: number): number {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return -1;
  outer: for (const { id, lower } of candidates) {
    for (let i = 0; i < lower.length; i++) {
      const b = buf[start + i]!;
      const c = lower[i]!;
      if (b !== c && !(c >= 97 && c <= 122 && b === c - 32)) continue outer;
    }
    return id;
  }
  return -1;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Scratch arrays, one per length, so short ASCII values decode without allocating a view. */
const SCRATCH: number[][] = [];
for (let n = 0; n <= 128; n++) SCRATCH.push(new Array<number>(n).fill(0));

/** Decodes buf[start, end): a fast path for short ASCII values (nearly all kept values), else UTF-8. */
function decode(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  const scratch = SCRATCH[len];
  if (scratch !== undefined) {
    let i = 0;
    for (; i < len; i++) {
      const b = buf[start + i]!;
      if (b >= 0x80) break;
      scratch[i] = b;
    }
    if (i === len) return String.fromCharCode.apply(null, scratch);
  }
  return utf8.decode(buf.subarray(start, end));
}

/**
 * Interns the values of low-cardinality fields (Architecture, Section, Priority, Multi-Arch): a few
 * dozen distinct values across 60k stanzas, so each is decoded once and shared.
 */
class Interner {
  private readonly slots = new Map<number, Array<{ bytes: Uint8Array; text: string }>>();

  get(buf: Uint8Array, start: number, end: number): string {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    let slot = this.slots.get(h);
    if (slot !== undefined) {
      outer: for (const entry of slot) {
        if (entry.bytes.length !== end - start) continue;
        for (let i = 0; i < entry.bytes.length; i++) if (entry.bytes[i] !== buf[start + i]) continue outer;
        return entry.text;
      }
    } else {
      slot = [];
      this.slots.set(h, slot);
    }
    const text = decode(buf, start, end);
    if (this.slots.size < 4096) slot.push({ bytes: buf.slice(start, end), text });
    return text;
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

export interface PackagesParser {
  /** Feeds the next bytes of the index; chunk boundaries may fall anywhere. The chunk may be reused after the call. */
  push(chunk: Uint8Array): void;
  /** Signals the end of the index: parses what is left and reports the last stanza. */
  end(): void;
}

/**
 * A streaming Packages parser: feed it chunks as they come out of the decompressor; it calls
 * `onRecord` once per stanza, in file order. `file` (a path or URL) names the index in errors.
 * Throws ParseError (code BAD_PACKAGES_INDEX) with a line number on malformed input.
 */
export function createPackagesParser(file: string, onRecord: (record: PackageRecord) => void): PackagesParser {
  return stanzaParser(file, onRecord);
}

/**
 * createPackagesParser writing into columns instead of creating records: the fields are copied as bytes, and no
 * string is created but each record's name and Provides. Accepts and refuses exactly what createPackagesParser does.
 * `indexBytes`, the size of the index text when known, sizes the columns up front.
 */
export function createPackagesColumnsParser(file: string, indexBytes?: number): PackagesParser & { columns(): PackagesColumns } {
  const out = new ColumnsBuilder(indexBytes);
  const parser = stanzaParser(file, out);
  return { push: parser.push, end: parser.end, columns: () => out.finish() };
}

/** The fields finishStanza has checked and converted. */
interface CheckedFields {
  readonly size: number;
  readonly installedSize: number | undefined;
  readonly essential: boolean;
  readonly multiArch: PackageRecord["multiArch"];
  readonly upperSha256: boolean;
}

/** The parser; each checked stanza goes to `out`: as a record to a callback, or into columns. */
function stanzaParser(file: string, out: ((record: PackageRecord) => void) | ColumnsBuilder): PackagesParser {
  // Bytes of an unfinished stanza, carried from one chunk to the next.
  let pending = new Uint8Array(0);
  let pendingLength = 0;
  let ended = false;

  // Parser state. It outlives one call of parseRegion only between stanzas (regions end on a blank line)
  // or at the very end of the input.
  let line = 0;
  let stanzaLine = 0;
  let seen = 0;
  let inStanza = false;
  const starts = new Int32Array(FIELD_COUNT);
  const ends = new Int32Array(FIELD_COUNT);
  const lines = new Int32Array(FIELD_COUNT);
  // Folded (multi-line) values of kept fields, decoded when their continuation lines arrive.
  let folded: Array<string | undefined> | undefined;
  let current = -1; // kept field whose continuation lines may follow; -2: an unkept field; -1: none

  function fail(message: string, at: number): never {
    throw new ParseError("BAD_PACKAGES_INDEX", message, { file, line: at }, { hint: HINT });
  }

  const interner = new Interner();
  const sink =
    out instanceof ColumnsBuilder
      ? (buf: Uint8Array, checked: CheckedFields): void => toColumns(buf, checked, out)
      : (buf: Uint8Array, checked: CheckedFields): void => out(record(buf, checked));

  function interned(buf: Uint8Array, id: number): string {
    return folded?.[id] ?? interner.get(buf, starts[id]!, ends[id]!);
  }

  function value(buf: Uint8Array, id: number): string | undefined {
    if ((seen & (1 << id)) === 0) return undefined;
    const f = folded?.[id];
    if (f !== undefined) return f;
    return decode(buf, starts[id]!, ends[id]!);
  }

  function integer(buf: Uint8Array, id: number): number {
    const s = starts[id]!;
    const e = ends[id]!;
    let n = 0;
    if (s === e || folded?.[id] !== undefined) fail(`${FIELD_NAMES[id]} of ${value(buf, F_PACKAGE)} is not a number`, lines[id]!);
    for (let i = s; i < e; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) fail(`${FIELD_NAMES[id]} of ${value(buf, F_PACKAGE)} is not a number: ${JSON.stringify(decode(buf, s, e))}`, lines[id]!);
      n = n * 10 + d;
    }
    if (!Number.isSafeInteger(n)) fail(`${FIELD_NAMES[id]} of ${value(buf, F_PACKAGE)} is too large`, lines[id]!);
    return n;
  }

  /** Checks that SHA256 is 64 hex digits; returns whether some are upper case (the record keeps them lower case). */
  function sha256HasUpperCase(buf: Uint8Array): boolean {
    const s = starts[F_SHA256]!;
    const e = ends[F_SHA256]!;
    let ok = e - s === 64 && folded?.[F_SHA256] === undefined;
    let upper = false;
    for (let i = s; ok && i < e; i++) {
      const c = buf[i]!;
      if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
      if (c >= 65 && c <= 70) upper = true;
      else ok = false;
    }
    if (!ok) fail(`SHA256 of ${value(buf, F_PACKAGE)} is not 64 hex digits: ${JSON.stringify(value(buf, F_SHA256))}`, lines[F_SHA256]!);
    return upper;
  }

  /** Checks the stanza that just ended and hands it to the sink. */
  function finishStanza(buf: Uint8Array): void {
    current = -1;
    if (!inStanza) return;
    inStanza = false;
    for (const id of REQUIRED) {
      if ((seen & (1 << id)) === 0) {
        const name = (seen & 1) !== 0 ? `stanza of ${value(buf, F_PACKAGE)}` : "stanza";
        fail(`${name} has no ${FIELD_NAMES[id]} field`, stanzaLine);
      }
    }
    const size = integer(buf, F_SIZE);
    const upperSha256 = sha256HasUpperCase(buf);
    if (!filenameIsArchiveRelative(buf)) {
      fail(
        `Filename of ${value(buf, F_PACKAGE)} is ${JSON.stringify(value(buf, F_FILENAME))}, not a relative path inside the archive (like pool/main/...)`,
        lines[F_FILENAME]!,
      );
    }
    let multiArch: PackageRecord["multiArch"];
    if (seen & (1 << F_MULTI_ARCH)) {
      const m = interned(buf, F_MULTI_ARCH);
      if (m !== "same" && m !== "foreign" && m !== "allowed" && m !== "no") {
        fail(`Multi-Arch of ${value(buf, F_PACKAGE)} is ${JSON.stringify(m)}, expected same, foreign, allowed or no`, lines[F_MULTI_ARCH]!);
      }
      multiArch = m;
    }
    let essential = false;
    if (seen & (1 << F_ESSENTIAL)) {
      const e = interned(buf, F_ESSENTIAL);
      if (e === "yes") essential = true;
      else if (e !== "no") fail(`Essential of ${value(buf, F_PACKAGE)} is ${JSON.stringify(e)}, expected yes or no`, lines[F_ESSENTIAL]!);
    }
    const installedSize = seen & (1 << F_INSTALLED_SIZE) ? integer(buf, F_INSTALLED_SIZE) : undefined;
    sink(buf, { size, installedSize, essential, multiArch, upperSha256 });
    seen = 0;
    folded = undefined;
  }

  /** The stanza as a plain record. */
  function record(buf: Uint8Array, checked: CheckedFields): PackageRecord {
    const r: {
      -readonly [K in keyof PackageRecord]: PackageRecord[K];
    } = {
      name: value(buf, F_PACKAGE)!,
      version: value(buf, F_VERSION)!,
      architecture: interned(buf, F_ARCHITECTURE),
      filename: value(buf, F_FILENAME)!,
      size: checked.size,
      sha256: checked.upperSha256 ? value(buf, F_SHA256)!.toLowerCase() : value(buf, F_SHA256)!,
    };
    if (checked.multiArch !== undefined) r.multiArch = checked.multiArch;
    if (checked.essential) r.essential = true;
    if (seen & (1 << F_PRIORITY)) r.priority = interned(buf, F_PRIORITY);
    if (seen & (1 << F_SOURCE)) r.source = value(buf, F_SOURCE)!;
    if (seen & (1 << F_SECTION)) r.section = interned(buf, F_SECTION);
    if (seen & (1 << F_DEPENDS)) r.depends = value(buf, F_DEPENDS)!;
    if (seen & (1 << F_PRE_DEPENDS)) r.preDepends = value(buf, F_PRE_DEPENDS)!;
    if (seen & (1 << F_PROVIDES)) r.provides = value(buf, F_PROVIDES)!;
    if (seen & (1 << F_CONFLICTS)) r.conflicts = value(buf, F_CONFLICTS)!;
    if (seen & (1 << F_BREAKS)) r.breaks = value(buf, F_BREAKS)!;
    if (checked.installedSize !== undefined) r.installedSize = checked.installedSize;
    if (seen & OTHER_RELATIONS_MASK) r.otherRelations = otherRelations(buf);
    return r;
  }

  /** Recommends, Suggests, Replaces and Enhances of the stanza, those present, joined by ", " (PackageRecord.otherRelations). */
  function otherRelations(buf: Uint8Array): string {
    let other = "";
    for (const id of OTHER_RELATIONS) if (seen & (1 << id)) other = other === "" ? value(buf, id)! : `${other}, ${value(buf, id)!}`;
    return other;
  }

  /** The stanza written into columns, its values copied as bytes (see packages-columns.ts). */
  function toColumns(buf: Uint8Array, checked: CheckedFields, out: ColumnsBuilder): void {
    out.begin(value(buf, F_PACKAGE)!);
    put(buf, out, C_NAME, F_PACKAGE);
    put(buf, out, C_VERSION, F_VERSION);
    put(buf, out, C_ARCHITECTURE, F_ARCHITECTURE);
    put(buf, out, C_FILENAME, F_FILENAME);
    if (checked.upperSha256) out.text(C_SHA256, value(buf, F_SHA256)!.toLowerCase());
    else put(buf, out, C_SHA256, F_SHA256);
    put(buf, out, C_MULTI_ARCH, F_MULTI_ARCH);
    put(buf, out, C_PRIORITY, F_PRIORITY);
    put(buf, out, C_SOURCE, F_SOURCE);
    put(buf, out, C_SECTION, F_SECTION);
    put(buf, out, C_DEPENDS, F_DEPENDS);
    put(buf, out, C_PRE_DEPENDS, F_PRE_DEPENDS);
    put(buf, out, C_PROVIDES, F_PROVIDES);
    put(buf, out, C_CONFLICTS, F_CONFLICTS);
    put(buf, out, C_BREAKS, F_BREAKS);
    if (seen & OTHER_RELATIONS_MASK) {
      const ranges: number[] = [];
      let isFolded = false;
      for (const id of OTHER_RELATIONS) {
        if ((seen & (1 << id)) === 0) continue;
        if (folded?.[id] !== undefined) isFolded = true;
        ranges.push(starts[id]!, ends[id]!);
      }
      if (isFolded) out.text(C_OTHER_RELATIONS, otherRelations(buf));
      else out.joined(C_OTHER_RELATIONS, buf, ranges);
    }
    if (seen & (1 << F_PROVIDES)) out.provides(value(buf, F_PROVIDES)!);
    out.numbers(checked.size, checked.installedSize, checked.essential);
  }

  /** Kept field `id` of the stanza, if present, as column `column`. */
  function put(buf: Uint8Array, out: ColumnsBuilder, column: number, id: number): void {
    if ((seen & (1 << id)) === 0) return;
    const f = folded?.[id];
    if (f !== undefined) out.text(column, f);
    else out.bytes(column, buf, starts[id]!, ends[id]!);
  }

  function filenameIsArchiveRelative(buf: Uint8Array): boolean {
    const s = starts[F_FILENAME]!;
    const e = ends[F_FILENAME]!;
    if (folded?.[F_FILENAME] !== undefined) return isArchiveRelativePath(folded[F_FILENAME]!);
    for (let i = s; i < e; i++) if (buf[i]! >= 0x80) return isArchiveRelativePath(decode(buf, s, e));
    return isArchiveRelativeAscii(buf, s, e);
  }

  /** Parses buf[start, end), which holds whole lines (the last one may lack its LF only at end of input). */
  function parseRegion(buf: Uint8Array, start: number, end: number): void {
    let p = start;
    while (p < end) {
      let nl = buf.indexOf(LF, p);
      if (nl < 0 || nl > end) nl = end;
      line++;
      const c = buf[p]!;
      if (p === nl || (c === CR && nl === p + 1)) {
        finishStanza(buf);
      } else if (c === SPACE || c === TAB) {
        if (current === -1) fail("continuation line outside of a field", line);
        if (current >= 0) {
          // A folded kept field: rare in Packages indexes, so decode eagerly.
          let s = p;
          let e = nl;
          while (s < e && isBlank(buf[s]!)) s++;
          while (e > s && isBlank(buf[e - 1]!)) e--;
          if (s < e) {
            folded ??= [];
            const head = folded[current] ?? decode(buf, starts[current]!, ends[current]!);
            folded[current] = head === "" ? decode(buf, s, e) : `${head} ${decode(buf, s, e)}`;
          }
        }
      } else {
        if (!inStanza) {
          inStanza = true;
          stanzaLine = line;
        }
        let colon = p;
        while (colon < nl && buf[colon] !== COLON) colon++;
        if (colon === nl || colon === p) fail(`expected "Field: value", found ${JSON.stringify(decode(buf, p, Math.min(nl, p + 60)))}`, line);
        const id = fieldId(buf, p, colon);
        if (id < 0) {
          current = -2;
        } else {
          if (seen & (1 << id)) fail(`duplicate field ${FIELD_NAMES[id]} in the stanza at line ${stanzaLine}`, line);
          let s = colon + 1;
          let e = nl;
          while (s < e && isBlank(buf[s]!)) s++;
          while (e > s && isBlank(buf[e - 1]!)) e--;
          seen |= 1 << id;
          starts[id] = s;
          ends[id] = e;
          lines[id] = line;
          current = id;
        }
      }
      p = nl + 1;
    }
  }

  function append(chunk: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (pendingLength + n > pending.length) {
      const grown = new Uint8Array(Math.max(pendingLength + n, pending.length * 2, 4096));
      grown.set(pending.subarray(0, pendingLength));
      pending = grown;
    }
    pending.set(chunk.subarray(start, end), pendingLength);
    pendingLength += n;
  }

  /** Whether the LF at chunk[i] ends a blank line (the previous byte, possibly carried over, is an LF). */
  function endsBlankLine(chunk: Uint8Array, i: number): boolean {
    if (i > 0) return chunk[i - 1] === LF;
    return pendingLength > 0 && pending[pendingLength - 1] === LF;
  }

  return {
    push(input: Uint8Array): void {
      // A plain view: subarray() and indexOf() on Node's Buffer subclass cost more.
      const chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      if (ended) throw new Error("PackagesParser.push() after end()");
      // The last blank line in the chunk: everything before it is whole stanzas.
      let last = chunk.lastIndexOf(LF);
      while (last >= 0 && !endsBlankLine(chunk, last)) last = last > 0 ? chunk.lastIndexOf(LF, last - 1) : -1;
      if (last < 0) {
        append(chunk, 0, chunk.length);
        return;
      }
      let from = 0;
      if (pendingLength > 0) {
        // Complete the carried stanza with the head of this chunk, then parse it from the carry buffer.
        let first = chunk.indexOf(LF);
        while (!endsBlankLine(chunk, first)) first = chunk.indexOf(LF, first + 1);
        append(chunk, 0, first + 1);
        parseRegion(pending, 0, pendingLength);
        pendingLength = 0;
        from = first + 1;
      }
      parseRegion(chunk, from, last + 1);
      append(chunk, last + 1, chunk.length);
    },
    end(): void {
      if (ended) return;
      ended = true;
      parseRegion(pending, 0, pendingLength);
      finishStanza(pending);
      pending = new Uint8Array(0);
      pendingLength = 0;
    },
  };
}

/**
 * Parses a whole (uncompressed) Packages index. `file` (a path or URL) names it in errors.
 * Throws ParseError (code BAD_PACKAGES_INDEX) with a line number on malformed input.
 */
export function parsePackagesIndex(data: Uint8Array, file: string): PackageRecord[] {
  const records: PackageRecord[] = [];
  const parser = createPackagesParser(file, (r) => records.push(r));
  parser.push(data);
  parser.end();
  return records;
}

/**
 * Whether a `Filename` stays inside the archive root it is appended to: relative, no `.`/`..` or empty segments,
 * no URL scheme, query, fragment, backslash, whitespace or control characters. An index that says otherwise
 * would make a lock point anywhere (`../../etc/passwd`, `https://elsewhere/x.deb`).
 */
export function isArchiveRelativePath(filename: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a file name with a control character is refused on purpose
  if (filename === "" || filename.startsWith("/") || /[\\?#\s\x00-\x1f\x7f]/.test(filename)) return false;
  const segments = filename.split("/");
  if (segments[0]!.includes(":")) return false;
  return segments.every((s) => s !== "" && s !== "." && s !== "..");
}

/** isArchiveRelativePath for an ASCII value buf[start, end), without decoding it. */
function isArchiveRelativeAscii(buf: Uint8Array, start: number, end: number): boolean {
  if (start === end || buf[start] === SLASH) return false;
  let segment = start;
  let firstSegment = true;
  for (let i = start; i <= end; i++) {
    const c = i === end ? SLASH : buf[i]!;
    if (c <= SPACE || c === 0x7f || c === BACKSLASH || c === QUESTION || c === HASH) return false;
    if (c === COLON && firstSegment) return false;
    if (c !== SLASH) continue;
    const length = i - segment;
    if (length === 0 || (buf[segment] === DOT && (length === 1 || (length === 2 && buf[segment + 1] === DOT)))) return false;
    segment = i + 1;
    firstSegment = false;
  }
  return true;
}
