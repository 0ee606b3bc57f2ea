/**
 * The lock file of a rules_distroless repository (`<repo>.lock.json`, format version 1): one entry per
 * (package, target architecture), each with the exact .deb to fetch. The format belongs to rules_distroless;
 * deb-lock reads and writes it without adding, dropping or re-ordering anything.
 */
export interface Lock {
  readonly version: 1;
  readonly packages: readonly LockPackage[];
}

/** A dependency recorded inside a lock entry (only when the repo resolves transitively). */
export interface LockDependency {
  /** The dependency's own entry key, see {@link packageKey}. */
  readonly key: string;
  readonly name: string;
  readonly version: string;
}

export interface LockPackage {
  /** The target architecture, also for `Architecture: all` packages. */
  readonly arch: string;
  readonly dependencies: readonly LockDependency[];
  /** `sanitize(name)_sanitize(version)_arch`, see {@link packageKey}. */
  readonly key: string;
  readonly name: string;
  /** SHA256 of the .deb, lowercase hex. */
  readonly sha256: string;
  /** Download URLs, one per source root (newer files). Exactly one of `urls` and `url` is set. */
  readonly urls?: readonly string[];
  /** The single download URL of older files. */
  readonly url?: string;
  readonly version: string;
}

/** Which URL field a lock file uses: `urls: [..]` (rules_distroless ≥ 0.4) or the older `url: ".."`. */
export type LockDialect = "urls" | "url";

/**
 * The whitespace of a lock file. rules_distroless writes tab indentation and no final newline; some
 * repositories run formatters over their locks (2-space indentation, a final newline), and deb-lock keeps
 * what the file has so an unchanged lock stays byte-identical.
 */
export interface LockLayout {
  readonly indent: string;
  readonly finalNewline: boolean;
}

/** rules_distroless's own layout (Starlark `json.encode_indent`). */
export const DEFAULT_LOCK_LAYOUT: LockLayout = { indent: "\t", finalNewline: false };

/** The download URLs of an entry, whichever dialect it was written in. */
export function lockPackageUrls(pkg: LockPackage): readonly string[] {
  if (pkg.urls !== undefined) return pkg.urls;
  return pkg.url === undefined ? [] : [pkg.url];
}
