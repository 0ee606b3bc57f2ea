import { ParseError } from "../errors.js";
import { findField, getField, parseDeb822 } from "./deb822.js";

/** Size and SHA256 of one file listed in a Release file. */
export interface ReleaseEntry {
  readonly size: number;
  /** lowercase hex */
  readonly sha256: string;
}

/** The fields of a Release file (or of the signed text of an InRelease) that deb-lock uses. */
export interface Release {
  readonly origin?: string;
  readonly label?: string;
  readonly suite?: string;
  readonly codename?: string;
  readonly version?: string;
  /** `Date`, as written (RFC 2822 style, e.g. "Sat, 06 Jul 2024 20:37:57 UTC"). */
  readonly date?: string;
  /** `Valid-Until`, as written. */
  readonly validUntil?: string;
  readonly architectures: readonly string[];
  readonly components: readonly string[];
  /** `Acquire-By-Hash: yes`: indexes may be fetched from `<dir>/by-hash/SHA256/<sha256>`. */
  readonly acquireByHash: boolean;
  readonly notAutomatic: boolean;
  readonly butAutomaticUpgrades: boolean;
  /**
   * The `SHA256` section: path relative to `dists/<suite>/` → size and hash. The only checksums
   * deb-lock trusts (MD5Sum and SHA1 are ignored). Iterates in file order.
   */
  readonly sha256: ReadonlyMap<string, ReleaseEntry>;
}

export type IndexCompression = "xz" | "gz" | "none";

/** A Packages index chosen from a Release file. */
export interface PackagesIndexRef {
  /** Relative to `dists/<suite>/`, e.g. main/binary-amd64/Packages.xz */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly compression: IndexCompression;
}

const HINT = "the file is not a Debian Release/InRelease file; check the archive URL and suite name";

const SIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----";
const SIGNATURE_HEADER = "-----BEGIN PGP SIGNATURE-----";

/**
 * The signed text of an OpenPGP clear-signed message (an InRelease file), with the armor header lines
 * blanked so line numbers still match the original file. Does NOT verify anything: callers parse an
 * InRelease only after its signature has been checked. Text without the armor is returned as is.
 */
function clearsignedText(text: string, file: string): string {
  if (!text.startsWith(SIGNED_HEADER)) return text;
  const lines = text.split("\n");
  const out: string[] = [""];
  let i = 1;
  // Armor headers ("Hash: SHA256") up to the first empty line.
  for (; i < lines.length && lines[i]!.replace(/\r$/, "") !== ""; i++) out.push("");
  out.push("");
  i++;
  for (; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line === SIGNATURE_HEADER) return out.join("\n");
    // Dash-escaped lines (RFC 4880 7.1).
    out.push(line.startsWith("- ") ? line.slice(2) : line);
  }
  throw new ParseError("BAD_RELEASE", "clear-signed message has no signature block", { file, line: lines.length }, { hint: HINT });
}

function fail(message: string, file: string, line: number | undefined): never {
  throw new ParseError("BAD_RELEASE", message, line === undefined ? { file } : { file, line }, { hint: HINT });
}

function words(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter(Boolean);
}

function yes(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === "yes";
}

/**
 * Parses a Release file, or an InRelease file (the clear-signed text is taken without verifying it).
 * `file` (a path or URL) names it in errors. Throws ParseError (code BAD_RELEASE, or BAD_DEB822 for
 * broken syntax) when the SHA256 section is missing or has a malformed line.
 */
export function parseRelease(text: string, file: string): Release {
  const paragraphs = parseDeb822(clearsignedText(text, file), file);
  const p = paragraphs[0];
  if (p === undefined) fail("Release file is empty", file, undefined);
  if (paragraphs.length > 1) fail("Release file has more than one paragraph", file, paragraphs[1]!.line);

  const field = findField(p, "SHA256");
  if (field === undefined) {
    fail("Release file has no SHA256 section (MD5Sum and SHA1 are not trusted)", file, p.line);
  }
  const sha256 = new Map<string, ReleaseEntry>();
  const lines = field.value.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const entry = lines[i]!.trim();
    if (entry === "") continue;
    const m = /^([0-9a-fA-F]{64})\s+([0-9]+)\s+(\S+)$/.exec(entry);
    if (!m) fail(`malformed SHA256 line ${JSON.stringify(entry)}, expected "<sha256> <size> <path>"`, file, field.line + i);
    const size = Number(m[2]);
    if (!Number.isSafeInteger(size)) fail(`size ${m[2]} of ${m[3]} is too large`, file, field.line + i);
    sha256.set(m[3]!, { size, sha256: m[1]!.toLowerCase() });
  }
  if (sha256.size === 0) fail("SHA256 section lists no files", file, field.line);

  const release: { -readonly [K in keyof Release]: Release[K] } = {
    architectures: words(getField(p, "Architectures")),
    components: words(getField(p, "Components")),
    acquireByHash: yes(getField(p, "Acquire-By-Hash")),
    notAutomatic: yes(getField(p, "NotAutomatic")),
    butAutomaticUpgrades: yes(getField(p, "ButAutomaticUpgrades")),
    sha256,
  };
  const optional = [
    ["origin", "Origin"],
    ["label", "Label"],
    ["suite", "Suite"],
    ["codename", "Codename"],
    ["version", "Version"],
    ["date", "Date"],
    ["validUntil", "Valid-Until"],
  ] as const;
  for (const [key, name] of optional) {
    const v = getField(p, name);
    if (v !== undefined) release[key] = v;
  }
  return release;
}

const COMPRESSIONS: ReadonlyArray<readonly [string, IndexCompression]> = [
  [".xz", "xz"],
  [".gz", "gz"],
  ["", "none"],
];

/**
 * The Packages index of `component` and `arch` listed in the Release file, preferring xz, then gz, then
 * uncompressed (Debian's -updates and -security suites list no .gz). For components written with a
 * prefix (`updates/main` in -security suites) both the full and the short directory are tried.
 * Undefined when the Release lists none.
 */
export function pickPackagesIndex(release: Release, component: string, arch: string): PackagesIndexRef | undefined {
  const short = component.slice(component.lastIndexOf("/") + 1);
  const dirs = [component, ...release.components.filter((c) => c.endsWith(`/${component}`)), short];
  for (const dir of new Set(dirs)) {
    for (const [suffix, compression] of COMPRESSIONS) {
      const path = `${dir}/binary-${arch}/Packages${suffix}`;
      const entry = release.sha256.get(path);
      if (entry !== undefined) return { path, size: entry.size, sha256: entry.sha256, compression };
    }
  }
  return undefined;
}

/** The by-hash location of a file listed in a Release: `<dir of path>/by-hash/SHA256/<sha256>`. */
export function byHashPath(path: string, sha256: string): string {
  const slash = path.lastIndexOf("/");
  return `${slash < 0 ? "" : path.slice(0, slash + 1)}by-hash/SHA256/${sha256}`;
}
