import { relative, resolve as resolvePath } from "node:path";
import { ParseError } from "../../core/errors.js";
import { buildLock, formatLock, type KeyStyle, type LockDialect, type LockPackage, parseLock } from "../../core/lock/index.js";
import type { Problem } from "../../core/resolve/problem.js";
import { type Manifest, parseManifest } from "../../edit/manifest.js";
import type { FileChange } from "../../io/files.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { type ModuleLockNotice, type ModuleLockUpdate, planModuleLockSync } from "../changes/module-lock-sync.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import { type ArchIndexes, resolveRepo, type UniverseCache } from "../indexes/resolve-repo.js";
import { lockShowsKeyStyle, workspaceKeyStyle } from "../workspace/key-style.js";
import type { RepoDecl } from "../workspace/workspace.js";

/** What changed in one lock file, by (name, arch). */
export interface LockDiff {
  readonly added: readonly LockEntryRef[];
  readonly removed: readonly LockEntryRef[];
  readonly changed: readonly (LockEntryRef & { readonly from: string })[];
}

export interface LockEntryRef {
  readonly name: string;
  readonly arch: string;
  readonly version: string;
}

export interface RepoLockPlan {
  readonly repo: RepoDecl;
  /** Workspace-relative paths, for messages. */
  readonly manifestFile: string;
  readonly lockFile: string;
  readonly manifest: Manifest;
  readonly before: string | null;
  readonly after: string;
  readonly diff: LockDiff;
}

export interface LockPlan {
  readonly repos: readonly RepoLockPlan[];
  readonly problems: readonly (Problem & { readonly repo: string; readonly manifestFile: string })[];
  /** Files to write (only those whose bytes change), MODULE.bazel.lock included when it must follow the locks. */
  readonly changes: readonly FileChange[];
  /** MODULE.bazel.lock entries brought in step with the new locks, and those left for Bazel to refresh. */
  readonly moduleLock: { readonly updated: readonly ModuleLockUpdate[]; readonly notices: readonly ModuleLockNotice[] };
}

export interface LockDialectChoice {
  readonly dialect: LockDialect;
  readonly keyStyle: KeyStyle;
}

/** Reads a repo's manifest and current lock (if any) from the workspace. */
export async function readRepoFiles(
  root: string,
  repo: RepoDecl,
  files: WorkspaceFiles,
): Promise<{ manifestFile: string; lockFile: string; manifestText: string; manifest: Manifest; lockText: string | null }> {
  const manifestPath = resolvePath(root, repo.manifestPath);
  const lockPath = resolvePath(root, repo.lockPath);
  const manifestFile = relative(root, manifestPath);
  const lockFile = relative(root, lockPath);
  const manifestText = await files.readText(manifestPath);
  const manifest = parseManifest(manifestText, manifestFile);
  checkSourceUrls(manifest, manifestFile);
  const lockText = (await files.exists(lockPath)) ? await files.readText(lockPath) : null;
  return { manifestFile, lockFile, manifestText, manifest, lockText };
}

/**
 * Archive URLs are fetched over http(s) only (a local copy is reached through --mirror FROM=file:///...): anything
 * else is a mistake in the manifest, reported with its line before any request is made.
 */
function checkSourceUrls(manifest: Manifest, manifestFile: string): void {
  for (const source of manifest.sources) {
    for (const url of source.urls) {
      if (!/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/i.test(url.trim())) {
        throw new ParseError(
          "BAD_SOURCE_URL",
          `source "${source.channel}": url ${JSON.stringify(url)} is not an http:// or https:// archive URL`,
          { file: manifestFile, line: source.line },
          {
            hint: "use the archive root, e.g. https://snapshot.debian.org/archive/debian/20240706T203757Z; for a local copy keep the URL and map it with --mirror URL=file:///path",
          },
        );
      }
    }
  }
}

/** Loads every index a manifest needs, per arch in manifest order, sources and components in manifest order. */
export async function loadManifestIndexes(manifest: Manifest, loader: IndexLoader): Promise<ArchIndexes[]> {
  return Promise.all(
    manifest.archs.map(async (arch) => ({
      arch,
      indexes: await Promise.all(
        manifest.sources.flatMap((source) =>
          source.components.map(async (component) => ({
            sourceUrls: source.urls,
            suite: source.suite,
            component,
            index: await loader.load({ urls: source.urls, suite: source.suite, component, arch }),
          })),
        ),
      ),
    })),
  );
}

/**
 * Re-resolves every given repo and computes the new lock files, in memory. Nothing is written here: the caller
 * applies `changes` in one transaction once every repo resolved.
 */
export async function planLock(
  root: string,
  repos: readonly RepoDecl[],
  deps: { files: WorkspaceFiles; loader: IndexLoader; defaults?: LockDialectChoice; universes?: UniverseCache },
): Promise<LockPlan> {
  const read = await Promise.all(repos.map((repo) => readRepoFiles(root, repo, deps.files)));
  // Start every download before resolving anything: they share sources and run concurrently.
  const indexes = await Promise.all(read.map((r) => loadManifestIndexes(r.manifest, deps.loader)));

  const plans: RepoLockPlan[] = [];
  const problems: (Problem & { repo: string; manifestFile: string })[] = [];
  const universes: UniverseCache = deps.universes ?? deps.loader.universes;
  // A lock whose keys do not show how they treat `~` (or no lock yet) takes the workspace's style.
  const parsed = read.map((r) => (r.lockText === null ? undefined : parseLock(r.lockText, r.lockFile)));
  const workspaceStyle = parsed.some((p) => p === undefined || !lockShowsKeyStyle(p)) ? await workspaceKeyStyle(root, deps.files) : undefined;
  repos.forEach((repo, i) => {
    const { manifest, manifestFile, lockFile, lockText } = read[i]!;
    const existing = parsed[i];
    const resolution = resolveRepo(manifest, indexes[i]!, repo.resolveTransitive, universes);
    for (const p of resolution.problems) problems.push({ ...p, repo: repo.name, manifestFile });
    if (resolution.problems.length > 0) return;
    const style = existing ?? deps.defaults ?? { dialect: "urls", keyStyle: "tilde-replaced" };
    const keyStyle =
      existing !== undefined && lockShowsKeyStyle(existing) ? existing.keyStyle : (workspaceStyle ?? deps.defaults?.keyStyle ?? style.keyStyle);
    const lock = buildLock(resolution.resolutions, {
      resolveTransitive: repo.resolveTransitive,
      dialect: style.dialect,
      keyStyle,
    });
    const after = formatLock(lock, style.dialect, existing?.layout);
    plans.push({
      repo,
      manifestFile,
      lockFile,
      manifest,
      before: lockText,
      after,
      diff: diffLocks(existing?.lock.packages ?? [], lock.packages),
    });
  });

  const changes: FileChange[] =
    problems.length > 0
      ? []
      : plans.filter((p) => p.before !== p.after).map((p) => ({ path: resolvePath(root, p.repo.lockPath), before: p.before, after: p.after }));
  // MODULE.bazel.lock records what Bazel's extensions read from the locks: it follows in the same transaction.
  const moduleLock = await planModuleLockSync(root, deps.files, changes);
  if (moduleLock.change !== undefined) changes.push(moduleLock.change);
  return { repos: plans, problems, changes, moduleLock: { updated: moduleLock.updated, notices: moduleLock.notices } };
}

/** Entries added, removed and moved to another version, by (name, arch), in the new lock's order. */
export function diffLocks(before: readonly LockPackage[], after: readonly LockPackage[]): LockDiff {
  const id = (p: LockPackage): string => `${p.name}\u0000${p.arch}`;
  const old = new Map(before.map((p) => [id(p), p]));
  const now = new Map(after.map((p) => [id(p), p]));
  const added: LockEntryRef[] = [];
  const changed: (LockEntryRef & { from: string })[] = [];
  for (const p of after) {
    const prev = old.get(id(p));
    if (prev === undefined) added.push({ name: p.name, arch: p.arch, version: p.version });
    else if (prev.version !== p.version) changed.push({ name: p.name, arch: p.arch, version: p.version, from: prev.version });
  }
  const removed = before.filter((p) => !now.has(id(p))).map((p) => ({ name: p.name, arch: p.arch, version: p.version }));
  return { added, removed, changed };
}
