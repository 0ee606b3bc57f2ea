import { isSnapshotTimestamp, type SnapshotTimestamp, type YearMonth } from "./timestamp.js";

/**
 * Timestamps of the import runs listed on one month page of snapshot.debian.org
 * (`/archive/<archive>/?year=YYYY&month=MM`), which links each run as
 * `<a href="20240706T203757Z/">2024-07-06 20:37:57</a>`. Returned sorted ascending, without
 * duplicates; links that are not run timestamps (navigation, months) are ignored.
 */
export function parseSnapshotListing(html: string): SnapshotTimestamp[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/href\s*=\s*["'](?:\.\/)?(\d{8}T\d{6}Z)\/?["']/gi)) {
    const ts = m[1]!;
    if (isSnapshotTimestamp(ts)) found.add(ts);
  }
  return [...found].sort();
}

/** Path and query of the month listing page of an archive, relative to the service root. */
export function snapshotListingPath(archive: string, ym: YearMonth): string {
  return `/archive/${encodeURIComponent(archive)}/?year=${ym.year}&month=${String(ym.month).padStart(2, "0")}`;
}
