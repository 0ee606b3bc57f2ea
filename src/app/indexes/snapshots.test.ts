import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpTestServer, startHttpTestServer } from "../../../test/support/http-test-server.js";
import { snapshotListingRoutes } from "../../../test/support/snapshot-listing.js";
import { ProblemError } from "../../core/errors.js";
import { parseSnapshotTimestamp } from "../../core/snapshot/timestamp.js";
import { createHttpClient, type HttpClient } from "../../io/http.js";
import { DEFAULT_TIMELINES, findLatestSnapshot, findLatestSnapshots } from "./snapshots.js";

// Runs of two archives with independent timestamps, across a year boundary.
const RUNS = {
  debian: ["20251230T021544Z", "20251231T083012Z", "20251231T203757Z", "20260101T024210Z", "20260101T145310Z"],
  "debian-security": ["20251229T180412Z", "20251231T031207Z", "20260101T025533Z"],
};

let server: HttpTestServer;
let http: HttpClient;
const served: string[] = [];

beforeAll(async () => {
  server = await startHttpTestServer();
  for (const [path, handler] of Object.entries(snapshotListingRoutes(RUNS, served))) server.handle(path, handler);
  http = createHttpClient({ mirrors: [{ from: "https://snapshot.debian.org", to: server.origin }], retries: 0 });
});
afterAll(async () => {
  await http.close?.();
  await server.close();
});

const at = (ts: string) => parseSnapshotTimestamp(ts);

describe("findLatestSnapshot against a listing server", () => {
  it("skips today's runs and looks back into the previous month (and year) when needed", async () => {
    served.length = 0;
    const [debian, security] = await findLatestSnapshots(DEFAULT_TIMELINES, { http, now: at("20260101T200000Z") });
    expect(debian?.timestamp).toBe("20251231T203757Z");
    expect(security?.timestamp).toBe("20251231T031207Z");
    expect(debian?.listings).toEqual([
      "https://snapshot.debian.org/archive/debian/?year=2026&month=01",
      "https://snapshot.debian.org/archive/debian/?year=2025&month=12",
    ]);
    expect([...served].sort()).toEqual(["debian 202512", "debian 202601", "debian-security 202512", "debian-security 202601"]);
  });

  it("takes today's runs when asked, reading one month only", async () => {
    served.length = 0;
    const found = await findLatestSnapshot(DEFAULT_TIMELINES[0]!, { http, now: at("20260101T200000Z"), skipToday: false });
    expect(found.timestamp).toBe("20260101T145310Z");
    expect(served).toEqual(["debian 202601"]);
  });

  it("treats a month the service answers 404 for as empty", async () => {
    served.length = 0;
    const found = await findLatestSnapshot(DEFAULT_TIMELINES[1]!, { http, now: at("20260203T100000Z") });
    expect(found.timestamp).toBe("20260101T025533Z");
    expect(server.log.some((r) => r.url === "/archive/debian-security/?year=2026&month=02")).toBe(true);
  });

  it("honours --at", async () => {
    const found = await findLatestSnapshot(DEFAULT_TIMELINES[0]!, { http, now: at("20260301T000000Z"), at: "20251231T120000Z" });
    expect(found.timestamp).toBe("20251231T083012Z");
  });

  it("fails with NO_SNAPSHOT when no month has a usable run", async () => {
    const failure = findLatestSnapshot(
      { serviceRoot: "https://snapshot.debian.org", archive: "debian-ports", rule: "runs" },
      { http, now: at("20260101T200000Z") },
    );
    await expect(failure).rejects.toBeInstanceOf(ProblemError);
    await expect(failure).rejects.toMatchObject({ code: "NO_SNAPSHOT" });
  });

  it("needs no listing for an any-instant service", async () => {
    const before = server.log.length;
    const found = await findLatestSnapshot(
      { serviceRoot: "https://snapshot.ubuntu.com", archive: "ubuntu", rule: "any-instant" },
      { http, now: at("20260101T200000Z") },
    );
    expect(found).toMatchObject({ host: "snapshot.ubuntu.com", timestamp: "20260101T000000Z", listings: [] });
    expect(server.log.length).toBe(before);
  });
});
