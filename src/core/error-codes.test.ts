import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./error-codes.js";

const SRC = join(import.meta.dirname, "..");

describe("ERROR_CODES", () => {
  it("is sorted and has no duplicates, so a new code has one obvious place", () => {
    expect([...ERROR_CODES]).toEqual([...new Set(ERROR_CODES)].sort());
  });

  it("lists only codes the sources use", () => {
    const sources = (readdirSync(SRC, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith("error-codes.ts"))
      .map((f) => readFileSync(join(SRC, f), "utf8"))
      .join("\n");
    expect(ERROR_CODES.filter((code) => !sources.includes(`"${code}"`))).toEqual([]);
  });
});
