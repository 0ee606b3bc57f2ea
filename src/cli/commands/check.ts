import { relative, resolve } from "node:path";
import { runCheck, type CheckRequest } from "../../app/check.js";
import { imageCheckInputs } from "../../app/check-images.js";
import { discoverImage } from "../../app/images.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { withArchive } from "../archive-session.js";
import { writeJson, type Command } from "../command.js";
import { ExitCode } from "../exit-codes.js";
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

Exit status: 0 when everything agrees, 1 when any problem is found.`,
  options: { deep: { type: "boolean" }, image: { type: "string", multiple: true } },
  async run(ctx) {
    const imageDirs = (ctx.values.image as string[] | undefined) ?? [];
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
        ? { images: (await Promise.all(imageDirs.map((dir) => discoverImage(root, relative(root, resolve(ctx.io.cwd, dir)), files, repos)))).flatMap(imageCheckInputs) }
        : { discoverImages: ctx.positionals.length === 0 }),
    };
    // Offline checks never load the archive layer's keys or open a connection.
    const result = deep ? await withArchive(ctx, ({ loader }) => runCheck(request, { files, loader })) : await runCheck(request, { files });
    const ok = result.findings.length === 0;
    if (ctx.options.json) {
      writeJson(ctx.io, "check", { ok, root: relative(ctx.io.cwd, root) || ".", stats: result.stats, findings: result.findings });
    } else {
      const paint = stdoutPaint(ctx.io, ctx.options.noColor);
      for (const f of result.findings) ctx.io.stdout.write(`${paintFinding(f, paint)}\n`);
      const summary = `${result.stats.repos} repo(s), ${result.stats.entries} lock entries, ${result.stats.images} image list(s)${deep ? ", deep" : ""}`;
      ctx.io.stderr.write(ok ? `deb-lock check: ok (${summary})\n` : `deb-lock check: ${result.findings.length} problem(s) (${summary})\n`);
    }
    return ok ? ExitCode.OK : ExitCode.PROBLEMS;
  },
};
