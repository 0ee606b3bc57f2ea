import type { ResolveResult } from "./resolve-closure.js";

/**
 * Dependency paths from `roots` to `target` over `edges` (package → the packages it depends on, in the order
 * to follow them): each path starts at a root and ends at `target`. Shortest paths first, then in root and
 * edge order; at most `limit` of them; no path visits a package twice. A root that is the target gives the
 * one-element path [root].
 */
export function pathsTo(edges: ReadonlyMap<string, readonly string[]>, roots: readonly string[], target: string, limit = 5): string[][] {
  const found: string[][] = [];
  // breadth first over paths; a package is extended through at most `limit` paths, which keeps the
  // walk linear in the closure size while still finding `limit` distinct shortest paths
  const expansions = new Map<string, number>();
  let frontier: string[][] = roots.map((r) => [r]);
  while (frontier.length > 0 && found.length < limit) {
    const next: string[][] = [];
    for (const path of frontier) {
      const last = path[path.length - 1]!;
      if (last === target) {
        found.push(path);
        if (found.length >= limit) break;
        continue;
      }
      const seen = expansions.get(last) ?? 0;
      if (seen >= limit) continue;
      expansions.set(last, seen + 1);
      for (const dep of edges.get(last) ?? []) if (!path.includes(dep)) next.push([...path, dep]);
    }
    frontier = next;
  }
  return found;
}

/**
 * Dependency paths from the roots of a resolved closure to `name` (for `add` and `why`), following
 * `dependsOn` edges within the closure. Roots and edges are taken in alphabetical order, so paths of equal
 * length come out alphabetically.
 */
export function explainPaths(result: ResolveResult, name: string, limit = 5): string[][] {
  const byName = new Map(result.packages.map((p) => [p.name, p]));
  if (!byName.has(name) || limit <= 0) return [];
  const edges = new Map<string, string[]>();
  for (const p of result.packages) edges.set(p.name, [...p.dependsOn].filter((d) => byName.has(d)).sort());
  return pathsTo(edges, [...result.roots.map((r) => r.name)].sort(), name, limit);
}
