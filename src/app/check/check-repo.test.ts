import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFinding } from "./check-finding.js";
import { checkImagePackages } from "./check-images.js";
import { checkRepo, type RepoCheckInput } from "./check-repo.js";

const DIR = join(import.meta.dirname, "../../../test/fixtures/check/bookworm/private/repos/deb");
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
const codes = async (input: RepoCheckInput) => (await checkRepo(input)).findings.map((f) => `${f.code}@${f.file.split("/").pop()}:${f.line}`);
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

/** The lock text without the entry of `key` (cut as whole lines, like a hand edit). */
function withoutEntry(text: string, key: string): string {
  const at = text.indexOf(`"key": "${key}"`);
  const start = text.lastIndexOf("\t\t{", at);
  const end = text.indexOf("\t\t}", at) + 3;
  const cut = text.slice(0, start) + text.slice(end);
  return cut.replace(/,(\s*),/, ",$1").replace(/,(\s*)\]/, "$1]");
}

describe("checkRepo (offline)", () => {
  it("passes the real, consistent repo", async () => {
    expect((await checkRepo(repo())).findings).toEqual([]);
  });

  it("catches a manifest package missing from the lock, at the manifest line", async () => {
    const findings = (await checkRepo(repo({ lockText: withoutEntry(LOCK, "netbase_6.4_arm64") }))).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: "PACKAGE_NOT_LOCKED", file: "private/repos/deb/bookworm.yaml", line: lineOf(MANIFEST, "- netbase") });
    expect(formatFinding(findings[0]!)).toMatch(
      /^private\/repos\/deb\/bookworm\.yaml:\d+: package netbase has no entry for arm64 in .* — run `deb-lock lock/,
    );
  });

  it("accepts a declared arch gap", async () => {
    const manifest = MANIFEST.replace("  - netbase\n", "  - netbase # deb-lock: no-arch=arm64 not needed there\n");
    expect((await checkRepo(repo({ manifestText: manifest, lockText: withoutEntry(LOCK, "netbase_6.4_arm64") }))).findings).toEqual([]);
  });

  it("catches a stale lock entry (package gone from the manifest)", async () => {
    const manifest = MANIFEST.replace("  - netbase\n", "");
    expect(await codes(repo({ manifestText: manifest }))).toEqual([
      `STALE_LOCK_ENTRY@bookworm.lock.json:${lineOf(LOCK, '"key": "netbase_6.4_amd64"') - 3}`,
      `STALE_LOCK_ENTRY@bookworm.lock.json:${lineOf(LOCK, '"key": "netbase_6.4_arm64"') - 3}`,
    ]);
  });

  it("catches entries of an arch the manifest no longer builds", async () => {
    const manifest = MANIFEST.replace("  - arm64\n", "");
    const findings = (await checkRepo(repo({ manifestText: manifest }))).findings;
    expect(findings.length).toBe(11);
    expect(new Set(findings.map((f) => f.code))).toEqual(new Set(["STALE_LOCK_ENTRY"]));
  });

  it("catches a wrong key", async () => {
    const lock = LOCK.replace('"key": "openssl_3.0.13-1~deb12u1_amd64"', '"key": "openssl_3.0.13-1~deb12u2_amd64"');
    expect(lock).not.toBe(LOCK);
    expect(await codes(repo({ lockText: lock }))).toEqual([`LOCK_KEY_MISMATCH@bookworm.lock.json:${lineOf(lock, "openssl_3.0.13-1~deb12u2_amd64")}`]);
  });

  it("catches a duplicate entry (same package twice for one arch)", async () => {
    const entryStart = LOCK.indexOf("\t\t{", LOCK.indexOf('"key": "netbase_6.4_amd64"') - 200);
    const entryEnd = LOCK.indexOf("\t\t}", entryStart) + 3;
    const copy = LOCK.slice(entryStart, entryEnd).replaceAll("6.4", "6.5");
    const lock = `${LOCK.slice(0, entryEnd)},\n${copy}${LOCK.slice(entryEnd)}`;
    expect(await codes(repo({ lockText: lock }))).toEqual([`DUPLICATE_LOCK_ENTRY@bookworm.lock.json:${lineOf(lock, "netbase_6.5_amd64") - 3}`]);
  });

  it("catches URLs that do not match the manifest's sources (bumped snapshot, no relock)", async () => {
    const manifest = MANIFEST.replaceAll("20240706T203757Z", "20260801T025533Z");
    const findings = (await checkRepo(repo({ manifestText: manifest }))).findings;
    expect(findings.map((f) => f.code)).toEqual(["LOCK_URL_NOT_IN_SOURCES", "LOCK_URL_NOT_IN_SOURCES"]);
    expect(findings[0]?.message).toMatch(
      /^base-files_12\.4-p-deb12u6_amd64 and 17 more entries download from https:\/\/snapshot\.debian\.org\/archive\/debian\/20240706T203757Z, which is none of/,
    );
    expect(findings[1]?.message).toMatch(
      /^libc6_2\.36-9-p-deb12u7_amd64 and 3 more entries download from https:\/\/snapshot\.debian\.org\/archive\/debian-security\/20240706T203757Z,/,
    );
  });

  it("catches a missing or broken lock, and a broken manifest", async () => {
    expect(await codes(repo({ lockText: undefined }))).toEqual(["LOCK_MISSING@bookworm.yaml:1"]);
    expect((await codes(repo({ lockText: LOCK.slice(0, 500) })))[0]).toMatch(/^LOCK_INVALID@bookworm\.lock\.json:\d+$/);
    expect((await codes(repo({ manifestText: "version: 1\narchs: [amd64\n" })))[0]).toMatch(/^MANIFEST_INVALID@bookworm\.yaml:\d+$/);
  });

  it("catches recorded dependencies in an explicit-closure repo, and pins the lock does not satisfy", async () => {
    const lock = LOCK.replace(
      '"dependencies": [],\n\t\t\t"key": "openssl_3.0.13-1~deb12u1_amd64"',
      '"dependencies": [\n\t\t\t\t{\n\t\t\t\t\t"key": "libssl3_3.0.13-1~deb12u1_amd64",\n\t\t\t\t\t"name": "libssl3",\n\t\t\t\t\t"version": "3.0.13-1~deb12u1"\n\t\t\t\t}\n\t\t\t],\n\t\t\t"key": "openssl_3.0.13-1~deb12u1_amd64"',
    );
    expect((await codes(repo({ lockText: lock }))).map((c) => c.split("@")[0])).toEqual(["LOCK_DEPENDENCIES_UNEXPECTED"]);
    expect((await checkRepo(repo({ lockText: lock, resolveTransitive: true }))).findings).toEqual([]);
    const pinned = MANIFEST.replace("  - tzdata\n", "  - tzdata (>= 2024b)\n");
    expect((await codes(repo({ manifestText: pinned }))).map((c) => c.split("@")[0])).toEqual(["LOCK_VERSION_MISMATCH", "LOCK_VERSION_MISMATCH"]);
  });
});

describe("checkImagePackages", () => {
  it("catches an image list naming a package absent from the lock", async () => {
    const repos = new Map([["bookworm", await checkRepo(repo())]]);
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
