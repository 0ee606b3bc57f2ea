import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatUnifiedDiff } from "./diff.js";

describe("formatUnifiedDiff (the --dry-run output of add and remove)", () => {
  it("writes hunks with context and line ranges like diff -u", () => {
    const before = `${["a", "b", "c", "d", "e", "f", "g", "h", "i"].join("\n")}\n`;
    const after = `${["a", "b", "c", "d", "E", "f", "g", "h", "i", "j"].join("\n")}\n`;
    expect(formatUnifiedDiff("x.txt", before, after)).toBe(
      ["--- a/x.txt", "+++ b/x.txt", "@@ -2,8 +2,9 @@", " b", " c", " d", "-e", "+E", " f", " g", " h", " i", "+j", ""].join("\n"),
    );
    expect(formatUnifiedDiff("x.txt", before, before)).toBe("");
    expect(formatUnifiedDiff("x.json", "{}", "{\n}")).toContain("\\ No newline at end of file");
  });

  it("property: patch(1) applies the diff to the old text and gives the new text", () => {
    expect(spawnSync("patch", ["--version"]).status, "this test needs patch(1): apt-get install patch (bash .ci/run does)").toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-diff-"));
    try {
      const lines = fc.array(fc.constantFrom("a", "b", "c", "d", ""), { maxLength: 25 });
      fc.assert(
        fc.property(lines, lines, fc.boolean(), fc.boolean(), (x, y, nlA, nlB) => {
          const a = x.join("\n") + (nlA && x.length > 0 ? "\n" : "");
          const b = y.join("\n") + (nlB && y.length > 0 ? "\n" : "");
          const diff = formatUnifiedDiff("f", a, b);
          if (a === b) {
            expect(diff).toBe("");
            return;
          }
          writeFileSync(join(dir, "old"), a);
          writeFileSync(join(dir, "p.diff"), diff);
          const r = spawnSync("patch", ["-s", "-o", join(dir, "new"), join(dir, "old"), join(dir, "p.diff")], { encoding: "utf8" });
          expect(r.status, `${r.stderr}${r.stdout}\n${diff}`).toBe(0);
          expect(readFileSync(join(dir, "new"), "utf8")).toBe(b);
        }),
        { numRuns: 150 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
