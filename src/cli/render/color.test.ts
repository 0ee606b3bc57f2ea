import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/run-cli.js";
import { type CheckFinding, formatFinding } from "../../app/check/check-finding.js";
import { run } from "../run.js";
import { isColorEnabled, painter } from "./color.js";
import { formatUnifiedDiff, paintDiff } from "./diff.js";
import { paintFinding } from "./finding.js";

const finding: CheckFinding = {
  code: "PACKAGE_NOT_LOCKED",
  file: "private/repos/deb/trixie.yaml",
  line: 20,
  message: "package curl has no entry for amd64",
  hint: "run `deb-lock lock` to regenerate the lock",
};
const ESC = "\x1b[";

describe("colour", () => {
  it("is on for a terminal only, and off with --no-color or a non-empty NO_COLOR", () => {
    expect(isColorEnabled(true, {}, false)).toBe(true);
    expect(isColorEnabled(true, { NO_COLOR: "" }, false)).toBe(true);
    expect(isColorEnabled(false, {}, false)).toBe(false);
    expect(isColorEnabled(undefined, {}, false)).toBe(false);
    expect(isColorEnabled(true, {}, true)).toBe(false);
    expect(isColorEnabled(true, { NO_COLOR: "1" }, false)).toBe(false);
  });

  it("paints a finding without changing its text", () => {
    const painted = paintFinding(finding, painter(true));
    expect(painted).toContain(`${ESC}1m${finding.file}:20:`);
    expect(painted).toContain(`${ESC}31m${finding.message}`);
    expect(stripVTControlCharacters(painted)).toBe(formatFinding(finding));
    expect(paintFinding(finding, painter(false))).toBe(formatFinding(finding));
  });

  it("paints removed lines red and added lines green in a diff, and nothing else changes", () => {
    const diff = formatUnifiedDiff("a.yaml", "x\n- old\ny\n", "x\n- new\ny\n");
    const painted = paintDiff(diff, painter(true));
    const lines = painted.split("\n");
    expect(lines.find((l) => l.includes("- old"))).toBe(`${ESC}31m-- old${ESC}39m`);
    expect(lines.find((l) => l.includes("- new"))).toBe(`${ESC}32m+- new${ESC}39m`);
    expect(lines.find((l) => l.includes("a/a.yaml"))?.startsWith(`${ESC}1m--- a/a.yaml`)).toBe(true);
    expect(lines.find((l) => l.startsWith(" y"))).toBe(" y");
    expect(stripVTControlCharacters(painted)).toBe(diff);
    expect(paintDiff(diff, painter(false))).toBe(diff);
  });

  it("accepts --no-color on every command", async () => {
    const r = await runCli(["check", "--no-color", "-C", "/proc"], { cwd: "/" });
    expect(r.stderr).not.toContain("--no-color");
    expect(r.stderr).not.toContain(ESC);
  });

  it("colours check findings on a terminal stdout, unless --no-color or NO_COLOR", async () => {
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-color-"));
    try {
      cpSync(join(import.meta.dirname, "../../../test/fixtures/workspaces/distroless-2026/workspace"), dir, { recursive: true });
      const manifest = join(dir, "private/repos/deb/trixie.yaml");
      writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/^ {2}- tzdata$/m, "  - tzdata\n  - curl"));
      const check = async (argv: string[], env: Record<string, string>) => {
        let stdout = "";
        const code = await run({
          argv,
          env,
          cwd: dir,
          homeDir: dir,
          stdout: { write: (s: string) => (stdout += s) },
          stderr: { write: () => true },
          isTTY: false,
          stdoutIsTTY: true,
        });
        return { code, stdout };
      };
      const colored = await check(["check"], {});
      expect(colored.code).toBe(1);
      expect(colored.stdout).toContain(`${ESC}1mprivate/repos/deb/trixie.yaml:20:`);
      const plain = stripVTControlCharacters(colored.stdout);
      expect(await check(["check", "--no-color"], {})).toEqual({ code: 1, stdout: plain });
      expect(await check(["check"], { NO_COLOR: "1" })).toEqual({ code: 1, stdout: plain });
      expect(plain).toContain("private/repos/deb/trixie.yaml:20: package curl has no entry");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
