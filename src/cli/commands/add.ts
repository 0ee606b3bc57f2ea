import { relative } from "node:path";
import { type AddArchReport, type AddPlan, planAdd } from "../../app/add/add.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { applyWorkspaceChanges } from "../apply-changes.js";
import { withArchive } from "../archive-session.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { archOption, requestedPackages, targetOptions } from "../image-target.js";
import { LINKS_HELP, withImageLinks } from "../links-option.js";
import { stdoutPaint } from "../render/color.js";
import { formatChangeSetDiff, paintDiff } from "../render/diff.js";
import { selectRepos } from "../workspace-context.js";

function kib(n: number): string {
  return n >= 10240 ? `${(n / 1024).toFixed(1)} MiB` : `${n} KiB`;
}

/** The human summary of an add plan. */
export function formatAddReport(plan: AddPlan, root: string, written: boolean): string {
  const lines: string[] = [];
  for (const t of plan.targets) {
    const what = plan.image === undefined ? t.repo : `${plan.image} (${t.distro})`;
    lines.push(`${what} ← repo ${t.repo} (${t.manifestFile})`);
    for (const name of t.alreadyPresent) lines.push(`  ${name}: already listed, nothing to add`);
    for (const p of t.providedByAncestor) lines.push(`  ${p.name}: already provided by ancestor image ${p.image}, nothing to add`);
    // Archs with the very same result are printed once.
    const groups = new Map<string, AddArchReport[]>();
    for (const a of t.archs) {
      if (a.added.length === 0) continue;
      const key = JSON.stringify([a.added, a.skipped, a.installedSize]);
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    for (const archs of groups.values()) {
      const a = archs[0]!;
      lines.push(
        `  ${archs.map((x) => x.arch).join(", ")}: +${a.added.length} package${a.added.length === 1 ? "" : "s"}, +${kib(a.installedSize)} installed`,
      );
      for (const p of a.added) lines.push(`    + ${p.name} ${p.version}${p.requested ? " (requested)" : `  (${p.chain.join(" → ")})`}`);
      const fromAncestors = a.skipped.filter((s) => s.providedBy !== plan.image);
      const inImage = a.skipped.filter((s) => s.providedBy === plan.image);
      if (fromAncestors.length > 0)
        lines.push(`    skipped, an ancestor image provides them: ${fromAncestors.map((s) => `${s.name} (${s.providedBy})`).join(", ")}`);
      if (inImage.length > 0) lines.push(`    skipped, already in ${plan.image ?? t.repo}: ${inImage.map((s) => s.name).join(", ")}`);
    }
    for (const c of t.companions ?? []) {
      lines.push(
        `  ${c.arch} only (no package on the other archs), into ${c.created ? "new " : ""}companion repo ${c.repo} (${c.manifestFile}): ${c.packages.join(", ")}`,
      );
    }
  }
  if (plan.changes.length === 0) lines.push("nothing to change");
  else lines.push(`${written ? "wrote" : "would change"}: ${plan.changes.map((c) => relative(root, c.path)).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export const addCommand: Command = {
  name: "add",
  summary: "add packages (and their dependencies) to an image or manifest, its lock and its package list",
  usage: "deb-lock add PKG[=VERSION]... (--image DIR | --manifest FILE) [--distro NAME] [--arch A[,B]] [--dry-run] [options]",
  help: `Adds packages to a distroless-style image: finds the image's package list (inline deb.package(...) tars in
its BUILD file, or a config.bzl dict keyed by distro), the repo that serves it and the images it is built
on; resolves the new packages' closure for every arch of the image, treating everything the image and its
ancestors already contain as installed; then writes, in one transaction, the new packages into the
manifest (dependencies marked "# dependency of PKG"), lock entries for them (existing entries untouched:
add never upgrades) and the image's package list in its own style. MODULE.bazel.lock follows as for
\`deb-lock lock\`: recorded hashes and distroless's versions hub are updated; an entry deb-lock cannot
recompute is left as it is, with a warning naming \`bazel mod deps --lockfile_mode=update\`.

Options:
  --image DIR[:NAME]     the image's Bazel package directory (python3, cc, ...); NAME picks another
                         image declared there (base:static, java:java_base)
  --manifest FILE        a plain rules_distroless manifest instead of an image: only it and its lock change
  --distro NAME          only this distro (debian12 or bookworm); default every distro of the image
  --arch A[,B]           only these archs (Bazel or Debian names): the packages go into an arch-specific
                         companion repo per arch (<repo>_<arch>_only), referenced from the image only for
                         that arch. Without --arch, packages some of the image's archs lack go there too
  --dry-run              print a unified diff of every file that would change; write nothing
${LINKS_HELP}`,
  options: {
    image: { type: "string" },
    manifest: { type: "string" },
    distro: { type: "string" },
    arch: { type: "string" },
    "dry-run": { type: "boolean" },
    links: { type: "boolean" },
  },
  async run(ctx) {
    const packages = requestedPackages(ctx.positionals, "add");
    const { root, repos } = await selectRepos(ctx, []);
    const target = targetOptions(ctx, root);
    ctx.reporter.progress(`resolving ${packages.map((p) => p.name).join(", ")}`);
    const archs = archOption(ctx.values.arch);
    const planned = await withArchive(ctx, ({ loader }) =>
      planAdd({ root, packages, ...target, ...(archs === undefined ? {} : { archs }) }, { files: nodeWorkspaceFiles(), loader, repos }),
    );
    const plan =
      ctx.values.links === true && planned.image !== undefined
        ? { ...planned, changes: (await withImageLinks(ctx, root, repos, planned.image, target.distro, planned.changes)).changes }
        : planned;
    const dryRun = ctx.values["dry-run"] === true;
    if (!dryRun) await applyWorkspaceChanges(ctx, root, plan.changes);
    for (const warning of plan.warnings) ctx.reporter.warn(warning);
    if (ctx.options.json) {
      writeJson(ctx.io, "add", {
        ok: true,
        dryRun,
        ...(plan.image === undefined ? {} : { image: plan.image }),
        targets: plan.targets,
        files: plan.changes.map((c) => relative(root, c.path)),
      });
      return ExitCode.OK;
    }
    if (dryRun) ctx.io.stdout.write(paintDiff(formatChangeSetDiff(root, plan.changes), stdoutPaint(ctx.io, ctx.options.noColor)));
    ctx.io.stdout.write(formatAddReport(plan, root, !dryRun));
    return ExitCode.OK;
  },
};
