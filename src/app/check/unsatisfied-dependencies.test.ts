import { describe, expect, it } from "vitest";
import type { PackageRecord } from "../../core/debian/package.js";
import { findUnsatisfiedDependencies } from "./unsatisfied-dependencies.js";

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
