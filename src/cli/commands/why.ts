import { explainWhy, type WhyReport } from "../../app/why/why.js";
import { UsageError } from "../../core/errors.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { withArchive } from "../archive-session.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { targetOptions } from "../image-target.js";
import { selectRepos } from "../workspace-context.js";

/** The human form of a why report. */
export function formatWhyReport(report: WhyReport): string {
  const lines: string[] = [];
  for (const d of report.distros) {
    lines.push(`${report.package} in ${report.image === undefined ? d.repo : `${report.image} (${d.distro})`}:`);
    for (const a of d.archs) {
      if (!a.present) {
        lines.push(
          `  ${a.arch}: not in the image${a.available === undefined ? "; no such package in the sources" : `; the sources offer ${a.available}`}`,
        );
        continue;
      }
      const from = a.providedByAncestor !== undefined ? `provided by ancestor image ${a.providedByAncestor}` : `listed by ${a.listedBy}`;
      const repo = a.repo === undefined ? "" : ` (repo ${a.repo})`;
      lines.push(
        `  ${a.arch}: ${a.version}${a.suite === undefined ? "" : ` from ${a.suite}`}, ${from}${repo}${a.marker === undefined ? "" : ` (${a.marker})`}`,
      );
      for (const p of a.paths) lines.push(`    ${p.join(" → ")}`);
      if (a.paths.length === 0) lines.push("    listed for its own sake: no other package of the image depends on it");
    }
  }
  return `${lines.join("\n")}\n`;
}

export const whyCommand: Command = {
  name: "why",
  summary: "show why a package is in an image: dependency paths, locked version per arch, source suite",
  usage: "deb-lock why PKG (--image DIR | --manifest FILE) [--distro NAME] [--arch ARCH] [options]",
  help: `Explains why a package is in an image: the dependency paths that bring it in (from the packages the
image and its ancestors list for their own sake), the version locked for each arch, the suite it comes
from, and which ancestor image already provides it if one does.

Options:
  --image DIR[:NAME]     the image's Bazel package directory (python3, cc, ...); NAME picks another
                         image declared there (base:static, java:java_base)
  --manifest FILE        a plain rules_distroless manifest instead of an image
  --distro NAME          only this distro (debian12 or bookworm)
  --arch ARCH            only this arch (Bazel or Debian name: arm or armhf)`,
  options: { image: { type: "string" }, manifest: { type: "string" }, distro: { type: "string" }, arch: { type: "string" } },
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError("why takes exactly one package", { hint: "deb-lock why PKG --image DIR" });
    const { root, repos } = await selectRepos(ctx, []);
    const target = targetOptions(ctx, root);
    const arch = ctx.values.arch as string | undefined;
    const report = await withArchive(ctx, ({ loader }) =>
      explainWhy(
        { root, package: ctx.positionals[0]!, ...target, ...(arch === undefined ? {} : { arch }) },
        { files: nodeWorkspaceFiles(), loader, repos },
      ),
    );
    if (ctx.options.json) writeJson(ctx.io, "why", { ok: true, ...report });
    else ctx.io.stdout.write(formatWhyReport(report));
    return ExitCode.OK;
  },
};
