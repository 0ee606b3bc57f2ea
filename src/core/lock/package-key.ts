/**
 * How a lock file's keys treat `~`. rules_distroless before v0.3.4 (2024-06) kept `~` in keys
 * (`libssl3_3.0.13-1~deb12u1_amd64`, as in distroless's July 2024 locks); later versions replace it by `_`.
 * Keys are data Bazel builds repository names from, so a lock keeps the style it was written with.
 */
export type KeyStyle = "tilde-replaced" | "tilde-kept";

/**
 * The key of a lock entry, as rules_distroless computes it (apt/private/lockfile.bzl `_make_package_key`
 * with util.bzl `_sanitize`): `sanitize(name)_sanitize(version)_arch`.
 */
export function packageKey(name: string, version: string, arch: string, style: KeyStyle = "tilde-replaced"): string {
  return `${sanitizeKeyPart(name, style)}_${sanitizeKeyPart(version, style)}_${arch}`;
}

/** rules_distroless's `sanitize`: `+`→`-p-`, `:`→`-`, and (unless the style keeps it) `~`→`_`. */
export function sanitizeKeyPart(text: string, style: KeyStyle = "tilde-replaced"): string {
  const out = text.replaceAll("+", "-p-").replaceAll(":", "-");
  return style === "tilde-kept" ? out : out.replaceAll("~", "_");
}
