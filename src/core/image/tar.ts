/**
 * An in-memory tar reader: ustar (with its 155-byte prefix), GNU long names and link names (`L`, `K`) and POSIX
 * pax headers (`path`, `linkpath`, `size`) — what dpkg-deb writes into `data.tar` and `control.tar`. It works on
 * the whole decompressed archive as bytes and returns views, which is what verify needs (it reads every entry's
 * head, keeps few bodies); the npm tar libraries are built around streams and writing to disk instead.
 */

export type TarEntryKind = "file" | "dir" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  /** Normalised absolute path: `/usr/bin/ffmpeg` (a leading `./` dropped, no trailing `/`); `/` for the root. */
  readonly path: string;
  readonly kind: TarEntryKind;
  /** Permission bits (and set-id bits), e.g. 0o755. */
  readonly mode: number;
  /** Symlink target as written; for hard links, the normalised path of the linked file. */
  readonly linkTarget?: string;
  /** The file's bytes (a view into the archive); empty for everything but files. */
  readonly data: Uint8Array;
}

export type TarResult = { readonly ok: true; readonly entries: readonly TarEntry[] } | { readonly ok: false; readonly problem: string };

const BLOCK = 512;
const decoder = new TextDecoder();

function field(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return decoder.decode(bytes.subarray(start, end));
}

function octal(bytes: Uint8Array, start: number, length: number): number | undefined {
  // GNU base-256 for large values: the first byte has its high bit set.
  if ((bytes[start]! & 0x80) !== 0) {
    let n = bytes[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + bytes[i]!;
    return n;
  }
  const text = field(bytes, start, length).trim();
  if (text === "") return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** `./usr/bin/x`, `usr/bin/x/` → `/usr/bin/x`; `./` → `/`. */
export function normalizeTarPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

function paxRecords(data: Uint8Array): Map<string, string> {
  // Records are "<length> <key>=<value>\n", the length counting bytes of the whole record.
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.byteLength) {
    let space = at;
    while (space < data.byteLength && data[space] !== 0x20) space++;
    const len = Number(decoder.decode(data.subarray(at, space)));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.byteLength) break;
    const record = decoder.decode(data.subarray(space + 1, at + len)).replace(/\n$/, "");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/** Reads every entry of a tar archive held in memory. Damaged or truncated archives are problems, not exceptions. */
export function parseTar(bytes: Uint8Array): TarResult {
  const entries: TarEntry[] = [];
  let at = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  while (at + BLOCK <= bytes.byteLength) {
    const header = bytes.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return { ok: true, entries };
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    const recorded = octal(header, 148, 8);
    if (recorded !== sum) return { ok: false, problem: `damaged tar header at byte ${at} (checksum ${recorded} ≠ ${sum})` };
    const type = String.fromCharCode(header[156]!);
    let size = octal(header, 124, 12);
    if (size === undefined) return { ok: false, problem: `damaged size field in the tar header at byte ${at}` };
    if (pax?.has("size")) size = Number(pax.get("size"));
    const start = at + BLOCK;
    if (start + size > bytes.byteLength)
      return { ok: false, problem: `truncated: tar entry at byte ${at} needs ${size} bytes, ${bytes.byteLength - start} present` };
    const data = bytes.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = field(data, 0, data.byteLength);
      continue;
    }
    if (type === "K") {
      longLink = field(data, 0, data.byteLength);
      continue;
    }
    if (type === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (type === "g") continue;
    const magic = field(header, 257, 6);
    const prefix = magic === "ustar" ? field(header, 345, 155) : "";
    const name = pax?.get("path") ?? longName ?? (prefix === "" ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
    const link = pax?.get("linkpath") ?? longLink ?? field(header, 157, 100);
    const mode = (octal(header, 100, 8) ?? 0) & 0o7777;
    longName = longLink = pax = undefined;
    const kind: TarEntryKind =
      type === "0" || type === "\0" || type === "7" ? "file" : type === "5" ? "dir" : type === "2" ? "symlink" : type === "1" ? "hardlink" : "other";
    const path = normalizeTarPath(name);
    entries.push({
      path,
      kind,
      mode,
      ...(kind === "symlink" ? { linkTarget: link } : kind === "hardlink" ? { linkTarget: normalizeTarPath(link) } : {}),
      data: kind === "file" ? data : data.subarray(0, 0),
    });
  }
  // GNU tar ends with two zero blocks; dpkg-deb's archives always do. Running out of bytes first means truncation.
  return { ok: false, problem: `truncated: the tar archive ends at byte ${bytes.byteLength} without its end-of-archive blocks` };
}
