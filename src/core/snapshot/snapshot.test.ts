import { describe, expect, it } from "vitest";
import { parseSnapshotListing, snapshotListingPath } from "./listing.js";
import { pickAnyInstantSnapshot, pickLatestSnapshot } from "./pick.js";
import {
  formatSnapshotTimestamp,
  isSnapshotTimestamp,
  parseSnapshotTimestamp,
  previousMonth,
  SnapshotTimestampError,
  yearMonthOf,
} from "./timestamp.js";
import { rewriteSnapshotUrl, snapshotOf, snapshotTimelineKey } from "./url.js";

// The body of a month page as snapshot.debian.org renders it: one link per import run.
const MONTH_PAGE = `<?xml version="1.0" encoding="utf-8" ?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
\t<head>
\t\t<title>debian - snapshot.debian.org</title>
\t</head>
\t<body>
\t\t<div id="pageheader"><ul id="breadcrumbs"><li><a href="/">snapshot.debian.org</a> /</li><li><a href="/archive/debian/">debian</a></li></ul></div>
<a href="20240729T084125Z/">2024-07-29 08:41:25</a><br />
<a href="20240729T150328Z/">2024-07-29 15:03:28</a><br />
<a href="20240701T025925Z/">2024-07-01 02:59:25</a><br />
<a href="20240729T150328Z/">2024-07-29 15:03:28</a><br />
<a href="./?year=2024&amp;month=6">6</a>
\t</body>
</html>
`;

const ms = (ts: string) => parseSnapshotTimestamp(ts);

describe("snapshot timestamps", () => {
  it("round-trips and validates the calendar", () => {
    expect(formatSnapshotTimestamp(ms("20240706T203757Z"))).toBe("20240706T203757Z");
    expect(isSnapshotTimestamp("20240230T000000Z")).toBe(false);
    expect(isSnapshotTimestamp("20241301T000000Z")).toBe(false);
    expect(isSnapshotTimestamp("2024-07-06T20:37:57Z")).toBe(false);
    expect(() => parseSnapshotTimestamp("latest")).toThrow(SnapshotTimestampError);
    expect(formatSnapshotTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe("20260102T030405Z");
  });

  it("steps back across a year boundary", () => {
    expect(previousMonth({ year: 2026, month: 1 })).toEqual({ year: 2025, month: 12 });
    expect(previousMonth({ year: 2026, month: 8 })).toEqual({ year: 2026, month: 7 });
    expect(yearMonthOf(ms("20260801T001500Z"))).toEqual({ year: 2026, month: 8 });
  });
});

describe("parseSnapshotListing", () => {
  it("reads the run links of a month page, sorted and unique, ignoring navigation links", () => {
    expect(parseSnapshotListing(MONTH_PAGE)).toEqual(["20240701T025925Z", "20240729T084125Z", "20240729T150328Z"]);
  });

  it("returns nothing for a page without runs", () => {
    expect(parseSnapshotListing("<html><body><p>No runs.</p></body></html>")).toEqual([]);
  });

  it("builds the month page path with a zero-padded month", () => {
    expect(snapshotListingPath("debian-security", { year: 2026, month: 8 })).toBe("/archive/debian-security/?year=2026&month=08");
  });
});

describe("pickLatestSnapshot", () => {
  const runs = ["20260731T211522Z", "20260801T025533Z", "20260801T144812Z"];

  it("skips runs of the current UTC day by default", () => {
    expect(pickLatestSnapshot(runs, ms("20260801T180000Z"))).toBe("20260731T211522Z");
    expect(pickLatestSnapshot(runs, ms("20260801T180000Z"), { skipToday: false })).toBe("20260801T144812Z");
    expect(pickLatestSnapshot(runs, ms("20260802T000001Z"))).toBe("20260801T144812Z");
  });

  it("honours --at and reports when nothing qualifies", () => {
    expect(pickLatestSnapshot(runs, ms("20260901T000000Z"), { at: "20260801T100000Z" })).toBe("20260801T025533Z");
    expect(pickLatestSnapshot(runs, ms("20260901T000000Z"), { at: "20260701T000000Z" })).toBeUndefined();
    expect(pickLatestSnapshot([], ms("20260901T000000Z"))).toBeUndefined();
  });

  it("takes any instant for any-instant services, stable within a day", () => {
    expect(pickAnyInstantSnapshot(ms("20260801T180502Z"))).toBe("20260801T000000Z");
    expect(pickAnyInstantSnapshot(ms("20260801T180502Z"), { skipToday: false })).toBe("20260801T180502Z");
    expect(pickAnyInstantSnapshot(ms("20260801T180502Z"), { at: "20260715T120000Z" })).toBe("20260715T120000Z");
  });
});

describe("snapshot URLs", () => {
  it("takes apart debian, debian-security, cloudflare and ubuntu URLs", () => {
    expect(snapshotOf("https://snapshot.debian.org/archive/debian-security/20240706T203757Z")).toEqual({
      host: "snapshot.debian.org",
      archive: "debian-security",
      timestamp: "20240706T203757Z",
      rule: "runs",
      serviceRoot: "https://snapshot.debian.org",
      rest: "",
    });
    expect(snapshotOf("https://snapshot-cloudflare.debian.org/archive/debian/20240706T203757Z/")?.rest).toBe("/");
    const ubuntu = snapshotOf("https://snapshot.ubuntu.com/ubuntu/20240301T030400Z");
    expect([ubuntu?.archive, ubuntu?.rule, ubuntu?.timestamp]).toEqual(["ubuntu", "any-instant", "20240301T030400Z"]);
    expect(snapshotOf("https://snapshot.ubuntu.com/ubuntu-ports/20240301T030400Z")?.archive).toBe("ubuntu-ports");
  });

  it("puts mirrors of one service on one timeline, archives on their own", () => {
    const key = (url: string) => snapshotTimelineKey(snapshotOf(url)!);
    expect(key("https://snapshot-cloudflare.debian.org/archive/debian/20240210T223313Z")).toBe(
      key("https://snapshot.debian.org/archive/debian/20200101T000000Z"),
    );
    expect(key("https://snapshot.debian.org/archive/debian/20240210T223313Z")).not.toBe(
      key("https://snapshot.debian.org/archive/debian-security/20240210T223313Z"),
    );
    expect(key("https://snapshot.ubuntu.com/ubuntu/20240301T030400Z")).toBe("snapshot.ubuntu.com/ubuntu");
  });

  it("ignores URLs that are not snapshots", () => {
    expect(snapshotOf("https://deb.debian.org/debian")).toBeUndefined();
    expect(snapshotOf("https://snapshot.debian.org/archive/debian/latest")).toBeUndefined();
    expect(snapshotOf("https://example.com/archive/debian/20240706T203757Z")).toBeUndefined();
    expect(rewriteSnapshotUrl("https://packages.example.com/debian", "20260101T000000Z")).toBeUndefined();
  });

  it("rewrites only the timestamp", () => {
    expect(rewriteSnapshotUrl("https://snapshot.debian.org/archive/debian/20240706T203757Z", "20260801T025533Z")).toBe(
      "https://snapshot.debian.org/archive/debian/20260801T025533Z",
    );
    expect(rewriteSnapshotUrl("http://Snapshot.Ubuntu.com/ubuntu/20240301T030400Z/", "20260801T000000Z")).toBe(
      "http://Snapshot.Ubuntu.com/ubuntu/20260801T000000Z/",
    );
  });
});
