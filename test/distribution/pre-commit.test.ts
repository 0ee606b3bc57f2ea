import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE, ROOT, runAsync } from "./toolchain.js";

// The hooks of .pre-commit-hooks.yaml through the real pre-commit client (Debian 12 ships 3.0.4; .ci/run
// installs it), in a distroless-shaped git repository whose .pre-commit-config.yaml keeps what distroless's
// says: default_stages [commit] and `default_language_version: node: 16.18.0`. The hook repository is this
// repository at HEAD (pre-commit clones it and installs it with npm, as it would from GitHub).
const FIXTURE = join(ROOT, "test/fixtures/workspaces/distroless-2026/workspace");
const HOME = join(CACHE, "pre-commit-home");

let dir: string;
let ws: string;
let rev: string;

const git = (...args: string[]) => execFileSync("git", args, { cwd: ws, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const preCommit = (...args: string[]) =>
  runAsync("pre-commit", args, {
    cwd: ws,
    env: {
      ...process.env,
      PRE_COMMIT_HOME: HOME,
      NO_COLOR: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  });

beforeAll(() => {
  // Fails (rather than skips) without the client: .ci/run installs it.
  execFileSync("pre-commit", ["--version"]);
  rev = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  dir = mkdtempSync(join(tmpdir(), "deb-lock-pre-commit-"));
  ws = join(dir, "distroless");
  cpSync(FIXTURE, ws, { recursive: true });
  writeFileSync(
    join(ws, ".pre-commit-config.yaml"),
    `# Commitizen runs in commit-msg stage
# but we don't want to run the other hooks on commit messages
default_stages: [commit]

# Use a slightly older version of node by default
# as the default uses a very new version of GLIBC
default_language_version:
  node: 16.18.0

repos:
  - repo: ${ROOT}
    rev: ${rev}
    hooks:
      - id: deb-lock-check
      - id: deb-lock-check-deep
`,
  );
  git("init", "--quiet");
  git("add", "--all");
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "distroless"], { cwd: ws });
  mkdirSync(HOME, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pre-commit with the deb-lock hooks", () => {
  it("passes on a clean checkout, with the Node.js on PATH rather than the pinned 16.18.0", async () => {
    const r = await preCommit("run", "deb-lock-check", "--all-files");
    expect(r.stdout, r.stderr).toMatch(/^deb-lock check\.+Passed$/m);
    expect(r.status).toBe(0);
    // pre-commit names a node environment by its version: only the system one was made, no Node.js downloaded.
    const envs = readdirSync(HOME, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(join(HOME, d.name)).filter((f) => f.startsWith("node_env-")));
    expect(new Set(envs)).toEqual(new Set(["node_env-system"]));
  });

  it("fails on a hand edit, naming the file and the fix, and blocks the commit once installed", async () => {
    const manifest = join(ws, "private/repos/deb/trixie.yaml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/^ {2}- tzdata$/m, "  - tzdata\n  - curl"));
    const r = await preCommit("run", "deb-lock-check", "--all-files");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^deb-lock check\.+Failed$/m);
    expect(r.stdout).toContain("private/repos/deb/trixie.yaml:20: package curl has no entry for amd64, arm64 in private/repos/deb/trixie.lock.json");

    expect((await preCommit("install")).status).toBe(0);
    git("add", "private/repos/deb/trixie.yaml");
    const head = git("rev-parse", "HEAD");
    const commit = await runAsync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-m", "add curl"], {
      cwd: ws,
      env: { ...process.env, PRE_COMMIT_HOME: HOME, NO_COLOR: "1" },
    });
    expect(commit.status).toBe(1);
    expect(commit.stdout + commit.stderr).toContain("package curl has no entry");
    expect(git("rev-parse", "HEAD")).toBe(head);
  });
});
