import { relative } from "node:path";
import { formatFinding, runCheck } from "../../app/check.js";
import { createIndexLoader } from "../../app/index-loader.js";
import { createArchiveServices } from "../../app/services.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { archiveProgress } from "../archive-progress.js";
import { writeJson, type Command } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { selectRepos } from "../workspace-context.js";

export const checkCommand: Command = {
  name: "check",
  summary: "verify manifests, locks, image lists and MODULE.bazel.lock agree (pre-commit / CI gate)",
  usage: "deb-lock check [MANIFEST.yaml ...] [--deep] [options]",
  help: `Offline and fast by default: every manifest parses and has its lock; every manifest package has a lock
entry for every arch (or the manifest declares the gap with a comment "# deb-lock: no-arch=ARCH,... why");
no stale or duplicate entries; keys, URLs and the lock's form agree with the manifest's sources and
resolve_transitive; MODULE.bazel.lock's recorded hashes of the lock files match.

Arguments narrow the check to those manifests; without any, the whole workspace is checked.

Each problem is printed on stdout as  file:line: what is wrong — how to fix it

Options:
  --deep                 also verify every locked sha256 against the verified archive index (cache
                         first, network when needed) and that every Depends/Pre-Depends of every
                         locked package is satisfied within its set (repos of one distro together)

Exit status: 0 when everything agrees, 1 when any problem is found.`,
  options: { deep: { type: "boolean" } },
  async run(ctx) {
    const { root, repos } = await selectRepos(ctx, ctx.positionals);
    const deep = ctx.values.deep === true;
    const files = nodeWorkspaceFiles();
    let result;
    if (deep) {
      const progress = archiveProgress(ctx.reporter);
      const services = createArchiveServices({ ...ctx.options, env: ctx.io.env, homeDir: ctx.io.homeDir, onHttpEvent: progress.onHttp });
      try {
        result = await runCheck({ root, repos, deep }, { files, loader: createIndexLoader(services, progress.onArchive) });
      } finally {
        await services.close();
      }
      ctx.reporter.done();
    } else {
      result = await runCheck({ root, repos }, { files });
    }
    const ok = result.findings.length === 0;
    if (ctx.options.json) {
      writeJson(ctx.io, "check", { ok, root: relative(ctx.io.cwd, root) || ".", stats: result.stats, findings: result.findings });
    } else {
      for (const f of result.findings) ctx.io.stdout.write(`${formatFinding(f)}\n`);
      const summary = `${result.stats.repos} repo(s), ${result.stats.entries} lock entries${deep ? ", deep" : ""}`;
      ctx.io.stderr.write(ok ? `deb-lock check: ok (${summary})\n` : `deb-lock check: ${result.findings.length} problem(s) (${summary})\n`);
    }
    return ok ? ExitCode.OK : ExitCode.PROBLEMS;
  },
};
