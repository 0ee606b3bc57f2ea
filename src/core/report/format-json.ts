import type { UpdateReport } from "./model.js";

/**
 * The `--json` document of `update` / `outdated`: the report model as is (see model.ts and
 * templates/update-report.schema.json), two-space indented, newline-terminated. Fields are only
 * ever added within one `schemaVersion`.
 */
export function formatReportJson(report: UpdateReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
