import { describe, expect, it } from "vitest";
import type { PackageRecord } from "../debian/package.js";
import { formatVersion } from "../debian/version.js";
import { formatProblem, formatProblems, type Problem } from "./problem.js";
import { buildUniverse } from "./universe.js";

function rec(name: string, version: string, architecture: string, extra: Partial<PackageRecord> = {}): PackageRecord {
  return {
    name,
    version,
    architecture,
    filename: `pool/main/${name[0]}/${name}/${name}_${version}_${architecture}.deb`,
    size: 1,
    sha256: "0".repeat(64),
    ...extra,
  };
}

describe("buildUniverse", () => {
  const bookworm = {
    id: "bookworm",
    pin: 500,
    records: [
      rec("libssl3", "3.0.11-1~deb12u2", "amd64"),
      rec("libssl3", "3.0.11-1~deb12u2", "arm64"),
      rec("tzdata", "2024a-0+deb12u1", "all", { provides: "tzdata-bookworm" }),
      rec("mawk", "1.3.4.20200120-3.1", "amd64", { provides: "awk" }),
    ],
  };
  const security = {
    id: "bookworm-security",
    pin: 500,
    records: [rec("libssl3", "3.0.15-1~deb12u1", "amd64"), rec("libssl3", "3.0.11-1~deb12u2", "amd64")],
  };
  const backports = {
    id: "bookworm-backports",
    pin: 100,
    records: [rec("libssl3", "3.1.0-1~bpo12+1", "amd64", { provides: "libssl (= 3.1.0)" }), rec("gawk", "1:5.2.1-2", "amd64", { provides: "awk" })],
  };

  it("keeps records of the arch and of all, best version first (highest pin, then highest version)", () => {
    const u = buildUniverse([bookworm, security, backports], "amd64");
    expect(u.versionsOf("libssl3").map((v) => [formatVersion(v.version), v.sourceId, v.pin])).toEqual([
      ["3.0.15-1~deb12u1", "bookworm-security", 500],
      ["3.0.11-1~deb12u2", "bookworm-security", 500],
      ["3.1.0-1~bpo12+1", "bookworm-backports", 100],
    ]);
    expect(u.versionsOf("tzdata").map((v) => v.record.architecture)).toEqual(["all"]);
    expect(u.versionsOf("nothing")).toEqual([]);
    expect(u.names()).toEqual(["gawk", "libssl3", "mawk", "tzdata"]);
    expect(u.size).toBe(6);
  });

  it("merges one version found in several sources: the last source's record (rules_distroless's), the highest pin", () => {
    const low = { id: "low", pin: 1, records: [rec("mawk", "1.3.4.20200120-3.1", "amd64")] };
    expect(
      buildUniverse([low, bookworm], "amd64")
        .versionsOf("mawk")
        .map((v) => [v.sourceId, v.pin]),
    ).toEqual([["bookworm", 500]]);
    expect(
      buildUniverse([bookworm, low], "amd64")
        .versionsOf("mawk")
        .map((v) => [v.sourceId, v.pin]),
    ).toEqual([["low", 500]]);
    const record = buildUniverse([bookworm, security], "amd64")
      .versionsOf("libssl3")
      .find((v) => v.record.version === "3.0.11-1~deb12u2")!.record;
    expect(record).toBe(security.records[1]);
  });

  it("indexes Provides, with the provided version when there is one", () => {
    const u = buildUniverse([bookworm, backports], "amd64");
    expect(
      u
        .providersOf("awk")
        .map((p) => p.by.record.name)
        .sort(),
    ).toEqual(["gawk", "mawk"]);
    expect(u.providersOf("awk").every((p) => p.version === undefined)).toBe(true);
    expect(u.providersOf("libssl").map((p) => (p.version === undefined ? undefined : formatVersion(p.version)))).toEqual(["3.1.0"]);
    expect(u.providersOf("tzdata-bookworm").map((p) => p.by.record.name)).toEqual(["tzdata"]);
  });

  it("arm64 sees only arm64 and all records", () => {
    const u = buildUniverse([bookworm, security, backports], "arm64");
    expect(u.names()).toEqual(["libssl3", "tzdata"]);
    expect(u.providersOf("awk")).toEqual([]);
  });

  it("parses relation fields on first use, Pre-Depends before Depends, and caches them", () => {
    const r = rec("perl-base", "5.36.0-7", "amd64", {
      preDepends: "libc6 (>= 2.35)",
      depends: "dpkg (>= 1.17.17) | dpkg-dev",
      conflicts: "perl (<< 5.36)",
    });
    const u = buildUniverse([{ id: "x", pin: 500, records: [r] }], "amd64");
    const parsed = u.relationsOf(r);
    expect(parsed.dependencies.map((g) => g.map((rel) => rel.name))).toEqual([["libc6"], ["dpkg", "dpkg-dev"]]);
    expect(parsed.conflicts[0]?.[0]).toEqual({ name: "perl", op: "<<", version: "5.36" });
    expect(u.relationsOf(r)).toBe(parsed);
  });
});

describe("formatProblem", () => {
  const problem: Problem = {
    code: "NOT_FOUND",
    package: "libipt2",
    arch: "arm64",
    message: 'gdb 13.1-3 depends on "libipt2 (>= 2.0)", but no package or provider of libipt2 exists for arm64',
    chain: ["gdb", "libipt2"],
  };

  it("names code, package and arch, then the chain from the root", () => {
    expect(formatProblem(problem)).toBe(
      'NOT_FOUND libipt2 (arm64): gdb 13.1-3 depends on "libipt2 (>= 2.0)", but no package or provider of libipt2 exists for arm64\n' +
        "  required by: gdb → libipt2",
    );
    expect(formatProblem({ ...problem, chain: ["libipt2"] })).toBe(formatProblem(problem).split("\n")[0]);
    expect(formatProblems([problem, problem]).split("\n")).toHaveLength(4);
  });
});
