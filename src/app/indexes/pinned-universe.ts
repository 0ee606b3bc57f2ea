import type { PackageRecord } from "../../core/debian/package.js";
import { pinnedUniverse, type Universe } from "../../core/resolve/universe.js";
import { lockedVersions, type RepoState } from "../workspace/repo-state.js";
import { type ArchIndexes, type ArchUniverse, type UniverseCache, universeFor } from "./resolve-repo.js";

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

/**
 * The universe of one arch's indexes with every pinned package held at its pinned version (see pinnedUniverse):
 * a view over the run's universe of those indexes, built once per run whatever the pins.
 */
export function pinnedUniverseFor(arch: ArchIndexes, pins: ReadonlyMap<string, string>, universes: UniverseCache): ArchUniverse {
  const { universe, urlsOf } = universeFor(arch, universes);
  return { universe: pinnedUniverse(universe, pins), urlsOf };
}

/** The index record of one exact version, if the universe has it. */
export function recordOf(universe: Universe, name: string, version: string): PackageRecord | undefined {
  return universe.versionsOf(name).find((v) => v.record.version === version)?.record;
}
