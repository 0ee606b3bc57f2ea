import type { PackageChange, ReportEntry, UpdateReport } from "./model.js";

/** The packages an image's lists name for one repo and one (Debian) arch, its base images' lists included. */
export interface ImagePackages {
  /** The image, as the workspace names it (its Bazel package, e.g. `python3`) */
  readonly image: string;
  readonly repo: string;
  readonly arch: string;
  readonly packages: readonly string[];
}

/**
 * The report with, on every change, the images it reaches: those whose lists (or their base images' lists) name
 * the package, or a package that depends on it through the locked dependencies (`after`), in the same repo and
 * arch. Pure; images sorted by name. Changes that reach no image get no `images` field.
 */
export function withAffectedImages(report: UpdateReport, images: readonly ImagePackages[], after: readonly ReportEntry[]): UpdateReport {
  if (images.length === 0) return report;
  const depsOf = new Map<string, readonly string[]>();
  for (const e of after) depsOf.set(`${e.repo}\u0000${e.arch}\u0000${e.name}`, e.dependencies);
  // What each image holds per repo and arch: its listed packages and everything they depend on.
  const holds = images.map((i) => {
    const seen = new Set<string>();
    const queue = [...i.packages];
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      if (seen.has(name)) continue;
      seen.add(name);
      queue.push(...(depsOf.get(`${i.repo}\u0000${i.arch}\u0000${name}`) ?? []));
    }
    return { ...i, seen };
  });
  const changes = report.changes.map((c): PackageChange => {
    const reached = new Set(holds.filter((h) => h.repo === c.repo && c.archs.includes(h.arch) && h.seen.has(c.name)).map((h) => h.image));
    return reached.size === 0 ? c : { ...c, images: [...reached].sort((a, b) => a.localeCompare(b, "en")) };
  });
  return { ...report, changes };
}
