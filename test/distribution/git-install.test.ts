import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runAsync } from "./toolchain.js";

// Before deb-lock is on the registry, people run it from a git tag (`npx github:OWNER/deb-lock#v0.1.0`): npm
// clones the repository, installs its dev dependencies and runs `prepare`, which builds dist/. The same path,
// from this repository's HEAD over git.
const dir = mkdtempSync(join(tmpdir(), "deb-lock-git-install-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("deb-lock installed from git", () => {
  it("builds on install and checks a distroless-shaped workspace", async () => {
    const rev = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "git-project", private: true }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `git+file://${ROOT}#${rev}`], { cwd: project, stdio: "pipe" });
    const ws = join(dir, "ws");
    cpSync(join(ROOT, "test/fixtures/workspaces/distroless-2026/workspace"), ws, { recursive: true });
    const r = await runAsync(join(project, "node_modules/.bin/deb-lock"), ["check", "-C", ws], {
      cwd: project,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(r.stderr).toMatch(/^deb-lock check: ok /m);
    expect(r.status).toBe(0);
  });
});
