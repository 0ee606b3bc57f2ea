import { describe, expect, it } from "vitest";
import { formatPrBody } from "./format-markdown.js";
import { type ImagePackages, withAffectedImages } from "./image-impact.js";
import { buildUpdateReport, type ReportEntry } from "./model.js";

const entry = (repo: string, name: string, version: string, arch: string, dependencies: string[] = []): ReportEntry => ({
  repo,
  name,
  version,
  arch,
  dependencies,
});

// bookworm: base lists libc6 and tzdata; cc (on base) lists libstdc++6, which depends on libgcc-s1 → libc6.
// bookworm_python: python3 (on cc) lists python3.11-minimal, which depends on libexpat1.
const before = [
  entry("bookworm", "libc6", "2.36-9+deb12u9", "amd64"),
  entry("bookworm", "libc6", "2.36-9+deb12u9", "arm64"),
  entry("bookworm", "libgcc-s1", "12.2.0-14", "amd64", ["libc6"]),
  entry("bookworm", "libstdc++6", "12.2.0-14", "amd64", ["libgcc-s1"]),
  entry("bookworm", "tzdata", "2024a-0+deb12u1", "amd64"),
  entry("bookworm_python", "libexpat1", "2.5.0-1", "amd64"),
  entry("bookworm_python", "python3.11-minimal", "3.11.2-6", "amd64", ["libexpat1"]),
];
const bump: Record<string, string> = { libc6: "2.36-9+deb12u10", libexpat1: "2.5.0-1+deb12u1", tzdata: "2025b-0+deb12u1" };
const after = before.map((e) => ({ ...e, version: bump[e.name] ?? e.version }));
const images: ImagePackages[] = [
  { image: "base", repo: "bookworm", arch: "amd64", packages: ["libc6", "tzdata"] },
  { image: "base", repo: "bookworm", arch: "arm64", packages: ["libc6"] },
  { image: "cc", repo: "bookworm", arch: "amd64", packages: ["libstdc++6"] },
  { image: "python3", repo: "bookworm_python", arch: "amd64", packages: ["python3.11-minimal"] },
  // python3's base images, through its ancestors' lists
  { image: "python3", repo: "bookworm", arch: "amd64", packages: ["libstdc++6", "tzdata"] },
  // an image of another arch and one of another repo do not count
  { image: "static", repo: "bookworm", arch: "riscv64", packages: ["libc6"] },
  { image: "python3-debian13", repo: "trixie_python", arch: "amd64", packages: ["libexpat1"] },
];

describe("withAffectedImages", () => {
  const report = withAffectedImages(buildUpdateReport({ before, after }), images, after);
  const imagesOf = (name: string) => report.changes.find((c) => c.name === name)?.images;

  it("names the images that list a package or something depending on it, in the same repo and arch", () => {
    expect(imagesOf("libc6")).toEqual(["base", "cc", "python3"]);
    expect(imagesOf("tzdata")).toEqual(["base", "python3"]);
    expect(imagesOf("libexpat1")).toEqual(["python3"]);
  });

  it("leaves the report as it is without images, and the field out for a change no image holds", () => {
    const plain = buildUpdateReport({ before, after });
    expect(withAffectedImages(plain, [], after)).toBe(plain);
    const none = withAffectedImages(plain, [{ image: "x", repo: "bookworm", arch: "amd64", packages: ["unrelated"] }], after);
    expect(none.changes.every((c) => !("images" in c))).toBe(true);
  });

  it("lists them in the pull request body, on the package's row", () => {
    const body = formatPrBody(report, "{{changes}}");
    const row = body.split("\n").find((l) => l.includes("`libc6`"));
    expect(row).toContain("(bookworm; amd64, arm64; images: base, cc, python3)");
    expect(body.split("\n").find((l) => l.includes("`libexpat1`"))).toContain("images: python3)");
  });
});
