import { isSnapshotTimestamp, type SnapshotTimestamp } from "./timestamp.js";

/** How a snapshot service chooses instants. */
export type SnapshotRule =
  /** snapshot.debian.org and its mirrors: only the instants of import runs exist (listed per month). */
  | "runs"
  /** snapshot.ubuntu.com: any instant is served. */
  | "any-instant";

/** A snapshot URL taken apart: `<scheme>://<host><prefix>/<archive>/<timestamp><rest>`. */
export interface SnapshotRef {
  readonly host: string;
  /** e.g. "debian", "debian-security", "ubuntu", "ubuntu-ports" */
  readonly archive: string;
  readonly timestamp: SnapshotTimestamp;
  readonly rule: SnapshotRule;
  /** The service root, e.g. https://snapshot.debian.org (listing pages live below it) */
  readonly serviceRoot: string;
  /** Everything after the timestamp, e.g. "" or "/dists/bookworm" */
  readonly rest: string;
}

interface SnapshotService {
  readonly host: string;
  /** Hosts serving the same runs share a timeline (snapshot-cloudflare mirrors snapshot.debian.org) */
  readonly timeline: string;
  /** Path before the archive name */
  readonly prefix: string;
  readonly rule: SnapshotRule;
}

/** Snapshot services whose URLs `update` bumps. */
export const SNAPSHOT_SERVICES: readonly SnapshotService[] = [
  { host: "snapshot.debian.org", timeline: "snapshot.debian.org", prefix: "/archive", rule: "runs" },
  { host: "snapshot-cloudflare.debian.org", timeline: "snapshot.debian.org", prefix: "/archive", rule: "runs" },
  { host: "snapshot.ubuntu.com", timeline: "snapshot.ubuntu.com", prefix: "", rule: "any-instant" },
];

const URL_RE = /^(https?):\/\/([^/?#@]+)(\/[^?#]*)?$/i;

/** Takes a snapshot URL apart; undefined for URLs that are not on a known snapshot service. */
export function snapshotOf(url: string): SnapshotRef | undefined {
  const m = URL_RE.exec(url.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.toLowerCase();
  const path = m[3] ?? "";
  const service = SNAPSHOT_SERVICES.find((s) => s.host === host);
  if (service === undefined || !path.startsWith(`${service.prefix}/`)) return undefined;
  const parts = /^\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path.slice(service.prefix.length));
  if (!parts) return undefined;
  const timestamp = parts[2]!;
  if (!isSnapshotTimestamp(timestamp)) return undefined;
  return {
    host,
    archive: decodeURIComponent(parts[1]!),
    timestamp,
    rule: service.rule,
    serviceRoot: `${scheme}://${host}`,
    rest: parts[3] ?? "",
  };
}

/**
 * The same URL at another instant, every other character kept; undefined when `url` is not a
 * snapshot URL. Throws nothing: a bad timestamp is the caller's to validate.
 */
export function rewriteSnapshotUrl(url: string, timestamp: SnapshotTimestamp): string | undefined {
  const ref = snapshotOf(url);
  if (ref === undefined) return undefined;
  const lower = url.toLowerCase();
  const at = lower.indexOf(`/${ref.timestamp.toLowerCase()}`, lower.indexOf(ref.host) + ref.host.length);
  return url.slice(0, at + 1) + timestamp + url.slice(at + 1 + ref.timestamp.length);
}

/**
 * Stable identity of the timeline a snapshot URL is on, e.g. "snapshot.debian.org/debian-security". Hosts
 * that mirror one service share it, so the URLs of one source (`urls: [cloudflare, debian.org]`) move together.
 */
export function snapshotTimelineKey(ref: Pick<SnapshotRef, "host" | "archive">): string {
  const service = SNAPSHOT_SERVICES.find((s) => s.host === ref.host);
  return `${service?.timeline ?? ref.host}/${ref.archive}`;
}
