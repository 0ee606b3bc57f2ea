import type { PackageRecord } from "../../core/debian/package.js";
import type { Release } from "../../core/debian/release.js";
import { FetchError } from "../../core/errors.js";
import { type ArchiveEvent, fetchPackagesIndex } from "../../io/archive.js";
import { createArchiveRun } from "../../io/archive-run.js";
import { UniverseCache } from "./resolve-repo.js";
import type { ArchiveServices } from "./services.js";

/** A verified, parsed Packages index of one (source, suite, component, arch). */
export interface LoadedIndex {
  readonly records: readonly PackageRecord[];
  readonly release: Release;
  readonly pin: number;
  /** The canonical archive root the index was read from (one of the source's URLs). */
  readonly url: string;
}

export interface IndexRequest {
  /** Canonical archive roots, in manifest order; the first that answers is used. */
  readonly urls: readonly string[];
  readonly suite: string;
  readonly component: string;
  readonly arch: string;
}

export interface IndexLoader {
  load(request: IndexRequest): Promise<LoadedIndex>;
  /** The universes built from this run's indexes (see universeFor): one per arch and set of indexes, whatever reads it. */
  readonly universes: UniverseCache;
}

/**
 * Loads indexes through the archive layer, once per (urls, suite, component, arch) for the whole run:
 * manifests of one workspace share most of their sources. A source with several URLs falls back to the next
 * URL on a network failure, never on a verification failure.
 */
export function createIndexLoader(services: ArchiveServices, onEvent?: (event: ArchiveEvent) => void): IndexLoader {
  const memo = new Map<string, Promise<LoadedIndex>>();
  // One InRelease download and signature check per suite and run, shared by every arch and component; one decode
  // per index and run, whichever URLs lead to it (e.g. the old and new snapshot of a suite that did not change).
  const run = createArchiveRun();
  const loadOne = async (request: IndexRequest): Promise<LoadedIndex> => {
    const keys = await services.keys();
    let lastError: unknown;
    for (const url of request.urls) {
      try {
        const index = await fetchPackagesIndex({ url, suite: request.suite, component: request.component }, request.arch, {
          http: services.http,
          cache: services.cache,
          keys,
          offline: services.offline,
          run,
          ...(onEvent ? { onEvent } : {}),
        });
        return { records: index.records, release: index.release, pin: index.pin, url };
      } catch (error) {
        if (!(error instanceof FetchError)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  };
  return {
    universes: new UniverseCache(),
    load(request) {
      const key = JSON.stringify([request.urls, request.suite, request.component, request.arch]);
      let pending = memo.get(key);
      if (pending === undefined) {
        pending = loadOne(request);
        memo.set(key, pending);
      }
      return pending;
    },
  };
}
