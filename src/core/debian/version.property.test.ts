import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareVersions, formatVersion, parseVersion, type Version } from "./version.js";

// Versions built from few characters, so that near-equal versions (the interesting cases) are common.
const fragmentChar = fc.constantFrom("0", "1", "2", "9", "a", "b", "Z", ".", "+", "~");
const fragment = (minLength: number) => fc.array(fragmentChar, { minLength, maxLength: 6 }).map((cs) => cs.join(""));
const digit = fc.constantFrom("0", "1", "2", "9");

/** Canonical versions: formatVersion(parseVersion(s)) === s. */
const canonicalVersion: fc.Arbitrary<string> = fc
  .record({
    epoch: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2147483647 })),
    first: digit,
    upstream: fragment(0),
    // A hyphen inside upstream is only allowed when there is a revision; a colon only with an epoch.
    hyphenated: fc.boolean(),
    colon: fc.boolean(),
    revision: fc.oneof(fc.constant(""), fragment(1)),
  })
  .map(({ epoch, first, upstream, hyphenated, colon, revision }) => {
    let up = first + upstream;
    if (revision !== "" && hyphenated) up += "-1";
    if (epoch > 0 && colon) up += ":0";
    return `${epoch > 0 ? `${epoch}:` : ""}${up}${revision === "" ? "" : `-${revision}`}`;
  });

/** Versions and small variations of them, so equal and adjacent versions appear often. */
const version: fc.Arbitrary<Version> = fc.tuple(canonicalVersion, fc.constantFrom("", "~", "~~", "0", "+b1", "a", ".0", "-0")).map(([v, suffix]) => {
  const withSuffix = suffix === "-0" ? (v.includes("-") ? v : `${v}-0`) : `${v}${suffix}`;
  return parseVersion(withSuffix);
});

const sign = (n: number): number => Math.sign(n);
const RUNS = { numRuns: 200 };

describe("version order is a total order (fast-check)", () => {
  it("is reflexive and antisymmetric", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, a)).toBe(0);
        expect(sign(compareVersions(a, b))).toBe(-sign(compareVersions(b, a)) || 0);
      }),
      RUNS,
    );
  });

  it("is transitive", () => {
    fc.assert(
      fc.property(version, version, version, (x, y, z) => {
        const [a, b, c] = [x, y, z].sort(compareVersions);
        expect(compareVersions(a!, b!)).toBeLessThanOrEqual(0);
        expect(compareVersions(b!, c!)).toBeLessThanOrEqual(0);
        expect(compareVersions(a!, c!)).toBeLessThanOrEqual(0);
        if (compareVersions(a!, b!) < 0 || compareVersions(b!, c!) < 0) expect(compareVersions(a!, c!)).toBeLessThan(0);
      }),
      RUNS,
    );
  });

  it("treats versions that compare equal as interchangeable", () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        if (compareVersions(a, b) === 0) expect(sign(compareVersions(a, c))).toBe(sign(compareVersions(b, c)));
      }),
      RUNS,
    );
    // Differently written versions that compare equal do occur (so the property above is not vacuous):
    // an explicit 0 epoch, an explicit -0 revision.
    fc.assert(
      fc.property(canonicalVersion, (s) => {
        const v = parseVersion(s);
        if (v.epoch === 0) expect(compareVersions(v, parseVersion(`0:${s}`))).toBe(0);
        if (v.revision === "") expect(compareVersions(v, parseVersion(`${s}-0`))).toBe(0);
      }),
      RUNS,
    );
  });

  it("sorts the same whatever the input order", () => {
    fc.assert(
      fc.property(fc.array(version, { maxLength: 12 }), (vs) => {
        const sorted = [...vs].sort(compareVersions).map(formatVersion);
        const reversed = [...vs].reverse().sort(compareVersions).map(formatVersion);
        const signs = (xs: string[]): number[] => xs.slice(1).map((x, i) => sign(compareVersions(parseVersion(xs[i]!), parseVersion(x))));
        expect(signs(sorted).every((s) => s <= 0)).toBe(true);
        expect(signs(reversed).every((s) => s <= 0)).toBe(true);
        // Same multiset up to equal-comparing versions: pairwise equal position by position.
        sorted.forEach((v, i) => {
          expect(compareVersions(parseVersion(v), parseVersion(reversed[i]!))).toBe(0);
        });
      }),
      RUNS,
    );
  });
});

describe("version parse/format round-trip (fast-check)", () => {
  it("formatVersion(parseVersion(s)) === s for canonical versions", () => {
    fc.assert(
      fc.property(canonicalVersion, (s) => {
        expect(formatVersion(parseVersion(s))).toBe(s);
      }),
      RUNS,
    );
  });

  it("parseVersion(formatVersion(v)) equals v", () => {
    fc.assert(
      fc.property(version, (v) => {
        expect(parseVersion(formatVersion(v))).toEqual(v);
      }),
      RUNS,
    );
  });
});
