import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../core/error-codes.js";
import { FINDING_CODES } from "./check-finding.js";

describe("FINDING_CODES", () => {
  it("is sorted, has no duplicates and no error code (those are in ERROR_CODES)", () => {
    expect([...FINDING_CODES]).toEqual([...new Set(FINDING_CODES)].sort());
    expect(FINDING_CODES.filter((c) => (ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
  });
});
