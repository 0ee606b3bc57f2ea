import { posix } from "node:path";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import type { ArchIndexes } from "../indexes/resolve-repo.js";
import { loadManifestIndexes } from "../lock/lock.js";
import type { RepoState, RepoStates } from "../workspace/repo-state.js";
import { type FileChange, sortChanges } from "./change-set.js";
import type { Loaded } from "./loaded.js";
import { formatModuleLockNotice, planModuleLockSync } from "./module-lock-sync.js";

/**
 * The load step of add and remove: reads what their pure planners may need, each read settled into a Loaded
 * value so that an error surfaces where the plan reaches it. Then, after planning, brings MODULE.bazel.lock in
 * step with the planned changes.
 */

export async function settle<T>(pending: Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await pending };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The states of the named repos (undefined for a name the workspace does not declare), read concurrently. */
export async function loadRepoStates(repoStates: RepoStates, names: Iterable<string>): Promise<Map<string, Loaded<RepoState | undefined>>> {
  const unique = [...new Set(names)];
  const loaded = await Promise.all(unique.map((name) => settle(repoStates.read(name))));
  return new Map(unique.map((name, i) => [name, loaded[i]!]));
}

/** The archive indexes of the named repos' manifests (repos whose state did not load are left out). */
export async function loadRepoIndexes(
  states: ReadonlyMap<string, Loaded<RepoState | undefined>>,
  names: Iterable<string>,
  loader: IndexLoader,
): Promise<Map<string, Loaded<ArchIndexes[]>>> {
  const out = new Map<string, Loaded<ArchIndexes[]>>();
  const wanted = [...new Set(names)].flatMap((name) => {
    const s = states.get(name);
    return s?.ok && s.value !== undefined ? [[name, s.value] as const] : [];
  });
  const loaded = await Promise.all(wanted.map(([, state]) => settle(loadManifestIndexes(state.manifest, loader))));
  for (const [i, [name]] of wanted.entries()) out.set(name, loaded[i]!);
  return out;
}

/** The texts of workspace files (workspace-relative paths) the planned edits may touch. */
export async function loadTexts(root: string, files: WorkspaceFiles, rels: Iterable<string>): Promise<Map<string, Loaded<string>>> {
  const unique = [...new Set(rels)];
  const loaded = await Promise.all(unique.map((rel) => settle(files.readText(posix.join(root, rel)))));
  return new Map(unique.map((rel, i) => [rel, loaded[i]!]));
}

/** The planned changes with MODULE.bazel.lock brought in step, and what it could not follow safely. */
export async function withModuleLock(
  root: string,
  files: WorkspaceFiles,
  changes: readonly FileChange[],
): Promise<{ changes: FileChange[]; notices: string[] }> {
  const moduleLock = await planModuleLockSync(root, files, changes);
  const out = [...changes];
  if (moduleLock.change !== undefined) out.push(moduleLock.change);
  return { changes: sortChanges(out), notices: moduleLock.notices.map(formatModuleLockNotice) };
}
