/**
 * A finding of `deb-lock check`: data with a stable code, printed as `file:line: what is wrong — how to fix it`.
 */

export interface CheckFinding {
  /** SCREAMING_SNAKE, stable: tests and tools match on it */
  readonly code: string;
  /** Workspace-relative path */
  readonly file: string;
  readonly line?: number;
  readonly message: string;
  readonly hint: string;
  /**
   * What the finding is about, for baselines: unlike the message it leaves out versions and lines, so a known
   * finding stays known across updates and edits elsewhere in the file. Defaults to the message.
   */
  readonly key?: string;
}

export function formatFinding(f: CheckFinding): string {
  return `${f.file}${f.line === undefined ? "" : `:${f.line}`}: ${f.message} — ${f.hint}`;
}

/** Findings in a stable order: by file, line, code, message. */
export function sortFindings(findings: readonly CheckFinding[]): CheckFinding[] {
  return [...findings].sort(
    (a, b) =>
      a.file.localeCompare(b.file, "en") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.code.localeCompare(b.code, "en") ||
      a.message.localeCompare(b.message, "en"),
  );
}

/** The hint of findings a fresh lock fixes. */
export function relockHint(manifest: string): string {
  return `run \`deb-lock lock ${manifest}\` to regenerate the lock`;
}
