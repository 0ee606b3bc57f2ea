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
