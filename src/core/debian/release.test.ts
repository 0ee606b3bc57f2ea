import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseErrorOf } from "../../../test/support/parse-error-of.js";
import { byHashPath, parseRelease, pickPackagesIndex, type Release } from "./release.js";

const FIXTURE = join(import.meta.dirname, "../../../test/fixtures/debian/InRelease.bookworm-updates");
const inRelease = readFileSync(FIXTURE, "utf8");

/** The signed text of the clear-signed fixture, cut out independently of the parser. */
function signedText(): string {
  const start = inRelease.indexOf("\n\n") + 2;
  return inRelease.slice(start, inRelease.indexOf("-----BEGIN PGP SIGNATURE-----"));
}

describe("parseRelease on the real bookworm-updates InRelease", () => {
  const release = parseRelease(inRelease, FIXTURE);

  it("reads the header fields", () => {
    expect(release).toMatchObject({
      origin: "Debian",
      label: "Debian",
      suite: "oldstable-updates",
      version: "12-updates",
      codename: "bookworm-updates",
      date: "Thu, 26 Nov 2026 02:14:46 UTC",
      acquireByHash: true,
      notAutomatic: false,
      butAutomaticUpgrades: false,
      architectures: ["all", "amd64", "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "s390x"],
      components: ["main", "contrib", "non-free-firmware", "non-free"],
    });
    expect(release.validUntil).toBeUndefined();
  });

  it("reads every SHA256 line, in order, and nothing from MD5Sum/SHA1", () => {
    const lines = signedText()
      .split("\n")
      .filter((l) => /^ [0-9a-f]{64} /.test(l))
      .map((l) => l.trim().split(/\s+/));
    expect(release.sha256.size).toBe(lines.length);
    expect([...release.sha256].map(([path, e]) => [e.sha256, String(e.size), path])).toEqual(lines);
    expect(release.sha256.get("main/binary-amd64/Packages.xz")).toEqual({
      size: 6924,
      sha256: "87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846",
    });
  });

  it("gives the same result for the plain Release text", () => {
    expect(parseRelease(signedText(), "Release")).toEqual(release);
  });

  it("picks Packages.xz: -updates suites list no .gz", () => {
    expect([...release.sha256.keys()].some((p) => p.endsWith("binary-amd64/Packages.gz"))).toBe(false);
    expect(pickPackagesIndex(release, "main", "amd64")).toEqual({
      path: "main/binary-amd64/Packages.xz",
      size: 6924,
      sha256: "87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846",
      compression: "xz",
    });
    expect(pickPackagesIndex(release, "main", "riscv64")).toBeUndefined();
    expect(pickPackagesIndex(release, "nonsense", "amd64")).toBeUndefined();
  });

  it("lists the empty contrib index with the SHA256 of empty input", () => {
    const empty = release.sha256.get("contrib/binary-amd64/Packages")!;
    expect(empty).toEqual({ size: 0, sha256: createHash("sha256").update("").digest("hex") });
  });
});

describe("pickPackagesIndex", () => {
  const make = (paths: string[], components = ["main"]): Release =>
    parseRelease(
      `Suite: s\nComponents: ${components.join(" ")}\nSHA256:\n${paths.map((p, i) => ` ${String(i).padStart(64, "0")} ${i + 1} ${p}`).join("\n")}\n`,
      "Release",
    );

  it("prefers xz over gz over uncompressed", () => {
    const all = make(["main/binary-amd64/Packages", "main/binary-amd64/Packages.gz", "main/binary-amd64/Packages.xz"]);
    expect(pickPackagesIndex(all, "main", "amd64")).toMatchObject({ path: "main/binary-amd64/Packages.xz", compression: "xz", size: 3 });
    const noXz = make(["main/binary-amd64/Packages", "main/binary-amd64/Packages.gz"]);
    expect(pickPackagesIndex(noXz, "main", "amd64")).toMatchObject({ path: "main/binary-amd64/Packages.gz", compression: "gz" });
    const plain = make(["main/binary-amd64/Packages", "main/binary-amd64/Packages.bz2"]);
    expect(pickPackagesIndex(plain, "main", "amd64")).toMatchObject({ path: "main/binary-amd64/Packages", compression: "none" });
  });

  it("finds -security indexes whichever way the component is written", () => {
    const shortPaths = make(["main/binary-amd64/Packages.xz"], ["updates/main"]);
    expect(pickPackagesIndex(shortPaths, "updates/main", "amd64")?.path).toBe("main/binary-amd64/Packages.xz");
    expect(pickPackagesIndex(shortPaths, "main", "amd64")?.path).toBe("main/binary-amd64/Packages.xz");
    const longPaths = make(["updates/main/binary-amd64/Packages.xz"], ["updates/main"]);
    expect(pickPackagesIndex(longPaths, "main", "amd64")?.path).toBe("updates/main/binary-amd64/Packages.xz");
  });
});

describe("byHashPath", () => {
  it("puts by-hash/SHA256 in the directory of the file", () => {
    expect(byHashPath("main/binary-amd64/Packages.xz", "87e7")).toBe("main/binary-amd64/by-hash/SHA256/87e7");
    expect(byHashPath("Contents-amd64", "ab")).toBe("by-hash/SHA256/ab");
  });
});

describe("parseRelease errors", () => {
  it("rejects a Release without a SHA256 section, naming the file", () => {
    const md5Only = "Suite: s\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 main/binary-amd64/Packages\n";
    const e = parseErrorOf(() => parseRelease(md5Only, "http://x/dists/s/Release"));
    expect(e.code).toBe("BAD_RELEASE");
    expect(e.message).toContain("http://x/dists/s/Release:1");
    expect(e.message).toContain("SHA256");
  });

  it("points at a malformed SHA256 line", () => {
    const text = `Suite: s\nSHA256:\n ${"a".repeat(64)} 1 main/a\n ${"a".repeat(63)} 1 main/b\n`;
    const e = parseErrorOf(() => parseRelease(text, "Release"));
    expect([e.code, e.line]).toEqual(["BAD_RELEASE", 4]);
  });

  it("keeps InRelease line numbers when the clear-signed text is broken", () => {
    const broken = inRelease.replace("\nCodename: bookworm-updates\n", "\nCodename bookworm-updates\n");
    const e = parseErrorOf(() => parseRelease(broken, "InRelease"));
    expect(e.code).toBe("BAD_DEB822");
    expect(e.line).toBe(inRelease.split("\n").indexOf("Codename: bookworm-updates") + 1);
  });

  it("rejects empty text, several paragraphs and an unterminated signed message", () => {
    expect(parseErrorOf(() => parseRelease("", "R")).code).toBe("BAD_RELEASE");
    expect(parseErrorOf(() => parseRelease(`Suite: a\n\nSuite: b\nSHA256:\n ${"a".repeat(64)} 1 x\n`, "R")).line).toBe(3);
    expect(parseErrorOf(() => parseRelease(inRelease.slice(0, inRelease.indexOf("-----BEGIN PGP SIGNATURE")), "R")).code).toBe("BAD_RELEASE");
  });
});
