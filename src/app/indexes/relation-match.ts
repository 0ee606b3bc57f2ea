import { type Relation, versionSatisfies } from "../../core/debian/relation.js";
import { parseVersion, type Version } from "../../core/debian/version.js";

/**
 * How a package already in an image meets one alternative of a dependency, for remove and why (which follow
 * only the dependencies between packages that are present, without a resolver).
 */

/** The package of `rel.name` at `version` meets the relation's version condition (any version when it has none). */
export function versionMeets(version: Version, rel: Relation): boolean {
  return rel.op === undefined || rel.version === undefined || versionSatisfies(version, rel.op, parseVersion(rel.version));
}

/** One of `provides` meets the relation: by name, and for a versioned relation only an `=` versioned Provides that meets it. */
export function providesMeets(provides: readonly Relation[], rel: Relation): boolean {
  const versioned = rel.op !== undefined && rel.version !== undefined;
  return provides.some(
    (p) => p.name === rel.name && (!versioned || (p.op === "=" && p.version !== undefined && versionMeets(parseVersion(p.version), rel))),
  );
}
