import { ParseError } from "../../core/errors.js";
import type { CheckFinding } from "./check-finding.js";

/**
 * Baselines for `deb-lock check`, the linters' convention: a file records the findings a workspace accepts (distroless
 * leaves out awk for base-files, debconf for tzdata, ...), and later checks fail only on findings not in it. A
 * finding is known when its code, file and key (`CheckFinding.key`, else the message) match an entry: line numbers
 * and versions do not count, so the baseline survives edits elsewhere and updates.
 */

/** Where `check` looks for a baseline when no `--baseline FILE` is given, relative to the workspace root. */
export const DEFAULT_BASELINE = "deb-lock.baseline.json";

export interface BaselineEntry {
  readonly code: string;
  readonly file: string;
  readonly key: string;
  /** The finding as it read when recorded, for people reviewing the file; not used for matching. */
  readonly message: string;
}

const identity = (e: { code: string; file: string; key: string }): string => `${e.code}\u0000${e.file}\u0000${e.key}`;
const keyOf = (f: CheckFinding): string => f.key ?? f.message;

/** The baseline file for these findings: stable order, one entry per identity, a final newline. */
export function formatBaseline(findings: readonly CheckFinding[]): string {
  const entries = new Map<string, BaselineEntry>();
  for (const f of findings) {
    const entry = { code: f.code, file: f.file, key: keyOf(f), message: f.message };
    if (!entries.has(identity(entry))) entries.set(identity(entry), entry);
  }
  const sorted = [...entries.values()].sort(
    (a, b) => a.file.localeCompare(b.file, "en") || a.code.localeCompare(b.code, "en") || a.key.localeCompare(b.key, "en"),
  );
  return `${JSON.stringify({ schemaVersion: 1, findings: sorted }, null, 2)}\n`;
}

export function parseBaseline(text: string, file: string): BaselineEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ParseError(
      "BAD_BASELINE",
      `not JSON (${(error as Error).message})`,
      { file },
      { hint: "write it again with `deb-lock check --deep --write-baseline`" },
    );
  }
  const doc = data as { schemaVersion?: unknown; findings?: unknown };
  const isEntry = (e: unknown): e is BaselineEntry =>
    typeof e === "object" && e !== null && ["code", "file", "key", "message"].every((k) => typeof (e as Record<string, unknown>)[k] === "string");
  if (doc?.schemaVersion !== 1 || !Array.isArray(doc.findings) || !doc.findings.every(isEntry)) {
    throw new ParseError(
      "BAD_BASELINE",
      'expected {"schemaVersion": 1, "findings": [{"code", "file", "key", "message"}, ...]}',
      { file },
      {
        hint: "write it again with `deb-lock check --deep --write-baseline`",
      },
    );
  }
  return doc.findings;
}

/** Splits findings into new ones and known ones, and lists the baseline entries nothing matched any more. */
export function applyBaseline(
  findings: readonly CheckFinding[],
  baseline: readonly BaselineEntry[],
): { fresh: CheckFinding[]; known: CheckFinding[]; gone: BaselineEntry[] } {
  const recorded = new Set(baseline.map(identity));
  const fresh: CheckFinding[] = [];
  const known: CheckFinding[] = [];
  const matched = new Set<string>();
  for (const f of findings) {
    const id = identity({ code: f.code, file: f.file, key: keyOf(f) });
    if (recorded.has(id)) {
      known.push(f);
      matched.add(id);
    } else fresh.push(f);
  }
  return { fresh, known, gone: baseline.filter((e) => !matched.has(identity(e))) };
}
