import type { ResolveResult } from "./resolve-closure.js";

/**
 * Dependency paths from the roots to `name` (for `deb-lock why`): each path starts at a root and
 * follows `dependsOn` edges, ending at `name`. Shortest paths first, then alphabetical; at most `limit`
 * of them; no path visits a package twice. A root asked about gives the one-element path [root].
 */
export function explainPaths(result: ResolveResult, name: string, limit = 5): string[][] {
  const byName = new Map(result.packages.map((p) => [p.name, p]));
  if (!byName.has(name) || limit <= 0) return [];
  const roots = [...result.roots.map((r) => r.name)].sort();
  const found: string[][] = [];
  // breadth first over paths; a package is extended through at most `limit` paths, which keeps the
  // walk linear in the closure size while still finding `limit` distinct shortest paths
  const expansions = new Map<string, number>();
  let frontier: string[][] = roots.map((r) => [r]);
  while (frontier.length > 0 && found.length < limit) {
    const next: string[][] = [];
    for (const path of frontier) {
      const last = path[path.length - 1]!;
      if (last === name) {
        found.push(path);
        if (found.length >= limit) break;
        continue;
      }
      const seen = expansions.get(last) ?? 0;
      if (seen >= limit) continue;
      expansions.set(last, seen + 1);
      for (const dep of [...(byName.get(last)?.dependsOn ?? [])].sort()) {
        if (!path.includes(dep) && byName.has(dep)) next.push([...path, dep]);
      }
    }
    frontier = next;
  }
  return found;
}
