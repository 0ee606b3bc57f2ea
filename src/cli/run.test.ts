import { join } from "node:path";
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
    [["lock", "--no-such-flag"], "lock: unknown option --no-such-flag"],
    [["check", "--image"], "check: option --image needs a value"],
    [["check", "--deep=yes"], "check: option --deep takes no value"],
    [["-C"], "Usage: deb-lock"],
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

  it("says unknown options in its own words, not Node's parser's", async () => {
    const r = await runCli(["check", "--bogus"], { cwd });
    expect(r.stderr).toBe(
      "deb-lock: error [USAGE]: check: unknown option --bogus\n  hint: see 'deb-lock check --help' for its options; a package name starting with '-' goes after '--'\n",
    );
  });
});

describe("the workspace and --image", () => {
  const workspace = join(import.meta.dirname, "../../test/fixtures/workspaces/distroless-2024/workspace");

  it("takes global options before the command: deb-lock -C DIR check", async () => {
    const r = await runCli(["-C", workspace, "check"], { cwd });
    expect(r.stderr).toContain("deb-lock check: ok");
    expect(r.code).toBe(0);
  });

  it.each([
    [["check", "-C", workspace, "--image", "python3"]],
    [["-C", workspace, "check", "--image", "base:static"]],
    [["--workspace", workspace, "check", "--image", "//base:base_nossl"]],
    [["check", `--workspace=${workspace}`, "--image", join(workspace, "cc")]],
  ])("resolves --image in the workspace, whatever the current directory: %j", async (argv) => {
    const r = await runCli(argv, { cwd });
    expect(r.stderr).toContain("1 image list(s)");
    expect(r.code).toBe(0);
  });

  it("resolves --image from the current directory when that is inside the workspace", async () => {
    const r = await runCli(["check", "--image", "."], { cwd: join(workspace, "python3") });
    expect(r.stderr).toContain("1 image list(s)");
    expect(r.code).toBe(0);
  });

  it("exits 2 on an image the workspace does not have, naming the candidates", async () => {
    const r = await runCli(["check", "-C", workspace, "--image", "python4"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[IMAGE_NOT_FOUND]: no image python4 in the workspace");
    expect(r.stderr).toContain("directories with a BUILD file: base, cc, common, python3");
  });

  it.each([["base:nope"], ["common"]])("exits 2 on a package that declares no image of that name: %s", async (image) => {
    const r = await runCli(["check", "-C", workspace, "--image", image], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[IMAGE_LAYOUT_UNKNOWN]");
  });
});
