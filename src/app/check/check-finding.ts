import type { ErrorCode } from "../../core/error-codes.js";

/**
 * A finding of `deb-lock check`: data with a stable code, printed as `file:line: what is wrong — how to fix it`.
 */

/**
 * Every code a check finding can carry, beside the error codes (an error while reading an image becomes a finding
 * with its code). To add one, add it here (alphabetical order); tsc rejects a code missing from this list.
 */
export const FINDING_CODES = [
  "DUPLICATE_LOCK_ENTRY",
  "LINKS_LAYER_NOT_IN_TARS",
  "LINKS_LAYER_UNUSED",
  "LOCKED_VERSION_NOT_IN_INDEX",
  "LOCK_DANGLING_DEPENDENCY",
  "LOCK_DEPENDENCIES_UNEXPECTED",
  "LOCK_KEY_MISMATCH",
  "LOCK_URLS_MISMATCH",
  "LOCK_URL_NOT_IN_SOURCES",
  "LOCK_VERSION_MISMATCH",
  "MANIFEST_INVALID",
  "MANIFEST_MISSING",
  "MODULE_LOCK_HASH_MISMATCH",
  "MODULE_LOCK_INVALID",
  "PACKAGE_NOT_LOCKED",
  "SHA256_MISMATCH",
  "STALE_LOCK_ENTRY",
  "UNSATISFIED_DEPENDENCY",
] as const;

export type FindingCode = (typeof FINDING_CODES)[number] | ErrorCode;

export interface CheckFinding {
  /** SCREAMING_SNAKE, stable: tests and tools match on it */
  readonly code: FindingCode;
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
