import { DebLockError } from "../errors.js";
import { DEFAULT_LOCK_LAYOUT, type Lock, type LockDialect, type LockLayout, type LockPackage, lockPackageUrls } from "./lock.js";

/**
 * Writes a lock file exactly as rules_distroless does (Starlark `json.encode_indent`: keys sorted, tab
 * indentation, no trailing newline), so an unchanged lock gives unchanged bytes. `dialect` chooses the
 * URL field and `layout` the whitespace; keep those of the existing file (see parseLock).
 */
export function formatLock(lock: Lock, dialect: LockDialect, layout: LockLayout = DEFAULT_LOCK_LAYOUT): string {
  const packages = lock.packages.map((pkg) => formatPackage(pkg, dialect));
  const text = JSON.stringify({ packages, version: lock.version }, null, layout.indent);
  return layout.finalNewline ? `${text}\n` : text;
}

function formatPackage(pkg: LockPackage, dialect: LockDialect): Record<string, unknown> {
  const urls = lockPackageUrls(pkg);
  const dependencies = pkg.dependencies.map((d) => ({ key: d.key, name: d.name, version: d.version }));
  if (dialect === "url") {
    if (urls.length !== 1) {
      throw new DebLockError("LOCK_DIALECT", `lock entry ${pkg.key} has ${urls.length} URLs but the lock file's "url" field holds exactly one`, {
        hint: 'write the lock with the "urls" field, or give each source a single URL',
      });
    }
    return { arch: pkg.arch, dependencies, key: pkg.key, name: pkg.name, sha256: pkg.sha256, url: urls[0], version: pkg.version };
  }
  return { arch: pkg.arch, dependencies, key: pkg.key, name: pkg.name, sha256: pkg.sha256, urls: [...urls], version: pkg.version };
}
