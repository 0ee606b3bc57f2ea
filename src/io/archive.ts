import { createHash } from "node:crypto";
import type { PublicKey } from "openpgp";
import { createPackagesParser } from "../core/debian/packages-index.js";
import type { PackageRecord } from "../core/debian/package.js";
import { byHashPath, parseRelease, pickPackagesIndex, type PackagesIndexRef, type Release } from "../core/debian/release.js";
import { DebLockError, FetchError, ProblemError, VerificationError } from "../core/errors.js";
import { isSnapshotTimestamp } from "../core/snapshot/timestamp.js";
import { verifyInRelease } from "../core/trust/inrelease.js";
import { verifyDetachedRelease } from "../core/trust/release-gpg.js";
import { decompressChunks } from "./decompress.js";
import type { Cache } from "./cache.js";
import type { HttpClient } from "./http.js";

/** One `sources:` entry of a manifest, for one suite and component. */
export interface ArchiveSourceRef {
  /** Archive root, e.g. https://snapshot.debian.org/archive/debian/20240706T203757Z */
  readonly url: string;
  readonly suite: string;
  readonly component: string;
}

export type ArchiveEvent =
  | {
      readonly type: "inrelease";
      readonly url: string;
      readonly source: "network" | "cache";
      /** True for the second fetch after an index did not match the first. */
      readonly refetch: boolean;
      readonly signers: readonly string[];
    }
  | { readonly type: "index"; readonly url: string; readonly source: "network" | "cache" | "derived"; readonly bytes: number }
  | { readonly type: "index-mismatch"; readonly url: string; readonly expected: string; readonly found: string }
  | { readonly type: "parsed"; readonly url: string; readonly records: number; readonly ms: number };

export interface FetchIndexDeps {
  readonly http: HttpClient;
  /** Index bytes by SHA256, parsed records as derived data, InRelease bytes by URL (re-verified on read). */
  readonly cache: Cache;
  readonly keys: PublicKey[];
  /** Use only the cache: no network at all. */
  readonly offline: boolean;
  readonly onEvent?: (event: ArchiveEvent) => void;
  /**
   * Shares verified InRelease files between calls of one run (pass the same Map to every call), so
   * fetching several architectures of a suite downloads and verifies its InRelease once. The Map also stands
   * for the run in `sharedRecords`: calls given the same Map share identical records of one suite's indexes.
   */
  readonly releases?: Map<string, Promise<VerifiedRelease>>;
  /**
   * Shares parsed indexes between calls of one run, by the SHA256 the verified Release lists for them: the
   * same index reached through two URLs (a snapshot bump whose suite did not change, a mirror and its origin)
   * is read and decoded once.
   */
  readonly indexes?: Map<string, Promise<PackageRecord[]>>;
  /** The clock for `Valid-Until` (default Date.now). */
  readonly now?: () => number;
}

export interface VerifiedRelease {
  readonly release: Release;
  readonly signers: readonly string[];
}

export interface FetchedIndex {
  readonly records: PackageRecord[];
  readonly release: Release;
  /** apt's default pin priority of the suite: 500, NotAutomatic 1, with ButAutomaticUpgrades 100. */
  readonly pin: number;
  /** SHA256 of the (compressed) index file, as listed in the verified Release. */
  readonly indexSha256: string;
  /** Canonical URL of the index file (not the by-hash one). */
  readonly indexUrl: string;
  /** Fingerprints of the keys whose signatures on the InRelease verified. */
  readonly signers: readonly string[];
}

/** Version of the derived-records format; bump when PackageRecord or the parser changes. */
const DERIVED_FORMAT = "deb-lock/packages-records/4";

/**
 * Fetches and verifies the Packages index of one (source, suite, component, arch):
 * InRelease (or Release + Release.gpg where a suite has no InRelease) → OpenPGP verification → Release
 * → index entry (xz > gz > plain) → download (by-hash when offered, falling back to the plain path on
 * 404) → size and SHA256 checked against the Release before decompressing → parse. A hash mismatch re-fetches the InRelease once (mirror caught mid-sync) before
 * failing with INDEX_HASH_MISMATCH.
 *
 * Caching: the InRelease by URL (re-verified on read), the index bytes by SHA256, and the parsed records
 * as derived data keyed by the index SHA256 — a warm run with an unchanged InRelease downloads no index
 * and parses nothing. Offline runs use only the cache; a miss is OFFLINE_CACHE_MISS.
 */
export async function fetchPackagesIndex(source: ArchiveSourceRef, arch: string, deps: FetchIndexDeps): Promise<FetchedIndex> {
  const root = source.url.replace(/\/+$/, "");
  const distsUrl = `${root}/dists/${source.suite}`;
  const inReleaseUrl = `${distsUrl}/InRelease`;

  const { release, signers } = await sharedRelease(inReleaseUrl, deps);
  const ref = pickIndex(release, source, arch, inReleaseUrl);
  const indexUrl = `${distsUrl}/${ref.path}`;

  // Another call of this run reads the very same index (same verified SHA256): take its records.
  const shared = deps.indexes?.get(ref.sha256);
  if (shared !== undefined) {
    const records = await shared.catch(() => undefined);
    if (records !== undefined) {
      deps.onEvent?.({ type: "index", url: indexUrl, source: "derived", bytes: 0 });
      return { records, release, pin: pinOf(release), indexSha256: ref.sha256, indexUrl, signers };
    }
  }
  const claimed = ref.sha256;
  let settle: { resolve: (r: PackageRecord[]) => void; reject: (e: unknown) => void } | undefined;
  if (deps.indexes !== undefined && shared === undefined) {
    const pending = new Promise<PackageRecord[]>((resolve, reject) => (settle = { resolve, reject }));
    pending.catch(() => deps.indexes?.delete(claimed));
    deps.indexes.set(claimed, pending);
  }
  try {
    const fetched = await loadIndexRecords(source, arch, deps, { release, signers, ref, indexUrl, distsUrl, inReleaseUrl });
    if (fetched.indexSha256 === claimed) settle?.resolve(fetched.records);
    else settle?.reject(new Error(`index ${claimed} was replaced by ${fetched.indexSha256}`));
    return fetched;
  } catch (error) {
    settle?.reject(error);
    throw error;
  }
}

/** The records of the index `ref` names: derived cache, index cache, or download (with one InRelease re-fetch). */
async function loadIndexRecords(
  source: ArchiveSourceRef,
  arch: string,
  deps: FetchIndexDeps,
  picked: { release: Release; signers: readonly string[]; ref: PackagesIndexRef; indexUrl: string; distsUrl: string; inReleaseUrl: string },
): Promise<FetchedIndex> {
  let { release, signers, ref, indexUrl } = picked;
  const { distsUrl, inReleaseUrl } = picked;
  const pool = sharedRecords(deps, `${inReleaseUrl} ${source.component}`);
  const derived = await readDerived(ref.sha256, deps.cache);
  if (derived !== undefined) {
    deps.onEvent?.({ type: "index", url: indexUrl, source: "derived", bytes: 0 });
    return { records: pool?.share(derived) ?? derived, release, pin: pinOf(release), indexSha256: ref.sha256, indexUrl, signers };
  }

  let bytes = await deps.cache.get(ref.sha256);
  if (bytes !== undefined) {
    deps.onEvent?.({ type: "index", url: indexUrl, source: "cache", bytes: bytes.byteLength });
  } else if (deps.offline) {
    throw offlineMiss(indexUrl);
  } else {
    let download = await downloadIndex(distsUrl, ref, release, deps);
    if (!download.ok) {
      // The mirror may have been caught mid-sync: the InRelease and the index come from different runs.
      deps.onEvent?.({ type: "index-mismatch", url: download.url, expected: describe(ref), found: download.found });
      const fresh = loadRelease(inReleaseUrl, deps, true);
      deps.releases?.set(inReleaseUrl, fresh);
      ({ release, signers } = await fresh);
      ref = pickIndex(release, source, arch, inReleaseUrl);
      indexUrl = `${distsUrl}/${ref.path}`;
      download = await downloadIndex(distsUrl, ref, release, deps);
      if (!download.ok) {
        throw new VerificationError(
          "INDEX_HASH_MISMATCH",
          `${download.url}: does not match the signed Release ${inReleaseUrl}: expected ${describe(ref)}, found ${download.found}`,
          {
            url: download.url,
            hint: "the mirror is serving files from different syncs (or the download was altered); retry later, or point --mirror at another mirror",
          },
        );
      }
    }
    bytes = download.bytes;
    deps.onEvent?.({ type: "index", url: indexUrl, source: "network", bytes: bytes.byteLength });
    await deps.cache.put(bytes, ref.sha256);
  }

  const started = performance.now();
  const records = await decompressAndParse(bytes, ref, indexUrl, decompressedLimit(release, ref));
  deps.onEvent?.({ type: "parsed", url: indexUrl, records: records.length, ms: Math.round(performance.now() - started) });
  await writeDerived(ref.sha256, records, deps.cache);
  return { records: pool?.share(records) ?? records, release, pin: pinOf(release), indexSha256: ref.sha256, indexUrl, signers };
}

/**
 * Records shared between the indexes of one suite and component. An `Architecture: all` package is listed,
 * identically, in the index of every architecture (half of bookworm's 63k stanzas): within a run, the second and
 * later indexes get the record object of the first, so the strings of a package are held once. A record is shared
 * only when every field is equal; the pools live as long as the run's `releases` Map.
 */
export interface RecordPool {
  /** Replaces, in place, each record equal to one already seen by an earlier call; returns `records`. */
  share(records: PackageRecord[]): PackageRecord[];
}

const recordPools = new WeakMap<object, Map<string, RecordPool>>();

function sharedRecords(deps: FetchIndexDeps, suite: string): RecordPool | undefined {
  if (deps.releases === undefined) return undefined;
  let pools = recordPools.get(deps.releases);
  if (pools === undefined) {
    pools = new Map();
    recordPools.set(deps.releases, pools);
  }
  let pool = pools.get(suite);
  if (pool === undefined) {
    pool = createRecordPool();
    pools.set(suite, pool);
  }
  return pool;
}

/**
 * A pool of `Architecture: all` records (see RecordPool), looked up by package name: names are short, so hashing
 * them costs a quarter of hashing the 64-digit SHA256. An index that lists several versions of a name shares the
 * first one seen only.
 */
export function createRecordPool(): RecordPool {
  const byName = new Map<string, PackageRecord>();
  return {
    share(records) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        if (r.architecture !== "all") continue;
        const seen = byName.get(r.name);
        if (seen === undefined) byName.set(r.name, r);
        else if (seen !== r && sameRecord(seen, r)) records[i] = seen;
      }
      return records;
    },
  };
}

function sameRecord(a: PackageRecord, b: PackageRecord): boolean {
  return (
    a.sha256 === b.sha256 &&
    a.name === b.name &&
    a.version === b.version &&
    a.architecture === b.architecture &&
    a.filename === b.filename &&
    a.size === b.size &&
    a.multiArch === b.multiArch &&
    a.essential === b.essential &&
    a.priority === b.priority &&
    a.source === b.source &&
    a.section === b.section &&
    a.depends === b.depends &&
    a.preDepends === b.preDepends &&
    a.provides === b.provides &&
    a.conflicts === b.conflicts &&
    a.breaks === b.breaks &&
    a.otherRelations === b.otherRelations &&
    a.installedSize === b.installedSize
  );
}

/** apt's priority for a suite without pinning configuration. */
export function pinOf(release: Release): number {
  if (!release.notAutomatic) return 500;
  return release.butAutomaticUpgrades ? 100 : 1;
}

function sharedRelease(url: string, deps: FetchIndexDeps): Promise<VerifiedRelease> {
  if (deps.releases === undefined) return loadRelease(url, deps, false);
  let pending = deps.releases.get(url);
  if (pending === undefined) {
    pending = loadRelease(url, deps, false);
    deps.releases.set(url, pending);
    // A failure is reported to every caller, and the next run of the Map's owner may try again.
    pending.catch(() => deps.releases?.delete(url));
  }
  return pending;
}

/** What a suite publishes to be verified: an InRelease, or (older and third-party archives) Release + Release.gpg. */
type SignedRelease = { readonly kind: "inrelease"; readonly data: Uint8Array } | { readonly kind: "detached"; readonly release: Uint8Array; readonly signature: Uint8Array };

async function loadRelease(url: string, deps: FetchIndexDeps, refetch: boolean): Promise<VerifiedRelease> {
  const releaseUrl = url.replace(/InRelease$/, "Release");
  const signatureUrl = `${releaseUrl}.gpg`;
  const origin = deps.offline ? "cache" : "network";
  const signed = deps.offline ? await readCachedRelease(url, releaseUrl, signatureUrl, deps.cache) : await downloadRelease(url, releaseUrl, signatureUrl, deps.http);
  const shownUrl = signed.kind === "inrelease" ? url : releaseUrl;
  const verified =
    signed.kind === "inrelease"
      ? await verifyInRelease(signed.data, deps.keys, url)
      : await verifyDetachedRelease(signed.release, signed.signature, deps.keys, releaseUrl);
  const release = parseRelease(verified.text, shownUrl);
  checkSuite(release, shownUrl);
  if (origin === "network") {
    checkValidUntil(release, shownUrl, (deps.now ?? Date.now)());
    // Stored only once verified (and verified again whenever it is read back).
    if (signed.kind === "inrelease") {
      await deps.cache.putByUrl(url, signed.data);
    } else {
      await deps.cache.putByUrl(releaseUrl, signed.release);
      await deps.cache.putByUrl(signatureUrl, signed.signature);
    }
  }
  deps.onEvent?.({ type: "inrelease", url: shownUrl, source: origin, refetch, signers: verified.signers });
  return { release, signers: verified.signers };
}

async function readCachedRelease(url: string, releaseUrl: string, signatureUrl: string, cache: Cache): Promise<SignedRelease> {
  const data = await cache.getByUrl(url);
  if (data !== undefined) return { kind: "inrelease", data };
  const release = await cache.getByUrl(releaseUrl);
  const signature = await cache.getByUrl(signatureUrl);
  if (release !== undefined && signature !== undefined) return { kind: "detached", release, signature };
  throw offlineMiss(url);
}

/**
 * The largest InRelease, Release or Release.gpg accepted (nothing signed states their size): Debian's are about
 * 150 KB, Ubuntu's 300 KB; an endless body stops here instead of filling memory.
 */
const MAX_RELEASE_BYTES = 16 * 1024 * 1024;

async function downloadRelease(url: string, releaseUrl: string, signatureUrl: string, http: HttpClient): Promise<SignedRelease> {
  try {
    return { kind: "inrelease", data: (await http.get(url, { maxBytes: MAX_RELEASE_BYTES })).body };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  // No InRelease: apt then uses Release and its detached signature Release.gpg.
  let release: Uint8Array;
  try {
    release = (await http.get(releaseUrl, { maxBytes: MAX_RELEASE_BYTES })).body;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new ProblemError("SUITE_NOT_FOUND", `${url}: not found (HTTP 404), nor ${releaseUrl}: the archive has no such suite at this URL`, {
      hint: "check the suite of the source's channel and its url (archive root, e.g. .../archive/debian/<timestamp>, without /dists)",
      cause: error,
    });
  }
  try {
    return { kind: "detached", release, signature: (await http.get(signatureUrl, { maxBytes: MAX_RELEASE_BYTES })).body };
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new VerificationError("NOT_SIGNED", `${releaseUrl}: the suite publishes neither InRelease nor Release.gpg (HTTP 404)`, {
      url: releaseUrl,
      hint: "deb-lock only uses signed archives; ask the repository's owner to sign it",
      cause: error,
    });
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof FetchError && error.status === 404;
}

/**
 * apt refuses a Release past its `Valid-Until` (a mirror frozen in time, or replaying old files). Snapshot
 * URLs (a path segment like 20240706T203757Z) are historic by design and exempt.
 */
function checkValidUntil(release: Release, url: string, nowMs: number): void {
  if (release.validUntil === undefined) return;
  if (new URL(url).pathname.split("/").some(isSnapshotTimestamp)) return;
  const until = Date.parse(release.validUntil);
  if (Number.isNaN(until) || until >= nowMs) return;
  throw new VerificationError("RELEASE_EXPIRED", `${url}: the Release is past its Valid-Until (${release.validUntil})`, {
    url,
    hint: "the mirror is serving outdated files (stale or frozen); use another mirror, or a snapshot URL to lock against a fixed point in time",
  });
}

/**
 * Like apt: the signed Release must say it is the suite that was asked for (its `Suite` or `Codename`), or a
 * validly signed Release of another suite (trixie served at .../dists/bookworm) would be taken for it.
 */
function checkSuite(release: Release, url: string): void {
  const requested = /\/dists\/(.+)\/(?:In)?Release$/.exec(new URL(url).pathname)?.[1];
  if (requested === undefined || (release.suite === undefined && release.codename === undefined)) return;
  const wanted = [requested, requested.split("/")[0]!];
  if ([release.suite, release.codename].some((name) => name !== undefined && wanted.includes(name))) return;
  const found = [release.suite === undefined ? undefined : `Suite ${release.suite}`, release.codename === undefined ? undefined : `Codename ${release.codename}`].filter(Boolean).join(", ");
  throw new VerificationError("SUITE_MISMATCH", `${url}: the signed Release is not of ${requested} (it says ${found})`, {
    url,
    hint: "the server answers with another suite's files (a misconfigured mirror or a substitution); check the url and channel of the source, or use another mirror",
  });
}

function pickIndex(release: Release, source: ArchiveSourceRef, arch: string, inReleaseUrl: string): PackagesIndexRef {
  const suiteName = release.codename ?? source.suite;
  if (release.architectures.length > 0 && !release.architectures.includes(arch)) {
    throw new ProblemError(
      "ARCH_NOT_IN_SUITE",
      `${source.suite} (${inReleaseUrl}) has no architecture ${arch}; it offers ${release.architectures.join(", ")}`,
      { hint: `remove ${arch} from archs: in the manifest, or use a suite that builds it` },
    );
  }
  const ref = pickPackagesIndex(release, source.component, arch);
  if (ref === undefined) {
    const known = release.components.length > 0 && !release.components.some((c) => c === source.component || c.endsWith(`/${source.component}`));
    throw new ProblemError(
      known ? "COMPONENT_NOT_IN_SUITE" : "INDEX_NOT_IN_RELEASE",
      known
        ? `${suiteName} (${inReleaseUrl}) has no component ${source.component}; it offers ${release.components.join(", ")}`
        : `${inReleaseUrl} lists no Packages index for ${source.component}/binary-${arch}`,
      { hint: "check the channel (\"<suite> <component>\") of this source in the manifest" },
    );
  }
  return ref;
}

type Download = { ok: true; bytes: Uint8Array } | { ok: false; url: string; found: string };

/** Downloads an index (by-hash first when the Release offers it) and checks its size and SHA256. */
async function downloadIndex(distsUrl: string, ref: PackagesIndexRef, release: Release, deps: FetchIndexDeps): Promise<Download> {
  const plainUrl = `${distsUrl}/${ref.path}`;
  let url = release.acquireByHash ? `${distsUrl}/${byHashPath(ref.path, ref.sha256)}` : plainUrl;
  let body: Uint8Array;
  try {
    // The signed Release states the size: nothing longer is read.
    body = (await deps.http.get(url, { maxBytes: ref.size })).body;
  } catch (error) {
    if (!(url !== plainUrl && isNotFound(error))) throw error;
    url = plainUrl;
    body = (await deps.http.get(url, { maxBytes: ref.size })).body;
  }
  if (body.byteLength !== ref.size) return { ok: false, url, found: `${body.byteLength} bytes` };
  const sha256 = createHash("sha256").update(body).digest("hex");
  if (sha256 !== ref.sha256) return { ok: false, url, found: `SHA256 ${sha256}` };
  return { ok: true, bytes: body };
}

/**
 * The most a compressed index may expand to: the size the signed Release states for the uncompressed `Packages`
 * (Debian lists it even where the file itself is not served), else 20 times the compressed size within
 * [64 MiB, 1 GiB] (real indexes expand 4-6 times). A bomb stops here instead of exhausting memory.
 */
function decompressedLimit(release: Release, ref: PackagesIndexRef): number {
  if (ref.compression === "none") return ref.size;
  const plain = release.sha256.get(ref.path.replace(/\.(xz|gz)$/, ""));
  if (plain !== undefined) return plain.size;
  return Math.min(Math.max(ref.size * 20, 64 * 1024 * 1024), 1024 * 1024 * 1024);
}

async function decompressAndParse(bytes: Uint8Array, ref: PackagesIndexRef, indexUrl: string, limit: number): Promise<PackageRecord[]> {
  const records: PackageRecord[] = [];
  const parser = createPackagesParser(indexUrl, (r) => records.push(r));
  let total = 0;
  // Streamed: the decompressed index (50 MB for bookworm amd64) is never held whole.
  await decompressChunks(bytes, ref.compression, indexUrl, (chunk) => {
    total += chunk.byteLength;
    if (total > limit) {
      throw new VerificationError("INDEX_TOO_LARGE", `${indexUrl}: decompresses to more than ${limit} bytes, more than the signed Release allows`, {
        url: indexUrl,
        hint: "the index is corrupt or hostile (a decompression bomb); use another mirror, or report it to the archive's owner",
      });
    }
    parser.push(chunk);
  });
  parser.end();
  return records;
}

/*
 * Derived data: the parsed records of an index, keyed by the index SHA256 and a format version (the cache checks
 * the payload's own hash on read, and the payload names the index it came from).
 *
 * The format is binary and columnar: a table of strings (one UTF-8 blob and the end offset of each string; short
 * values that repeat, like versions, sources and the words of Section or Priority, are in it once), then per field
 * an Int32 column of string ids (-1: absent), Float64 columns for Size and Installed-Size and a byte column for
 * Essential. Reading it back decodes each string of the table once and creates one object per record; nothing
 * else is allocated. Measured on bookworm amd64 (63k records, 24 MB): ~45-50 ms and 35 MB of heap, against ~60 ms
 * for the same columns as JSON (plus a transient 23 MB string), ~75-90 ms and 63 MB of heap for an array of JSON
 * objects (the previous format), ~85 ms for v8.deserialize, and ~160 ms to parse the 50 MB Packages file again.
 */
const DERIVED_FIELDS = [
  "name",
  "version",
  "architecture",
  "filename",
  "sha256",
  "multiArch",
  "priority",
  "source",
  "section",
  "depends",
  "preDepends",
  "provides",
  "conflicts",
  "breaks",
  "otherRelations",
] as const;
const FIELDS = DERIVED_FIELDS.length;
const [D_NAME, D_VERSION, D_ARCHITECTURE, D_FILENAME, D_SHA256, D_MULTI_ARCH, D_PRIORITY, D_SOURCE, D_SECTION, D_DEPENDS, D_PRE_DEPENDS, D_PROVIDES, D_CONFLICTS, D_BREAKS, D_OTHER_RELATIONS] =
  DERIVED_FIELDS.map((_, i) => i) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

/** Written in the header to detect a reader of the other byte order (typed arrays use the platform's). */
const BYTE_ORDER_MARK = 0x01020304;
/** Header after the magic line and the index hash: byte-order mark, record count, string count, blob bytes, flags. */
const HEADER_WORDS = 5;
const ASCII_BLOB = 1;

function derivedKey(indexSha256: string): string {
  return `${DERIVED_FORMAT}/${indexSha256}`;
}

function derivedMagic(indexSha256: string): Uint8Array {
  return new TextEncoder().encode(`${DERIVED_FORMAT}\n${indexSha256}\n`);
}

/** The records as derived data (see above). */
export function encodeDerivedRecords(indexSha256: string, records: readonly PackageRecord[]): Uint8Array {
  const n = records.length;
  const ids = new Map<string, number>();
  const strings: string[] = [];
  const refs = new Int32Array(n * FIELDS);
  const size = new Float64Array(n);
  const installedSize = new Float64Array(n);
  const essential = new Uint8Array(n);
  // Short values that repeat (versions, sources, words) go through the table once; the others (names, file names,
  // hashes, relation fields) are not looked up: hashing 300k long or unique strings cost more than it saved
  // (relation fields repeat in a quarter of the records: 1 MB more per big index, encoding 30% faster).
  const put = (field: number, i: number, value: string | undefined): void => {
    let id = -1;
    if (value !== undefined) {
      id = ids.get(value) ?? -1;
      if (id < 0) {
        id = strings.push(value) - 1;
        ids.set(value, id);
      }
    }
    refs[field * n + i] = id;
  };
  const add = (field: number, i: number, value: string | undefined): void => {
    refs[field * n + i] = value === undefined ? -1 : strings.push(value) - 1;
  };
  for (let i = 0; i < n; i++) {
    // Named reads, one pass: records come in many shapes (optional fields), so keyed reads would be slow.
    const r = records[i]!;
    add(D_NAME, i, r.name);
    put(D_VERSION, i, r.version);
    put(D_ARCHITECTURE, i, r.architecture);
    add(D_FILENAME, i, r.filename);
    add(D_SHA256, i, r.sha256);
    put(D_MULTI_ARCH, i, r.multiArch);
    put(D_PRIORITY, i, r.priority);
    put(D_SOURCE, i, r.source);
    put(D_SECTION, i, r.section);
    add(D_DEPENDS, i, r.depends);
    add(D_PRE_DEPENDS, i, r.preDepends);
    add(D_PROVIDES, i, r.provides);
    add(D_CONFLICTS, i, r.conflicts);
    add(D_BREAKS, i, r.breaks);
    add(D_OTHER_RELATIONS, i, r.otherRelations);
    size[i] = r.size;
    installedSize[i] = r.installedSize ?? -1;
    essential[i] = r.essential === true ? 1 : 0;
  }
  const joined = strings.join("");
  const ascii = Buffer.byteLength(joined, "utf8") === joined.length;
  const ends = new Uint32Array(strings.length);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    at += ascii ? strings[i]!.length : Buffer.byteLength(strings[i]!, "utf8");
    ends[i] = at;
  }
  const header = new Uint32Array([BYTE_ORDER_MARK, n, strings.length, at, ascii ? ASCII_BLOB : 0]);
  const parts = [derivedMagic(indexSha256), header, refs, size, installedSize, essential, ends].map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  // One allocation for the whole entry: the strings are written straight into it.
  const out = Buffer.allocUnsafe(parts.reduce((sum, p) => sum + p.byteLength, 0) + at);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  out.write(joined, offset, ascii ? "latin1" : "utf8");
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Records from derived data, or undefined when the data is not in this format, not of this index, or not
 * consistent (the caller then parses the index again). Fields are set in the order the Packages parser sets them.
 */
export function decodeDerivedRecords(indexSha256: string, data: Uint8Array): PackageRecord[] | undefined {
  // A plain view: slice() of a Node Buffer would share memory instead of copying (see `column`).
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const magic = derivedMagic(indexSha256);
  if (bytes.byteLength < magic.byteLength + HEADER_WORDS * 4) return undefined;
  for (let i = 0; i < magic.byteLength; i++) if (bytes[i] !== magic[i]) return undefined;
  // Typed-array views need aligned offsets; the payload may sit anywhere, so the fixed-size parts are copied.
  const column = (offset: number, length: number): ArrayBuffer => bytes.slice(offset, offset + length).buffer as ArrayBuffer;
  let at = magic.byteLength;
  const header = new Uint32Array(column(at, HEADER_WORDS * 4));
  at += HEADER_WORDS * 4;
  const [mark, n, stringCount, blobBytes, flags] = header as unknown as [number, number, number, number, number];
  if (mark !== BYTE_ORDER_MARK) return undefined;
  const expected = at + n * FIELDS * 4 + n * 8 * 2 + n + stringCount * 4 + blobBytes;
  if (bytes.byteLength !== expected) return undefined;
  const refs = new Int32Array(column(at, n * FIELDS * 4));
  at += n * FIELDS * 4;
  const size = new Float64Array(column(at, n * 8));
  at += n * 8;
  const installedSize = new Float64Array(column(at, n * 8));
  at += n * 8;
  const essential = bytes.subarray(at, at + n);
  at += n;
  const ends = new Uint32Array(column(at, stringCount * 4));
  at += stringCount * 4;
  const blob = Buffer.from(bytes.buffer, bytes.byteOffset + at, blobBytes);

  const encoding = (flags & ASCII_BLOB) !== 0 ? "latin1" : "utf8";
  const strings = new Array<string>(stringCount);
  let start = 0;
  for (let i = 0; i < stringCount; i++) {
    const end = ends[i]!;
    if (end < start || end > blobBytes) return undefined;
    strings[i] = blob.toString(encoding, start, end);
    start = end;
  }
  for (let i = 0; i < refs.length; i++) if (refs[i]! >= stringCount || refs[i]! < -1) return undefined;
  for (const field of [D_NAME, D_VERSION, D_ARCHITECTURE, D_FILENAME, D_SHA256]) {
    for (let i = field * n; i < (field + 1) * n; i++) if (refs[i]! < 0) return undefined;
  }

  const text = (field: number, i: number): string | undefined => {
    const id = refs[field * n + i]!;
    return id < 0 ? undefined : strings[id];
  };
  const records = new Array<PackageRecord>(n);
  for (let i = 0; i < n; i++) {
    const r: { -readonly [K in keyof PackageRecord]: PackageRecord[K] } = {
      name: strings[refs[D_NAME * n + i]!]!,
      version: strings[refs[D_VERSION * n + i]!]!,
      architecture: strings[refs[D_ARCHITECTURE * n + i]!]!,
      filename: strings[refs[D_FILENAME * n + i]!]!,
      size: size[i]!,
      sha256: strings[refs[D_SHA256 * n + i]!]!,
    };
    const multiArch = text(D_MULTI_ARCH, i);
    if (multiArch !== undefined) r.multiArch = multiArch as PackageRecord["multiArch"];
    if (essential[i] === 1) r.essential = true;
    const priority = text(D_PRIORITY, i);
    if (priority !== undefined) r.priority = priority;
    const source = text(D_SOURCE, i);
    if (source !== undefined) r.source = source;
    const section = text(D_SECTION, i);
    if (section !== undefined) r.section = section;
    const depends = text(D_DEPENDS, i);
    if (depends !== undefined) r.depends = depends;
    const preDepends = text(D_PRE_DEPENDS, i);
    if (preDepends !== undefined) r.preDepends = preDepends;
    const provides = text(D_PROVIDES, i);
    if (provides !== undefined) r.provides = provides;
    const conflicts = text(D_CONFLICTS, i);
    if (conflicts !== undefined) r.conflicts = conflicts;
    const breaks = text(D_BREAKS, i);
    if (breaks !== undefined) r.breaks = breaks;
    if (installedSize[i]! >= 0) r.installedSize = installedSize[i]!;
    const otherRelations = text(D_OTHER_RELATIONS, i);
    if (otherRelations !== undefined) r.otherRelations = otherRelations;
    records[i] = r;
  }
  return records;
}

/**
 * Cached parsed indexes are read and decoded one at a time: decoding is synchronous anyway, and a run that reads
 * a dozen indexes then holds one file's bytes (tens of MB for a main suite) at a time instead of all of them.
 */
let derivedReads: Promise<unknown> = Promise.resolve();

function readDerived(indexSha256: string, cache: Cache): Promise<PackageRecord[] | undefined> {
  const read = derivedReads.then(async () => {
    const bytes = await cache.getDerived(derivedKey(indexSha256));
    return bytes === undefined ? undefined : decodeDerivedRecords(indexSha256, bytes);
  });
  derivedReads = read.catch(() => undefined);
  return read;
}

async function writeDerived(indexSha256: string, records: PackageRecord[], cache: Cache): Promise<void> {
  await cache.putDerived(derivedKey(indexSha256), encodeDerivedRecords(indexSha256, records));
}

function describe(ref: PackagesIndexRef): string {
  return `${ref.size} bytes, SHA256 ${ref.sha256}`;
}

function offlineMiss(url: string): DebLockError {
  return new DebLockError("OFFLINE_CACHE_MISS", `--offline: ${url} is not in the cache`, {
    hint: "run once without --offline to fill the cache",
  });
}
