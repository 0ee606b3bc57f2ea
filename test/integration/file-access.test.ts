/**
 * An unreadable file of the workspace is the user's to fix, not a bug: exit 1, the path, and what to do. Root reads
 * every file whatever its mode, so when the tests run as root the built CLI (dist/, made by `npm ci` / `npm run
 * build`) runs under setpriv(1) without the capabilities that let root ignore file modes (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH); otherwise chmod alone makes the file unreadable.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { snapshotTree } from "../support/workspace-snapshot.js";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/cli/bin.js");
const FIXTURE = join(ROOT, "test/fixtures/workspaces/distroless-2024/workspace");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), "deb-lock-eacces-"));
  dirs.push(root);
  cpSync(FIXTURE, root, { recursive: true });
  return root;
}

function deblock(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  expect(existsSync(BIN), `${BIN} is missing: run npm run build`).toBe(true);
  const asRoot = process.getuid?.() === 0;
  const argv = [process.execPath, BIN, ...args];
  const [command, ...rest] = asRoot ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search", ...argv] : argv;
  const r = spawnSync(command!, rest, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", HOME: cwd } });
  if (r.error !== undefined) throw r.error;
  return r;
}

describe("a file deb-lock may not read", () => {
  it("an unreadable image BUILD file: exit 1 with the path and the fix, nothing written", () => {
    const root = workspace();
    chmodSync(join(root, "python3/BUILD"), 0o000);
    const before = snapshotTree(root);
    const r = deblock(["add", "curl", "--image", "python3", "--offline", "-C", root, "--cache-dir", join(root, ".cache")], "/");
    expect(r.stderr).toContain(`deb-lock: error [FILE_ACCESS]: ${join(root, "python3/BUILD")}: cannot open (EACCES)`);
    expect(r.stderr).toContain("hint: give the user running deb-lock access to it");
    expect(r.stderr).not.toContain("internal error");
    expect(r.status).toBe(1);
    chmodSync(join(root, "python3/BUILD"), 0o644);
    expect(snapshotTree(root)).toEqual(before);
  });

  it("an unreadable lock file: check reports it with the path and exits 1", () => {
    const root = workspace();
    chmodSync(join(root, "private/repos/deb/bookworm.lock.json"), 0o000);
    const r = deblock(["check", "-C", root], "/");
    expect(r.stderr).toContain(`[FILE_ACCESS]: ${join(root, "private/repos/deb/bookworm.lock.json")}: cannot open (EACCES)`);
    expect(r.status).toBe(1);
  });
});
