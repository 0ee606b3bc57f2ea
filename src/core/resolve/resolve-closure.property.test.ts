import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PackageRecord } from "../debian/package.js";
import { dependencyClosureOf } from "./dependency-closure.js";
import { type ResolveResult, resolveClosure } from "./resolve-closure.js";
import { buildUniverse, type UniverseSource } from "./universe.js";

// Random small universes: a handful of names, a few versions each spread over two sources, Depends with
// alternatives and version constraints, Provides (versioned or not), Conflicts. The resolver's answer
// must not depend on the order of the roots or on the order of records inside a source.

const NAMES = ["a", "b", "c", "d", "e", "f", "v1", "v2"] as const;
const VERSIONS = ["1.0-1", "1.5-1", "2.0-1"] as const;
const OPS = ["<<", "<=", "=", ">=", ">>"] as const;

const relation = fc.record({
  name: fc.constantFrom(...NAMES),
  constraint: fc.option(fc.tuple(fc.constantFrom(...OPS), fc.constantFrom(...VERSIONS)), { nil: undefined }),
});
const relText = (r: { name: string; constraint: readonly [string, string] | undefined }): string =>
  r.constraint === undefined ? r.name : `${r.name} (${r.constraint[0]} ${r.constraint[1]})`;

const stanza = fc.record({
  name: fc.constantFrom("a", "b", "c", "d", "e", "f"),
  version: fc.constantFrom(...VERSIONS),
  source: fc.constantFrom(0, 1),
  all: fc.boolean(),
  essential: fc.boolean(),
  depends: fc.array(fc.array(relation, { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
  provides: fc.array(fc.record({ name: fc.constantFrom("v1", "v2"), versioned: fc.option(fc.constantFrom(...VERSIONS), { nil: undefined }) }), {
    maxLength: 2,
  }),
  conflicts: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
});

type Stanza = typeof stanza extends fc.Arbitrary<infer T> ? T : never;

function toRecord(s: Stanza): PackageRecord {
  const depends = s.depends.map((g) => g.map(relText).join(" | ")).join(", ");
  const provides = s.provides.map((p) => (p.versioned === undefined ? p.name : `${p.name} (= ${p.versioned})`)).join(", ");
  return {
    name: s.name,
    version: s.version,
    architecture: s.all ? "all" : "amd64",
    ...(s.essential ? { essential: true } : {}),
    ...(depends === "" ? {} : { depends }),
    ...(provides === "" ? {} : { provides }),
    ...(s.conflicts === undefined ? {} : { conflicts: s.conflicts }),
    filename: `pool/main/${s.name}/${s.name}_${s.version}_amd64.deb`,
    size: 1,
    sha256: "0".repeat(64),
  };
}

/** Sources from stanzas, one record per (source, name, version). */
function toSources(stanzas: readonly Stanza[]): UniverseSource[] {
  const out: UniverseSource[] = [
    { id: "main", pin: 500, records: [] },
    { id: "updates", pin: 500, records: [] },
  ];
  const seen = new Set<string>();
  for (const s of stanzas) {
    const key = `${s.source} ${s.name} ${s.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    (out[s.source]!.records as PackageRecord[]).push(toRecord(s));
  }
  return out;
}

/** What must not change: outcome, packages with versions, sources and edges, problems. */
function summary(r: ResolveResult): unknown {
  return {
    ok: r.ok,
    packages: r.packages.map((p) => [p.name, p.version, p.sourceId, [...p.dependsOn]]),
    roots: r.roots.map((p) => p.name).sort(),
    problems: r.ok ? [] : r.problems.map((p) => [p.code, p.package, p.message, [...p.chain]].join(" ")).sort(),
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed | 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = Math.abs(x) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The stanzas without alternatives (each or-group keeps its first member). */
const withoutAlternatives = (stanzas: readonly Stanza[]): Stanza[] => stanzas.map((s) => ({ ...s, depends: s.depends.map((g) => g.slice(0, 1)) }));
/** The stanzas without Provides. */
const withoutProvides = (stanzas: readonly Stanza[]): Stanza[] => stanzas.map((s) => ({ ...s, provides: [] }));

// Like apt, the resolver expands roots in the order given (an or-group a later root meets may already be
// satisfied by an earlier root's pick) and breaks ties between providers by the order apt registers names
// while reading the indexes. Where neither can play a part, input order must not matter.
describe("resolveClosure is independent of input order where apt's is", () => {
  const input = fc.record({
    stanzas: fc.array(stanza, { minLength: 1, maxLength: 14 }),
    roots: fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f", "v1"), { minLength: 1, maxLength: 4 }),
    seed: fc.integer(),
  });

  it("of the order of the roots, without alternatives or Provides", () => {
    fc.assert(
      fc.property(input, ({ stanzas, roots, seed }) => {
        const universe = buildUniverse(toSources(withoutProvides(withoutAlternatives(stanzas))), "amd64");
        const a = resolveClosure({ universe, roots: roots.map((name) => ({ name })) });
        const b = resolveClosure({ universe, roots: shuffled(roots, seed).map((name) => ({ name })) });
        // which problem is met first (a clash with an earlier root's pick, or no candidate) may differ
        expect(b.ok).toBe(a.ok);
        if (a.ok) expect(summary(b)).toEqual(summary(a));
      }),
      { numRuns: 300 },
    );
  });

  it("of the order of records within each source, without Provides", () => {
    fc.assert(
      fc.property(input, ({ stanzas, roots, seed }) => {
        const sources = toSources(withoutProvides(stanzas));
        const reordered = sources.map((s, i) => ({ ...s, records: shuffled(s.records, seed + i) }));
        const request = { roots: roots.map((name) => ({ name })) };
        const a = resolveClosure({ universe: buildUniverse(sources, "amd64"), ...request });
        const b = resolveClosure({ universe: buildUniverse(reordered, "amd64"), ...request });
        expect(summary(b)).toEqual(summary(a));
      }),
      { numRuns: 300 },
    );
  });

  it("never lists a package twice, and every dependsOn edge points into the result or is unsatisfied", () => {
    fc.assert(
      fc.property(input, ({ stanzas, roots }) => {
        const r = resolveClosure({ universe: buildUniverse(toSources(stanzas), "amd64"), roots: roots.map((name) => ({ name })) });
        const names = r.packages.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const p of r.packages) {
          expect(new Set(p.dependsOn).size).toBe(p.dependsOn.length);
          for (const d of p.dependsOn) expect(names).toContain(d);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a lone root's dependency list (the lock entry's) holds exactly the rest of its closure", () => {
    fc.assert(
      fc.property(input, ({ stanzas, roots }) => {
        const universe = buildUniverse(toSources(stanzas), "amd64");
        for (const name of roots) {
          const r = resolveClosure({ universe, roots: [{ name }] });
          const root = r.roots[0];
          if (root === undefined) continue;
          const deps = dependencyClosureOf(r, root.name).map((p) => p.name);
          expect(new Set(deps).size).toBe(deps.length);
          expect([...deps].sort()).toEqual(r.packages.map((p) => p.name).filter((n) => n !== root.name));
        }
      }),
      { numRuns: 300 },
    );
  });
});
