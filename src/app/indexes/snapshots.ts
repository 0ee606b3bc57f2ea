import { FetchError, ProblemError } from "../../core/errors.js";
import { parseSnapshotListing, snapshotListingPath } from "../../core/snapshot/listing.js";
import { pickAnyInstantSnapshot, pickLatestSnapshot } from "../../core/snapshot/pick.js";
import { parseSnapshotTimestamp, previousMonth, type SnapshotTimestamp, type YearMonth, yearMonthOf } from "../../core/snapshot/timestamp.js";
import { SNAPSHOT_SERVICES, type SnapshotRule } from "../../core/snapshot/url.js";
import type { HttpClient } from "../../io/http.js";

/** One snapshot timeline: an archive on a snapshot service. */
export interface SnapshotTimeline {
  /** e.g. https://snapshot.debian.org (canonical; mirrors apply in the HTTP client) */
  readonly serviceRoot: string;
  readonly archive: string;
  readonly rule: SnapshotRule;
}

export interface FindSnapshotOptions {
  readonly http: HttpClient;
  /** Milliseconds since the epoch (the caller's clock). */
  readonly now: number;
  /** Latest run at or before this instant. */
  readonly at?: SnapshotTimestamp;
  /** Skip runs of the current UTC day (default true). */
  readonly skipToday?: boolean;
  /** Months to look back beyond the month of `at`/`now` when it has no usable run (default 2). */
  readonly lookbackMonths?: number;
}

export interface FoundSnapshot {
  readonly host: string;
  readonly archive: string;
  readonly timestamp: SnapshotTimestamp;
  readonly rule: SnapshotRule;
  /** Month listing pages read (URLs), in order; empty for any-instant services. */
  readonly listings: readonly string[];
}

/** The default timelines of `deb-lock snapshots`: Debian's main and security archives. */
export const DEFAULT_TIMELINES: readonly SnapshotTimeline[] = [
  { serviceRoot: "https://snapshot.debian.org", archive: "debian", rule: "runs" },
  { serviceRoot: "https://snapshot.debian.org", archive: "debian-security", rule: "runs" },
];

/** The rule of a service root's host (runs listed per month unless the host is known to serve any instant). */
export function ruleOfService(serviceRoot: string): SnapshotRule {
  const host = new URL(serviceRoot).host.toLowerCase();
  return SNAPSHOT_SERVICES.find((s) => s.host === host)?.rule ?? "runs";
}

async function readMonth(http: HttpClient, url: string): Promise<SnapshotTimestamp[]> {
  try {
    const res = await http.get(url);
    return parseSnapshotListing(new TextDecoder().decode(res.body));
  } catch (error) {
    // The service answers 404 for a month it holds no runs of (e.g. a month that just began).
    if (error instanceof FetchError && error.status === 404) return [];
    throw error;
  }
}

/**
 * The latest usable snapshot of one timeline: reads the month listing of `at`/`now`, stepping back a
 * month at a time while no run qualifies. Any-instant services need no listing.
 */
export async function findLatestSnapshot(timeline: SnapshotTimeline, options: FindSnapshotOptions): Promise<FoundSnapshot> {
  const host = new URL(timeline.serviceRoot).host.toLowerCase();
  const pick = { skipToday: options.skipToday ?? true, ...(options.at === undefined ? {} : { at: options.at }) };
  if (timeline.rule === "any-instant") {
    return { host, archive: timeline.archive, rule: timeline.rule, timestamp: pickAnyInstantSnapshot(options.now, pick), listings: [] };
  }
  const start = options.at === undefined ? options.now : Math.min(options.now, parseSnapshotTimestamp(options.at));
  let month: YearMonth = yearMonthOf(start);
  const listings: string[] = [];
  const root = timeline.serviceRoot.replace(/\/+$/, "");
  for (let i = 0; i <= (options.lookbackMonths ?? 2); i++, month = previousMonth(month)) {
    const url = root + snapshotListingPath(timeline.archive, month);
    listings.push(url);
    const found = pickLatestSnapshot(await readMonth(options.http, url), options.now, pick);
    if (found !== undefined) return { host, archive: timeline.archive, rule: timeline.rule, timestamp: found, listings };
  }
  throw new ProblemError(
    "NO_SNAPSHOT",
    `no usable snapshot of archive ${JSON.stringify(timeline.archive)} at ${timeline.serviceRoot} ` +
      `(read ${listings.length} month listings back from ${listings[0]})`,
    {
      hint:
        options.at === undefined
          ? "check the archive name (debian, debian-security, ...); runs of the current UTC day are skipped by default"
          : `check the archive name and the --at instant ${options.at}`,
    },
  );
}

/** findLatestSnapshot for several timelines at once; results in the order given. */
export async function findLatestSnapshots(timelines: readonly SnapshotTimeline[], options: FindSnapshotOptions): Promise<FoundSnapshot[]> {
  return Promise.all(timelines.map((t) => findLatestSnapshot(t, options)));
}
