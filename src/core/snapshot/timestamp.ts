import { DebLockError } from "../errors.js";

/**
 * A snapshot timestamp as snapshot services write it: `YYYYMMDDTHHMMSSZ`, always UTC
 * (e.g. `20240706T203757Z`). Kept as text: the fixed-width form sorts chronologically.
 */
export type SnapshotTimestamp = string;

const TIMESTAMP_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export class SnapshotTimestampError extends DebLockError {
  constructor(input: string) {
    super("BAD_SNAPSHOT_TIMESTAMP", `invalid snapshot timestamp ${JSON.stringify(input)}`, {
      hint: "snapshot timestamps are UTC and look like 20240706T203757Z (YYYYMMDDTHHMMSSZ)",
    });
  }
}

/** Whether `text` is a well-formed timestamp naming a real instant (month 1-12, day within the month, ...). */
export function isSnapshotTimestamp(text: string): boolean {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return formatSnapshotTimestamp(ms) === text;
}

/** Milliseconds since the epoch of a timestamp; throws SnapshotTimestampError on bad input. */
export function parseSnapshotTimestamp(text: string): number {
  if (!isSnapshotTimestamp(text)) throw new SnapshotTimestampError(text);
  const m = TIMESTAMP_RE.exec(text)!;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The timestamp of an instant (milliseconds since the epoch), truncated to the second. */
export function formatSnapshotTimestamp(ms: number): SnapshotTimestamp {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** The UTC day of a timestamp, `YYYYMMDD`. */
export function snapshotDay(timestamp: SnapshotTimestamp): string {
  return timestamp.slice(0, 8);
}

/** A calendar month, as snapshot.debian.org's listing pages are organised. */
export interface YearMonth {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
}

export function yearMonthOf(ms: number): YearMonth {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

/** The month before `ym` (January goes back to December of the previous year). */
export function previousMonth(ym: YearMonth): YearMonth {
  return ym.month === 1 ? { year: ym.year - 1, month: 12 } : { year: ym.year, month: ym.month - 1 };
}
