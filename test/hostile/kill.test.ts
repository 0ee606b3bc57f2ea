import { cpSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArchiveServer } from "../support/archive-server.js";
import { BOOKWORM_SOURCES, lockWith, SNAPSHOT, startBookwormArchive, tempDirs, writeTree } from "../support/bookworm-archive.js";
import { runCli } from "../support/run-cli.js";
import { snapshotTree } from "../support/workspace-snapshot.js";
import { builtCli, spawnCli } from "./built-cli.js";

// A multi-file write (two lock files replaced, one created) interrupted at every step of its transaction, in a
// real process: SIGINT must roll back before exiting 130; after SIGKILL the next `check` must complete or roll
// back. Either way the workspace is then entirely old or entirely new, with no temporary file left.

const manifest = (packages: string[]): string =>
  `version: 1\n${BOOKWORM_SOURCES}archs: [amd64]\npackages:\n${packages.map((p) => `  - ${p}\n`).join("")}`;
const FULL = { a: ["bash"], b: ["libssl3", "ca-certificates"], c: ["libc6"] };
const SMALL = { a: ["base-files"], b: ["libc6"] };

const temp = tempDirs();
let server: ArchiveServer;
let bin: string;
let oldWs: string;
let newWs: string;
let cache: string;
let keyring: string;
let steps: { index: number; action: string; path: string }[];

function lockArgs(ws: string): string[] {
  return ["lock", "-C", ws, "--cache-dir", cache, "--keyring", keyring, "--mirror", `${SNAPSHOT}=${server.url}/archive`];
}

function parseSteps(stderr: string): { index: number; action: string; path: string }[] {
  return [...stderr.matchAll(/^deb-lock test-step (\d+) (\S+) (.*)$/gm)].map((m) => ({ index: Number(m[1]), action: m[2]!, path: m[3]! }));
}

beforeAll(async () => {
  bin = builtCli();
  server = await startBookwormArchive();
  cache = temp.make("deb-lock-kill-cache-");
  keyring = join(cache, "archive.asc");
  writeFileSync(keyring, server.publicKeyArmored);
  // The old state: locks of smaller package lists, then the manifests grown (a and b to update, c to create).
  oldWs = temp.make("deb-lock-kill-old-");
  writeTree(oldWs, {
    "MODULE.bazel": 'bazel_dep(name = "rules_distroless", version = "0.5.1")\n',
    "private/repos/deb/a.yaml": manifest(SMALL.a),
    "private/repos/deb/b.yaml": manifest(SMALL.b),
  });
  expect((await lockWith(server, oldWs, cache)).code).toBe(0);
  writeTree(oldWs, {
    "private/repos/deb/a.yaml": manifest(FULL.a),
    "private/repos/deb/b.yaml": manifest(FULL.b),
    "private/repos/deb/c.yaml": manifest(FULL.c),
  });
  newWs = temp.make("deb-lock-kill-new-");
  cpSync(oldWs, newWs, { recursive: true });
  // The step list of the write, traced in a real process (which also gives the new state).
  const traced = await spawnCli(bin, lockArgs(newWs), { cwd: newWs, env: { DEB_LOCK_TEST_STEPS: "trace" } }).done;
  expect(traced.stderr).not.toContain("error");
  expect(traced.code).toBe(0);
  steps = parseSteps(traced.stderr);
}, 180_000);

afterAll(async () => {
  await server?.close();
  temp.cleanup();
});

describe("a multi-file write interrupted at each step", () => {
  it("is traced: journal, every temp file and backup, every fsync and rename, commit and cleanup", () => {
    const old = snapshotTree(oldWs);
    const now = snapshotTree(newWs);
    const changed = ["a", "b", "c"].map((r) => `private/repos/deb/${r}.lock.json`);
    for (const f of changed) expect(now[f]).not.toBe(old[f]);
    expect(old["private/repos/deb/c.lock.json"]).toBeUndefined();
    const actions = steps.map((s) => s.action);
    expect(actions[0]).toBe("journal");
    expect(actions.filter((a) => a === "rename").length).toBe(3 + 1); // three files, then the journal's commit
    expect(actions.filter((a) => a === "write").length).toBe(3);
    expect(actions.filter((a) => a === "backup").length).toBe(2);
    expect(actions.filter((a) => a === "fsync").length).toBeGreaterThanOrEqual(3);
    expect(actions).toContain("commit");
    expect(steps.map((s) => s.index)).toEqual(steps.map((_, i) => i));
  });

  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    it(`${signal} at every step leaves, after the next check, the old or the new workspace and no temp file`, async () => {
      const old = snapshotTree(oldWs);
      const now = snapshotTree(newWs);
      const outcomes: string[] = [];
      for (const step of steps) {
        const ws = temp.make(`deb-lock-kill-${signal}-${step.index}-`);
        rmSync(ws, { recursive: true });
        cpSync(oldWs, ws, { recursive: true });
        const run = spawnCli(bin, lockArgs(ws), { cwd: ws, env: { DEB_LOCK_TEST_STEPS: `pause:${step.index}` } });
        await run.waitForStderr("deb-lock test-step paused");
        run.child.kill(signal);
        const result = await run.done;
        if (signal === "SIGINT") {
          expect(result.code, result.stderr).toBe(130);
          expect(result.stderr).toContain("[INTERRUPTED]");
        } else {
          expect(result.signal).toBe("SIGKILL");
        }
        const check = await runCli(["check", "-C", ws], { cwd: ws });
        expect(check.stderr).not.toContain("internal error");
        const after = snapshotTree(ws);
        expect(existsSync(join(ws, ".deb-lock-journal"))).toBe(false);
        const isOld = JSON.stringify(after) === JSON.stringify(old);
        const isNew = JSON.stringify(after) === JSON.stringify(now);
        expect(isOld || isNew, `${signal} at step ${step.index} (${step.action} ${step.path}): ${Object.keys(after).join(", ")}`).toBe(true);
        outcomes.push(isNew ? "new" : "old");
        // An old workspace fails check (locks behind manifests); a new one passes.
        expect(check.code).toBe(isNew ? 0 : 1);
      }
      // Before the commit, every interruption rolls back; once committed, the change stays.
      const commitAt = steps.findIndex((s) => s.action === "rename" && s.path.endsWith(".deb-lock-journal"));
      expect(outcomes.slice(0, commitAt + 1).every((o) => o === "old")).toBe(true);
      expect(outcomes.slice(commitAt + 1).every((o) => o === "new")).toBe(true);
    }, 300_000);
  }
});
