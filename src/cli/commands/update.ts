import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { planUpdate, type UpdatePlan, updateProblemsError } from "../../app/update/update.js";
import { UsageError } from "../../core/errors.js";
import { formatPrBody } from "../../core/report/format-markdown.js";
import { formatReportTable } from "../../core/report/format-table.js";
import { isSnapshotTimestamp, parseSnapshotTimestamp } from "../../core/snapshot/timestamp.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { applyWorkspaceChanges } from "../apply-changes.js";
import { withArchive } from "../archive-session.js";
import { type Command, type CommandContext, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { withWorkspaceLinks } from "../links-option.js";
import { stdoutPaint } from "../render/color.js";
import { formatChangeSetDiff, paintDiff } from "../render/diff.js";
import { selectRepos } from "../workspace-context.js";

/** The instant commands run as: DEB_LOCK_NOW (for reproducible runs) or the system clock. */
export function clockOf(env: Readonly<Record<string, string | undefined>>): number {
  const fixed = env.DEB_LOCK_NOW;
  if (fixed === undefined || fixed === "") return Date.now();
  if (!isSnapshotTimestamp(fixed))
    throw new UsageError(`DEB_LOCK_NOW=${fixed} is not a timestamp`, { hint: "write it like 20260801T120000Z, or unset it" });
  return parseSnapshotTimestamp(fixed);
}

/** The PR body template shipped in templates/ (next to dist/ and src/ alike). */
export function readPrBodyTemplate(): string {
  return readFileSync(fileURLToPath(new URL("../../../templates/pr-body.md", import.meta.url)), "utf8");
}

/** Plans an update for `update` and `outdated`: shared options, archive services, progress. */
export async function planFromCli(ctx: CommandContext): Promise<{ root: string; plan: UpdatePlan }> {
  const snapshot = (ctx.values.snapshot as string | undefined) ?? "latest";
  if (snapshot !== "latest" && !isSnapshotTimestamp(snapshot)) {
    throw new UsageError(`--snapshot ${JSON.stringify(snapshot)} is neither "latest" nor a snapshot timestamp`, {
      hint: "write a UTC timestamp like 20240706T203757Z, or latest",
    });
  }
  const now = clockOf(ctx.io.env);
  const { root, repos } = await selectRepos(ctx, ctx.positionals);
  ctx.reporter.progress(`checking snapshots of ${repos.length} manifest(s) in ${root}`);
  const workspaceRepos = ctx.positionals.length === 0 ? repos : (await selectRepos(ctx, [])).repos;
  const plan = await withArchive(ctx, ({ loader, http }) =>
    planUpdate(
      { root, repos, workspaceRepos, snapshot, skipToday: ctx.values["include-today"] !== true, newDeps: ctx.values["no-new-deps"] !== true },
      { files: nodeWorkspaceFiles(), loader, http, now },
    ),
  );
  for (const w of plan.warnings) ctx.reporter.warn(w);
  return { root, plan };
}

export const UPDATE_OPTIONS = {
  snapshot: { type: "string" },
  "include-today": { type: "boolean" },
  "no-new-deps": { type: "boolean" },
} as const;

const UPDATE_OPTIONS_HELP = `  --snapshot latest|TIMESTAMP
                         move snapshot URLs to the latest usable run of each archive (default), or to
                         the last run at or before TIMESTAMP (YYYYMMDDTHHMMSSZ); snapshot.ubuntu.com
                         serves any instant
  --include-today        also consider runs of the current UTC day (skipped by default: their import
                         may be incomplete)
  --no-new-deps          in resolve_transitive = False repos, report dependencies the new versions
                         newly require as problems (exit 1) instead of adding them to the manifest`;

export const updateCommand: Command = {
  name: "update",
  summary: "move snapshot URLs to the latest snapshot and relock everything",
  usage: "deb-lock update [MANIFEST.yaml ...] [--snapshot latest|TIMESTAMP] [--dry-run] [--pr-body FILE] [options]",
  help: `Bumps every snapshot URL (snapshot.debian.org, snapshot-cloudflare.debian.org, snapshot.ubuntu.com) of
the manifests, keeping comments and formatting; relocks every repo (other sources as they are); in
repos declared with resolve_transitive = False, adds the dependencies new versions newly require (with
a "# dependency of ..." marker) and prunes marked ones no longer needed. Every file — manifests, locks,
MODULE.bazel.lock — is written in one transaction, or none is.

Prints a table of the changes (package, archs, old → new version, suite, dependencies).

Options:
${UPDATE_OPTIONS_HELP}
  --dry-run              compute everything, write nothing (the --pr-body file is still written);
                         print a unified diff of the manifests and image lists that would change
  --pr-body FILE         write a Markdown pull request body (templates/pr-body.md) to FILE
  --links                also bring every image's links layer (<image>_links_<arch>_<distro>, see
                         deb-lock add --help) in step with the new versions; reads the .debs of the
                         images that have one

With --json, prints {ok, dryRun, files, report}; report follows templates/update-report.schema.json.
The clock is the system's; set DEB_LOCK_NOW=YYYYMMDDTHHMMSSZ to run as of another instant.`,
  options: { ...UPDATE_OPTIONS, "dry-run": { type: "boolean" }, "pr-body": { type: "string" }, links: { type: "boolean" } },
  async run(ctx) {
    const planned = await planFromCli(ctx);
    const { root } = planned;
    const plan =
      ctx.values.links === true && planned.plan.problems.length === 0
        ? { ...planned.plan, changes: await withWorkspaceLinks(ctx, root, (await selectRepos(ctx, [])).repos, planned.plan.changes) }
        : planned.plan;
    const dryRun = ctx.values["dry-run"] === true;
    const files = plan.changes.filter((c) => c.before !== c.after).map((c) => relative(root, c.path));
    if (plan.problems.length > 0) {
      if (ctx.options.json) writeJson(ctx.io, "update", { ok: false, dryRun, files: [], report: plan.report });
      else ctx.io.stdout.write(formatReportTable(plan.report));
      throw updateProblemsError(plan.problems);
    }
    const prBody = ctx.values["pr-body"] as string | undefined;
    if (prBody !== undefined) {
      const path = isAbsolute(prBody) ? prBody : resolve(ctx.io.cwd, prBody);
      await writeFile(path, formatPrBody(plan.report, readPrBodyTemplate()));
    }
    if (!dryRun) await applyWorkspaceChanges(ctx, root, plan.changes);
    if (ctx.options.json) {
      writeJson(ctx.io, "update", { ok: true, dryRun, files, report: plan.report });
      return ExitCode.OK;
    }
    ctx.io.stdout.write(formatReportTable(plan.report));
    if (dryRun) {
      // The edits people review by eye (manifests, image lists); lock files are summarised by the table above.
      const reviewable = plan.changes.filter((c) => !c.path.endsWith(".lock.json") && !c.path.endsWith("MODULE.bazel.lock"));
      const diff = formatChangeSetDiff(root, reviewable);
      if (diff !== "") ctx.io.stdout.write(`\n${paintDiff(diff, stdoutPaint(ctx.io, ctx.options.noColor))}`);
    }
    if (files.length === 0) ctx.io.stdout.write("nothing to change\n");
    else ctx.io.stdout.write(`${dryRun ? "would write" : "wrote"} ${files.length} file(s): ${files.join(", ")}\n`);
    return ExitCode.OK;
  },
};
