import { createIndexLoader } from "../../app/indexes/index-loader.js";
import { createArchiveServices } from "../../app/indexes/services.js";
import { type ReportedFinding, type VerifyReport, verify } from "../../app/verify/verify.js";
import { UsageError } from "../../core/errors.js";
import { nodeRootRunner } from "../../io/rootfs-run.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { archiveProgress } from "../archive-session.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { targetOptions } from "../image-target.js";
import { selectRepos } from "../workspace-context.js";

/** Splits `--run "CMD ARG..."` into words: whitespace separates, single and double quotes group. */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: string | undefined;
  for (const c of text) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new UsageError(`--run: unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (inWord) out.push(cur);
  return out;
}

/** `[#######.............]` */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

function subject(f: ReportedFinding): string {
  switch (f.code) {
    case "LINK_NEEDED":
      return `${f.needs} resolves only through ${f.link.link}, a link no build step makes`;
    case "LIBRARY_MISSING":
      return `${f.soname} not found`;
    case "INTERPRETER_MISSING":
      return `program interpreter ${f.interpreter} not found`;
    case "ELF_UNREADABLE":
      return `unreadable ELF file (${f.problem})`;
  }
}

/** The human form: per target, findings grouped by what is missing, each with its files and the fix. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  for (const t of report.targets) {
    const errors = t.findings.filter((f) => f.scope === "startup");
    const warnings = t.findings.filter((f) => f.scope !== "startup");
    const counts = [
      errors.length > 0 ? `${errors.length} finding${errors.length === 1 ? "" : "s"}` : "ok",
      ...(warnings.length > 0 ? [`${warnings.length} in modules loaded on demand`] : []),
    ];
    lines.push(`${t.label}: ${t.packages} packages, ${t.objects} dynamically linked ELF files checked — ${counts.join(", ")}`);
    const render = (list: readonly ReportedFinding[], indent: string): void => {
      const groups = new Map<string, ReportedFinding[]>();
      for (const f of list) {
        const key = `${f.code}\0${subject(f)}\0${f.fix}`;
        groups.set(key, [...(groups.get(key) ?? []), f]);
      }
      for (const fs of groups.values()) {
        const f = fs[0]!;
        lines.push(`${indent}${f.code}: ${subject(f)}`);
        for (const g of fs.slice(0, 3)) lines.push(`${indent}  needed by ${g.file} (${g.pkg})`);
        if (fs.length > 3) lines.push(`${indent}  ... and ${fs.length - 3} more files`);
        if (f.code === "LIBRARY_MISSING" && f.searched.length > 0) lines.push(`${indent}  searched: ${f.searched.join(", ")}`);
        lines.push(`${indent}  fix: ${f.fix}`);
      }
    };
    render(errors, "  ");
    if (t.providerLookupError !== undefined) lines.push(`  (packages providing missing libraries not looked up: ${t.providerLookupError})`);
    if (warnings.length > 0) {
      lines.push("  warnings: shared objects off the loader's path that nothing links to (plugins, extensions) fail only when loaded:");
      render(warnings, "    ");
    }
    if (t.run !== undefined) {
      const cmd = t.run.argv.join(" ");
      if (t.run.unavailable !== undefined) {
        lines.push(`  run ${cmd}: cannot run here: ${t.run.unavailable.reason}`);
        lines.push(`    to run it: ${t.run.unavailable.install}`);
      } else if (t.run.result !== undefined) {
        const r = t.run.result;
        lines.push(
          `  run ${cmd} (${r.method}${r.emulator === undefined ? "" : `, ${r.emulator.replace(/^\/\.deb-lock-/, "")}`}): ${r.exitCode === null ? `killed by ${r.signal}` : `exit ${r.exitCode}`}`,
        );
        for (const l of `${r.stdout}${r.stderr}`.trimEnd().split("\n")) if (l !== "") lines.push(`    | ${l}`);
      }
    }
  }
  const findings = report.targets.reduce((n, t) => n + t.findings.filter((f) => f.scope === "startup").length, 0);
  lines.push(
    report.ok
      ? "verify: ok"
      : `verify: ${findings} finding${findings === 1 ? "" : "s"}${report.targets.some((t) => t.run !== undefined && t.run.result?.exitCode !== 0) ? ", and a --run that did not exit 0" : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

export const verifyCommand: Command = {
  name: "verify",
  summary: "prove an image starts: fetch its .debs, assemble its root filesystem, check every ELF file's libraries",
  usage: 'deb-lock verify (--image DIR | --manifest FILE) [--distro NAME] [--arch ARCH] [--run "CMD ARG..."] [options]',
  help: `Fetches every .deb of the image and its base images (checked against the lock's SHA-256, cached by it),
assembles the root filesystem the way rules_distroless builds it (each package's data archive in image order,
no maintainer scripts run), and checks every dynamically linked ELF executable and library: its program
interpreter exists, and each DT_NEEDED library resolves through the loader's search (RPATH/RUNPATH with
$ORIGIN, ld.so.cache when the image ships one, the default multiarch directories) to a file of the same
ELF class and machine. Links that only maintainer scripts make (update-alternatives --install, ln -s)
and that a file needs are reported with the link to add. Exit 1 on findings, 0 when clean.

Options:
  --image DIR[:NAME]     the image's Bazel package directory (python3, cc, ...)
  --manifest FILE        a plain rules_distroless manifest: every package of its lock
  --distro NAME          only this distro (debian12 or bookworm)
  --arch ARCH            only this arch (Bazel or Debian name)
  --run "CMD ARG..."     also run the command inside the assembled root filesystem (chroot as root, else an
                         unprivileged user namespace; a foreign arch through qemu-user-static, copied into
                         the root); prints its exit code and output; exit 1 unless it exits 0`,
  options: { image: { type: "string" }, manifest: { type: "string" }, distro: { type: "string" }, arch: { type: "string" }, run: { type: "string" } },
  async run(ctx) {
    if (ctx.positionals.length > 0)
      throw new UsageError(`verify takes no positional arguments (got ${ctx.positionals.join(" ")})`, { hint: "deb-lock verify --image DIR" });
    const { root, repos } = await selectRepos(ctx, []);
    const target = targetOptions(ctx, root);
    const arch = ctx.values.arch as string | undefined;
    const runText = ctx.values.run as string | undefined;
    const run = runText === undefined ? undefined : splitCommand(runText);
    if (run !== undefined && run.length === 0) throw new UsageError("--run needs a command", { hint: '--run "/usr/bin/python3 --version"' });
    const progress = archiveProgress(ctx.reporter);
    const services = createArchiveServices({
      ...ctx.options,
      env: ctx.io.env,
      homeDir: ctx.io.homeDir,
      onHttpEvent: (e) => {
        if (e.type === "retry") progress.onHttp(e);
      },
    });
    let report: VerifyReport;
    try {
      report = await verify(
        { root, ...target, ...(arch === undefined ? {} : { arch }), ...(run === undefined ? {} : { run }) },
        {
          files: nodeWorkspaceFiles(),
          repos,
          debs: { http: services.http, cache: services.cache, offline: services.offline },
          loader: createIndexLoader(services, progress.onArchive),
          runner: nodeRootRunner(ctx.io.env),
          onEvent: (e) => {
            if (e.type === "deb")
              ctx.reporter.progress(
                `${progressBar(e.done, e.total)} .debs ${e.done}/${e.total}${e.downloadedBytes > 0 ? ` (${(e.downloadedBytes / 1e6).toFixed(1)} MB downloaded)` : ""}: ${e.name}`,
              );
            else if (e.type === "target") ctx.reporter.progress(`checking ${e.label} (${e.packages} packages)`);
            else ctx.reporter.progress(`running ${e.argv.join(" ")} in ${e.label}`);
          },
        },
      );
    } finally {
      await services.close();
      ctx.reporter.done();
    }
    if (ctx.options.json) writeJson(ctx.io, "verify", { ...report });
    else ctx.io.stdout.write(formatVerifyReport(report));
    return report.ok ? ExitCode.OK : ExitCode.PROBLEMS;
  },
};
