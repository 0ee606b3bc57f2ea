import type { PackagePresence, UpdateReport } from "./model.js";

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function presenceRows(items: readonly PackagePresence[], how: string): string[][] {
  return items.map((p) => [
    p.name,
    p.repo,
    p.archs.join(","),
    how === "added" ? `→ ${p.version}` : `${p.version} →`,
    p.suite ?? "",
    p.requiredBy.length > 0 ? `${how === "added" ? "needed by" : "was needed by"} ${p.requiredBy.join(", ")}` : how,
  ]);
}

/** The human table of an update report (stdout of `update` and `outdated`), newline-terminated. */
export function formatReportTable(report: UpdateReport): string {
  const out: string[] = [];
  for (const s of report.snapshots) {
    out.push(s.from === s.to ? `snapshot ${s.host}/${s.archive}: ${s.to} (unchanged)` : `snapshot ${s.host}/${s.archive}: ${s.from} → ${s.to}`);
  }
  const rows = [
    ...report.changes.map((c) => [
      c.security ? `${c.name} [security]` : c.name,
      c.repo,
      c.archs.join(","),
      c.from === c.to ? c.to : `${c.from} → ${c.to}${c.direction === "downgrade" ? " (downgrade)" : ""}`,
      c.suite ?? "",
      [...c.addedDeps.map((d) => `+${d}`), ...c.removedDeps.map((d) => `-${d}`)].join(" "),
    ]),
    ...presenceRows(report.added, "added"),
    ...presenceRows(report.removed, "removed"),
  ];
  if (rows.length > 0) {
    if (out.length > 0) out.push("");
    out.push(...table(["PACKAGE", "REPO", "ARCHS", "VERSION", "SUITE", "DEPENDENCIES"], rows));
  }
  for (const m of report.moves ?? []) out.push(`moved ${m.name}: ${m.from} → ${m.to} (${m.reason})`);
  for (const p of report.problems) out.push(`problem ${p.code}: ${p.message}${p.hint === undefined ? "" : ` — ${p.hint}`}`);
  const s = report.summary;
  if (out.length > 0) out.push("");
  out.push(
    rows.length === 0
      ? "All packages are up to date."
      : `${s.changed} changed, ${s.added} added, ${s.removed} removed (${s.security} security, ${s.sourcePackages} source packages).`,
  );
  return `${out.join("\n")}\n`;
}
