import { DebLockError } from "../errors.js";
import type { PackageChange, PackagePresence, UpdateReport } from "./model.js";

/** Above this many rows a section is folded into `<details>` so a large update stays readable. */
export const COLLAPSE_AT = 20;

/** Link to a source package's page on tracker.debian.org. */
export function trackerUrl(source: string): string {
  return `https://tracker.debian.org/pkg/${encodeURIComponent(source)}`;
}

/** Link to the Debian changelog of a source package version (epoch dropped, as the archive's file names do). */
export function changelogUrl(source: string, sourceVersion: string): string {
  const prefix = source.startsWith("lib") && source.length > 3 ? source.slice(0, 4) : source.slice(0, 1);
  const version = sourceVersion.replace(/^\d+:/, "");
  return `https://metadata.ftp-master.debian.org/changelogs/main/${prefix}/${source}/${source}_${encodeURIComponent(version)}_changelog`;
}

const code = (s: string) => `\`${s}\``;

function fold(summary: string, lines: readonly string[], rows: number): string[] {
  if (rows <= COLLAPSE_AT) return [...lines];
  return [`<details><summary>${summary}</summary>`, "", ...lines, "", "</details>"];
}

interface SourceGroup {
  source: string;
  sourceVersion: string;
  changes: PackageChange[];
}

function groupBySource(changes: readonly PackageChange[]): SourceGroup[] {
  const groups = new Map<string, SourceGroup>();
  for (const c of changes) {
    const key = `${c.source}\u0000${c.sourceVersion}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { source: c.source, sourceVersion: c.sourceVersion, changes: [] }));
    g.changes.push(c);
  }
  return [...groups.values()];
}

function distinct(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function changeTable(changes: readonly PackageChange[]): { lines: string[]; rows: number } {
  const groups = groupBySource(changes);
  const lines = ["| Source | Binary packages | Version | Suite |", "| --- | --- | --- | --- |"];
  for (const g of groups) {
    const binaries = distinct(g.changes.map((c) => c.name))
      .map(code)
      .join(", ");
    const moves = distinct(g.changes.map((c) => `${code(c.from)} → ${code(c.to)}${c.direction === "downgrade" ? " (downgrade)" : ""}`)).join("<br>");
    const suites = distinct(g.changes.map((c) => c.suite ?? ""))
      .filter(Boolean)
      .join(", ");
    const repos = distinct(g.changes.map((c) => c.repo));
    const archs = distinct(g.changes.flatMap((c) => c.archs));
    const images = distinct(g.changes.flatMap((c) => c.images ?? [])).sort((a, b) => a.localeCompare(b, "en"));
    const where = `${repos.join(", ")}; ${archs.join(", ")}${images.length > 0 ? `; images: ${images.join(", ")}` : ""}`;
    lines.push(
      `| [${g.source}](${trackerUrl(g.source)}) ([changelog](${changelogUrl(g.source, g.sourceVersion)})) | ${binaries} <sub>(${where})</sub> | ${moves} | ${suites} |`,
    );
  }
  return { lines, rows: groups.length };
}

function presenceLine(p: PackagePresence, verb: string): string {
  const needed = p.requiredBy.length > 0 ? ` — ${verb} ${p.requiredBy.map(code).join(", ")}` : "";
  return `- ${code(p.name)} ${code(p.version)} (${p.repo}; ${p.archs.join(", ")})${needed}`;
}

/** The sections the PR body template can place, each Markdown text without surrounding blank lines ("" when empty). */
export function prBodySections(report: UpdateReport): Record<string, string> {
  const s = report.summary;
  const security = report.changes.filter((c) => c.security);
  const regular = report.changes.filter((c) => !c.security);

  const summary =
    s.changed + s.added + s.removed === 0
      ? "No package versions change."
      : `Updates **${s.changed}** package${s.changed === 1 ? "" : "s"} from **${s.sourcePackages}** source package${s.sourcePackages === 1 ? "" : "s"}` +
        `${s.security > 0 ? `, including **${s.security} security update${s.security === 1 ? "" : "s"}**` : ""}` +
        `; adds ${s.added}, removes ${s.removed}.`;

  const moved = report.snapshots.filter((x) => x.from !== x.to);
  const snapshots =
    report.snapshots.length === 0
      ? ""
      : [
          "### Snapshots",
          "",
          "| Archive | From | To |",
          "| --- | --- | --- |",
          ...report.snapshots.map((x) => `| ${x.host}/${x.archive} | ${code(x.from)} | ${x.from === x.to ? "unchanged" : code(x.to)} |`),
        ].join("\n") + (moved.length === 0 ? "\n\nNo snapshot moved." : "");

  let securitySection = "";
  if (security.length > 0) {
    const t = changeTable(security);
    securitySection = ["### :warning: Security updates", "", ...t.lines].join("\n");
  }

  let changes = "";
  if (regular.length > 0) {
    const t = changeTable(regular);
    const binaries = new Set(regular.map((c) => `${c.repo}/${c.name}`)).size;
    changes = ["### Updates", "", ...fold(`${t.rows} source packages (${binaries} binary packages)`, t.lines, t.rows)].join("\n");
  }

  const depLines: string[] = [];
  for (const c of report.changes) {
    const parts = [
      ...(c.addedDeps.length > 0 ? [`now depends on ${c.addedDeps.map(code).join(", ")}`] : []),
      ...(c.removedDeps.length > 0 ? [`no longer depends on ${c.removedDeps.map(code).join(", ")}`] : []),
    ];
    if (parts.length > 0) depLines.push(`- ${code(c.name)} (${c.repo}; ${c.archs.join(", ")}) ${parts.join("; ")}`);
  }
  const added = report.added.map((p) => presenceLine(p, "needed by"));
  const removed = report.removed.map((p) => presenceLine(p, "was needed by"));
  const depBlocks: string[] = [];
  if (depLines.length > 0) depBlocks.push(...depLines);
  if (added.length > 0) depBlocks.push(...(depBlocks.length > 0 ? [""] : []), "**Added**", "", ...added);
  if (removed.length > 0) depBlocks.push(...(depBlocks.length > 0 ? [""] : []), "**Removed**", "", ...removed);
  const moves = (report.moves ?? []).map((m) => `- ${code(m.name)} moved from ${m.from} to ${m.to}: ${m.reason}`);
  if (moves.length > 0) depBlocks.push(...(depBlocks.length > 0 ? [""] : []), "**Moved between repos**", "", ...moves);
  const depRows = depLines.length + added.length + removed.length + moves.length;
  const dependencies =
    depBlocks.length === 0 ? "" : ["### Dependencies", "", ...fold(`${depRows} dependency changes`, depBlocks, depRows)].join("\n");

  const problems =
    report.problems.length === 0
      ? ""
      : ["### Problems", "", ...report.problems.map((p) => `- **${p.code}**: ${p.message}${p.hint === undefined ? "" : ` — ${p.hint}`}`)].join("\n");

  return { summary, snapshots, security: securitySection, changes, dependencies, problems };
}

/**
 * Markdown for a pull request from `template` (templates/pr-body.md): `{{name}}` placeholders are
 * replaced by the sections of prBodySections; empty sections leave no gaps. Unknown placeholders
 * are an error in the template, reported by name.
 */
export function formatPrBody(report: UpdateReport, template: string): string {
  const sections = prBodySections(report);
  const filled = template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name: string) => {
    const value = sections[name];
    if (value === undefined) {
      throw new DebLockError("BAD_PR_BODY_TEMPLATE", `the PR body template names an unknown section {{${name}}}`, {
        hint: `use only ${Object.keys(sections)
          .map((k) => `{{${k}}}`)
          .join(", ")}`,
      });
    }
    return value;
  });
  return `${filled.replace(/\n{3,}/g, "\n\n").trim()}\n`;
}
