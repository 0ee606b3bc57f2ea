import { FetchError, VerificationError } from "../core/errors.js";
import { DEB_CONTENTS_FORMAT, type DebContents, summarizeDeb } from "../core/image/deb-contents.js";
import { type Cache, sha256Hex } from "./cache.js";
import { readDebArchives } from "./deb-archive.js";
import type { HttpClient } from "./http.js";

/** A .deb as a lock records it. */
export interface LockedDeb {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  /** Canonical URLs, first one first (mirror rules apply inside the HTTP client). */
  readonly urls: readonly string[];
}

export interface DebFetchDeps {
  readonly http: HttpClient;
  readonly cache: Cache;
  readonly offline: boolean;
}

export type DebSource = "cache" | "network";

/**
 * The bytes of a locked .deb: from the content-addressed cache (verified on read), else downloaded from its
 * URLs in order and checked against the lock's SHA-256 before anything keeps them. A mismatch is a
 * VerificationError naming the URL; nothing is cached then.
 */
export async function fetchDeb(deb: LockedDeb, deps: DebFetchDeps): Promise<{ bytes: Uint8Array; source: DebSource; url: string }> {
  const url0 = deb.urls[0] ?? `(no URL for ${deb.name} ${deb.version})`;
  const cached = await deps.cache.get(deb.sha256);
  if (cached !== undefined) return { bytes: cached, source: "cache", url: url0 };
  if (deps.offline) {
    throw new FetchError(
      "OFFLINE_CACHE_MISS",
      `${deb.name} ${deb.version} is not in the cache (${url0}) and --offline forbids fetching it`,
      { url: url0 },
      { hint: "run once without --offline to fill the cache" },
    );
  }
  let lastError: unknown;
  for (const url of deb.urls) {
    let body: Uint8Array;
    try {
      body = (await deps.http.get(url)).body;
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      lastError = error;
      continue;
    }
    const found = sha256Hex(body);
    if (found !== deb.sha256) {
      throw new VerificationError(
        "DEB_HASH_MISMATCH",
        `${url}: ${deb.name} ${deb.version} does not match its lock (SHA-256 expected ${deb.sha256}, found ${found}, ${body.byteLength} bytes)`,
        {
          url,
          hint: "the mirror serves another file under that name, or the download was damaged: run again, try another --mirror, or relock if the lock is stale",
        },
      );
    }
    await deps.cache.put(body, deb.sha256);
    return { bytes: body, source: "network", url };
  }
  if (lastError !== undefined) throw lastError;
  throw new FetchError(
    "DEB_NO_URL",
    `the lock records no URL for ${deb.name} ${deb.version}`,
    { url: url0 },
    { hint: "relock the repo: deb-lock lock" },
  );
}

const contentsKey = (sha256: string): string => `deb-contents ${DEB_CONTENTS_FORMAT} ${sha256}`;

/**
 * The contents summary of a locked .deb: from the cache (keyed by its SHA-256, so a warm run reads no .deb at
 * all), else computed from the .deb (fetched as above) and cached.
 */
export async function debContents(
  deb: LockedDeb,
  deps: DebFetchDeps,
): Promise<{ contents: DebContents; source: DebSource | "summary"; downloadedBytes: number }> {
  const cached = await deps.cache.getDerived(contentsKey(deb.sha256));
  if (cached !== undefined) {
    try {
      return { contents: JSON.parse(new TextDecoder().decode(cached)) as DebContents, source: "summary", downloadedBytes: 0 };
    } catch {
      // A summary that does not parse is recomputed below.
    }
  }
  const { bytes, source, url } = await fetchDeb(deb, deps);
  const archives = await readDebArchives(bytes, url);
  const contents = summarizeDeb(archives.data, archives.control);
  await deps.cache.putDerived(contentsKey(deb.sha256), new TextEncoder().encode(JSON.stringify(contents)));
  return { contents, source, downloadedBytes: source === "network" ? bytes.byteLength : 0 };
}
