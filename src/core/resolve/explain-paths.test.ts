import { describe, expect, it } from "vitest";
import { pathExplainer, pathsTo } from "./explain-paths.js";
import type { ResolveResult } from "./resolve-closure.js";

describe("pathsTo", () => {
  const edges = new Map<string, string[]>([
    ["python3", ["libpython3", "libc6", "zlib1g"]],
    ["libpython3", ["libc6", "libssl3", "zlib1g"]],
    ["libssl3", ["libc6"]],
    ["zlib1g", ["libc6"]],
    ["libc6", ["libgcc-s1"]],
    ["libgcc-s1", ["libc6"]],
  ]);

  it("gives shortest paths first, in root and edge order, never visiting a package twice", () => {
    expect(pathsTo(edges, ["python3"], "libc6", 3)).toEqual([
      ["python3", "libc6"],
      ["python3", "libpython3", "libc6"],
      ["python3", "zlib1g", "libc6"],
    ]);
    expect(pathsTo(edges, ["python3"], "libgcc-s1", 10).every((p) => new Set(p).size === p.length)).toBe(true);
  });

  it("follows edges in the order given (why keeps the record's dependency order)", () => {
    const reversed = new Map([...edges].map(([k, v]) => [k, [...v].reverse()]));
    expect(pathsTo(reversed, ["python3"], "libc6", 2)).toEqual([
      ["python3", "libc6"],
      ["python3", "zlib1g", "libc6"],
    ]);
  });

  it("gives a root asked about as a one-element path, and nothing for an unreachable target or a zero limit", () => {
    expect(pathsTo(edges, ["libssl3", "python3"], "libssl3")).toEqual([["libssl3"], ["python3", "libpython3", "libssl3"]]);
    expect(pathsTo(edges, ["zlib1g"], "libssl3")).toEqual([]);
    expect(pathsTo(edges, ["python3"], "libc6", 0)).toEqual([]);
  });
});

describe("pathExplainer(...).firstPath", () => {
  // A closure as pathExplainer reads it: packages with their dependencies, and the roots asked for.
  const closure = (edges: ReadonlyMap<string, readonly string[]>, roots: readonly string[]): ResolveResult =>
    ({
      packages: [...edges].map(([name, deps]) => ({ name, dependsOn: deps })),
      roots: roots.map((name) => ({ name })),
    }) as unknown as ResolveResult;

  it("is the first path pathsTo gives from the chosen roots, on random graphs", () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const names = Array.from({ length: 2 + random(6) }, (_, i) => `p${i}`);
      const edges = new Map(names.map((n) => [n, [...new Set(names.filter(() => random(4) === 0))].sort()]));
      const roots = [...new Set(names.filter(() => random(3) === 0))].sort();
      const from = new Set(roots.filter(() => random(2) === 0));
      const explain = pathExplainer(closure(edges, roots));
      for (const target of names) {
        const all = pathsTo(edges, roots, target, 100_000);
        expect(explain.firstPath(target)).toEqual(all[0]);
        expect(explain.firstPath(target, from)).toEqual(all.find((p) => from.has(p[0]!)));
      }
    }
  });

  it("gives nothing for a package outside the closure", () => {
    const explain = pathExplainer(
      closure(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
        ["a"],
      ),
    );
    expect(explain.firstPath("a")).toEqual(["a"]);
    expect(explain.firstPath("b")).toEqual(["a", "b"]);
    expect(explain.firstPath("zz")).toBeUndefined();
  });
});
