import type { Lock, LockDependency, LockDialect, LockPackage } from "./lock.js";
import { type KeyStyle, packageKey } from "./package-key.js";

/** One resolved binary package, as the resolver chose it from an index. */
export interface LockCandidate {
  readonly name: string;
  /** `Version` as written in the index. */
  readonly version: string;
  /** `Filename` from the index, relative to the archive root. */
  readonly filename: string;
  /** `SHA256` from the index. */
  readonly sha256: string;
  /**
   * The canonical root URLs of the manifest source the package came from (`url`, or every entry of
   * `urls`), never a mirror. Trailing slashes are ignored.
   */
  readonly sourceUrls: readonly string[];
}

/** A manifest package and its transitive dependencies, in the resolver's (rules_distroless's) order. */
export interface LockRoot {
  readonly package: LockCandidate;
  readonly dependencies: readonly LockCandidate[];
}

/** The resolution for one target architecture: the manifest's packages in manifest order. */
export interface LockArchResolution {
  readonly arch: string;
  readonly roots: readonly LockRoot[];
}

export interface BuildLockOptions {
  /**
   * rules_distroless `resolve_transitive`: when false, only the manifest's own packages are entries and
   * every entry has `"dependencies": []` (the manifest lists the whole closure itself).
   */
  readonly resolveTransitive: boolean;
  /** URL field to fill; `url` keeps only the first source URL. Defaults to `urls`. */
  readonly dialect?: LockDialect;
  /** How keys treat `~`; keep the style of the existing lock (see parseLock). Defaults to `tilde-replaced`. */
  readonly keyStyle?: KeyStyle;
}

/**
 * Builds a lock the way rules_distroless's resolver fills it: for each arch in manifest order, each manifest
 * package in order followed by its dependencies; each (package, arch) once, at its first appearance. A root's
 * dependency list is recorded on the root's entry, also when that entry first appeared as someone else's
 * dependency; dependencies are deduplicated by key.
 */
export function buildLock(resolutions: readonly LockArchResolution[], options: BuildLockOptions): Lock {
  const dialect = options.dialect ?? "urls";
  const packages: Array<LockPackage & { dependencies: LockDependency[] }> = [];
  const byKey = new Map<string, { entry: (typeof packages)[number]; depKeys: Set<string> }>();

  const add = (candidate: LockCandidate, arch: string): { entry: (typeof packages)[number]; depKeys: Set<string> } => {
    const key = packageKey(candidate.name, candidate.version, arch, options.keyStyle);
    const existing = byKey.get(key);
    if (existing !== undefined) return existing;
    const urls = candidate.sourceUrls.map((root) => `${root.replace(/\/+$/, "")}/${candidate.filename}`);
    const common = { arch, dependencies: [] as LockDependency[], key, name: candidate.name, sha256: candidate.sha256, version: candidate.version };
    const entry = dialect === "url" ? { ...common, url: urls[0] ?? "" } : { ...common, urls };
    packages.push(entry);
    const slot = { entry, depKeys: new Set<string>() };
    byKey.set(key, slot);
    return slot;
  };

  for (const { arch, roots } of resolutions) {
    for (const root of roots) {
      const slot = add(root.package, arch);
      if (!options.resolveTransitive) continue;
      for (const dep of root.dependencies) {
        const depSlot = add(dep, arch);
        if (depSlot.entry.key === slot.entry.key || slot.depKeys.has(depSlot.entry.key)) continue;
        slot.depKeys.add(depSlot.entry.key);
        slot.entry.dependencies.push({ key: depSlot.entry.key, name: dep.name, version: dep.version });
      }
    }
  }
  return { version: 1, packages };
}
