import { formatSnapshotTimestamp, type SnapshotTimestamp, snapshotDay } from "./timestamp.js";

export interface PickSnapshotOptions {
  /** Skip runs from the UTC day of `now`: the import of the current day may still be incomplete. Default true. */
  readonly skipToday?: boolean;
  /** Only runs at or before this instant (`--at`). */
  readonly at?: SnapshotTimestamp;
}

/**
 * The latest usable run among `timestamps` (any order, e.g. the union of two month listings), or
 * undefined when none qualifies. `now` is milliseconds since the epoch, passed in by the caller.
 */
export function pickLatestSnapshot(
  timestamps: Iterable<SnapshotTimestamp>,
  now: number,
  options: PickSnapshotOptions = {},
): SnapshotTimestamp | undefined {
  const today = snapshotDay(formatSnapshotTimestamp(now));
  const skipToday = options.skipToday ?? true;
  let best: SnapshotTimestamp | undefined;
  for (const ts of timestamps) {
    if (options.at !== undefined && ts > options.at) continue;
    if (skipToday && snapshotDay(ts) >= today) continue;
    if (best === undefined || ts > best) best = ts;
  }
  return best;
}

/**
 * The instant to use for a service that serves the archive as it was at any instant
 * (snapshot.ubuntu.com): `at` when given, else the start of the current UTC day when skipping
 * today (stable all day, so repeated updates on one day do not churn), else `now` to the second.
 */
export function pickAnyInstantSnapshot(now: number, options: PickSnapshotOptions = {}): SnapshotTimestamp {
  if (options.at !== undefined) return options.at;
  const ts = formatSnapshotTimestamp(now);
  return (options.skipToday ?? true) ? `${snapshotDay(ts)}T000000Z` : ts;
}
