import { relative } from "node:path";
import { planRemove, type RemovePlan } from "../../app/remove/remove.js";
import { ProblemError } from "../../core/errors.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { applyWorkspaceChanges } from "../apply-changes.js";
import { withArchive } from "../archive-session.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { archOption, requestedPackages, targetOptions } from "../image-target.js";
import { withImageLinks } from "../links-option.js";
import { stdoutPaint } from "../render/color.js";
import { formatChangeSetDiff, paintDiff } from "../render/diff.js";
import { selectRepos } from "../workspace-context.js";

/** The human summary of a remove plan. */
export function formatRemoveReport(plan: RemovePlan, root: string, written: boolean): string {
  const lines: string[] = [];
  for (const t of plan.targets) {
    lines.push(`${plan.image === undefined ? t.repo : `${plan.image} (${t.distro})`} ← repo ${t.repo} (${t.manifestFile})`);
    for (const n of t.removed) lines.push(`  - ${n}`);
    for (const n of t.pruned) lines.push(`  - ${n}  (dependency nothing needs any more)`);
    for (const n of t.notListed) lines.push(`  ${n}: not listed, nothing to remove`);
    for (const k of t.keptInRepo) lines.push(`  ${k.name}: kept in ${t.manifestFile} and ${t.lockFile}, still listed at ${k.file}:${k.line}`);
  }
  if (plan.changes.length === 0) lines.push("nothing to change");
  else lines.push(`${written ? "wrote" : "would change"}: ${plan.changes.map((c) => relative(root, c.path)).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export const removeCommand: Command = {
  name: "remove",
  summary: "remove packages from an image or manifest, pruning dependencies nothing needs any more",
  usage: "deb-lock remove PKG... (--image DIR | --manifest FILE) [--distro NAME] [--arch A[,B]] [--dry-run] [options]",
  help: `Removes packages from a distroless-style image's package list (or from a manifest), with the
dependencies deb-lock added for them ("# dependency of ..." in the manifest) that nothing else needs any
more. Refuses, naming the dependency path, when a package that stays still needs one of them. The manifest
and lock entries go too, unless another image still lists the package. Everything is written in one
transaction; add X then remove X gives back the original files.

Options:
  --image DIR[:NAME]     the image's Bazel package directory (python3, cc, ...); NAME picks another
                         image declared there (base:static, java:java_base)
  --manifest FILE        a plain rules_distroless manifest instead of an image
  --distro NAME          only this distro (debian12 or bookworm); default every distro of the image
  --arch A[,B]           only these archs: packages listed for them alone (arch-specific companion repos);
                         an emptied companion repo goes with its declaration
  --dry-run              print a unified diff of every file that would change; write nothing
  --links                also rewrite the image's links layer (see deb-lock add --help): links no file of
                         the image needs any more go, and the layer with its last link`,
  options: {
    image: { type: "string" },
    manifest: { type: "string" },
    distro: { type: "string" },
    arch: { type: "string" },
    "dry-run": { type: "boolean" },
    links: { type: "boolean" },
  },
  async run(ctx) {
    const packages = requestedPackages(ctx.positionals, "remove").map((p) => p.name);
    const { root, repos } = await selectRepos(ctx, []);
    const target = targetOptions(ctx, root);
    const archs = archOption(ctx.values.arch);
    const planned = await withArchive(ctx, ({ loader }) =>
      planRemove({ root, packages, ...target, ...(archs === undefined ? {} : { archs }) }, { files: nodeWorkspaceFiles(), loader, repos }),
    );
    // A package no target lists is a typo or a wrong image: say so and write nothing, rather than "nothing to do".
    const nowhere = packages.filter((name) => planned.targets.every((t) => t.notListed.includes(name)));
    if (nowhere.length > 0) {
      const where = planned.image === undefined ? planned.targets.map((t) => t.manifestFile).join(", ") : `image ${planned.image}`;
      throw new ProblemError(
        "REMOVE_NOT_LISTED",
        `${nowhere.join(", ")} ${nowhere.length === 1 ? "is" : "are"} not listed in ${where}; nothing was written`,
        {
          hint: "check the spelling and the --image/--manifest; `deb-lock why PKG --image DIR` shows how a package that is installed gets there",
        },
      );
    }
    const plan =
      ctx.values.links === true && planned.image !== undefined
        ? { ...planned, changes: (await withImageLinks(ctx, root, repos, planned.image, target.distro, planned.changes)).changes }
        : planned;
    const dryRun = ctx.values["dry-run"] === true;
    if (!dryRun) await applyWorkspaceChanges(ctx, root, plan.changes);
    for (const warning of plan.warnings) ctx.reporter.warn(warning);
    if (ctx.options.json) {
      writeJson(ctx.io, "remove", {
        ok: true,
        dryRun,
        ...(plan.image === undefined ? {} : { image: plan.image }),
        targets: plan.targets,
        files: plan.changes.map((c) => relative(root, c.path)),
      });
      return ExitCode.OK;
    }
    if (dryRun) ctx.io.stdout.write(paintDiff(formatChangeSetDiff(root, plan.changes), stdoutPaint(ctx.io, ctx.options.noColor)));
    ctx.io.stdout.write(formatRemoveReport(plan, root, !dryRun));
    return ExitCode.OK;
  },
};
