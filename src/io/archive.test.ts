import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublicKey } from "openpgp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ArchiveServer, type ArchiveServerSpec, type Fault, type SuiteSpec, startArchiveServer } from "../../test/support/archive-server.js";
import { generateTestKey, getTestKey } from "../../test/support/test-key.js";
import { DebLockError, FetchError, ProblemError, VerificationError } from "../core/errors.js";
import { type ArchiveEvent, type FetchIndexDeps, fetchPackagesIndex } from "./archive.js";
import { createArchiveRun } from "./archive-run.js";
import { type Cache, createMemoryCache, openCache } from "./cache.js";
import { createHttpClient, type HttpClient } from "./http.js";

// Real stanzas from Debian bookworm main amd64 (Tag, Homepage, MD5sum and long Description dropped).
const BASH = `Package: bash
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13
Essential: yes
Installed-Size: 7164
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1)
Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)
Description: GNU Bourne Again SHell
Multi-Arch: foreign
Section: shells
Priority: required
Filename: pool/main/b/bash/bash_5.2.15-2+b13_amd64.deb
Size: 1490652
SHA256: 82130bb6a560cd2a7234d8018baf73f188f5dd56413d5aa0accc987b2197a6a1
`;
const LIBTINFO = `Package: libtinfo6
Source: ncurses
Version: 6.4-4
Installed-Size: 541
Maintainer: Craig Small <csmall@debian.org>
Architecture: amd64
Depends: libc6 (>= 2.34)
Description: shared low-level terminfo library for terminal handling
Multi-Arch: same
Section: libs
Priority: optional
Filename: pool/main/n/ncurses/libtinfo6_6.4-4_amd64.deb
Size: 331352
SHA256: 072d908f38f51090ca28ca5afa3b46b2957dc61fe35094c0b851426859a49a51
`;

// Real, from bookworm main (the same stanza in the amd64 and arm64 indexes).
const TZDATA = `Package: tzdata
Version: 2026b-0+deb12u1
Installed-Size: 2573
Architecture: all
Provides: tzdata-bookworm
Depends: debconf (>= 0.5) | debconf-2.0
Description: time zone and daylight-saving time data
Multi-Arch: foreign
Section: localization
Priority: required
Filename: pool/main/t/tzdata/tzdata_2026b-0+deb12u1_all.deb
Size: 304148
SHA256: 0edb49f4dffe0d5608069f7e4ba4d69544d3b9e86fc314dd8b75e9958d8e5e98
`;

const TS = "20240706T203757Z";
const main = (extra: Partial<SuiteSpec> = {}): SuiteSpec => ({
  components: { main: { amd64: [BASH, LIBTINFO, { Package: "libc6", Version: "2.36-9+deb12u7", "Multi-Arch": "same" }], arm64: [] } },
  ...extra,
});
const SPEC: ArchiveServerSpec = {
  archives: {
    debian: {
      [TS]: {
        bookworm: main(),
        "bookworm-gz": main({ compressions: ["gz"] }),
        "bookworm-plain": main({ compressions: ["plain"], acquireByHash: false }),
        "bookworm-backports": main({ notAutomatic: true, butAutomaticUpgrades: true }),
        experimental: main({ notAutomatic: true }),
        // The same Architecture: all stanza in both arch indexes, as Debian publishes it.
        "bookworm-all": { components: { main: { amd64: [TZDATA, BASH], arm64: [TZDATA] } } },
      },
    },
    "debian-security": { [TS]: { "bookworm-security": main({ compressions: ["plain", "xz"] }) } },
  },
};

/** A cache on disk in a fresh temporary directory, to damage its files. */
function diskCache(): { cache: Cache; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "deb-lock-archive-cache-"));
  return { cache: openCache(dir), dir };
}

/** Every file under `dir` (recursively). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

let server: ArchiveServer;
let http: HttpClient;
let keys: PublicKey[];

beforeAll(async () => {
  server = await startArchiveServer(SPEC);
  http = createHttpClient({ retries: 3, baseDelayMs: 10, maxDelayMs: 2000, timeoutMs: 5000 });
  keys = [(await getTestKey("archive")).publicKey];
});
afterAll(async () => {
  await http.close?.();
  await server.close();
});
afterEach(() => {
  server.faults = [];
  server.requests.length = 0;
});

function deps(cache: Cache = createMemoryCache(), extra: Partial<FetchIndexDeps> = {}): FetchIndexDeps & { events: ArchiveEvent[] } {
  const events: ArchiveEvent[] = [];
  return { http, cache, keys, offline: false, onEvent: (e) => events.push(e), events, ...extra };
}
const source = (suite = "bookworm", archive = "debian") => ({ url: server.archiveUrl(archive, TS), suite, component: "main" });
const paths = () => server.requests.map((r) => `${r.status} ${r.path.replace(`/archive/debian/${TS}/dists/`, "")}`);

async function failure(promise: Promise<unknown>): Promise<DebLockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DebLockError);
  return error as DebLockError;
}

describe("fetchPackagesIndex: happy paths", () => {
  it("verifies InRelease, fetches Packages.xz by hash, checks it and parses the records", async () => {
    const d = deps();
    const result = await fetchPackagesIndex(source(), "amd64", d);
    expect(result.records.map((r) => `${r.name}=${r.version}`)).toEqual(["bash=5.2.15-2+b13", "libtinfo6=6.4-4", "libc6=2.36-9+deb12u7"]);
    expect(result.records[0]).toMatchObject({
      architecture: "amd64",
      essential: true,
      preDepends: "libc6 (>= 2.36), libtinfo6 (>= 6)",
      size: 1490652,
    });
    expect(result.indexUrl).toBe(`${source().url}/dists/bookworm/main/binary-amd64/Packages.xz`);
    expect(result.indexSha256).toBe(
      createHash("sha256")
        .update(server.file(`/archive/debian/${TS}/dists/bookworm/main/binary-amd64/Packages.xz`)!)
        .digest("hex"),
    );
    expect(result.pin).toBe(500);
    expect(result.release.codename).toBe("bookworm");
    expect(result.signers).toEqual([(await getTestKey("archive")).fingerprint]);
    expect(paths()).toEqual(["200 bookworm/InRelease", `200 bookworm/main/binary-amd64/by-hash/SHA256/${result.indexSha256}`]);
  });

  it("uses Packages.gz when it is the only index, and the plain Packages path without Acquire-By-Hash", async () => {
    const gz = await fetchPackagesIndex(source("bookworm-gz"), "amd64", deps());
    expect(gz.indexUrl).toMatch(/\/Packages\.gz$/);
    expect(gz.records).toHaveLength(3);
    const plain = await fetchPackagesIndex(source("bookworm-plain"), "amd64", deps());
    expect(plain.indexUrl).toMatch(/\/binary-amd64\/Packages$/);
    expect(plain.records.map((r) => r.name)).toEqual(gz.records.map((r) => r.name));
    expect(paths()).toContain("200 bookworm-plain/main/binary-amd64/Packages");
  });

  it("reads an empty index and a -security suite that has no .gz", async () => {
    expect((await fetchPackagesIndex(source("bookworm"), "arm64", deps())).records).toEqual([]);
    const sec = await fetchPackagesIndex(source("bookworm-security", "debian-security"), "amd64", deps());
    expect(sec.indexUrl).toMatch(/Packages\.xz$/);
  });

  it("falls back to the plain path when by-hash answers 404", async () => {
    server.faults = [{ path: /\/by-hash\//, notFound: true }];
    const result = await fetchPackagesIndex(source(), "amd64", deps());
    expect(result.records).toHaveLength(3);
    expect(paths()).toEqual([
      "200 bookworm/InRelease",
      `404 bookworm/main/binary-amd64/by-hash/SHA256/${result.indexSha256}`,
      "200 bookworm/main/binary-amd64/Packages.xz",
    ]);
  });

  it("gives apt's default pins: 500, NotAutomatic 1, NotAutomatic+ButAutomaticUpgrades 100", async () => {
    expect((await fetchPackagesIndex(source("experimental"), "amd64", deps())).pin).toBe(1);
    expect((await fetchPackagesIndex(source("bookworm-backports"), "amd64", deps())).pin).toBe(100);
  });

  it("accepts an InRelease signed before its key expired", async () => {
    const key = await generateTestKey({ date: new Date("2020-01-01T00:00:00Z"), expiresInSeconds: 365 * 24 * 3600 });
    const old = await startArchiveServer(SPEC, { signingKeys: [key], signedAt: new Date("2020-06-01T00:00:00Z") });
    try {
      const result = await fetchPackagesIndex(
        { ...source(), url: old.archiveUrl("debian", TS) },
        "amd64",
        deps(createMemoryCache(), { keys: [key.publicKey] }),
      );
      expect(result.records).toHaveLength(3);
    } finally {
      await old.close();
    }
  });
});

describe("fetchPackagesIndex: network faults", () => {
  it("retries 503 and 429 (honouring Retry-After) and then succeeds", async () => {
    server.faults = [
      { path: "/InRelease", status: [503, 503, 200] },
      { path: /by-hash/, status: [429], retryAfter: 1 },
    ];
    const started = performance.now();
    const result = await fetchPackagesIndex(source(), "amd64", deps());
    expect(result.records).toHaveLength(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(paths().map((p) => p.replace(/SHA256\/.*/, "SHA256/…"))).toEqual([
      "503 bookworm/InRelease",
      "503 bookworm/InRelease",
      "200 bookworm/InRelease",
      "429 bookworm/main/binary-amd64/by-hash/SHA256/…",
      "200 bookworm/main/binary-amd64/by-hash/SHA256/…",
    ]);
  });

  it("retries a body cut off mid-transfer; a connection that always breaks is a FetchError", async () => {
    server.faults = [{ path: /by-hash/, truncateAt: 20, times: 1 }];
    expect((await fetchPackagesIndex(source(), "amd64", deps())).records).toHaveLength(3);
    server.faults = [{ path: /by-hash/, truncateAt: 20 }];
    const cache = createMemoryCache();
    const error = await failure(fetchPackagesIndex(source(), "amd64", deps(cache)));
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).url).toContain("/by-hash/SHA256/");
    // only the verified InRelease was kept
    expect(cache.size).toBe(1);
    expect(await cache.getByUrl(`${source().url}/dists/bookworm/InRelease`)).toBeDefined();
  });

  it("re-fetches InRelease once when the index does not match it, then succeeds", async () => {
    server.faults = [{ path: /Packages\.xz$|by-hash/, wrongContent: true, times: 1 }];
    const d = deps();
    const result = await fetchPackagesIndex(source(), "amd64", d);
    expect(result.records).toHaveLength(3);
    expect(paths().filter((p) => p.endsWith("InRelease"))).toHaveLength(2);
    expect(d.events.map((e) => (e.type === "inrelease" ? `inrelease refetch=${e.refetch}` : e.type))).toEqual([
      "inrelease refetch=false",
      "index-mismatch",
      "inrelease refetch=true",
      "index",
      "parsed",
    ]);
  });

  it("fails with INDEX_HASH_MISMATCH naming the URL, expected and found, when the index stays wrong", async () => {
    server.faults = [{ path: /by-hash/, wrongContent: true }];
    const cache = createMemoryCache();
    const error = await failure(fetchPackagesIndex(source(), "amd64", deps(cache)));
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.code).toBe("INDEX_HASH_MISMATCH");
    expect(error.message).toMatch(/by-hash\/SHA256\/[0-9a-f]{64}: does not match/);
    expect(error.message).toMatch(/expected \d+ bytes, SHA256 [0-9a-f]{64}, found SHA256 [0-9a-f]{64}/);
    expect(error.hint).toMatch(/mirror/);
    // only the verified InRelease was kept
    expect(cache.size).toBe(1);
    expect(await cache.getByUrl(`${source().url}/dists/bookworm/InRelease`)).toBeDefined();
  });

  it("treats a short body with a consistent Content-Length as a size mismatch", async () => {
    const cut = await startArchiveServer(SPEC, {
      extraRoutes: (path) => (path.includes("/by-hash/") ? { body: "Package: x\n" } : undefined),
    });
    try {
      const error = await failure(fetchPackagesIndex({ ...source(), url: cut.archiveUrl("debian", TS) }, "amd64", deps()));
      expect(error.code).toBe("INDEX_HASH_MISMATCH");
      expect(error.message).toContain("found 11 bytes");
    } finally {
      await cut.close();
    }
  });
});

describe("fetchPackagesIndex: trust", () => {
  const cases: [string, Fault, string][] = [
    ["a tampered InRelease", { path: "/InRelease", tamper: true }, "BAD_SIGNATURE"],
    ["an InRelease signed by an unknown key", { path: "/InRelease", unknownSigner: true }, "UNKNOWN_SIGNER"],
    ["an unsigned InRelease", { path: "/InRelease", unsigned: true }, "NOT_SIGNED"],
  ];
  for (const [what, fault, code] of cases) {
    it(`rejects ${what} with ${code}, downloading and caching nothing`, async () => {
      server.faults = [fault];
      const cache = createMemoryCache();
      const error = await failure(fetchPackagesIndex(source(), "amd64", deps(cache)));
      expect(error).toBeInstanceOf(VerificationError);
      expect(error.code).toBe(code);
      expect(error.message).toContain(`${source().url}/dists/bookworm/InRelease`);
      expect(paths()).toEqual(["200 bookworm/InRelease"]);
      expect(cache.size).toBe(0);
    });
  }

  it("uses Release and Release.gpg when a suite publishes no InRelease, online and offline", async () => {
    server.faults = [{ path: "/InRelease", notFound: true }];
    const cache = createMemoryCache();
    const d = deps(cache);
    const result = await fetchPackagesIndex(source(), "amd64", d);
    expect(result.records).toHaveLength(3);
    expect(result.signers).toEqual([(await getTestKey("archive")).fingerprint]);
    expect(paths().slice(0, 3)).toEqual(["404 bookworm/InRelease", "200 bookworm/Release", "200 bookworm/Release.gpg"]);
    expect(d.events[0]).toMatchObject({ type: "inrelease", url: `${source().url}/dists/bookworm/Release` });
    server.requests.length = 0;
    await expect(fetchPackagesIndex(source(), "amd64", deps(cache, { offline: true }))).resolves.toMatchObject({ indexSha256: result.indexSha256 });
    expect(server.requests).toEqual([]);
  });

  it("rejects a Release that does not match its Release.gpg, and a suite with no signature at all", async () => {
    server.faults = [
      { path: "/InRelease", notFound: true },
      { path: "/Release", wrongContent: true },
    ];
    const bad = await failure(fetchPackagesIndex(source(), "amd64", deps()));
    expect(bad.code).toBe("BAD_SIGNATURE");
    expect(bad.message).toContain(`${source().url}/dists/bookworm/Release`);
    server.faults = [
      { path: "/InRelease", notFound: true },
      { path: "/Release.gpg", notFound: true },
    ];
    const unsigned = await failure(fetchPackagesIndex(source(), "amd64", deps()));
    expect(unsigned).toBeInstanceOf(VerificationError);
    expect(unsigned.code).toBe("NOT_SIGNED");
  });

  it("reports a suite the archive does not have as SUITE_NOT_FOUND naming the URL", async () => {
    const error = await failure(fetchPackagesIndex(source("bookwrom"), "amd64", deps()));
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.code).toBe("SUITE_NOT_FOUND");
    expect(error.message).toContain(`${source().url}/dists/bookwrom/InRelease`);
  });

  it("enforces Valid-Until for a live mirror but not for snapshot URLs", async () => {
    const suite = main({ date: new Date("2026-11-25T22:33:12Z"), validUntil: new Date("2026-12-02T22:33:12Z") });
    const live = await startArchiveServer({ archives: { debian: { [TS]: { bookworm: suite }, current: { bookworm: suite } } } });
    try {
      const after = Date.parse("2026-12-03T00:00:00Z");
      const liveSource = { url: `${live.url}/archive/debian/current`, suite: "bookworm", component: "main" };
      const expired = await failure(fetchPackagesIndex(liveSource, "amd64", deps(createMemoryCache(), { now: () => after })));
      expect(expired).toBeInstanceOf(VerificationError);
      expect(expired.code).toBe("RELEASE_EXPIRED");
      expect(expired.message).toContain(`${liveSource.url}/dists/bookworm/InRelease`);
      const before = Date.parse("2026-12-01T00:00:00Z");
      await expect(fetchPackagesIndex(liveSource, "amd64", deps(createMemoryCache(), { now: () => before }))).resolves.toMatchObject({ pin: 500 });
      const snapshot = { ...liveSource, url: live.archiveUrl("debian", TS) };
      await expect(fetchPackagesIndex(snapshot, "amd64", deps(createMemoryCache(), { now: () => after }))).resolves.toMatchObject({ pin: 500 });
    } finally {
      await live.close();
    }
  });

  it("reports an architecture the suite does not build as ARCH_NOT_IN_SUITE", async () => {
    const error = await failure(fetchPackagesIndex(source(), "riscv64", deps()));
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.code).toBe("ARCH_NOT_IN_SUITE");
    expect(error.message).toContain("bookworm");
    expect(error.message).toContain("riscv64");
  });
});

describe("fetchPackagesIndex: cache", () => {
  it("fetches and verifies a suite's InRelease once for several architectures of one run", async () => {
    const d = deps(createMemoryCache(), { run: createArchiveRun() });
    const [amd64, arm64] = await Promise.all([fetchPackagesIndex(source(), "amd64", d), fetchPackagesIndex(source(), "arm64", d)]);
    expect(amd64.records).toHaveLength(3);
    expect(arm64.records).toHaveLength(0);
    expect(paths().filter((p) => p.endsWith("InRelease"))).toEqual(["200 bookworm/InRelease"]);
    expect(d.events.filter((e) => e.type === "inrelease")).toHaveLength(1);
  });

  it("reads an index reached through two snapshots once per run of one run", async () => {
    const later = "20240707T000000Z";
    const two = await startArchiveServer({ archives: { debian: { [TS]: { bookworm: main() }, [later]: { bookworm: main() } } } });
    try {
      const d = deps(createMemoryCache(), { run: createArchiveRun() });
      const at = (ts: string) => ({ url: two.archiveUrl("debian", ts), suite: "bookworm", component: "main" });
      const [a, b] = await Promise.all([fetchPackagesIndex(at(TS), "amd64", d), fetchPackagesIndex(at(later), "amd64", d)]);
      expect(a.indexSha256).toBe(b.indexSha256);
      expect(b.records).toBe(a.records);
      // both InRelease files are verified, one index is downloaded
      expect(two.requests.filter((r) => r.path.endsWith("/InRelease"))).toHaveLength(2);
      expect(two.requests.filter((r) => r.path.includes("binary-amd64"))).toHaveLength(1);
    } finally {
      await two.close();
    }
  });

  it("a warm run of a snapshot URL makes no request: the cached InRelease is verified again, no index is parsed", async () => {
    const cache = createMemoryCache();
    const cold = await fetchPackagesIndex(source(), "amd64", deps(cache));
    server.requests.length = 0;
    const d = deps(cache);
    const warm = await fetchPackagesIndex(source(), "amd64", d);
    expect(server.requests).toEqual([]);
    expect(warm.records).toEqual(cold.records);
    expect(d.events.map((e) => e.type)).toEqual(["inrelease", "index"]);
    expect(d.events).toMatchObject([
      { type: "inrelease", source: "cache" },
      { type: "index", source: "derived" },
    ]);
    // the cached copy is checked again: with other keys it no longer verifies, so it is fetched (and refused) anew
    const stranger = (await getTestKey("stranger")).publicKey;
    expect((await failure(fetchPackagesIndex(source(), "amd64", deps(cache, { keys: [stranger] })))).code).toBe("UNKNOWN_SIGNER");
    expect(paths()).toEqual(["200 bookworm/InRelease"]);
  });

  it("a warm run of a URL without a snapshot timestamp fetches the InRelease again (it may have changed)", async () => {
    const live = await startArchiveServer({ archives: { debian: { current: { bookworm: main({ date: new Date("2026-11-25T22:33:12Z") }) } } } });
    try {
      const cache = createMemoryCache();
      const liveSource = { url: `${live.url}/archive/debian/current`, suite: "bookworm", component: "main" };
      await fetchPackagesIndex(liveSource, "amd64", deps(cache));
      live.requests.length = 0;
      const d = deps(cache);
      await fetchPackagesIndex(liveSource, "amd64", d);
      expect(live.requests.map((r) => `${r.status} ${r.path.replace(/^.*\/dists\//, "")}`)).toEqual(["200 bookworm/InRelease"]);
      expect(d.events).toMatchObject([
        { type: "inrelease", source: "network" },
        { type: "index", source: "derived" },
      ]);
    } finally {
      await live.close();
    }
  });

  it("falls back to the cached index bytes when the derived records are damaged", async () => {
    const { cache, dir } = diskCache();
    const cold = await fetchPackagesIndex(source(), "amd64", deps(cache));
    const derived = filesUnder(join(dir, "derived"));
    expect(derived).toHaveLength(1);
    for (const file of derived) writeFileSync(file, "damaged");
    server.requests.length = 0;
    const d = deps(cache);
    const warm = await fetchPackagesIndex(source(), "amd64", d);
    expect(warm.records).toEqual(cold.records);
    expect(d.events.find((e) => e.type === "index")).toMatchObject({ source: "cache" });
    expect(server.requests).toEqual([]);
  });

  it("re-downloads an index whose cached bytes no longer match their hash", async () => {
    const { cache, dir } = diskCache();
    const cold = await fetchPackagesIndex(source(), "amd64", deps(cache));
    rmSync(join(dir, "derived"), { recursive: true });
    const blob = join(dir, "sha256", cold.indexSha256.slice(0, 2), cold.indexSha256);
    writeFileSync(blob, "not the index");
    server.requests.length = 0;
    const warm = await fetchPackagesIndex(source(), "amd64", deps(cache));
    expect(warm.records).toEqual(cold.records);
    expect(paths()).toEqual([`200 bookworm/main/binary-amd64/by-hash/SHA256/${cold.indexSha256}`]);
  });

  it("offline: serves from the cache without any request, re-verifying the cached InRelease", async () => {
    const cache = createMemoryCache();
    const online = await fetchPackagesIndex(source(), "amd64", deps(cache));
    server.requests.length = 0;
    const offline = await fetchPackagesIndex(source(), "amd64", deps(cache, { offline: true }));
    expect(offline.records).toEqual(online.records);
    expect(server.requests).toEqual([]);
    // a cached InRelease is checked again: with other keys it is refused
    const stranger = (await getTestKey("stranger")).publicKey;
    const error = await failure(fetchPackagesIndex(source(), "amd64", deps(cache, { offline: true, keys: [stranger] })));
    expect(error.code).toBe("UNKNOWN_SIGNER");
  });

  it("offline: a cache miss is OFFLINE_CACHE_MISS naming the URL", async () => {
    const empty = await failure(fetchPackagesIndex(source(), "amd64", deps(createMemoryCache(), { offline: true })));
    expect(empty.code).toBe("OFFLINE_CACHE_MISS");
    expect(empty.message).toContain(`${source().url}/dists/bookworm/InRelease`);
    expect(empty.hint).toContain("without --offline");

    // InRelease cached, index not: the miss names the index
    const { cache, dir } = diskCache();
    await fetchPackagesIndex(source(), "amd64", deps(cache));
    rmSync(join(dir, "sha256"), { recursive: true });
    rmSync(join(dir, "derived"), { recursive: true });
    const noIndex = await failure(fetchPackagesIndex(source(), "amd64", deps(cache, { offline: true })));
    expect(noIndex.code).toBe("OFFLINE_CACHE_MISS");
    expect(noIndex.message).toContain(`${source().url}/dists/bookworm/main/binary-amd64/Packages.xz`);
    expect(server.requests.filter((r) => r.path.includes("binary-amd64"))).toHaveLength(1);
  });
});

describe("records of a run", () => {
  it("are the same, field for field, whether parsed now (cold) or read from the cache (warm)", async () => {
    const cache = createMemoryCache();
    const seen: unknown[] = [];
    for (const run of ["cold", "warm"]) {
      const d = deps(cache, { run: createArchiveRun() });
      const fetched = await fetchPackagesIndex(source("bookworm-all"), "arm64", d);
      expect(d.events.find((e) => e.type === "index")?.source, run).toBe(run === "cold" ? "network" : "derived");
      const tz = fetched.records.find((r) => r.name === "tzdata");
      expect(tz).toBeDefined();
      expect({ architecture: tz!.architecture, provides: tz!.provides, multiArch: tz!.multiArch }).toEqual({
        architecture: "all",
        provides: "tzdata-bookworm",
        multiArch: "foreign",
      });
      seen.push(JSON.parse(JSON.stringify(fetched.records)));
    }
    expect(seen[1]).toEqual(seen[0]);
    expect((seen[0] as unknown[]).length).toBeGreaterThan(0);
  });
});
