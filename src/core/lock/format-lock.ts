import { DebLockError } from "../errors.js";
import { type Lock, type LockDialect, type LockPackage, lockPackageUrls } from "./lock.js";

/**
 * Writes a lock file exactly as rules_distroless does (Starlark `json.encode_indent`: keys sorted, tab
 * indentation, no trailing newline), so an unchanged lock gives unchanged bytes. `dialect` chooses the
 * URL field; keep the one the existing file uses (see parseLock).
 */
export function formatLock(lock: Lock, dialect: LockDialect): string {
  const packages = lock.packages.map((pkg) => formatPackage(pkg, dialect));
  return JSON.stringify({ packages, version: lock.version }, null, "\t");
}

function formatPackage(pkg: LockPackage, dialect: LockDialect): Record<string, unknown> {
  const urls = lockPackageUrls(pkg);
  const dependencies = pkg.dependencies.map((d) => ({ key: d.key, name: d.name, version: d.version }));
  if (dialect === "url") {
    if (urls.length !== 1) {
      throw new DebLockError("LOCK_DIALECT", `lock entry ${pkg.key} has ${urls.length} URLs but the lock file's "url" field holds exactly one`, {
        hint: "write the lock with the \"urls\" field, or give each source a single URL",
      });
    }
    return { arch: pkg.arch, dependencies, key: pkg.key, name: pkg.name, sha256: pkg.sha256, url: urls[0], version: pkg.version };
  }
  return { arch: pkg.arch, dependencies, key: pkg.key, name: pkg.name, sha256: pkg.sha256, urls: [...urls], version: pkg.version };
}
