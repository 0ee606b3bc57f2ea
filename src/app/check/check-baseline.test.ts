import { describe, expect, it } from "vitest";
import { DebLockError } from "../../core/errors.js";
import { applyBaseline, formatBaseline, parseBaseline } from "./check-baseline.js";
import type { CheckFinding } from "./check-finding.js";

const finding = (over: Partial<CheckFinding> = {}): CheckFinding => ({
  code: "UNSATISFIED_DEPENDENCY",
  file: "private/repos/deb/bookworm.lock.json",
  line: 25,
  key: "tzdata needs debconf|debconf-2.0",
  message: "tzdata 2026f-0+deb12u1 (amd64) needs debconf (>= 0.5) | debconf-2.0 [Depends], which image static (debian12) does not contain",
  hint: "…",
  ...over,
});

describe("check baselines", () => {
  it("round-trips, sorted, one entry per finding identity", () => {
    const text = formatBaseline([finding({ file: "z.json" }), finding(), finding({ line: 99 })]);
    expect(text.endsWith("}\n")).toBe(true);
    const entries = parseBaseline(text, "b.json");
    expect(entries.map((e) => e.file)).toEqual(["private/repos/deb/bookworm.lock.json", "z.json"]);
    expect(formatBaseline(entries.map((e) => ({ ...e, hint: "" }) as CheckFinding))).toBe(text);
  });

  it("matches on code, file and key — not line, message or versions", () => {
    const baseline = parseBaseline(formatBaseline([finding()]), "b.json");
    const later = finding({ line: 40, message: "tzdata 2027a-0+deb12u1 (amd64, arm64) needs ..." });
    expect(applyBaseline([later], baseline)).toMatchObject({ fresh: [], known: [later], gone: [] });
    const otherFile = finding({ file: "private/repos/deb/trixie.lock.json" });
    const otherCode = finding({ code: "SHA256_MISMATCH" });
    expect(applyBaseline([otherFile, otherCode], baseline)).toMatchObject({ fresh: [otherFile, otherCode], known: [], gone: baseline });
  });

  it("uses the message when a finding has no key", () => {
    const f = finding({ key: undefined });
    const baseline = parseBaseline(formatBaseline([f]), "b.json");
    expect(applyBaseline([f], baseline).fresh).toEqual([]);
    expect(applyBaseline([{ ...f, message: "another" }], baseline).fresh).toHaveLength(1);
  });

  it("rejects a file that is not a baseline, naming it", () => {
    expect(() => parseBaseline("{", "b.json")).toThrow(DebLockError);
    expect(() => parseBaseline('{"schemaVersion": 1, "findings": [{"code": 1}]}', "b.json")).toThrow(/b\.json: expected/);
  });
});
