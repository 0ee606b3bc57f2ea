import type { PublicKey } from "openpgp";
import { parseRelease, type Release } from "../core/debian/release.js";
import { DebLockError, FetchError, ProblemError, VerificationError } from "../core/errors.js";
import { isSnapshotTimestamp } from "../core/snapshot/timestamp.js";
import type { Cache } from "./cache.js";
import type { HttpClient } from "./http.js";

export interface InReleaseEvent {
  readonly type: "inrelease";
  readonly url: string;
  readonly source: "network" | "cache";
  /** True for the second fetch after an index did not match the first. */
  readonly refetch: boolean;
  readonly signers: readonly string[];
}

/** What loading a suite's Release needs. */
export interface ReleaseDeps {
  readonly http: HttpClient;
  readonly cache: Cache;
  readonly keys: PublicKey[];
  readonly offline: boolean;
  readonly onEvent?: (event: InReleaseEvent) => void;
  /** The clock for `Valid-Until` (default Date.now). */
  readonly now?: () => number;
}

export interface VerifiedRelease {
  readonly release: Release;
  readonly signers: readonly string[];
}

/** What a suite publishes to be verified: an InRelease, or (older and third-party archives) Release + Release.gpg. */
type SignedRelease =
  | { readonly kind: "inrelease"; readonly data: Uint8Array }
  | { readonly kind: "detached"; readonly release: Uint8Array; readonly signature: Uint8Array };

/**
 * Downloads (or, offline, reads from the cache) the InRelease at `url` — or Release + Release.gpg where the suite
 * has no InRelease — verifies its signature and parses it.
 *
 * A file under a snapshot timestamp (…/archive/debian/20240706T203757Z/…) never changes: one the cache holds is
 * verified again and used without any request. Other URLs (a live mirror, a third-party repository) are fetched
 * every run, and so is a snapshot's when `refetch` is set (its index did not match) or its cached copy no longer
 * verifies.
 */
export async function loadRelease(url: string, deps: ReleaseDeps, refetch: boolean): Promise<VerifiedRelease> {
  const files = { url, releaseUrl: url.replace(/InRelease$/, "Release"), signatureUrl: `${url.replace(/InRelease$/, "Release")}.gpg` };
  if (deps.offline || (!refetch && isSnapshotUrl(url))) {
    const cached = await readCachedRelease(files, deps.cache);
    if (cached === undefined && deps.offline) throw offlineMiss(url);
    if (cached !== undefined) {
      try {
        return await verifiedRelease(cached, files, "cache", deps, refetch);
      } catch (error) {
        if (deps.offline) throw error;
        // A cached copy that no longer verifies (e.g. another keyring): fetch it again, which reports any failure.
      }
    }
  }
  return verifiedRelease(await downloadRelease(files, deps.http), files, "network", deps, refetch);
}

interface ReleaseFiles {
  readonly url: string;
  readonly releaseUrl: string;
  readonly signatureUrl: string;
}

async function verifiedRelease(
  signed: SignedRelease,
  files: ReleaseFiles,
  origin: "network" | "cache",
  deps: ReleaseDeps,
  refetch: boolean,
): Promise<VerifiedRelease> {
  const { url, releaseUrl, signatureUrl } = files;
  const shownUrl = signed.kind === "inrelease" ? url : releaseUrl;
  // OpenPGP is loaded when the first signature is checked, not with the command.
  const verified =
    signed.kind === "inrelease"
      ? await (await import("../core/trust/inrelease.js")).verifyInRelease(signed.data, deps.keys, url)
      : await (await import("../core/trust/release-gpg.js")).verifyDetachedRelease(signed.release, signed.signature, deps.keys, releaseUrl);
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

async function readCachedRelease(files: ReleaseFiles, cache: Cache): Promise<SignedRelease | undefined> {
  const data = await cache.getByUrl(files.url);
  if (data !== undefined) return { kind: "inrelease", data };
  const release = await cache.getByUrl(files.releaseUrl);
  const signature = await cache.getByUrl(files.signatureUrl);
  if (release !== undefined && signature !== undefined) return { kind: "detached", release, signature };
  return undefined;
}

/**
 * The largest InRelease, Release or Release.gpg accepted (nothing signed states their size): Debian's are about
 * 150 KB, Ubuntu's 300 KB; an endless body stops here instead of filling memory.
 */
const MAX_RELEASE_BYTES = 16 * 1024 * 1024;

async function downloadRelease({ url, releaseUrl, signatureUrl }: ReleaseFiles, http: HttpClient): Promise<SignedRelease> {
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

/** A URL with a snapshot timestamp as a path segment (e.g. …/archive/debian/20240706T203757Z/…): its files never change. */
function isSnapshotUrl(url: string): boolean {
  return new URL(url).pathname.split("/").some(isSnapshotTimestamp);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof FetchError && error.status === 404;
}

/**
 * apt refuses a Release past its `Valid-Until` (a mirror frozen in time, or replaying old files). Snapshot
 * URLs (a path segment like 20240706T203757Z) are historic by design and exempt.
 */
function checkValidUntil(release: Release, url: string, nowMs: number): void {
  if (release.validUntil === undefined) return;
  if (isSnapshotUrl(url)) return;
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
  const found = [
    release.suite === undefined ? undefined : `Suite ${release.suite}`,
    release.codename === undefined ? undefined : `Codename ${release.codename}`,
  ]
    .filter(Boolean)
    .join(", ");
  throw new VerificationError("SUITE_MISMATCH", `${url}: the signed Release is not of ${requested} (it says ${found})`, {
    url,
    hint: "the server answers with another suite's files (a misconfigured mirror or a substitution); check the url and channel of the source, or use another mirror",
  });
}

export function offlineMiss(url: string): DebLockError {
  return new DebLockError("OFFLINE_CACHE_MISS", `--offline: ${url} is not in the cache`, {
    hint: "run once without --offline to fill the cache",
  });
}
