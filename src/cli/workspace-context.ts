import { join, resolve } from "node:path";
import { discoverRepos, findWorkspaceRoot, type RepoDecl } from "../app/workspace/workspace.js";
import { UsageError } from "../core/errors.js";
import { JOURNAL_NAME } from "../io/journal-name.js";
import { nodeWorkspaceFiles } from "../io/workspace-files.js";
import type { CommandContext } from "./command.js";

/** The workspace root (from -C or by searching upwards) and its repos, narrowed to the manifests named on the command line. */
export async function selectRepos(ctx: CommandContext, manifestArgs: readonly string[]): Promise<{ root: string; repos: RepoDecl[] }> {
  const files = nodeWorkspaceFiles();
  const root = ctx.options.workspace ?? (await findWorkspaceRoot(ctx.io.cwd, files));
  await repairInterruptedWrite(ctx, root);
  const all = await discoverRepos(root, files, { onSkip: (skip) => ctx.reporter.warn(`${skip.file}:${skip.line}: ignored: ${skip.reason}`) });
  if (manifestArgs.length === 0) return { root, repos: all };
  const repos = manifestArgs.map((arg) => {
    const wanted = resolve(ctx.io.cwd, arg);
    const repo = all.find((r) => resolve(root, r.manifestPath) === wanted || r.name === arg);
    if (repo === undefined) {
      throw new UsageError(`${arg} is not a manifest of the workspace ${root}`, {
        hint: `manifests found: ${all.map((r) => r.manifestPath).join(", ") || "none"}`,
      });
    }
    return repo;
  });
  return { root, repos: [...new Set(repos)] };
}

/** Completes or rolls back a change an earlier run left half-written (killed, power loss), before anything reads the workspace. */
async function repairInterruptedWrite(ctx: CommandContext, root: string): Promise<void> {
  // Nearly every run finds no journal (nor its temporary file): the transaction code is loaded only for one.
  const journal = join(root, JOURNAL_NAME);
  const exists = nodeWorkspaceFiles().exists;
  if (!(await exists(journal)) && !(await exists(`${journal}.tmp`))) return;
  const { recoverWorkspace } = await import("../io/files.js");
  const { outcome, files } = await recoverWorkspace(root);
  if (outcome === "none") return;
  const what = outcome === "completed" ? "finished writing" : "rolled back";
  ctx.reporter.warn(`an earlier deb-lock run was interrupted while writing ${files.length} file(s); ${what} ${files.join(", ") || "nothing"}`);
}
