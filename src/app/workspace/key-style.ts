import { posix } from "node:path";
import { type KeyStyle, type ParsedLock, parseLock } from "../../core/lock/index.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { discoverRepos, type RepoDecl } from "./workspace.js";

/**
 * How the locks of a workspace treat `~` in keys, decided from the workspace rather than from one file: a lock
 * whose versions hold no `~` says nothing about it (its keys read the same either way), and a new `~` version
 * must then get the key the workspace's rules_distroless writes. rules_distroless replaces `~` by `_` since
 * v0.3.4 (2024-06-17, apt/private/util.bzl `_sanitize`); v0.3.3 and older keep it.
 */

/** The first rules_distroless release whose keys replace `~`. */
const TILDE_REPLACED_SINCE = [0, 3, 4] as const;

/** The key style of a rules_distroless release, or undefined for a version that is not `X.Y.Z`. */
export function keyStyleOfRelease(version: string): KeyStyle | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (m === null) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])];
  for (let i = 0; i < 3; i++) {
    if (parts[i]! !== TILDE_REPLACED_SINCE[i]) return parts[i]! > TILDE_REPLACED_SINCE[i]! ? "tilde-replaced" : "tilde-kept";
  }
  return "tilde-replaced";
}

/**
 * The rules_distroless release a workspace uses: `bazel_dep(name = "rules_distroless", version = "X.Y.Z")` in
 * MODULE.bazel, or the `rules_distroless-X.Y.Z` archive of WORKSPACE. Undefined when neither names one, or when
 * an override (git_override, archive_override, local_path_override) makes the version say nothing.
 */
export function rulesDistrolessRelease(moduleText: string | undefined, workspaceText: string | undefined): string | undefined {
  if (moduleText !== undefined) {
    const overridden = /\b(?:git|archive|local_path|single_version)_override\s*\(\s*[^)]*module_name\s*=\s*"rules_distroless"/.test(moduleText);
    for (const call of moduleText.matchAll(/\bbazel_dep\s*\(([^)]*)\)/g)) {
      if (!/\bname\s*=\s*"rules_distroless"/.test(call[1]!)) continue;
      const version = /\bversion\s*=\s*"([^"]+)"/.exec(call[1]!)?.[1];
      if (version !== undefined && !overridden) return version;
    }
  }
  if (workspaceText !== undefined) {
    const m =
      /rules_distroless-v?(\d+\.\d+\.\d+)/.exec(workspaceText) ?? /rules_distroless\/releases\/download\/v(\d+\.\d+\.\d+)/.exec(workspaceText);
    if (m !== null) return m[1];
  }
  return undefined;
}

/** Whether a lock's own keys show its style: only a `~` in some version does. */
export function lockShowsKeyStyle(parsed: ParsedLock): boolean {
  return parsed.lock.packages.some((p) => p.version.includes("~") || p.dependencies.some((d) => d.version.includes("~")));
}

const cache = new WeakMap<WorkspaceFiles, Map<string, Promise<KeyStyle | undefined>>>();

/**
 * The key style of the workspace at `root`: from its rules_distroless release, else from the locks of its repos
 * that show one (the style most of them show), else undefined. Read once per root and files view.
 */
export function workspaceKeyStyle(root: string, files: WorkspaceFiles, repos?: readonly RepoDecl[]): Promise<KeyStyle | undefined> {
  let byRoot = cache.get(files);
  if (byRoot === undefined) cache.set(files, (byRoot = new Map()));
  let pending = byRoot.get(root);
  if (pending === undefined) {
    pending = decide(root, files, repos);
    byRoot.set(root, pending);
  }
  return pending;
}

async function decide(root: string, files: WorkspaceFiles, repos: readonly RepoDecl[] | undefined): Promise<KeyStyle | undefined> {
  const read = async (rel: string): Promise<string | undefined> =>
    (await files.exists(posix.join(root, rel))) ? files.readText(posix.join(root, rel)) : undefined;
  const workspaceText = (await read("WORKSPACE.bazel")) ?? (await read("WORKSPACE"));
  const release = rulesDistrolessRelease(await read("MODULE.bazel"), workspaceText);
  const fromRelease = release === undefined ? undefined : keyStyleOfRelease(release);
  if (fromRelease !== undefined) return fromRelease;
  const votes = new Map<KeyStyle, number>();
  for (const repo of repos ?? (await discoverRepos(root, files))) {
    const text = await read(repo.lockPath);
    if (text === undefined) continue;
    let parsed: ParsedLock;
    try {
      parsed = parseLock(text, repo.lockPath);
    } catch {
      continue; // a broken lock is reported by the command that reads it; here it only does not vote
    }
    if (lockShowsKeyStyle(parsed)) votes.set(parsed.keyStyle, (votes.get(parsed.keyStyle) ?? 0) + 1);
  }
  const kept = votes.get("tilde-kept") ?? 0;
  const replaced = votes.get("tilde-replaced") ?? 0;
  return kept === replaced ? undefined : kept > replaced ? "tilde-kept" : "tilde-replaced";
}

/** The key style for new entries of a lock: its own when its keys show one, else the workspace's. */
export async function keyStyleForLock(parsed: ParsedLock | undefined, root: string, files: WorkspaceFiles): Promise<KeyStyle | undefined> {
  if (parsed !== undefined && lockShowsKeyStyle(parsed)) return parsed.keyStyle;
  return workspaceKeyStyle(root, files);
}
