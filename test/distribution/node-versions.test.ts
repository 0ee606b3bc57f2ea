import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relaunchExecArgv } from "../../src/cli/relaunch.js";
import { snapshotTree } from "../support/workspace-snapshot.js";
import { installPackedDebLock, nodeBin, ROOT, runAsync } from "./toolchain.js";

// The packed package, installed as users install it, started through its bin link by each supported
// Node.js line (the oldest supported release, then the current 22 and 24), and by one too old to run it.
const SUPPORTED = ["20.18.1", "22", "24"];
const TOO_OLD = "16.18.0"; // distroless's .pre-commit-config.yaml pins this one for its node hooks
const FIXTURE = join(ROOT, "test/fixtures/workspaces/distroless-2026/workspace");

let installed: { project: string; dir: string };
const bins = new Map<string, string>();

beforeAll(() => {
  installed = installPackedDebLock();
  for (const spec of [...SUPPORTED, TOO_OLD]) bins.set(spec, nodeBin(spec));
}, 900_000);
afterAll(() => rmSync(installed.dir, { recursive: true, force: true }));

/** `deb-lock ARGS` through node_modules/.bin, with the given Node.js first on PATH (the bin's `#!/usr/bin/env node`). */
function debLock(spec: string, args: string[], cwd: string) {
  return runAsync(join(installed.project, "node_modules/.bin/deb-lock"), args, {
    cwd,
    env: { ...process.env, PATH: `${bins.get(spec)}:${process.env.PATH}`, NO_COLOR: "1", DEB_LOCK_CACHE_DIR: join(installed.dir, "cache") },
  });
}

describe.each(SUPPORTED)("the packed deb-lock on Node.js %s", (spec) => {
  it("runs check on a distroless-shaped workspace: clean passes, a hand edit fails, nothing is written", async () => {
    const version = await runAsync(join(bins.get(spec)!, "node"), ["--version"], { cwd: ROOT });
    expect(version.stdout.trim()).toMatch(spec.includes(".") ? `v${spec}` : new RegExp(`^v${spec}\\.`));

    const ws = join(installed.dir, `ws-${spec}`);
    cpSync(FIXTURE, ws, { recursive: true });
    const clean = await debLock(spec, ["check"], join(ws, "python3"));
    expect(clean.stderr).toMatch(/^deb-lock check: ok \(4 repo\(s\), 138 lock entries, 10 image list\(s\)\)$/m);
    expect(clean.status).toBe(0);

    const manifest = join(ws, "private/repos/deb/trixie.yaml");
    const edited = readFileSync(manifest, "utf8").replace(/^ {2}- tzdata$/m, "  - tzdata\n  - curl");
    writeFileSync(manifest, edited);
    const before = snapshotTree(ws);
    const broken = await debLock(spec, ["check"], ws);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain("private/repos/deb/trixie.yaml:");
    expect(broken.stdout).toContain("package curl has no entry for amd64, arm64 in private/repos/deb/trixie.lock.json");
    expect(snapshotTree(ws)).toEqual(before);
  });

  it("accepts the options the CLI re-launches itself with for commands that read indexes", async () => {
    const r = await runAsync(join(bins.get(spec)!, "node"), [...relaunchExecArgv([], {}), "-e", "0"], { cwd: ROOT });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe(`the packed deb-lock on Node.js ${TOO_OLD}`, () => {
  it("exits 2 saying which Node.js it needs", async () => {
    const r = await debLock(TOO_OLD, ["check"], installed.project);
    expect(r.stderr).toBe(`deb-lock needs Node.js >= 20.18.1 (this is v${TOO_OLD})\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
  });
});
