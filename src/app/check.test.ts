import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PackageRecord } from "../core/debian/package.js";
import { formatFinding } from "./check-finding.js";
import { checkImagePackages } from "./check-images.js";
import { checkRepo, type RepoCheckInput } from "./check-repo.js";
import { LineIndex } from "./line-index.js";
import { readManifestView } from "./manifest-view.js";
import { findUnsatisfiedDependencies } from "./unsatisfied-dependencies.js";

const DIR = join(import.meta.dirname, "../../test/fixtures/check/bookworm/private/repos/deb");
const MANIFEST = readFileSync(join(DIR, "bookworm.yaml"), "utf8");
const LOCK = readFileSync(join(DIR, "bookworm.lock.json"), "utf8");

const repo = (over: Partial<RepoCheckInput> = {}): RepoCheckInput => ({
  name: "bookworm",
  manifestPath: "private/repos/deb/bookworm.yaml",
  manifestText: MANIFEST,
  lockPath: "private/repos/deb/bookworm.lock.json",
  lockText: LOCK,
  resolveTransitive: false,
  ...over,
});
const codes = (input: RepoCheckInput) => checkRepo(input).findings.map((f) => `${f.code}@${f.file.split("/").pop()}:${f.line}`);
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

/** The lock text without the entry of `key` (cut as whole lines, like a hand edit). */
function withoutEntry(text: string, key: string): string {
  const at = text.indexOf(`"key": "${key}"`);
  const start = text.lastIndexOf("\t\t{", at);
  const end = text.indexOf("\t\t}", at) + 3;
  const cut = text.slice(0, start) + text.slice(end);
  return cut.replace(/,(\s*),/, ",$1").replace(/,(\s*)\]/, "$1]");
}

describe("readManifestView", () => {
  it("reads packages with their lines, archs and source roots", () => {
    const view = readManifestView(MANIFEST, "bookworm.yaml");
    expect(view.archs).toEqual(["amd64", "arm64"]);
    expect(view.sources.map((s) => s.urls[0])).toContain("https://snapshot.debian.org/archive/debian-security/20240706T203757Z");
    expect(view.packages.find((p) => p.name === "libc-bin")?.line).toBe(lineOf(MANIFEST, "- libc-bin"));
    expect(view.packages.find((p) => p.name === "libstdc++6")?.spec).toBe("libstdc++6");
  });

  it("reads version constraints and declared arch gaps", () => {
    const view = readManifestView(
      "version: 1\nsources:\n  - channel: x main\n    url: https://a/b/\narchs: [amd64]\npackages:\n  - foo (>= 1.2)\n  - bar=2.0-1\n  - baz # deb-lock: no-arch=arm64,armhf not built there\n  - tzdata # deb-lock: without=debconf,debconf-2.0 no maintainer scripts run\n",
      "m.yaml",
    );
    expect(view.packages.map((p) => [p.name, p.constraint?.op, p.constraint?.version, p.noArchs, p.without])).toEqual([
      ["foo", ">=", "1.2", [], []],
      ["bar", "=", "2.0-1", [], []],
      ["baz", undefined, undefined, ["arm64", "armhf"], []],
      ["tzdata", undefined, undefined, [], ["debconf", "debconf-2.0"]],
    ]);
    expect(view.sources[0]?.urls).toEqual(["https://a/b"]);
  });
});

describe("checkRepo (offline)", () => {
  it("passes the real, consistent repo", () => {
    expect(checkRepo(repo()).findings).toEqual([]);
  });

  it("catches a manifest package missing from the lock, at the manifest line", () => {
    const findings = checkRepo(repo({ lockText: withoutEntry(LOCK, "netbase_6.4_arm64") })).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: "PACKAGE_NOT_LOCKED", file: "private/repos/deb/bookworm.yaml", line: lineOf(MANIFEST, "- netbase") });
    expect(formatFinding(findings[0]!)).toMatch(/^private\/repos\/deb\/bookworm\.yaml:\d+: package netbase has no entry for arm64 in .* — run `deb-lock lock/);
  });

  it("accepts a declared arch gap", () => {
    const manifest = MANIFEST.replace("  - netbase\n", "  - netbase # deb-lock: no-arch=arm64 not needed there\n");
    expect(checkRepo(repo({ manifestText: manifest, lockText: withoutEntry(LOCK, "netbase_6.4_arm64") })).findings).toEqual([]);
  });

  it("catches a stale lock entry (package gone from the manifest)", () => {
    const manifest = MANIFEST.replace("  - netbase\n", "");
    expect(codes(repo({ manifestText: manifest }))).toEqual([
      `STALE_LOCK_ENTRY@bookworm.lock.json:${lineOf(LOCK, '"key": "netbase_6.4_amd64"') - 3}`,
      `STALE_LOCK_ENTRY@bookworm.lock.json:${lineOf(LOCK, '"key": "netbase_6.4_arm64"') - 3}`,
    ]);
  });

  it("catches entries of an arch the manifest no longer builds", () => {
    const manifest = MANIFEST.replace("  - arm64\n", "");
    const findings = checkRepo(repo({ manifestText: manifest })).findings;
    expect(findings.length).toBe(11);
    expect(new Set(findings.map((f) => f.code))).toEqual(new Set(["STALE_LOCK_ENTRY"]));
  });

  it("catches a wrong key", () => {
    const lock = LOCK.replace('"key": "openssl_3.0.13-1~deb12u1_amd64"', '"key": "openssl_3.0.13-1~deb12u2_amd64"');
    expect(lock).not.toBe(LOCK);
    expect(codes(repo({ lockText: lock }))).toEqual([`LOCK_KEY_MISMATCH@bookworm.lock.json:${lineOf(lock, "openssl_3.0.13-1~deb12u2_amd64")}`]);
  });

  it("catches a duplicate entry (same package twice for one arch)", () => {
    const entryStart = LOCK.indexOf("\t\t{", LOCK.indexOf('"key": "netbase_6.4_amd64"') - 200);
    const entryEnd = LOCK.indexOf("\t\t}", entryStart) + 3;
    const copy = LOCK.slice(entryStart, entryEnd).replaceAll("6.4", "6.5");
    const lock = `${LOCK.slice(0, entryEnd)},\n${copy}${LOCK.slice(entryEnd)}`;
    expect(codes(repo({ lockText: lock }))).toEqual([`DUPLICATE_LOCK_ENTRY@bookworm.lock.json:${lineOf(lock, "netbase_6.5_amd64") - 3}`]);
  });

  it("catches URLs that do not match the manifest's sources (bumped snapshot, no relock)", () => {
    const manifest = MANIFEST.replaceAll("20240706T203757Z", "20260801T025533Z");
    const findings = checkRepo(repo({ manifestText: manifest })).findings;
    expect(findings.map((f) => f.code)).toEqual(["LOCK_URL_NOT_IN_SOURCES", "LOCK_URL_NOT_IN_SOURCES"]);
    expect(findings[0]?.message).toMatch(/^base-files_12\.4-p-deb12u6_amd64 and 17 more entries download from https:\/\/snapshot\.debian\.org\/archive\/debian\/20240706T203757Z, which is none of/);
    expect(findings[1]?.message).toMatch(/^libc6_2\.36-9-p-deb12u7_amd64 and 3 more entries download from https:\/\/snapshot\.debian\.org\/archive\/debian-security\/20240706T203757Z,/);
  });

  it("catches a missing or broken lock, and a broken manifest", () => {
    expect(codes(repo({ lockText: undefined }))).toEqual(["LOCK_MISSING@bookworm.yaml:1"]);
    expect(codes(repo({ lockText: LOCK.slice(0, 500) }))[0]).toMatch(/^LOCK_INVALID@bookworm\.lock\.json:\d+$/);
    expect(codes(repo({ manifestText: "version: 1\narchs: [amd64\n" }))[0]).toMatch(/^MANIFEST_INVALID@bookworm\.yaml:\d+$/);
  });

  it("catches recorded dependencies in an explicit-closure repo, and pins the lock does not satisfy", () => {
    const lock = LOCK.replace(
      '"dependencies": [],\n\t\t\t"key": "openssl_3.0.13-1~deb12u1_amd64"',
      '"dependencies": [\n\t\t\t\t{\n\t\t\t\t\t"key": "libssl3_3.0.13-1~deb12u1_amd64",\n\t\t\t\t\t"name": "libssl3",\n\t\t\t\t\t"version": "3.0.13-1~deb12u1"\n\t\t\t\t}\n\t\t\t],\n\t\t\t"key": "openssl_3.0.13-1~deb12u1_amd64"',
    );
    expect(codes(repo({ lockText: lock })).map((c) => c.split("@")[0])).toEqual(["LOCK_DEPENDENCIES_UNEXPECTED"]);
    expect(checkRepo(repo({ lockText: lock, resolveTransitive: true })).findings).toEqual([]);
    const pinned = MANIFEST.replace("  - tzdata\n", "  - tzdata (>= 2024b)\n");
    expect(codes(repo({ manifestText: pinned })).map((c) => c.split("@")[0])).toEqual(["LOCK_VERSION_MISMATCH", "LOCK_VERSION_MISMATCH"]);
  });
});

describe("checkImagePackages", () => {
  const repos = new Map([["bookworm", checkRepo(repo())]]);

  it("catches an image list naming a package absent from the lock", () => {
    const findings = checkImagePackages(
      {
        image: "python3",
        distro: "debian12",
        archs: ["amd64", "arm64"],
        repo: "bookworm",
        packages: [
          { name: "libssl3", file: "python3/BUILD", line: 12 },
          { name: "libsqlite3-0", file: "python3/BUILD", line: 13 },
        ],
      },
      repos,
    );
    expect(findings.map((f) => [f.code, f.line])).toEqual([["IMAGE_PACKAGE_NOT_LOCKED", 13]]);
    expect(findings[0]?.hint).toContain("deb-lock add libsqlite3-0 --image python3");
  });
});

describe("findUnsatisfiedDependencies", () => {
  // Real bookworm stanzas, reduced to the fields that matter.
  const rec = (name: string, version: string, fields: Partial<PackageRecord> = {}): PackageRecord => ({
    name,
    version,
    architecture: "amd64",
    filename: `pool/main/x/${name}.deb`,
    size: 1,
    sha256: "0".repeat(64),
    ...fields,
  });
  const libc6 = rec("libc6", "2.36-9+deb12u7", { depends: "libgcc-s1" });
  const libgcc = rec("libgcc-s1", "12.2.0-14", { depends: "gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)" });
  const gccBase = rec("gcc-12-base", "12.2.0-14");
  const ffmpeg = rec("ffmpeg", "7:5.1.5-0+deb12u1", {
    depends:
      "libavcodec59 (>= 7:5.0), libavdevice59 (>= 7:5.0), libavfilter8 (>= 7:5.1), libavformat59 (>= 7:5.1), libavutil57 (>= 7:5.1), libc6 (>= 2.35), libpostproc56 (>= 7:5.0), libsdl2-2.0-0 (>= 2.0.12), libswresample4 (>= 7:5.1), libswscale6 (>= 7:5.0)",
  });

  it("names every library a lone ffmpeg lacks", () => {
    const missing = findUnsatisfiedDependencies([libc6, libgcc, gccBase, ffmpeg], "amd64");
    expect(missing.map((m) => m.missing.join("|"))).toEqual([
      "libavcodec59",
      "libavdevice59",
      "libavfilter8",
      "libavformat59",
      "libavutil57",
      "libpostproc56",
      "libsdl2-2.0-0",
      "libswresample4",
      "libswscale6",
    ]);
    expect(missing.every((m) => m.name === "ffmpeg" && m.field === "Depends")).toBe(true);
  });

  it("checks versions and honours Provides and alternatives", () => {
    expect(findUnsatisfiedDependencies([libc6, libgcc, gccBase], "amd64")).toEqual([]);
    const oldBase = rec("gcc-12-base", "12.2.0-13");
    expect(findUnsatisfiedDependencies([libc6, libgcc, oldBase], "amd64").map((m) => m.relation)).toEqual(["gcc-12-base (= 12.2.0-14)"]);
    const mawk = rec("mawk", "1.3.4.20200120-3.1", { provides: "awk" });
    const user = rec("needs-awk", "1", { preDepends: "awk | gawk", depends: "debconf (>= 0.5) | debconf-2.0" });
    const cdebconf = rec("cdebconf", "0.270", { provides: "debconf-2.0" });
    expect(findUnsatisfiedDependencies([mawk, user, cdebconf], "amd64")).toEqual([]);
    const versionedNeed = rec("v", "1", { depends: "awk (>= 1)" });
    expect(findUnsatisfiedDependencies([mawk, versionedNeed], "amd64").map((m) => m.relation)).toEqual(["awk (>= 1)"]);
  });
});

describe("LineIndex", () => {
  it("maps offsets to 1-based lines", () => {
    const idx = new LineIndex("a\nbc\n\nd");
    expect([0, 1, 2, 4, 5, 6].map((o) => idx.lineOf(o))).toEqual([1, 1, 2, 2, 3, 4]);
  });
});
