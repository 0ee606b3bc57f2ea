import { relative } from "node:path";
import { type AddArchReport, planAdd, type AddPlan, type RequestedPackage } from "../../app/add.js";
import { createIndexLoader } from "../../app/index-loader.js";
import { createArchiveServices } from "../../app/services.js";
import { discoverRepos, findWorkspaceRoot, type RepoDecl } from "../../app/workspace.js";
import { UsageError } from "../../core/errors.js";
import { parsePackageSpec } from "../../edit/manifest.js";
import { applyChangeSet, type FileChange } from "../../io/files.js";
import { nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { archiveProgress } from "../archive-progress.js";
import { writeJson, type Command, type CommandContext } from "../command.js";
import { ExitCode } from "../exit-codes.js";

/**
 * A unified diff (`diff -u` style, 3 lines of context) of one file's change, with `a/` and `b/` paths.
 * Empty when nothing changed. Lines are compared whole; a missing final newline is marked like diff does.
 */
export function formatUnifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  if (before === after) return "";
  const split = (t: string | null): string[] => {
    if (t === null || t === "") return [];
    const lines = t.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    else lines[lines.length - 1] += "\n\\ No newline at end of file";
    return lines;
  };
  const a = split(before);
  const b = split(after);
  // Trim the common head and tail, then an LCS over the (small) middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  type Op = { kind: " " | "-" | "+"; line: string };
  const ops: Op[] = a.slice(0, head).map((line) => ({ kind: " ", line }));
  if (am.length * bm.length <= 4_000_000) {
    const n = am.length;
    const m = bm.length;
    const lcs = new Array<Uint32Array>(n + 1);
    for (let i = 0; i <= n; i++) lcs[i] = new Uint32Array(m + 1);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: " ", line: am[i]! });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: "-", line: am[i++]! });
      else ops.push({ kind: "+", line: bm[j++]! });
    }
  } else {
    for (const line of am) ops.push({ kind: "-", line });
    for (const line of bm) ops.push({ kind: "+", line });
  }
  for (const line of a.slice(a.length - tail)) ops.push({ kind: " ", line });

  const out = [`--- ${before === null ? "/dev/null" : `a/${path}`}`, `+++ ${after === null ? "/dev/null" : `b/${path}`}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === " ") {
      k++;
      continue;
    }
    // A hunk: from `context` lines before the change to `context` lines after the last change within reach.
    const start = Math.max(0, k - context);
    let end = k;
    let lastChange = k;
    while (end < ops.length && end - lastChange <= 2 * context) {
      if (ops[end]!.kind !== " ") lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const slice = ops.slice(start, end);
    const aStart = ops.slice(0, start).filter((o) => o.kind !== "+").length;
    const bStart = ops.slice(0, start).filter((o) => o.kind !== "-").length;
    const aLen = slice.filter((o) => o.kind !== "+").length;
    const bLen = slice.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
    k = end;
  }
  return `${out.join("\n")}\n`;
}

/** Every change of a change set as one unified diff, paths relative to the workspace root. */
export function formatChangeSetDiff(root: string, changes: readonly FileChange[]): string {
  return changes.map((c) => formatUnifiedDiff(relative(root, c.path).split("\\").join("/"), c.before, c.after)).join("");
}

/** The workspace root and its repos, for the add / remove / why commands. */
export async function workspaceOf(ctx: CommandContext): Promise<{ root: string; repos: RepoDecl[] }> {
  const files = nodeWorkspaceFiles();
  const root = ctx.options.workspace ?? (await findWorkspaceRoot(ctx.io.cwd, files));
  return { root, repos: await discoverRepos(root, files) };
}

/** `--image` (relative to the current directory when it names an existing directory there) or `--manifest`. */
export function targetOptions(ctx: CommandContext, root: string): { image?: string; manifest?: string; distro?: string } {
  const image = ctx.values.image as string | undefined;
  const manifest = ctx.values.manifest as string | undefined;
  const distro = ctx.values.distro as string | undefined;
  if ((image === undefined) === (manifest === undefined)) {
    throw new UsageError("give exactly one of --image DIR and --manifest FILE", { hint: "--image python3 for a distroless image, --manifest private/repos/deb/x.yaml for a plain rules_distroless repo" });
  }
  const relToRoot = (p: string): string => {
    const abs = p.startsWith("/") ? p : `${ctx.io.cwd}/${p}`;
    const rel = relative(root, abs).split("\\").join("/");
    return rel.startsWith("..") ? p : rel === "" ? "." : rel;
  };
  return {
    ...(image === undefined ? {} : { image: relToRoot(image) }),
    ...(manifest === undefined ? {} : { manifest: relToRoot(manifest) }),
    ...(distro === undefined ? {} : { distro }),
  };
}

export function requestedPackages(positionals: readonly string[], verb: string): RequestedPackage[] {
  if (positionals.length === 0) throw new UsageError(`${verb} needs at least one package`, { hint: `deb-lock ${verb} PKG... --image DIR` });
  return positionals.map((spec) => {
    const parsed = parsePackageSpec(spec);
    if ("error" in parsed) throw new UsageError(parsed.error, { hint: "write PKG or PKG=VERSION" });
    return parsed.constraint === undefined ? { name: parsed.name } : { name: parsed.name, constraint: parsed.constraint };
  });
}

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
      lines.push(`  ${archs.map((x) => x.arch).join(", ")}: +${a.added.length} package${a.added.length === 1 ? "" : "s"}, +${kib(a.installedSize)} installed`);
      for (const p of a.added) lines.push(`    + ${p.name} ${p.version}${p.requested ? " (requested)" : `  (${p.chain.join(" → ")})`}`);
      const fromAncestors = a.skipped.filter((s) => s.providedBy !== plan.image);
      const inImage = a.skipped.filter((s) => s.providedBy === plan.image);
      if (fromAncestors.length > 0) lines.push(`    skipped, an ancestor image provides them: ${fromAncestors.map((s) => `${s.name} (${s.providedBy})`).join(", ")}`);
      if (inImage.length > 0) lines.push(`    skipped, already in ${plan.image ?? t.repo}: ${inImage.map((s) => s.name).join(", ")}`);
    }
  }
  if (plan.changes.length === 0) lines.push("nothing to change");
  else lines.push(`${written ? "wrote" : "would change"}: ${plan.changes.map((c) => relative(root, c.path)).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export const addCommand: Command = {
  name: "add",
  summary: "add packages (and their dependencies) to an image or manifest, its lock and its package list",
  usage: "deb-lock add PKG[=VERSION]... (--image DIR | --manifest FILE) [--distro NAME] [--dry-run] [options]",
  help: `Adds packages to a distroless-style image: finds the image's package list (inline deb.package(...) tars in
its BUILD file, or a config.bzl dict keyed by distro), the repo that serves it and the images it is built
on; resolves the new packages' closure for every arch of the image, treating everything the image and its
ancestors already contain as installed; then writes, in one transaction, the new packages into the
manifest (dependencies marked "# dependency of PKG"), lock entries for them (existing entries untouched:
add never upgrades) and the image's package list in its own style. MODULE.bazel.lock's recorded hashes
of changed files are brought up to date.

Options:
  --image DIR[:NAME]     the image's Bazel package directory (python3, cc, ...); NAME picks another
                         image declared there (base:static, java:java_base)
  --manifest FILE        a plain rules_distroless manifest instead of an image: only it and its lock change
  --distro NAME          only this distro (debian12 or bookworm); default every distro of the image
  --dry-run              print a unified diff of every file that would change; write nothing`,
  options: { image: { type: "string" }, manifest: { type: "string" }, distro: { type: "string" }, "dry-run": { type: "boolean" } },
  async run(ctx) {
    const packages = requestedPackages(ctx.positionals, "add");
    const { root, repos } = await workspaceOf(ctx);
    const target = targetOptions(ctx, root);
    const progress = archiveProgress(ctx.reporter);
    const services = createArchiveServices({ ...ctx.options, env: ctx.io.env, homeDir: ctx.io.homeDir, onHttpEvent: progress.onHttp });
    let plan: AddPlan;
    try {
      ctx.reporter.progress(`resolving ${packages.map((p) => p.name).join(", ")}`);
      plan = await planAdd({ root, packages, ...target }, { files: nodeWorkspaceFiles(), loader: createIndexLoader(services, progress.onArchive), repos });
    } finally {
      await services.close();
    }
    ctx.reporter.done();
    const dryRun = ctx.values["dry-run"] === true;
    if (!dryRun) await applyChangeSet(plan.changes);
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
    if (dryRun) ctx.io.stdout.write(formatChangeSetDiff(root, plan.changes));
    ctx.io.stdout.write(formatAddReport(plan, root, !dryRun));
    return ExitCode.OK;
  },
};
