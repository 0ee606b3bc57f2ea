import { describe, expect, it } from "vitest";
import { LineIndex } from "./line-index.js";

describe("LineIndex", () => {
  it("maps offsets to 1-based lines", () => {
    const idx = new LineIndex("a\nbc\n\nd");
    expect([0, 1, 2, 4, 5, 6].map((o) => idx.lineOf(o))).toEqual([1, 1, 2, 2, 3, 4]);
  });
});
