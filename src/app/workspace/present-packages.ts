import type { ImageDistro } from "./images.js";
import { lockedVersions, type RepoState } from "./repo-state.js";

/** A package an image (or repo) already has on one arch, at its locked version. */
export interface Present {
  readonly name: string;
  readonly version: string;
  /** Where it comes from, for reports: an image name, or the repo. */
  readonly from: string;
}

/**
 * What one distro of an image has on one Debian arch: its own list's packages, then its ancestors', each
 * at the version the serving repo locks (first occurrence wins). Repos missing from `states` contribute nothing.
 */
export function presentFor(distro: ImageDistro, image: string, states: ReadonlyMap<string, RepoState>, debArch: string): Present[] {
  const bazelArch = Object.entries(distro.debianArch).find(([, d]) => d === debArch)?.[0] ?? debArch;
  const out: Present[] = [];
  const take = (repo: string, names: readonly string[], from: string): void => {
    const state = states.get(repo);
    if (state === undefined) return;
    const versions = lockedVersions(state, debArch);
    for (const n of names) {
      const v = versions.get(n);
      if (v !== undefined && !out.some((p) => p.name === n)) out.push({ name: n, version: v, from });
    }
  };
  take(
    distro.repoByArch[bazelArch]?.name ?? distro.repo.name,
    distro.packages.map((p) => p.name),
    image,
  );
  for (const c of distro.companions)
    if (c.arch === bazelArch)
      take(
        c.repo,
        c.packages.map((p) => p.name),
        image,
      );
  for (const a of distro.ancestors[bazelArch] ?? [])
    take(
      a.repo,
      a.packages.map((p) => p.name),
      a.image,
    );
  return out;
}
