import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePackagesIndex } from "./packages-index.js";
import { formatRelations, parseRelations, RelationError, versionSatisfies } from "./relation.js";
import { parseVersion, VersionError } from "./version.js";

const FIXTURE = join(import.meta.dirname, "../../../test/fixtures/debian/Packages.bookworm-amd64.excerpt");

describe("parseRelations", () => {
  it("parses and-of-or groups with versions and arch qualifiers", () => {
    expect(parseRelations("libc6 (>= 2.36), libfoo1:any | libbar (<< 1:2.0~rc1-1), perl:native")).toEqual([
      [{ name: "libc6", op: ">=", version: "2.36" }],
      [
        { name: "libfoo1", archQualifier: "any" },
        { name: "libbar", op: "<<", version: "1:2.0~rc1-1" },
      ],
      [{ name: "perl", archQualifier: "native" }],
    ]);
  });

  it("accepts loose spacing and the obsolete < and > operators (meaning <= and >=)", () => {
    expect(parseRelations("  a(>=1.0)  ,b ( < 2 )|c (> 3)  ")).toEqual([
      [{ name: "a", op: ">=", version: "1.0" }],
      [
        { name: "b", op: "<=", version: "2" },
        { name: "c", op: ">=", version: "3" },
      ],
    ]);
  });

  it("reads architecture restrictions and build profiles of source relations", () => {
    expect(parseRelations("gcc-multilib [amd64 !i386] <!nocheck> <stage1 cross>")).toEqual([
      [{ name: "gcc-multilib", archRestrictions: ["amd64", "!i386"], profiles: ["<!nocheck>", "<stage1 cross>"] }],
    ]);
  });

  it("gives [] for an empty field", () => {
    expect(parseRelations("")).toEqual([]);
    expect(parseRelations("   ")).toEqual([]);
  });

  it.each(["a,,b", "a, ", "a | | b", "a (>= 1", "a (~ 1)", "A", "a (= 1.0 2)", "-a", "a [amd64"])("rejects %j", (text) => {
    expect(() => parseRelations(text)).toThrow(RelationError);
  });

  it.each(["a (>= )", "a (>= x1)", "a (= 1.0_1)"])("rejects the bad version in %j", (text) => {
    expect(() => parseRelations(text)).toThrow(VersionError);
  });
});

describe("formatRelations", () => {
  it("round-trips every relation field of real bookworm stanzas byte for byte", () => {
    const records = parsePackagesIndex(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
    let checked = 0;
    for (const r of records) {
      for (const field of [r.depends, r.preDepends, r.provides, r.conflicts, r.breaks]) {
        if (field === undefined) continue;
        expect(formatRelations(parseRelations(field))).toBe(field);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it("writes the canonical form", () => {
    expect(formatRelations(parseRelations("a(>=1)|b:any ,c"))).toBe("a (>= 1) | b:any, c");
  });
});

describe("versionSatisfies", () => {
  const v = parseVersion;
  it.each([
    ["2.36-9+deb12u4", ">=", "2.36", true],
    ["2.36~rc1", ">=", "2.36", false],
    ["1.0", "=", "1.0-0", true],
    ["1.0", "<<", "1.0", false],
    ["1.0~", "<<", "1.0", true],
    ["1.0", "<=", "1.0", true],
    ["1:0.1", ">>", "9.9", true],
    ["1.0-1", ">>", "1.0-1", false],
  ] as const)("%s %s %s is %s", (candidate, op, required, expected) => {
    expect(versionSatisfies(v(candidate), op, v(required))).toBe(expected);
  });
});
