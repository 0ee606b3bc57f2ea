import type { ResolveResult } from "./resolve-closure.js";

/**
 * Dependency paths from `roots` to `target` over `edges` (package → the packages it depends on, in the order
 * to follow them): each path starts at a root and ends at `target`. Shortest paths first, then in root and
 * edge order; at most `limit` of them; no path visits a package twice. A root that is the target gives the
 * one-element path [root].
 */
export function pathsTo(edges: ReadonlyMap<string, readonly string[]>, roots: readonly string[], target: string, limit = 5): string[][] {
  // Paths are linked back to front (a step, the one before it), so that extending one copies nothing.
  interface Step {
    readonly name: string;
    readonly before: Step | undefined;
  }
  const visits = (path: Step, name: string): boolean => {
    for (let at: Step | undefined = path; at !== undefined; at = at.before) if (at.name === name) return true;
    return false;
  };
  const toArray = (path: Step): string[] => {
    const out: string[] = [];
    for (let at: Step | undefined = path; at !== undefined; at = at.before) out.push(at.name);
    return out.reverse();
  };
  const found: string[][] = [];
  // breadth first over paths; a package is extended through at most `limit` paths, which keeps the
  // walk linear in the closure size while still finding `limit` distinct shortest paths
  const expansions = new Map<string, number>();
  let frontier: Step[] = roots.map((r) => ({ name: r, before: undefined }));
  while (frontier.length > 0 && found.length < limit) {
    const next: Step[] = [];
    for (const path of frontier) {
      const last = path.name;
      if (last === target) {
        found.push(toArray(path));
        if (found.length >= limit) break;
        continue;
      }
      const seen = expansions.get(last) ?? 0;
      if (seen >= limit) continue;
      expansions.set(last, seen + 1);
      for (const dep of edges.get(last) ?? []) if (!visits(path, dep)) next.push({ name: dep, before: path });
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
  const graph = closureGraph(result);
  return graph.edges.has(name) && limit > 0 ? pathsTo(graph.edges, graph.roots, name, limit) : [];
}

/**
 * Questions about many packages of one closure (for `add`): the graph is built once, each root's reach and each set
 * of starting roots walked once.
 */
export function pathExplainer(result: ResolveResult): PathExplainer {
  let graph: { edges: Map<string, string[]>; roots: string[] } | undefined;
  const reach = new Map<string, Set<string>>();
  const reaches = (root: string, name: string): boolean => {
    let set = reach.get(root);
    if (set === undefined) {
      graph ??= closureGraph(result);
      set = new Set<string>();
      const todo = graph.edges.has(root) ? [root] : [];
      for (const n of todo) set.add(n);
      while (todo.length > 0) {
        for (const dep of graph.edges.get(todo.pop()!) ?? []) {
          if (set.has(dep)) continue;
          set.add(dep);
          todo.push(dep);
        }
      }
      reach.set(root, set);
    }
    return set.has(name);
  };
  const parents = new Map<string, Map<string, string | undefined>>();
  const firstPath = (name: string, from?: ReadonlySet<string>): string[] | undefined => {
    graph ??= closureGraph(result);
    if (!graph.edges.has(name)) return undefined;
    const starts = from === undefined ? graph.roots : graph.roots.filter((r) => from.has(r));
    const key = starts.join(" ");
    let parent = parents.get(key);
    if (parent === undefined) {
      // breadth first from the starting roots in order, each package reached once: the first way a package is
      // reached is its shortest path, and among those the first in root and edge order
      parent = new Map<string, string | undefined>();
      const queue: string[] = [];
      for (const r of starts) {
        if (parent.has(r)) continue;
        parent.set(r, undefined);
        queue.push(r);
      }
      for (let i = 0; i < queue.length; i++) {
        const at = queue[i]!;
        for (const dep of graph.edges.get(at) ?? []) {
          if (parent.has(dep)) continue;
          parent.set(dep, at);
          queue.push(dep);
        }
      }
      parents.set(key, parent);
    }
    if (!parent.has(name)) return undefined;
    const path: string[] = [];
    for (let at: string | undefined = name; at !== undefined; at = parent.get(at)) path.push(at);
    return path.reverse();
  };
  return { reaches, firstPath };
}

/** Whether a package of one closure leads to another, and the first dependency path to a package. */
export interface PathExplainer {
  /** Whether `name` is `root` or among what `root` depends on, directly or not, within the closure. */
  reaches(root: string, name: string): boolean;
  /**
   * The first path explainPaths(result, name) gives among those that start at a root in `from` (any root when undefined):
   * a shortest one, then the first in root and edge order; undefined when none leads to `name`. One walk per set of
   * starting roots, however many names are asked for.
   */
  firstPath(name: string, from?: ReadonlySet<string>): string[] | undefined;
}

function closureGraph(result: ResolveResult): { edges: Map<string, string[]>; roots: string[] } {
  const names = new Set(result.packages.map((p) => p.name));
  const edges = new Map<string, string[]>();
  for (const p of result.packages) edges.set(p.name, [...p.dependsOn].filter((d) => names.has(d)).sort());
  return { edges, roots: [...result.roots.map((r) => r.name)].sort() };
}
