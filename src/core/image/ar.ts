/**
 * The `ar` archive of a .deb (`!<arch>\n`, then 60-byte member headers): what `dpkg-deb` reads before anything
 * else. Hand-written: the format is twenty lines of fixed-width fields, and the npm readers of it are small,
 * stream-only and unmaintained (see the README's "verify" section).
 */

export interface ArMember {
  /** Member name without the trailing `/` of the GNU variant, e.g. `data.tar.xz`. */
  readonly name: string;
  /** The member's bytes (a view into the archive). */
  readonly data: Uint8Array;
}

export type ArResult = { readonly ok: true; readonly members: readonly ArMember[] } | { readonly ok: false; readonly problem: string };

const MAGIC = "!<arch>\n";
const HEADER = 60;

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = "";
  for (let i = start; i < start + length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Splits an ar archive into its members; a damaged or truncated archive is a problem, not an exception. */
export function parseAr(bytes: Uint8Array): ArResult {
  if (bytes.byteLength < MAGIC.length || ascii(bytes, 0, MAGIC.length) !== MAGIC) {
    return { ok: false, problem: 'not an ar archive (a .deb starts with "!<arch>")' };
  }
  const members: ArMember[] = [];
  let at = MAGIC.length;
  while (at < bytes.byteLength) {
    if (bytes.byteLength - at === 1 && bytes[at] === 0x0a) break; // padding after the last member
    if (at + HEADER > bytes.byteLength) return { ok: false, problem: `truncated: member header at byte ${at} is cut off` };
    const name = ascii(bytes, at, 16).trimEnd().replace(/\/$/, "");
    const sizeText = ascii(bytes, at + 48, 10).trim();
    const end = ascii(bytes, at + 58, 2);
    if (end !== "`\n" || !/^\d+$/.test(sizeText)) return { ok: false, problem: `damaged member header at byte ${at}` };
    const size = Number(sizeText);
    const start = at + HEADER;
    if (start + size > bytes.byteLength)
      return { ok: false, problem: `truncated: member ${name} needs ${size} bytes, ${bytes.byteLength - start} present` };
    members.push({ name, data: bytes.subarray(start, start + size) });
    at = start + size + (size % 2);
  }
  return { ok: true, members };
}
