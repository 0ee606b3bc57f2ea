import { relative, resolve } from "node:path";
import { type CheckRequest, runCheck } from "../../app/check/check.js";
import { applyBaseline, DEFAULT_BASELINE, formatBaseline, parseBaseline } from "../../app/check/check-baseline.js";
import { type ImageCheckInput, imageCheckInputs } from "../../app/check/check-images.js";
import { readTextIfExists } from "../../app/check/read-text-if-exists.js";
import type { RepoDecl } from "../../app/workspace/workspace.js";
import { UsageError } from "../../core/errors.js";
import { nodeWorkspaceFiles, type WorkspaceFiles } from "../../io/workspace-files.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { workspaceImageArg } from "../image-target.js";
import { stdoutPaint } from "../render/color.js";
import { paintFinding } from "../render/finding.js";
import { selectRepos } from "../workspace-context.js";

export const checkCommand: Command = {
  name: "check",
  summary: "verify manifests, locks, image lists and MODULE.bazel.lock agree (pre-commit / CI gate)",
  usage: "deb-lock check [MANIFEST.yaml ...] [--image DIR ...] [--deep] [options]",
  help: `Offline and fast by default: every manifest parses and has its lock; every manifest package has a lock
entry for every arch (or the manifest declares the gap with a comment "# deb-lock: no-arch=ARCH,... why");
no stale or duplicate entries; keys, URLs and the lock's form agree with the manifest's sources and
resolve_transitive; every package an image list references (distroless layouts: deb.package(...) in
BUILD files or config.bzl dicts) has an entry in the right lock for every arch the image builds;
MODULE.bazel.lock's recorded hashes of the lock files match.

Arguments narrow the check to those manifests (and --image to those images); without any, the whole
workspace is checked, every image included.

Each problem is printed on stdout as  file:line: what is wrong — how to fix it

Options:
  --image DIR            check this image's package lists (its Bazel package directory, e.g. python3;
                         repeatable)
  --deep                 also verify every locked sha256 against the verified archive index (cache
                         first, network when needed) and that every Depends/Pre-Depends of every
                         locked package is satisfied within each image and its base images (without
                         image lists: within the locks of one distro). A dependency left out on purpose
                         is declared on the package's manifest line:
                           - tzdata # deb-lock: without=debconf,debconf-2.0 no maintainer scripts run
  --write-baseline       record every finding of this check as accepted (in --baseline FILE, default
                         ${DEFAULT_BASELINE} at the workspace root) and exit 0; checks the whole workspace
  --baseline FILE        the baseline to read or write. When it exists (the default file too), findings
                         it records are counted but not printed and do not fail the check: only new ones do.
                         A finding is known when its code, file and subject match (not its line or versions).

Exit status: 0 when everything agrees (or every finding is in the baseline), 1 when a problem is found.`,
  options: {
    deep: { type: "boolean" },
    image: { type: "string", multiple: true },
    baseline: { type: "string" },
    "write-baseline": { type: "boolean" },
  },
  async run(ctx) {
    const imageDirs = (ctx.values.image as string[] | undefined) ?? [];
    const writeBaseline = ctx.values["write-baseline"] === true;
    if (writeBaseline && (imageDirs.length > 0 || ctx.positionals.length > 0)) {
      throw new UsageError("--write-baseline records the findings of the whole workspace", { hint: "run it without MANIFEST and --image arguments" });
    }
    const files = nodeWorkspaceFiles();
    const selected = await selectRepos(ctx, ctx.positionals);
    const { root } = selected;
    // Images read their ancestors' locks too: with --image, every repo takes part.
    const repos = imageDirs.length > 0 ? (await selectRepos(ctx, [])).repos : selected.repos;
    const deep = ctx.values.deep === true;
    const request: CheckRequest = {
      root,
      repos,
      deep,
      ...(imageDirs.length > 0
        ? {
            images: await namedImageInputs(ctx.io.cwd, root, imageDirs, files, repos),
          }
        : { discoverImages: ctx.positionals.length === 0 }),
    };
    // Offline checks never load the archive layer (nor its keys), nor open a connection.
    const result = deep
      ? await (await import("../archive-session.js")).withArchive(ctx, ({ loader }) => runCheck(request, { files, loader }))
      : await runCheck(request, { files });
    const summary = `${result.stats.repos} repo(s), ${result.stats.entries} lock entries, ${result.stats.images} image list(s)${deep ? ", deep" : ""}`;
    const explicit = ctx.values.baseline as string | undefined;
    const baselinePath = explicit === undefined ? resolve(root, DEFAULT_BASELINE) : resolve(ctx.io.cwd, explicit);
    const shown = relative(ctx.io.cwd, baselinePath) || baselinePath;
    const existing = await readTextIfExists(files, baselinePath);

    if (writeBaseline) {
      const { applyChangeSet } = await import("../../io/files.js");
      await applyChangeSet([{ path: baselinePath, before: existing ?? null, after: formatBaseline(result.findings) }]);
      if (ctx.options.json) writeJson(ctx.io, "check", { ok: true, baseline: shown, written: true, stats: result.stats, findings: result.findings });
      else ctx.io.stderr.write(`deb-lock check: recorded ${result.findings.length} finding(s) in ${shown} (${summary})\n`);
      return ExitCode.OK;
    }
    if (explicit !== undefined && existing === undefined) {
      throw new UsageError(`baseline ${shown} does not exist`, { hint: "write it with `deb-lock check --deep --write-baseline --baseline FILE`" });
    }
    const { fresh, known, gone } =
      existing === undefined ? { fresh: [...result.findings], known: [], gone: [] } : applyBaseline(result.findings, parseBaseline(existing, shown));
    const ok = fresh.length === 0;
    if (ctx.options.json) {
      writeJson(ctx.io, "check", {
        ok,
        root: relative(ctx.io.cwd, root) || ".",
        stats: result.stats,
        findings: fresh,
        ...(existing === undefined ? {} : { baseline: shown, known, gone }),
      });
    } else {
      const paint = stdoutPaint(ctx.io, ctx.options.noColor);
      for (const f of fresh) ctx.io.stdout.write(`${paintFinding(f, paint)}\n`);
      const accepted = existing === undefined ? "" : `; ${known.length} known in ${shown}`;
      ctx.io.stderr.write(
        ok
          ? `deb-lock check: ok (${summary}${accepted})\n`
          : `deb-lock check: ${fresh.length} ${existing === undefined ? "" : "new "}problem(s) (${summary}${accepted})\n`,
      );
      // Entries a narrowed or offline check cannot see again are not "gone".
      if (gone.length > 0 && deep && imageDirs.length === 0 && ctx.positionals.length === 0) {
        ctx.io.stderr.write(`deb-lock check: ${gone.length} finding(s) of ${shown} no longer occur; run with --write-baseline to drop them\n`);
      }
    }
    return ok ? ExitCode.OK : ExitCode.PROBLEMS;
  },
};

/** The package lists of the images named with --image; the image interpreter is loaded only then. */
async function namedImageInputs(
  cwd: string,
  root: string,
  dirs: readonly string[],
  files: WorkspaceFiles,
  repos: readonly RepoDecl[],
): Promise<ImageCheckInput[]> {
  const { discoverImage } = await import("../../app/workspace/images.js");
  const infos = await Promise.all(dirs.map((dir) => discoverImage(root, workspaceImageArg(cwd, root, dir), files, repos)));
  return infos.flatMap(imageCheckInputs);
}
