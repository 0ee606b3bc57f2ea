import { describe, expect, it } from "vitest";
import { runCli } from "../../test/support/run-cli.js";
import { packageVersion } from "./version.js";

const cwd = "/";

describe("run", () => {
  it("prints general help listing commands, global options and exit codes", async () => {
    const r = await runCli(["--help"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("lock");
    expect(r.stdout).toContain("--mirror FROM=TO");
    expect(r.stdout).toMatch(/3\s+network or verification failure/);
  });

  it("prints command help with its own and the global options", async () => {
    const r = await runCli(["lock", "--help"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: deb-lock lock");
    expect(r.stdout).toContain("--dry-run");
    expect(r.stdout).toContain("--cache-dir DIR");
  });

  it("prints the package version", async () => {
    const r = await runCli(["--version"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(packageVersion());
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [[], "Usage: deb-lock"],
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["lock", "--no-such-flag"], "--no-such-flag"],
    [["lock", "--mirror", "nonsense"], "nonsense"],
    [["lock", "--quiet", "--verbose"], "--quiet and --verbose"],
  ])("exits 2 on usage errors: %j", async (argv, message) => {
    const r = await runCli(argv, { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("reports usage errors as JSON with --json", async () => {
    const r = await runCli(["lock", "--json", "--bogus"], { cwd });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, command: "lock", ok: false, error: { code: "USAGE" } });
  });

  it("exits 2 naming the directory when no workspace is found", async () => {
    const r = await runCli(["lock"], { cwd: "/proc" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/proc");
    expect(r.stderr).toContain("--workspace");
  });
});
