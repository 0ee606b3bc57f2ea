import { planLock } from "../../app/lock/lock.js";
import { formatProblem } from "../../core/resolve/problem.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { applyWorkspaceChanges } from "../apply-changes.js";
import { withArchive } from "../archive-session.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { reportModuleLock } from "../module-lock-notice.js";
import { selectRepos } from "../workspace-context.js";

export const lockCommand: Command = {
  name: "lock",
  summary: "re-resolve manifests and rewrite their *.lock.json files",
  usage: "deb-lock lock [MANIFEST.yaml ...] [options]",
  help: `Resolves every package of each manifest (or only the manifests given) and its dependency closure from the
manifest's sources, exactly as apt would, verifies all archive data (InRelease signature, index size and
SHA256), and rewrites the lock files. Lock files are written only after every manifest resolved, each
atomically; a lock whose content is unchanged is not touched.

MODULE.bazel.lock follows the locks in the same write: the hashes Bazel recorded of them are replaced, and
the versions hub of distroless-style workspaces (//private/extensions:version.bzl%version) is recomputed.
An extension entry whose generated repositories deb-lock cannot recompute is left as it is, with a warning
naming the command that refreshes it (bazel mod deps --lockfile_mode=update).

Manifests are found from MODULE.bazel / *.MODULE.bazel apt.install(...) calls, WORKSPACE-era deb_index(...)
calls in .bzl files, or private/repos/deb/*.yaml.

Options:
  --dry-run              compute everything, write nothing; print what would change`,
  options: { "dry-run": { type: "boolean" } },
  async run(ctx) {
    const { root, repos } = await selectRepos(ctx, ctx.positionals);
    ctx.reporter.progress(`resolving ${repos.length} manifest(s) in ${root}`);
    const plan = await withArchive(ctx, ({ loader }) => planLock(root, repos, { files: nodeWorkspaceFiles(), loader }));

    if (plan.problems.length > 0) {
      for (const p of plan.problems) ctx.io.stderr.write(`${p.manifestFile}: ${formatProblem(p)}\n`);
      ctx.io.stderr.write(`deb-lock: ${plan.problems.length} problem(s); no file was written\n`);
      if (ctx.options.json) writeJson(ctx.io, "lock", { ok: false, problems: plan.problems, repos: [] });
      return ExitCode.PROBLEMS;
    }
    const dryRun = ctx.values["dry-run"] === true;
    if (!dryRun) await applyWorkspaceChanges(ctx, root, plan.changes);
    const changedFiles = new Set(plan.changes.map((c) => c.path));
    const moduleLockLine = reportModuleLock(ctx, plan.moduleLock, dryRun);

    if (ctx.options.json) {
      writeJson(ctx.io, "lock", {
        ok: true,
        dryRun,
        moduleLock: plan.moduleLock,
        repos: plan.repos.map((r) => ({
          name: r.repo.name,
          manifest: r.manifestFile,
          lock: r.lockFile,
          changed: r.before !== r.after,
          added: r.diff.added,
          removed: r.diff.removed,
          upgraded: r.diff.changed,
        })),
      });
      return ExitCode.OK;
    }
    for (const r of plan.repos) {
      const { added, removed, changed } = r.diff;
      if (r.before === r.after) {
        ctx.io.stdout.write(`${r.lockFile}: up to date\n`);
        continue;
      }
      const verb = dryRun ? "would change" : r.before === null ? "created" : "updated";
      const counts = [`${changed.length} changed version`, `${added.length} added`, `${removed.length} removed`].join(", ");
      ctx.io.stdout.write(`${r.lockFile}: ${verb} (${counts})\n`);
      for (const c of changed) ctx.io.stdout.write(`  ${c.name} [${c.arch}] ${c.from} → ${c.version}\n`);
      for (const a of added) ctx.io.stdout.write(`  + ${a.name} [${a.arch}] ${a.version}\n`);
      for (const d of removed) ctx.io.stdout.write(`  - ${d.name} [${d.arch}] ${d.version}\n`);
    }
    if (moduleLockLine !== undefined) ctx.io.stdout.write(`${moduleLockLine}\n`);
    if (changedFiles.size === 0) ctx.io.stdout.write("nothing to change\n");
    return ExitCode.OK;
  },
};
