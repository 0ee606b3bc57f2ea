import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { compareVersionStrings, parseVersion, VersionError } from "./version.js";

describe("parseVersion", () => {
  it("splits epoch, upstream and revision", () => {
    expect(parseVersion("1:2.36-9+deb12u4")).toEqual({ epoch: 1, upstream: "2.36", revision: "9+deb12u4" });
    expect(parseVersion("2.0")).toEqual({ epoch: 0, upstream: "2.0", revision: "" });
    expect(parseVersion("1.2-3-4")).toEqual({ epoch: 0, upstream: "1.2-3", revision: "4" });
  });

  it.each(["", " ", "a1.0", "1.0-", ":1.0", "x:1.0", "1:", "1 0", "1.0_1", "1.0-a_b"])("rejects %j", (v) => {
    expect(() => parseVersion(v)).toThrow(VersionError);
  });
});

describe("compareVersionStrings", () => {
  it.each([
    ["1.0~rc1", "1.0", -1],
    ["1.0", "1.0-0", 0],
    ["1:0.1", "2.0", 1],
    ["1.0a", "1.0+", -1],
    ["1.10", "1.9", 1],
    ["2.36-9+deb12u4", "2.36-9+deb12u10", -1],
    ["1.0-1+b1", "1.0-1", 1],
    ["1.0~~", "1.0~", -1],
    ["007", "7", 0],
  ])("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareVersionStrings(a, b))).toBe(sign);
    expect(Math.sign(compareVersionStrings(b, a))).toBe(-sign || 0);
  });
});

// --- dpkg oracle -------------------------------------------------------------------------------
// test/fixtures/debian/version-pairs.tsv.gz holds pairs of real archive versions (and edge cases) with
// the sign `dpkg --compare-versions` gave them; test/tools/gen-version-pairs.mjs regenerates it.

const PAIRS_FILE = join(import.meta.dirname, "../../../test/fixtures/debian/version-pairs.tsv.gz");

function readPairs(): Array<[string, string, number]> {
  return gunzipSync(readFileSync(PAIRS_FILE))
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [a, b, sign] = line.split("\t");
      return [a!, b!, Number(sign)];
    });
}

function hasDpkg(): boolean {
  return spawnSync("dpkg", ["--version"]).status === 0;
}

/** The sign dpkg gives `a` compared with `b`. */
function dpkgSign(a: string, b: string): number {
  const ask = (op: string): boolean => {
    const r = spawnSync("dpkg", ["--compare-versions", a, op, b]);
    if (r.status !== 0 && r.status !== 1) throw new Error(`dpkg --compare-versions ${a} ${op} ${b}: ${r.stderr}`);
    return r.status === 0;
  };
  return ask("lt") ? -1 : ask("eq") ? 0 : 1;
}

describe("compareVersions against the dpkg table", () => {
  const pairs = readPairs();

  it("has at least 20,000 rows of every sign", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(20_000);
    for (const sign of [-1, 0, 1]) expect(pairs.filter((p) => p[2] === sign).length).toBeGreaterThan(100);
    expect(pairs.some(([a, b]) => a.includes("~") && b.includes("~"))).toBe(true);
    expect(pairs.some(([a]) => /^[0-9]+:/.test(a))).toBe(true);
  });

  it("agrees with dpkg on every row", () => {
    const wrong = pairs.filter(([a, b, sign]) => Math.sign(compareVersionStrings(a, b)) !== sign);
    expect(wrong.slice(0, 20)).toEqual([]);
  });
});

const dpkgMissing = !hasDpkg();
describe("compareVersions against dpkg itself", () => {
  it.skipIf(dpkgMissing)(
    `agrees with dpkg --compare-versions on 300 random table rows and synthesized versions${dpkgMissing ? " (SKIPPED: dpkg is not installed)" : ""}`,
    () => {
      const pairs = readPairs();
      const seed = Date.now() % 100_000;
      const sample: Array<[string, string]> = [];
      let s = seed;
      const next = (n: number): number => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return s % n;
      };
      for (let i = 0; i < 200; i++) {
        const [a, b] = pairs[next(pairs.length)]!;
        sample.push([a, b]);
      }
      // Versions the table may not hold: small random strings over the characters that matter.
      const chars = "0019aZz.+~-";
      const synth = (): string => {
        let v = `${next(3) === 0 ? `${next(3)}:` : ""}${next(10)}`;
        for (let n = next(6); n > 0; n--) v += chars[next(chars.length)];
        return v.endsWith("-") ? `${v}1` : v;
      };
      while (sample.length < 300) {
        const a = synth();
        const b = next(2) === 0 ? synth() : a + chars[next(chars.length - 1)];
        try {
          parseVersion(a);
          parseVersion(b);
        } catch {
          continue;
        }
        sample.push([a, b]);
      }
      const wrong = sample
        .map(([a, b]) => ({ a, b, dpkg: dpkgSign(a, b), ours: Math.sign(compareVersionStrings(a, b)) }))
        .filter((r) => r.dpkg !== r.ours);
      expect(wrong, `seed ${seed}`).toEqual([]);
    },
  );
});
