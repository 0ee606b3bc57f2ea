import type { PackageRecord } from "../core/debian/package.js";

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
