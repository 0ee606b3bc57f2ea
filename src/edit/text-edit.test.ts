import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEdits } from "./text-edit.js";

describe("applyEdits", () => {
  const text = "packages:\n  - libc6 # base\n  - tzdata\n";

  it("applies edits given in any order", () => {
    const libc = text.indexOf("libc6");
    const tz = text.indexOf("tzdata");
    const out = applyEdits(text, [
      { start: tz, end: tz + 6, text: "tzdata-legacy" },
      { start: libc, end: libc + 5, text: "libc-bin" },
      { start: text.length, end: text.length, text: "  - netbase\n" },
    ]);
    expect(out).toBe("packages:\n  - libc-bin # base\n  - tzdata-legacy\n  - netbase\n");
  });

  it("returns the input itself when nothing changes", () => {
    expect(applyEdits(text, [])).toBe(text);
    const at = text.indexOf("tzdata");
    expect(
      applyEdits(text, [
        { start: at, end: at + 6, text: "tzdata" },
        { start: 3, end: 3, text: "" },
      ]),
    ).toBe(text);
  });

  it("keeps insertions at one offset in the given order, next to touching replacements", () => {
    expect(
      applyEdits("abc", [
        { start: 1, end: 1, text: "X" },
        { start: 1, end: 1, text: "Y" },
        { start: 1, end: 2, text: "B" },
        { start: 0, end: 1, text: "A" },
      ]),
    ).toBe("AXYBc");
  });

  it("rejects overlapping and out-of-range edits", () => {
    expect(() =>
      applyEdits("abcdef", [
        { start: 1, end: 4, text: "" },
        { start: 3, end: 5, text: "x" },
      ]),
    ).toThrow(expect.objectContaining({ code: "EDIT_OVERLAP" }));
    expect(() =>
      applyEdits("abcdef", [
        { start: 1, end: 4, text: "" },
        { start: 2, end: 2, text: "x" },
      ]),
    ).toThrow(expect.objectContaining({ code: "EDIT_OVERLAP" }));
    expect(() =>
      applyEdits("abcdef", [
        { start: 2, end: 3, text: "" },
        { start: 2, end: 3, text: "y" },
      ]),
    ).toThrow(expect.objectContaining({ code: "EDIT_OVERLAP" }));
    expect(() => applyEdits("abc", [{ start: 2, end: 4, text: "" }])).toThrow(expect.objectContaining({ code: "EDIT_OUT_OF_RANGE" }));
    expect(() => applyEdits("abc", [{ start: 2, end: 1, text: "" }])).toThrow(expect.objectContaining({ code: "EDIT_OUT_OF_RANGE" }));
  });

  it("equals applying the same non-overlapping edits one by one from the end (property)", () => {
    const arb = fc.string({ maxLength: 40 }).chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.uniqueArray(fc.nat({ max: s.length }), { maxLength: 8 }).chain((cuts) => {
          const points = [...cuts].sort((a, b) => a - b);
          const spans = [];
          for (let i = 0; i + 1 < points.length; i += 2) spans.push({ start: points[i]!, end: points[i + 1]! });
          return fc.tuple(...spans.map((span) => fc.string({ maxLength: 5 }).map((t) => ({ ...span, text: t }))));
        }),
      ),
    );
    fc.assert(
      fc.property(arb, ([s, edits]) => {
        let expected = s;
        for (const e of [...edits].reverse()) expected = expected.slice(0, e.start) + e.text + expected.slice(e.end);
        expect(applyEdits(s, [...edits].reverse())).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
