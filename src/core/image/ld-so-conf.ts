/**
 * `/etc/ld.so.conf` and the files it includes (`include /etc/ld.so.conf.d/*.conf`): the directories ldconfig
 * puts into `/etc/ld.so.cache`. The loader itself never reads these files: without a cache (distroless images
 * ship none, since ldconfig never runs) the directories they name are not searched.
 */

/** The directories of one ld.so.conf text, and its include patterns, in order. */
export function parseLdSoConf(text: string): { dirs: string[]; includes: string[] } {
  const dirs: string[] = [];
  const includes: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc !== null) {
      includes.push(...inc[1]!.split(/\s+/));
      continue;
    }
    if (line.startsWith("hwcap ")) continue;
    for (const d of line.split(/[\s:,]+/)) if (d.startsWith("/")) dirs.push(d.replace(/\/+$/, "") || "/");
  }
  return { dirs, includes };
}

/** Whether a file path matches an include glob (`*`, `?`, `[...]` within one path component). */
export function matchesGlob(pattern: string, path: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`).test(path);
}

/** One entry of ld.so.cache: a soname and the path ldconfig found it at. */
export interface LdCacheEntry {
  readonly soname: string;
  readonly path: string;
  /** The entry's flags: the low byte holds the type (FLAG_ELF_LIBC6 = 3), the next the arch (x86-64, AArch64 ...). */
  readonly flags: number;
}

const NEW_MAGIC = "glibc-ld.so.cache1.1";

/** Parses glibc's ld.so.cache (the `glibc-ld.so.cache1.1` format, alone or after the old format). */
export function parseLdSoCache(bytes: Uint8Array): { ok: true; entries: LdCacheEntry[] } | { ok: false; problem: string } {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, Math.min(bytes.byteLength, 1 << 20)));
  const start = text.indexOf(NEW_MAGIC);
  if (start < 0) return { ok: false, problem: "not a glibc ld.so.cache of format 1.1" };
  // After the old format, the new one starts aligned; when alone, at 0.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (start + 48 > bytes.byteLength) return { ok: false, problem: "truncated ld.so.cache header" };
  // Byte order: the cache is written in the target's order; nlibs is far below 2^24 either way.
  const le = view.getUint32(start + 20, true) < 1 << 24;
  const nlibs = view.getUint32(start + 20, le);
  const entriesAt = start + 48;
  if (entriesAt + nlibs * 24 > bytes.byteLength) return { ok: false, problem: "truncated ld.so.cache entries" };
  // String offsets of the new format are relative to its own header.
  const str = (off: number): string => {
    let end = start + off;
    while (end < bytes.byteLength && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(start + off, end));
  };
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const e = entriesAt + i * 24;
    entries.push({ flags: view.getInt32(e, le), soname: str(view.getUint32(e + 4, le)), path: str(view.getUint32(e + 8, le)) });
  }
  return { ok: true, entries };
}
