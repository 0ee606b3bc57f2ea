import { describe, expect, it } from "vitest";
import { exitCodeFor } from "../../cli/exit-codes.js";
import { FixedPointError, fixedPoint, sameSetMap, showSetMap } from "./fixed-point.js";

const grow = (m: ReadonlyMap<string, ReadonlySet<string>>, add: (s: ReadonlySet<string>) => string[]): Map<string, Set<string>> =>
  new Map([...m].map(([k, v]) => [k, new Set([...v, ...add(v)])]));

describe("fixedPoint", () => {
  it("returns the state once a round changes nothing, and says how many rounds it took", () => {
    let rounds = 0;
    const start = new Map([["amd64", new Set<string>()]]);
    // Each round adds one name until there are three: settles on the fourth round.
    const result = fixedPoint(
      "test",
      start,
      (s) => {
        rounds++;
        return grow(s, (v) => (v.size < 3 ? [`p${v.size}`] : []));
      },
      sameSetMap,
      showSetMap,
    );
    expect([...result.get("amd64")!].sort()).toEqual(["p0", "p1", "p2"]);
    expect(rounds).toBe(4);
  });

  it("throws FixedPointError with the last states when the loop does not settle, which the CLI maps to exit 70", () => {
    const start = new Map([["arm64", new Set<string>()]]);
    let error: unknown;
    try {
      fixedPoint("the package set of image python3 shared by its archs", start, (s) => grow(s, (v) => [`p${v.size}`]), sameSetMap, showSetMap, 5);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FixedPointError);
    const e = error as FixedPointError;
    expect(e.rounds).toBe(5);
    expect(e.message).toContain("did not settle after 5 rounds");
    expect(e.state).toContain("before the last round: arm64: {p0, p1, p2, p3, p4}");
    expect(e.state).toContain("after it: arm64: {p0, p1, p2, p3, p4, p5}");
    expect(exitCodeFor(e)).toBe(70);
  });

  it("compares set maps by content, not order", () => {
    expect(sameSetMap(new Map([["a", new Set(["x", "y"])]]), new Map([["a", new Set(["y", "x"])]]))).toBe(true);
    expect(sameSetMap(new Map([["a", new Set(["x"])]]), new Map([["a", new Set(["x", "y"])]]))).toBe(false);
    expect(sameSetMap(new Map([["a", new Set(["x"])]]), new Map([["b", new Set(["x"])]]))).toBe(false);
  });
});
