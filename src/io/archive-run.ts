import { availableParallelism } from "node:os";
import type { PackageRecord } from "../core/debian/package.js";
import type { VerifiedRelease } from "./release-fetch.js";

/**
 * What the index fetches of one run share (pass the same object to every fetch of a run; a fetch without one gets
 * its own): nothing here outlives the run.
 */
export interface ArchiveRun {
  /** Verified InRelease files by URL: fetching several architectures of a suite downloads and verifies it once. */
  readonly releases: Map<string, Promise<VerifiedRelease>>;
  /**
   * Parsed indexes by the SHA256 the verified Release lists for them: the same index reached through two URLs (a
   * snapshot bump whose suite did not change, a mirror and its origin) is read and decoded once.
   */
  readonly indexes: Map<string, Promise<PackageRecord[]>>;
  /**
   * Runs `work` (decompress, parse and encode one downloaded index) when one of a few slots is free: one per core,
   * at most 4. The downloads of a run go on meanwhile; what is bounded is the index files and their records being
   * decoded at once, each tens of MB, which made most of the peak memory of a cold run.
   */
  decodeSlot<T>(work: () => Promise<T>): Promise<T>;
}

export function createArchiveRun(options: { decodeSlots?: number } = {}): ArchiveRun {
  const slots = options.decodeSlots ?? Math.max(1, Math.min(4, availableParallelism()));
  let busy = 0;
  const waiting: (() => void)[] = [];
  return {
    releases: new Map(),
    indexes: new Map(),
    async decodeSlot(work) {
      if (busy >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
      else busy++;
      try {
        return await work();
      } finally {
        // The slot passes straight to the next in line, or is freed.
        const next = waiting.shift();
        if (next !== undefined) next();
        else busy--;
      }
    },
  };
}
