import { resolve as resolvePath } from "node:path";
import { ParseError } from "../../core/errors.js";
import type { RecordedFileInput } from "../changes/module-lock.js";
import type { RepoDecl } from "../workspace/workspace.js";
import type { CheckFinding } from "./check-finding.js";
import { LineIndex } from "./line-index.js";
import { workspaceRelative } from "./workspace-relative.js";

/**
 * MODULE.bazel.lock: every recorded hash of a file of the checked repos matches the file. `textOf` gives a
 * workspace file's text by absolute path, undefined when it does not exist.
 */
export async function checkModuleLock(
  root: string,
  repos: readonly RepoDecl[],
  textOf: (path: string) => Promise<string | undefined>,
): Promise<CheckFinding[]> {
  const text = await textOf(resolvePath(root, "MODULE.bazel.lock"));
  if (text === undefined) return [];
  // Loaded only for a workspace that has a MODULE.bazel.lock (with node:crypto, for the hashes).
  const { fileHash, listRecordedFileInputs } = await import("../changes/module-lock.js");
  const ours = new Set(repos.flatMap((r) => [workspaceRelative(root, r.lockPath), workspaceRelative(root, r.manifestPath)]));
  let inputs: RecordedFileInput[];
  try {
    inputs = listRecordedFileInputs(text, "MODULE.bazel.lock");
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return [
      {
        code: "MODULE_LOCK_INVALID",
        file: "MODULE.bazel.lock",
        ...(error.line === undefined ? {} : { line: error.line }),
        message: error.message,
        hint: "restore MODULE.bazel.lock from version control or let Bazel rewrite it",
      },
    ];
  }
  const lines = new LineIndex(text);
  const findings: CheckFinding[] = [];
  for (const input of inputs) {
    if (input.path === undefined || !ours.has(input.path)) continue;
    const content = await textOf(resolvePath(root, input.path));
    const actual = content === undefined ? undefined : fileHash(content);
    if (actual === input.hash) continue;
    findings.push({
      code: "MODULE_LOCK_HASH_MISMATCH",
      file: "MODULE.bazel.lock",
      line: lines.lineOf(input.span.start),
      message:
        actual === undefined
          ? `records a hash of ${input.path} for ${input.extension}, but the file does not exist`
          : `records sha256 ${input.hash.slice(0, 12)}… of ${input.path} for ${input.extension}, but the file's sha256 is ${actual.slice(0, 12)}…`,
      hint: "run `deb-lock lock` (it updates MODULE.bazel.lock with the locks) or `bazel mod deps --lockfile_mode=update`",
    });
  }
  return findings;
}
