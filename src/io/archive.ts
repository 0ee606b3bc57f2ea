import type { PackageRecord } from "../core/debian/package.js";
import { type PackagesIndexRef, pickPackagesIndex, type Release } from "../core/debian/release.js";
import { ProblemError, VerificationError } from "../core/errors.js";
import { type ArchiveRun, createArchiveRun } from "./archive-run.js";
import { readDerivedRecords, writeDerivedColumns } from "./derived-records.js";
import { decompressAndParse, decompressedLimit, downloadIndex, plainSizeOf } from "./index-download.js";
import { type InReleaseEvent, loadRelease, offlineMiss, type ReleaseDeps, type VerifiedRelease } from "./release-fetch.js";

export type { VerifiedRelease } from "./release-fetch.js";

/** One `sources:` entry of a manifest, for one suite and component. */
export interface ArchiveSourceRef {
  /** Archive root, e.g. https://snapshot.debian.org/archive/debian/20240706T203757Z */
  readonly url: string;
  readonly suite: string;
  readonly component: string;
}

export type ArchiveEvent =
  | InReleaseEvent
  | { readonly type: "index"; readonly url: string; readonly source: "network" | "cache" | "derived"; readonly bytes: number }
  | { readonly type: "index-mismatch"; readonly url: string; readonly expected: string; readonly found: string }
  | { readonly type: "parsed"; readonly url: string; readonly records: number; readonly ms: number };

export interface FetchIndexDeps extends ReleaseDeps {
  /** Index bytes by SHA256, parsed records as derived data, InRelease bytes by URL (re-verified on read). */
  readonly cache: ReleaseDeps["cache"];
  /** Use only the cache: no network at all. */
  readonly offline: boolean;
  readonly onEvent?: (event: ArchiveEvent) => void;
  /** What the fetches of one run share (see ArchiveRun); without it, the call shares nothing. */
  readonly run?: ArchiveRun;
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

/**
 * Fetches and verifies the Packages index of one (source, suite, component, arch):
 * InRelease (or Release + Release.gpg where a suite has no InRelease) → OpenPGP verification → Release
 * → index entry (xz > gz > plain) → download (by-hash when offered, falling back to the plain path on
 * 404) → size and SHA256 checked against the Release before decompressing → parse. A hash mismatch re-fetches the InRelease once (mirror caught mid-sync) before
 * failing with INDEX_HASH_MISMATCH.
 *
 * Caching: the InRelease by URL (re-verified on read), the index bytes by SHA256, and the parsed records
 * as derived data keyed by the index SHA256 — a warm run with an unchanged InRelease downloads no index
 * and parses nothing, and one of a snapshot URL makes no request at all (see loadRelease). Offline runs use only
 * the cache; a miss is OFFLINE_CACHE_MISS.
 */
export async function fetchPackagesIndex(source: ArchiveSourceRef, arch: string, deps: FetchIndexDeps): Promise<FetchedIndex> {
  const root = source.url.replace(/\/+$/, "");
  const distsUrl = `${root}/dists/${source.suite}`;
  const inReleaseUrl = `${distsUrl}/InRelease`;

  const run = deps.run ?? createArchiveRun();
  const { release, signers } = await sharedRelease(inReleaseUrl, deps, run);
  const ref = pickIndex(release, source, arch, inReleaseUrl);
  const indexUrl = `${distsUrl}/${ref.path}`;

  // Another call of this run reads the very same index (same verified SHA256): take its records.
  const shared = run.indexes.get(ref.sha256);
  if (shared !== undefined) {
    const records = await shared.catch(() => undefined);
    if (records !== undefined) {
      deps.onEvent?.({ type: "index", url: indexUrl, source: "derived", bytes: 0 });
      return { records, release, pin: pinOf(release), indexSha256: ref.sha256, indexUrl, signers };
    }
  }
  const claimed = ref.sha256;
  let settle: { resolve: (r: PackageRecord[]) => void; reject: (e: unknown) => void } | undefined;
  if (shared === undefined) {
    const pending = new Promise<PackageRecord[]>((resolve, reject) => (settle = { resolve, reject }));
    pending.catch(() => run.indexes.delete(claimed));
    run.indexes.set(claimed, pending);
  }
  try {
    const fetched = await loadIndexRecords(source, arch, deps, run, { release, signers, ref, indexUrl, distsUrl, inReleaseUrl });
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
  run: ArchiveRun,
  picked: { release: Release; signers: readonly string[]; ref: PackagesIndexRef; indexUrl: string; distsUrl: string; inReleaseUrl: string },
): Promise<FetchedIndex> {
  let { release, signers, ref, indexUrl } = picked;
  const { distsUrl, inReleaseUrl } = picked;
  // Read at once with the run's other indexes: the records are views of the file's bytes, kept as long as they are.
  const derived = await readDerivedRecords(deps.cache, ref.sha256);
  if (derived !== undefined) {
    deps.onEvent?.({ type: "index", url: indexUrl, source: "derived", bytes: 0 });
    return { records: derived, release, pin: pinOf(release), indexSha256: ref.sha256, indexUrl, signers };
  }

  let bytes = await deps.cache.get(ref.sha256);
  if (bytes !== undefined) {
    deps.onEvent?.({ type: "index", url: indexUrl, source: "cache", bytes: bytes.byteLength });
  } else if (deps.offline) {
    throw offlineMiss(indexUrl);
  } else {
    let download = await downloadIndex(distsUrl, ref, release, deps.http);
    if (!download.ok) {
      // The mirror may have been caught mid-sync: the InRelease and the index come from different runs.
      deps.onEvent?.({ type: "index-mismatch", url: download.url, expected: describe(ref), found: download.found });
      const fresh = loadRelease(inReleaseUrl, deps, true);
      run.releases.set(inReleaseUrl, fresh);
      ({ release, signers } = await fresh);
      ref = pickIndex(release, source, arch, inReleaseUrl);
      indexUrl = `${distsUrl}/${ref.path}`;
      download = await downloadIndex(distsUrl, ref, release, deps.http);
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

  const compressed = bytes;
  const indexRef = ref;
  const records = await run.decodeSlot(async () => {
    const started = performance.now();
    const parsed = await decompressAndParse(
      compressed,
      indexRef.compression,
      indexUrl,
      decompressedLimit(release, indexRef),
      plainSizeOf(release, indexRef),
    );
    deps.onEvent?.({ type: "parsed", url: indexUrl, records: parsed.n, ms: Math.round(performance.now() - started) });
    return writeDerivedColumns(deps.cache, indexRef.sha256, parsed);
  });
  return { records, release, pin: pinOf(release), indexSha256: ref.sha256, indexUrl, signers };
}

/** apt's priority for a suite without pinning configuration. */
export function pinOf(release: Release): number {
  if (!release.notAutomatic) return 500;
  return release.butAutomaticUpgrades ? 100 : 1;
}

function sharedRelease(url: string, deps: FetchIndexDeps, run: ArchiveRun): Promise<VerifiedRelease> {
  let pending = run.releases.get(url);
  if (pending === undefined) {
    pending = loadRelease(url, deps, false);
    run.releases.set(url, pending);
    // A failure is reported to every caller, and a later run may try again.
    pending.catch(() => run.releases.delete(url));
  }
  return pending;
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
      { hint: 'check the channel ("<suite> <component>") of this source in the manifest' },
    );
  }
  return ref;
}

function describe(ref: PackagesIndexRef): string {
  return `${ref.size} bytes, SHA256 ${ref.sha256}`;
}
