import type { PackageRecord } from "../../core/debian/package.js";
import { parseRelations, type Relation, versionSatisfies } from "../../core/debian/relation.js";
import { parseVersion } from "../../core/debian/version.js";

export interface UnsatisfiedDependency {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** `Depends` or `Pre-Depends` */
  readonly field: string;
  /** The or-group as written, e.g. `libavcodec59 (>= 7:5.0)` */
  readonly relation: string;
  /** Names of the alternatives, none of which the set satisfies */
  readonly missing: readonly string[];
}

interface Provider {
  readonly version: string | undefined;
}

/**
 * Every Depends / Pre-Depends or-group of every package in `set` (one arch, the image with its
 * ancestors) that no package of the set satisfies. A real package of the name with a matching
 * version, or a Provides (versioned Provides for versioned relations), satisfies an alternative.
 * Written independently of the resolver: it decides nothing, it only verifies.
 */
export function findUnsatisfiedDependencies(set: readonly PackageRecord[], arch: string): UnsatisfiedDependency[] {
  const real = new Map<string, string[]>();
  const provided = new Map<string, Provider[]>();
  for (const r of set) {
    let versions = real.get(r.name);
    if (versions === undefined) real.set(r.name, (versions = []));
    versions.push(r.version);
    for (const group of parseRelations(r.provides ?? "")) {
      for (const p of group) {
        let list = provided.get(p.name);
        if (list === undefined) provided.set(p.name, (list = []));
        list.push({ version: p.op === "=" ? p.version : undefined });
      }
    }
  }
  const satisfied = (rel: Relation): boolean => {
    if (rel.archRestrictions !== undefined && !archMatches(rel.archRestrictions, arch)) return true;
    if (rel.op === undefined) return real.has(rel.name) || provided.has(rel.name);
    const want = parseVersion(rel.version!);
    if ((real.get(rel.name) ?? []).some((v) => versionSatisfies(parseVersion(v), rel.op!, want))) return true;
    return (provided.get(rel.name) ?? []).some((p) => p.version !== undefined && versionSatisfies(parseVersion(p.version), rel.op!, want));
  };
  const out: UnsatisfiedDependency[] = [];
  for (const r of set) {
    for (const [field, text] of [
      ["Pre-Depends", r.preDepends],
      ["Depends", r.depends],
    ] as const) {
      if (text === undefined) continue;
      for (const group of parseRelations(text)) {
        if (group.some(satisfied)) continue;
        out.push({
          name: r.name,
          version: r.version,
          arch,
          field,
          relation: group
            .map(
              (a) => `${a.name}${a.archQualifier === undefined ? "" : `:${a.archQualifier}`}${a.op === undefined ? "" : ` (${a.op} ${a.version})`}`,
            )
            .join(" | "),
          missing: group.map((a) => a.name),
        });
      }
    }
  }
  return out;
}

function archMatches(restrictions: readonly string[], arch: string): boolean {
  const negated = restrictions.every((r) => r.startsWith("!"));
  return negated ? !restrictions.includes(`!${arch}`) : restrictions.includes(arch);
}
