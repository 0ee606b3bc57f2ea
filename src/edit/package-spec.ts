import type { RelationOp } from "../core/debian/relation.js";
import { parseVersion } from "../core/debian/version.js";

/** Package entries of manifests (`pkg`, `pkg (>= 1.2)`, `pkg=1.2-3`) and the package names they hold. */

export interface PackageConstraint {
  readonly op: RelationOp;
  readonly version: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9+.-]*$/;
const OPS: readonly RelationOp[] = ["<<", "<=", "=", ">=", ">>"];

/** Whether `name` is a Debian package name (lowercase letters, digits and `+ . -`, not starting with a symbol). */
export function isPackageName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * Parses one package entry: `pkg`, `pkg (>= 1.2)`, `pkg (=1.2)`, `pkg=1.2-3` (the same as `pkg (= 1.2-3)`).
 * Returns a message instead of throwing so callers can attach a position.
 */
export function parsePackageSpec(spec: string): { name: string; constraint?: PackageConstraint } | { error: string } {
  const trimmed = spec.trim();
  let name = trimmed;
  let constraint: PackageConstraint | undefined;
  const paren = /^(\S+?)\s*\(\s*(<<|<=|>=|>>|=)\s*([^\s()]+)\s*\)$/.exec(trimmed);
  const equals = /^([^\s=()]+)=([^\s=()]+)$/.exec(trimmed);
  if (paren !== null) {
    name = paren[1]!;
    constraint = { op: paren[2] as RelationOp, version: paren[3]! };
  } else if (equals !== null) {
    name = equals[1]!;
    constraint = { op: "=", version: equals[2]! };
  } else if (/[\s()=<>]/.test(trimmed)) {
    return { error: `cannot read package entry ${JSON.stringify(spec)}; write "name", "name (>= version)" or "name=version"` };
  }
  if (!isPackageName(name)) return { error: `${JSON.stringify(name)} is not a Debian package name` };
  if (constraint !== undefined) {
    if (!OPS.includes(constraint.op)) return { error: `unknown operator in ${JSON.stringify(spec)}` };
    try {
      parseVersion(constraint.version);
    } catch (e) {
      return { error: `bad version in ${JSON.stringify(spec)}: ${(e as Error).message}` };
    }
    return { name, constraint };
  }
  return { name };
}
