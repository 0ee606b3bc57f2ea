import type { PackageRecord } from "../core/debian/package.js";
import type { Universe } from "../core/resolve/universe.js";
import { lockedVersions, type RepoState } from "./repo-state.js";
import type { ArchIndexes } from "./resolve-repo.js";

/**
 * What add, remove and why resolve against: the archive indexes of one arch with every package the repo
 * locks (or the image already has) pinned to its version. deb-lock add never upgrades what a lock already
 * pins, so the resolver must not see newer versions.
 */

/** name → version to pin on one arch: the repo's locked versions, overridden by what is already present. */
export function pinsFor(state: RepoState, arch: string, present: Iterable<{ readonly name: string; readonly version: string }>): Map<string, string> {
  const pins = lockedVersions(state, arch);
  for (const p of present) pins.set(p.name, p.version);
  return pins;
}

/** The indexes of one arch with every version of a pinned package other than the pinned one removed. */
export function pinnedIndexes(arch: ArchIndexes, pins: ReadonlyMap<string, string>): ArchIndexes {
  if (pins.size === 0) return arch;
  return {
    arch: arch.arch,
    indexes: arch.indexes.map((entry) => ({
      ...entry,
      index: { ...entry.index, records: entry.index.records.filter((r) => pins.get(r.name) === undefined || pins.get(r.name) === r.version) },
    })),
  };
}

/** The index record of one exact version, if the universe has it. */
export function recordOf(universe: Universe, name: string, version: string): PackageRecord | undefined {
  return universe.versionsOf(name).find((v) => v.record.version === version)?.record;
}
