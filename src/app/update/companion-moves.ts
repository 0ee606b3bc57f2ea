import { ProblemError } from "../../core/errors.js";
import { parseLock } from "../../core/lock/index.js";
import type { RepoMove } from "../../core/report/model.js";
import { type InstalledPackage, resolveClosure } from "../../core/resolve/resolve-closure.js";
import {
  addManifestPackages,
  type Manifest,
  type ManifestPackage,
  type PackageToAdd,
  parseManifest,
  removeManifestPackages,
} from "../../edit/manifest.js";
import { companionRepoName, newCompanionState, parseCompanionRepoName } from "../changes/companion.js";
import { type ArchIndexes, type UniverseCache, universeFor } from "../indexes/resolve-repo.js";
import type { ImageInfo } from "../workspace/images.js";
import type { RepoDecl } from "../workspace/workspace.js";

/**
 * `update` keeps arch-specific companion repos (`<repo>_<arch>_only`) in step with the archive: a package of a
 * companion that the new snapshot builds (and that resolves) for every arch of its main repo moves into the main
 * repo; a package of a main repo that some of its archs no longer have moves into the companion of each arch that
 * still has it (created as `add` creates one). A companion left empty goes. Decisions only: update applies them.
 */

/** What the moves need of a repo update plans: its bumped manifest and the indexes of the new snapshot. */
export interface MovableRepo {
  readonly repo: RepoDecl;
  readonly lockText: string | null;
  bumpedText: string;
  bumped: Manifest;
  readonly newIndexes: readonly ArchIndexes[];
}

/** A package moving between a main repo and a companion, and which direction. */
export interface PlannedMove extends RepoMove {
  /** The main repo of the pair. */
  readonly main: string;
  readonly toMain: boolean;
  /** Debian arch of the companion. */
  readonly arch: string;
}

export interface CompanionMovesPlan {
  readonly moves: readonly PlannedMove[];
  /** Companion repos to create: their declaration, manifest and (empty) lock text. */
  readonly created: readonly { readonly repo: RepoDecl; readonly main: RepoDecl; readonly manifestText: string; readonly lockText: string }[];
  /** Companion repos left empty: their files and declaration go. */
  readonly deleted: readonly RepoDecl[];
  readonly warnings: readonly string[];
}

function hasPackage(indexes: readonly ArchIndexes[], arch: string, name: string, universes: UniverseCache): boolean {
  const ix = indexes.find((i) => i.arch === arch);
  return ix !== undefined && universeFor(ix, universes).universe.versionsOf(name).length > 0;
}

/** Whether `name` resolves on `arch` with `present` installed and pulls in nothing else. */
function resolvesWith(
  indexes: readonly ArchIndexes[],
  arch: string,
  name: string,
  present: readonly string[],
  universes: UniverseCache,
): { ok: true } | { ok: false; why: string } {
  const ix = indexes.find((i) => i.arch === arch)!;
  const { universe } = universeFor(ix, universes);
  const installed: InstalledPackage[] = [];
  for (const n of present) {
    const best = universe.versionsOf(n)[0];
    if (best !== undefined && n !== name)
      installed.push({ name: n, version: best.record.version, ...(best.record.provides === undefined ? {} : { provides: best.record.provides }) });
  }
  const result = resolveClosure({ universe, roots: [{ name }], installed });
  if (!result.ok) return { ok: false, why: result.problems[0]?.message ?? "it does not resolve" };
  const extra = result.packages.map((p) => p.name).filter((n) => n !== name);
  return extra.length === 0 ? { ok: true } : { ok: false, why: `it needs ${extra.join(", ")} there, which no repo of the image lists` };
}

/**
 * Plans the moves between every main repo of `states` and its companions. `images` are the workspace's images
 * (a package moves to a companion only for a repo that serves a multi-arch image list that can take an
 * arch-specific addition); `declared` every repo the workspace declares.
 */
export async function planCompanionMoves(
  states: readonly MovableRepo[],
  /** The workspace's images, read only when some package of a multi-arch repo lacks an arch. */
  readImages: () => Promise<readonly ImageInfo[]>,
  declared: readonly RepoDecl[],
  universes: UniverseCache,
): Promise<CompanionMovesPlan> {
  const moves: PlannedMove[] = [];
  const warnings: string[] = [];
  const byName = new Map(states.map((s) => [s.repo.name, s]));
  const distroOf = (m: Manifest) => m.sources[0]?.suite;
  const presentFor = (s: MovableRepo) =>
    states.filter((o) => !o.repo.resolveTransitive && distroOf(o.bumped) === distroOf(s.bumped)).flatMap((o) => o.bumped.packages.map((p) => p.name));

  // Companion → main: built (and resolving) for every arch of the main repo now.
  for (const c of states) {
    const pair = parseCompanionRepoName(c.repo.name);
    const main = pair === undefined ? undefined : byName.get(pair.repo);
    if (pair === undefined || main === undefined || main.bumped.archs.length < 2) continue;
    const others = main.bumped.archs.filter((a) => a !== pair.arch);
    for (const p of c.bumped.packages) {
      if (main.bumped.packages.some((m) => m.name === p.name)) continue;
      if (!others.every((a) => hasPackage(main.newIndexes, a, p.name, universes))) continue;
      const failed = others.map((a) => ({ a, r: resolvesWith(main.newIndexes, a, p.name, presentFor(main), universes) })).find((x) => !x.r.ok);
      if (failed !== undefined) {
        warnings.push(
          `${c.repo.manifestPath}: ${p.name} is now built for ${failed.a}, but stays in ${c.repo.name}: ${(failed.r as { why: string }).why}`,
        );
        continue;
      }
      moves.push({
        name: p.name,
        from: c.repo.name,
        to: main.repo.name,
        reason: `now built for ${others.join(", ")}`,
        main: main.repo.name,
        toMain: true,
        arch: pair.arch,
      });
    }
  }

  // Main → companion: some arch of the main repo no longer has it (for a repo serving a multi-arch image).
  const lacking: { m: MovableRepo; name: string; have: string[]; lack: string[] }[] = [];
  for (const m of states) {
    if (parseCompanionRepoName(m.repo.name) !== undefined || m.bumped.archs.length < 2) continue;
    for (const p of m.bumped.packages) {
      const have = m.bumped.archs.filter((a) => hasPackage(m.newIndexes, a, p.name, universes));
      const lack = m.bumped.archs.filter((a) => !have.includes(a));
      if (have.length > 0 && lack.length > 0) lacking.push({ m, name: p.name, have, lack });
    }
  }
  const images = lacking.length > 0 ? await readImages() : [];
  const imageRepos = new Set(
    images.flatMap((i) => i.distros.filter((d) => d.archs.length > 1).flatMap((d) => Object.values(d.repoByArch).map((r) => r.name))),
  );
  for (const { m, name, have, lack } of lacking) {
    if (!imageRepos.has(m.repo.name)) continue;
    for (const arch of have) {
      moves.push({
        name,
        from: m.repo.name,
        to: companionRepoName(m.repo.name, arch),
        reason: `no longer built for ${lack.join(", ")}`,
        main: m.repo.name,
        toMain: false,
        arch,
      });
    }
  }

  // Manifest edits, in place on the states; companions to create and to delete.
  const created: { repo: RepoDecl; main: RepoDecl; manifestText: string; lockText: string }[] = [];
  const deleted: RepoDecl[] = [];
  for (const move of moves.filter((x) => x.toMain)) {
    const c = byName.get(move.from)!;
    const main = byName.get(move.to)!;
    const entry = c.bumped.packages.find((p) => p.name === move.name)!;
    setText(main, addManifestPackages(main.bumpedText, [entryOf(entry)], main.repo.manifestPath));
    setText(c, removeManifestPackages(c.bumpedText, [move.name], c.repo.manifestPath));
  }
  const leaving = moves.filter((x) => !x.toMain);
  for (const move of leaving) {
    const main = byName.get(move.main)!;
    const entry = entryOf(main.bumped.packages.find((p) => p.name === move.name)!);
    const target = byName.get(move.to);
    if (target !== undefined) {
      setText(target, addManifestPackages(target.bumpedText, [entry], target.repo.manifestPath));
      continue;
    }
    let fresh = created.find((x) => x.repo.name === move.to);
    if (fresh === undefined) {
      if (declared.some((r) => r.name === move.to)) {
        throw new ProblemError(
          "UPDATE_COMPANION_OUT_OF_SCOPE",
          `${move.name} is ${move.reason} and moves from ${move.from} to ${move.to}, which this update does not cover`,
          {
            hint: `update ${move.from} and ${move.to} together (or the whole workspace); nothing was written`,
          },
        );
      }
      // Created as add creates it: the main repo's (new) sources, this arch, the lock in the main lock's form.
      const image =
        images.find((i) =>
          i.distros.some((d) => Object.values(d.repoByArch).some((r) => r.name === move.main) && d.packages.some((x) => x.name === move.name)),
        )?.image ?? move.main;
      const lockText = main.lockText ?? JSON.stringify({ packages: [], version: 1 }, null, "\t");
      const state = newCompanionState(
        {
          repo: main.repo,
          manifestPath: main.repo.manifestPath,
          lockPath: main.repo.lockPath,
          manifestText: main.bumpedText,
          manifest: main.bumped,
          lockText,
          lock: parseLock(lockText, main.repo.lockPath),
        },
        move.to,
        move.arch,
        `${main.repo.name}, ${move.arch} only: packages ${image} needs that other archs do not have`,
      );
      fresh = { repo: state.repo, main: main.repo, manifestText: state.manifestText, lockText: state.lockText };
      created.push(fresh);
    }
    fresh.manifestText = addManifestPackages(fresh.manifestText, [entry], fresh.repo.manifestPath);
  }
  for (const move of leaving) {
    const main = byName.get(move.main)!;
    if (main.bumped.packages.some((p) => p.name === move.name))
      setText(main, removeManifestPackages(main.bumpedText, [move.name], main.repo.manifestPath));
  }
  for (const c of states) {
    if (parseCompanionRepoName(c.repo.name) !== undefined && c.bumped.packages.length === 0 && moves.some((x) => x.from === c.repo.name))
      deleted.push(c.repo);
  }
  return { moves, created, deleted, warnings };
}

/** A manifest entry as it moves: its version constraint and its comment (`# dependency of ffmpeg`) go with it. */
function entryOf(entry: ManifestPackage): PackageToAdd {
  return {
    name: entry.name,
    ...(entry.constraint === undefined ? {} : { constraint: entry.constraint }),
    ...(entry.comment === undefined ? {} : { comment: entry.comment }),
  };
}

function setText(s: MovableRepo, text: string): void {
  s.bumpedText = text;
  s.bumped = parseManifest(text, s.repo.manifestPath);
}
