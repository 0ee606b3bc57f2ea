import { resolve as resolvePath } from "node:path";
import { InternalError } from "../../core/errors.js";
import type { WorkspaceFiles } from "../../io/workspace-files.js";
import type { IndexLoader } from "../indexes/index-loader.js";
import type { RepoDecl } from "../workspace/workspace.js";
import { discoverWorkspaceImages } from "../workspace/workspace-images.js";
import { type CheckFinding, sortFindings } from "./check-finding.js";
import { checkImagePackages, type ImageCheckInput, imageCheckInputs } from "./check-images.js";
import { checkModuleLock } from "./check-module-lock.js";
import { type CheckedRepo, checkRepo } from "./check-repo.js";
import { readTextIfExists } from "./read-text-if-exists.js";
import { workspaceRelative } from "./workspace-relative.js";

/**
 * `deb-lock check`: the pre-commit and CI gate. Offline checks read only workspace files; the deep
 * checks add the verified archive indexes. Every problem is a finding printed as
 * `file:line: what is wrong — how to fix it`.
 */

export interface CheckRequest {
  /** Absolute workspace root */
  readonly root: string;
  /** Repos in scope (all of the workspace, or those named on the command line) */
  readonly repos: readonly RepoDecl[];
  /** Image package lists to check against the locks (from image discovery) */
  readonly images?: readonly ImageCheckInput[];
  /** Discover every image of the workspace (when `images` is not given) */
  readonly discoverImages?: boolean;
  /** Also verify sha256s against the verified indexes and the dependency closure of every set */
  readonly deep?: boolean;
}

export interface CheckDeps {
  readonly files: WorkspaceFiles;
  /** Needed for deep checks only */
  readonly loader?: IndexLoader;
}

export interface CheckResult {
  readonly findings: readonly CheckFinding[];
  readonly stats: { readonly repos: number; readonly entries: number; readonly images: number; readonly deep: boolean };
}

/** Runs every check on the repos in scope. Findings are data; only I/O and verification failures throw. */
export async function runCheck(request: CheckRequest, deps: CheckDeps): Promise<CheckResult> {
  const { root, repos } = request;
  // Every repo's manifest and lock are read at once, so the reads overlap on the I/O threads; then one repo at a
  // time: a lock is parsed and checked before the next, which keeps memory (and garbage collection) small on
  // workspaces with many large locks. Each file is read once: the MODULE.bazel.lock check hashes the same files.
  const started = new Map<string, Promise<string | undefined>>();
  const textOf = (path: string): Promise<string | undefined> => {
    let text = started.get(path);
    if (text === undefined) {
      text = readTextIfExists(deps.files, path);
      started.set(path, text);
    }
    return text;
  };
  const reads = repos.map((decl) => ({
    decl,
    texts: Promise.all([textOf(resolvePath(root, decl.manifestPath)), textOf(resolvePath(root, decl.lockPath))]),
  }));
  // A read that fails while an earlier repo is being checked is reported when its turn comes, not as unhandled.
  for (const { texts } of reads) texts.catch(() => {});
  const checked: { decl: RepoDecl; manifestText: string; repo: CheckedRepo }[] = [];
  for (const { decl, texts } of reads) {
    const manifestFile = workspaceRelative(root, decl.manifestPath);
    const [manifestText, lockText] = await texts;
    if (manifestText === undefined) {
      const f: CheckFinding = {
        code: "MANIFEST_MISSING",
        file: decl.declaredIn.file,
        line: decl.declaredIn.line,
        message: `repo ${decl.name} names manifest ${manifestFile}, which does not exist`,
        hint: "fix the manifest label or restore the file",
      };
      checked.push({ decl, manifestText: "", repo: { name: decl.name, manifest: undefined, lock: undefined, entries: new Map(), findings: [f] } });
      continue;
    }
    const repo = await checkRepo({
      name: decl.name,
      manifestPath: manifestFile,
      manifestText,
      lockPath: workspaceRelative(root, decl.lockPath),
      lockText,
      resolveTransitive: decl.resolveTransitive,
    });
    checked.push({ decl, manifestText, repo });
  }
  const findings: CheckFinding[] = checked.flatMap((c) => c.repo.findings);
  const byName = new Map(checked.map((c) => [c.decl.name, c.repo]));
  let images = request.images ?? [];
  if (request.images === undefined && request.discoverImages) {
    const found = await discoverWorkspaceImages(root, deps.files, repos);
    findings.push(...found.findings);
    images = found.images.flatMap(imageCheckInputs);
    if (found.images.length > 0) {
      // Loaded only for a workspace with images (links layers live in their BUILD files).
      const { checkLinkLayers } = await import("./check-links.js");
      findings.push(...(await checkLinkLayers(root, found.images, deps.files)));
    }
  }
  for (const image of images) findings.push(...checkImagePackages(image, byName));
  findings.push(...(await checkModuleLock(root, repos, textOf)));
  if (request.deep) {
    if (deps.loader === undefined) throw new InternalError("NO_INDEX_LOADER", "deep check needs archive access");
    // Loaded here: an offline check does not need the resolver.
    const { checkDeep } = await import("./check-deep.js");
    findings.push(...(await checkDeep(root, checked, images, deps.loader)));
  }
  return {
    findings: sortFindings(findings),
    stats: { repos: repos.length, entries: checked.reduce((n, c) => n + c.repo.entries.size, 0), images: images.length, deep: request.deep ?? false },
  };
}
