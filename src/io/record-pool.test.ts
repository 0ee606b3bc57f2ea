import { describe, expect, it } from "vitest";
import type { PackageRecord } from "../core/debian/package.js";
import { createRecordPool } from "./record-pool.js";

describe("record pool", () => {
  it("shares only records equal in every field, and only Architecture: all ones", () => {
    const all: PackageRecord = {
      name: "tzdata",
      version: "2025b-0+deb12u2",
      architecture: "all",
      filename: "pool/t.deb",
      size: 1,
      sha256: "c".repeat(64),
      priority: "required",
    };
    const pool = createRecordPool();
    const first = [all, { ...all, name: "bash", architecture: "amd64", sha256: "d".repeat(64) }];
    expect(pool.share(first)).toBe(first);
    const second = [{ ...all }, { ...first[1]! }];
    pool.share(second);
    expect(second[0]).toBe(all);
    expect(second[1]).not.toBe(first[1]);
    const overridden = [{ ...all, priority: "optional" }];
    pool.share(overridden);
    expect(overridden[0]).not.toBe(all);
    expect(overridden[0]!.priority).toBe("optional");
  });
});
