import type { ResolvedPackage, ResolveResult } from "./resolve-closure.js";

/**
 * The transitive dependencies of one root, in the order rules_distroless writes a lock entry's
 * `dependencies` list.
 *
 * What rules_distroless does (bazel-contrib/rules_distroless, apt/private/apt_dep_resolver.bzl
 * `_resolve_all`, read for this; its lockfile code `add_package_dependency` skips a key already listed):
 * - a stack starts with the root; each step pops the top entry;
 * - a popped package already visited is skipped; the root itself is never listed (when a cycle pops it
 *   again it is not marked visited, so its dependencies are pushed once more);
 * - otherwise the package is appended to the list and marked visited, then its Pre-Depends and then its
 *   Depends are pushed in field order, so the LAST dependency is popped first (a depth-first walk that
 *   visits later dependencies before earlier ones);
 * - an or-group pushes its alternatives in reverse so the first is tried first; the group counts as met
 *   by the first alternative found, and the others are skipped when popped.
 * So the list has no duplicates and never contains the root.
 *
 * deb-lock walks the same way over its own choices: each or-group is represented by the package the
 * resolver picked for it (apt's choice, which may differ from rules_distroless' own pick, e.g. among
 * providers), so every package the resolver chose for a root is in that root's list. Packages already
 * installed (not part of the result) are not listed or walked.
 */
export function dependencyClosureOf(result: ResolveResult, rootName: string): ResolvedPackage[] {
  const byName = new Map(result.packages.map((p) => [p.name, p]));
  const root = byName.get(rootName);
  if (root === undefined) return [];
  const out: ResolvedPackage[] = [];
  const visited = new Set<string>();
  const stack: string[] = [rootName];
  // every pop either visits a new package or re-expands the root, which only a newly visited
  // package can push again: the walk ends
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (visited.has(name)) continue;
    const pkg = byName.get(name);
    if (pkg === undefined) continue;
    if (name !== rootName) {
      visited.add(name);
      out.push(pkg);
    }
    for (const dep of satisfierPerGroup(pkg, byName)) stack.push(dep);
  }
  return out;
}

/**
 * For each Pre-Depends/Depends or-group of `pkg` (field order), the package the resolver credited with it
 * (the one it picked, or the one that already satisfied the group). A package satisfying two groups is
 * pushed twice, as rules_distroless pushes it, which decides where it lands in the list.
 */
function satisfierPerGroup(pkg: ResolvedPackage, byName: ReadonlyMap<string, ResolvedPackage>): string[] {
  const out: string[] = [];
  for (const name of pkg.groupSatisfiers) if (name !== undefined && name !== pkg.name && byName.has(name)) out.push(name);
  return out;
}
