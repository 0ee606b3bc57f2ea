import { posix } from "node:path";
import type { Relation } from "../../core/debian/relation.js";
import { parseVersion } from "../../core/debian/version.js";
import { UsageError } from "../../core/errors.js";
import { pathsTo } from "../../core/resolve/explain-paths.js";
import { markerOf } from "../../edit/manifest.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { pinnedUniverseFor, pinsFor, recordOf } from "../indexes/pinned-universe.js";
import { providesMeets, versionMeets } from "../indexes/relation-match.js";
import { loadManifestIndexes } from "../lock/lock.js";
import { discoverImage, type ImageDistro } from "../workspace/images.js";
import { type Present, presentFor } from "../workspace/present-packages.js";
import { lockedVersions, type RepoState, readRepo } from "../workspace/repo-state.js";
import { findManifestRepo, requireImageOrManifest } from "../workspace/target-selection.js";
import type { RepoDecl } from "../workspace/workspace.js";

export interface WhyRequest {
  readonly root: string;
  readonly package: string;
  readonly image?: string;
  readonly manifest?: string;
  readonly distro?: string;
  /** Bazel or Debian arch name; default every arch. */
  readonly arch?: string;
}

export interface WhyDeps {
  readonly files: WorkspaceFiles;
  readonly loader: IndexLoader;
  readonly repos: readonly RepoDecl[];
}

export interface WhyArch {
  /** Debian arch. */
  readonly arch: string;
  /** Whether the package is in the image (its own list or an ancestor's) on this arch. */
  readonly present: boolean;
  /** The locked version. */
  readonly version?: string;
  /** Suite and component the locked version comes from, e.g. `bookworm-security/main`. */
  readonly suite?: string;
  /** The image whose list names it: the image itself or an ancestor (`cc`, `base`, ...). */
  readonly listedBy?: string;
  /** The ancestor that already provides it, when that is not the image itself. */
  readonly providedByAncestor?: string;
  /** The manifest's marker, e.g. `dependency of ffmpeg`. */
  readonly marker?: string;
  /** The repo whose lock the package comes from on this arch (an arch-specific companion repo included). */
  readonly repo?: string;
  /** Dependency paths from packages listed for their own sake to the package (shortest first, at most 5). */
  readonly paths: readonly (readonly string[])[];
  /** When not present: the version the manifest's sources offer (what add would choose), if any. */
  readonly available?: string;
}

export interface WhyDistro {
  readonly distro?: string;
  readonly repo: string;
  readonly archs: readonly WhyArch[];
}

export interface WhyReport {
  readonly image?: string;
  readonly package: string;
  readonly distros: readonly WhyDistro[];
}

interface Node {
  readonly present: Present;
  readonly groups: readonly (readonly Relation[])[];
  readonly provides: readonly Relation[];
}

function satisfiedBy(nodes: ReadonlyMap<string, Node>, group: readonly Relation[]): string | undefined {
  for (const rel of group) {
    const real = nodes.get(rel.name);
    if (real !== undefined && versionMeets(parseVersion(real.present.version), rel)) return rel.name;
    for (const [name, node] of nodes) if (providesMeets(node.provides, rel)) return name;
  }
  return undefined;
}

async function explainArch(
  state: RepoState,
  arch: string,
  present: readonly Present[],
  roots: readonly string[],
  name: string,
  loader: IndexLoader,
): Promise<WhyArch> {
  const indexes = await loadManifestIndexes(state.manifest, loader);
  const ix = indexes.find((i) => i.arch === arch);
  if (ix === undefined) return { arch, present: false, paths: [] };
  const { universe } = pinnedUniverseFor(ix, pinsFor(state, arch, present), loader.universes);
  const nodes = new Map<string, Node>();
  for (const p of present) {
    const rec = recordOf(universe, p.name, p.version);
    const rel = rec === undefined ? undefined : universe.relationsOf(rec);
    nodes.set(p.name, { present: p, groups: rel?.dependencies ?? [], provides: (rel?.provides ?? []).flat() });
  }
  const edges = new Map<string, string[]>();
  for (const [n, node] of nodes) {
    const out: string[] = [];
    for (const g of node.groups) {
      const s = satisfiedBy(nodes, g);
      if (s !== undefined && s !== n && !out.includes(s)) out.push(s);
    }
    edges.set(n, out);
  }
  const me = nodes.get(name);
  if (me === undefined) {
    const candidate = universe.versionsOf(name)[0];
    return { arch, present: false, paths: [], ...(candidate === undefined ? {} : { available: candidate.record.version }) };
  }
  const source = universe.versionsOf(name).find((v) => v.record.version === me.present.version);
  const suite = source?.sourceId.replace(/@\d+$/, "");
  const paths = pathsTo(
    edges,
    roots.filter((r) => r !== name && nodes.has(r)),
    name,
  );
  return {
    arch,
    present: true,
    version: me.present.version,
    ...(suite === undefined ? {} : { suite }),
    listedBy: me.present.from,
    paths,
  };
}

/**
 * Explains why a package is in an image (or a manifest's lock): the dependency paths from the packages
 * listed for their own sake, the version locked per arch and the suite it comes from, and the ancestor image
 * that provides it when it is not the image itself.
 */
export async function explainWhy(request: WhyRequest, deps: WhyDeps): Promise<WhyReport> {
  requireImageOrManifest(request);
  const wantArch = (bazel: string, debian: string): boolean => request.arch === undefined || request.arch === bazel || request.arch === debian;
  if (request.manifest !== undefined) {
    const repo = findManifestRepo(request.root, request.manifest, deps.repos);
    const state = await readRepo(request.root, repo, deps.files);
    const marker = state.manifest.packages.find((p) => p.name === request.package);
    const roots = state.manifest.packages.filter((p) => markerOf(p) === undefined).map((p) => p.name);
    const archs: WhyArch[] = [];
    for (const arch of state.manifest.archs) {
      if (!wantArch(arch, arch)) continue;
      const present = [...lockedVersions(state, arch)].map(([name, version]) => ({ name, version, from: repo.name }));
      const w = await explainArch(state, arch, present, roots, request.package, deps.loader);
      archs.push(marker?.comment === undefined ? w : { ...w, marker: marker.comment });
    }
    return { package: request.package, distros: [{ repo: repo.name, archs }] };
  }
  const info = await discoverImage(
    request.root,
    request.image!,
    deps.files,
    deps.repos,
    request.distro === undefined ? {} : { distro: request.distro },
  );
  const states = new Map<string, RepoState>();
  for (const r of deps.repos) {
    if (await deps.files.exists(posix.join(request.root, r.lockPath))) states.set(r.name, await readRepo(request.root, r, deps.files));
  }
  const distros: WhyDistro[] = [];
  for (const d of info.distros as readonly ImageDistro[]) {
    // A repo without a lock: readRepo refuses it, naming the lock and the command that creates it.
    const state = states.get(d.repo.name) ?? (await readRepo(request.root, d.repo, deps.files));
    const companionStates = d.companions.flatMap((c) => {
      const st = states.get(c.repo);
      return st === undefined ? [] : [{ c, st }];
    });
    const unmarked = (st: RepoState, names: readonly string[]) =>
      names.filter((n) => markerOf(st.manifest.packages.find((p) => p.name === n)) === undefined);
    const roots = [
      ...unmarked(
        state,
        d.packages.map((p) => p.name),
      ),
      ...companionStates.flatMap(({ c, st }) =>
        unmarked(
          st,
          c.packages.map((p) => p.name),
        ),
      ),
      ...Object.values(d.ancestors)
        .flat()
        .flatMap((a) => a.packages.map((p) => p.name)),
    ];
    const archs: WhyArch[] = [];
    for (const bazelArch of d.archs) {
      const debArch = d.debianArch[bazelArch]!;
      if (!wantArch(bazelArch, debArch)) continue;
      const repoState = states.get(d.repoByArch[bazelArch]!.name) ?? state;
      const present = presentFor(d, info.image, states, debArch);
      const w = await explainArch(repoState, debArch, present, [...new Set(roots)], request.package, deps.loader);
      const fromAncestor = w.present && w.listedBy !== info.image ? { providedByAncestor: w.listedBy! } : {};
      // Where the package comes from on this arch: a companion list of this arch, the image's own list, or an ancestor's.
      const companion = companionStates.find(({ c }) => c.arch === bazelArch && c.packages.some((p) => p.name === request.package));
      const own = d.packages.some((p) => p.name === request.package) ? d.repoByArch[bazelArch]!.name : undefined;
      const ancestor = (d.ancestors[bazelArch] ?? []).find((a) => a.packages.some((p) => p.name === request.package))?.repo;
      const repo = companion?.c.repo ?? own ?? ancestor;
      const markerText = (companion?.st ?? state).manifest.packages.find((p) => p.name === request.package)?.comment;
      archs.push({
        ...w,
        ...fromAncestor,
        ...(markerText !== undefined && w.listedBy === info.image ? { marker: markerText } : {}),
        ...(w.present && repo !== undefined ? { repo } : {}),
      });
    }
    if (request.arch !== undefined && archs.length === 0) {
      throw new UsageError(`image ${info.image} (${d.distro}) is not built for ${request.arch}`, {
        hint: `give --arch one of ${d.archs.join(", ")} (or its Debian name), or leave --arch out for every arch`,
      });
    }
    distros.push({ distro: d.distro, repo: d.repo.name, archs });
  }
  return { image: info.image, package: request.package, distros };
}
