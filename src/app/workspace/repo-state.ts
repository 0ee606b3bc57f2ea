import { posix } from "node:path";
import { ProblemError } from "../../core/errors.js";
import { type ParsedLock, parseLock } from "../../core/lock/index.js";
import { type Manifest, parseManifest } from "../../edit/manifest.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import { lockShowsKeyStyle, workspaceKeyStyle } from "./key-style.js";
import type { RepoDecl } from "./workspace.js";

/** A repo's manifest and lock, as text and parsed: what add, remove and why start from. */
export interface RepoState {
  readonly repo: RepoDecl;
  readonly manifestPath: string;
  readonly lockPath: string;
  readonly manifestText: string;
  readonly manifest: Manifest;
  readonly lockText: string;
  readonly lock: ParsedLock;
}

/** Reads a repo's manifest and lock. Throws ProblemError LOCK_MISSING when the lock does not exist yet. */
export async function readRepo(root: string, repo: RepoDecl, files: WorkspaceFiles): Promise<RepoState> {
  const manifestText = await files.readText(posix.join(root, repo.manifestPath));
  const manifest = parseManifest(manifestText, repo.manifestPath);
  const lockAbs = posix.join(root, repo.lockPath);
  if (!(await files.exists(lockAbs))) {
    throw new ProblemError("LOCK_MISSING", `${repo.lockPath}: the lock of repo ${repo.name} does not exist`, {
      hint: `create it first with \`deb-lock lock ${repo.manifestPath}\``,
    });
  }
  const lockText = await files.readText(lockAbs);
  const parsed = parseLock(lockText, repo.lockPath);
  // New entries get the key style of the workspace when the lock's own keys do not show one (no `~` version yet).
  const lock = lockShowsKeyStyle(parsed) ? parsed : { ...parsed, keyStyle: (await workspaceKeyStyle(root, files)) ?? parsed.keyStyle };
  return { repo, manifestPath: repo.manifestPath, lockPath: repo.lockPath, manifestText, manifest, lockText, lock };
}

/** name → locked version for one arch. */
export function lockedVersions(state: RepoState, arch: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of state.lock.lock.packages) if (p.arch === arch) out.set(p.name, p.version);
  return out;
}

/** A repo's manifest and lock as the change set has them so far (several targets may edit one repo). */
export function currentState(cs: { readonly edits: ReadonlyMap<string, { readonly text: string }> }, state: RepoState): RepoState {
  const manifestText = cs.edits.get(state.manifestPath)?.text ?? state.manifestText;
  const lockText = cs.edits.get(state.lockPath)?.text ?? state.lockText;
  if (manifestText === state.manifestText && lockText === state.lockText) return state;
  const parsed = parseLock(lockText, state.lockPath);
  const lock = lockShowsKeyStyle(parsed) ? parsed : { ...parsed, keyStyle: state.lock.keyStyle };
  return { ...state, manifestText, manifest: parseManifest(manifestText, state.manifestPath), lockText, lock };
}

/** The states of the repos one command touches, each read once, on first use. */
export class RepoStates {
  /** The states read so far, by repo name. */
  readonly states = new Map<string, RepoState>();

  constructor(
    private readonly root: string,
    private readonly repos: readonly RepoDecl[],
    private readonly files: WorkspaceFiles,
  ) {}

  /** The state of a repo the workspace declares; undefined for a name it does not declare. */
  async read(name: string): Promise<RepoState | undefined> {
    if (!this.states.has(name)) {
      const repo = this.repos.find((r) => r.name === name);
      if (repo === undefined) return undefined;
      this.states.set(name, await readRepo(this.root, repo, this.files));
    }
    return this.states.get(name);
  }
}
