import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SnapshotService, startSnapshotService } from "../support/snapshot-listing.js";
import { ROOT, renovateBin, runAsync } from "./toolchain.js";

// templates/renovate.json through the real Renovate CLI: the config validator, then a dry run on the local
// platform in a distroless-shaped repository whose snapshot URLs point at a month listing served on 127.0.0.1.
const FIXTURE = join(ROOT, "test/fixtures/workspaces/distroless-2026/workspace");
const PRESET = readFileSync(join(ROOT, "templates/renovate.json"), "utf8");
// The fixture pins debian at 20260818T205150Z and debian-security at 20260818T224315Z: Renovate reads September.
const RUNS = {
  debian: ["20260818T205150Z", "20260826T090501Z", "20260903T024115Z", "20260921T202832Z"],
  "debian-security": ["20260818T224315Z", "20260907T081652Z", "20260919T141208Z"],
};

let renovate: { bin: string; path: string };
let dir: string;
let service: SnapshotService;

beforeAll(async () => {
  renovate = renovateBin();
  dir = mkdtempSync(join(tmpdir(), "deb-lock-renovate-"));
  service = await startSnapshotService(RUNS, "http://127.0.0.1:9/");
}, 900_000);
afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  ...process.env,
  PATH: renovate.path,
  RENOVATE_BASE_DIR: join(dir, "renovate-base"),
  LOG_FORMAT: "json",
  LOG_LEVEL: "debug",
  RENOVATE_X_IGNORE_RE2: "true",
});

describe("templates/renovate.json", () => {
  it("passes renovate-config-validator, as a file and as a repository's renovate.json; a broken copy fails", async () => {
    const validator = join(renovate.bin, "renovate-config-validator");
    const asFile = await runAsync(validator, ["--strict", join(ROOT, "templates/renovate.json")], { cwd: dir, env: env() });
    expect(asFile.stdout, asFile.stdout + asFile.stderr).toContain("Config validated successfully");
    expect(asFile.status).toBe(0);
    const repo = join(dir, "validate");
    mkdirSync(repo);
    writeFileSync(join(repo, "renovate.json"), PRESET);
    const asRepo = await runAsync(validator, ["--strict"], { cwd: repo, env: env() });
    expect(asRepo.stdout).toContain("Validating renovate.json");
    expect(asRepo.status, asRepo.stdout + asRepo.stderr).toBe(0);
    writeFileSync(join(repo, "renovate.json"), PRESET.replace('"groupName"', '"groupNam"'));
    const broken = await runAsync(validator, ["--strict"], { cwd: repo, env: env() });
    expect(broken.stdout).toContain("Invalid configuration option: packageRules[0].groupNam");
    expect(broken.status).toBe(1);
  });

  it("makes Renovate propose the latest snapshot run of the next month for every snapshot URL", async () => {
    const ws = join(dir, "distroless");
    cpSync(FIXTURE, ws, { recursive: true });
    // The preset as shipped; only the snapshot service's address differs, and only the preset's manager runs.
    const preset = JSON.parse(PRESET.replace("https://snapshot.debian.org/archive/", `${service.url}/archive/`)) as Record<string, unknown>;
    writeFileSync(join(ws, "renovate.json"), JSON.stringify({ ...preset, enabledManagers: ["custom.regex"] }, null, 2));
    execFileSync("git", ["init", "--quiet"], { cwd: ws });
    execFileSync("git", ["add", "--all"], { cwd: ws });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "distroless"], { cwd: ws });

    const r = await runAsync(join(renovate.bin, "renovate"), ["--platform=local", "--dry-run=lookup"], { cwd: ws, env: env() });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const logs = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map(
        (l) =>
          JSON.parse(l) as {
            msg: string;
            config?: Record<string, { packageFile: string; deps: { depName: string; currentValue: string; updates: { newValue: string }[] }[] }[]>;
          },
      );
    const withUpdates = logs.find((l) => l.msg === "packageFiles with updates");
    expect(withUpdates, r.stdout.slice(-3000)).toBeDefined();
    const files = withUpdates!.config!.regex!;
    expect(files.map((f) => f.packageFile).sort()).toEqual([
      "private/repos/deb/bookworm.yaml",
      "private/repos/deb/bookworm_python.yaml",
      "private/repos/deb/trixie.yaml",
      "private/repos/deb/trixie_python.yaml",
    ]);
    const proposals = new Set(
      files.flatMap((f) => f.deps.map((d) => `${d.depName} ${d.currentValue} -> ${d.updates.map((u) => u.newValue).join(",")}`)),
    );
    expect([...proposals].sort()).toEqual(["debian 20260818T205150Z -> 20260921T202832Z", "debian-security 20260818T224315Z -> 20260919T141208Z"]);
    // It read the September listings of both archives from the local service.
    expect(service.served).toEqual(expect.arrayContaining(["debian 202609", "debian-security 202609"]));
  });
});
