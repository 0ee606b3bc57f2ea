import { spawn } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BOOKWORM_SOURCES, lockWith, useBookwormArchive, writeTree } from "../support/bookworm-archive.js";
import { builtCli } from "./built-cli.js";

// A cache that cannot be used costs speed, never the run; a reader that stops early (`check | head`) is no error.

const archive = useBookwormArchive();
const { temp } = archive;

const MANIFEST = `version: 1\n${BOOKWORM_SOURCES}archs: [amd64]\npackages:\n  - libc6\n`;

function workspace(): string {
  const ws = temp.make("deb-lock-cache-ws-");
  writeTree(ws, { "MODULE.bazel": "", "private/repos/deb/bookworm.yaml": MANIFEST });
  return ws;
}

describe("an unusable cache", () => {
  it("a cache directory that is a file: a warning, and the lock is written", async () => {
    const dir = temp.make("deb-lock-cache-file-");
    const cache = join(dir, "cache");
    writeFileSync(cache, "not a directory");
    const ws = workspace();
    // lockWith writes the key beside the cache: give it a real directory for that, and the file as --cache-dir.
    const r = await lockWith(archive.server, ws, dir, "--cache-dir", cache);
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the cache .* cannot be used \((ENOTDIR|EEXIST)/);
    expect(readdirSync(join(ws, "private/repos/deb")).sort()).toEqual(["bookworm.lock.json", "bookworm.yaml"]);
  });

  it("cache entries that are directories or symlinks to /dev/zero are misses, not hangs or crashes", async () => {
    const cache = temp.make("deb-lock-cache-bad-");
    const ws = workspace();
    expect((await lockWith(archive.server, ws, cache)).code).toBe(0);
    // Replace every entry: the first half by directories, the rest by links to an endless device.
    const entries: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.isFile() && !e.name.endsWith(".asc")) entries.push(join(d, e.name));
      }
    };
    walk(cache);
    expect(entries.length).toBeGreaterThan(2);
    entries.forEach((path, i) => {
      rmSync(path);
      if (i % 2 === 0) mkdirSync(path);
      else symlinkSync("/dev/zero", path);
    });
    const again = workspace();
    const r = await lockWith(archive.server, again, cache);
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(0);
    // The entries fetched again replaced the links; the device itself is untouched.
    expect(statSync("/dev/zero").isCharacterDevice()).toBe(true);
    expect(entries.filter((path, i) => i % 2 === 1 && lstatSync(path).isSymbolicLink())).toEqual([]);
  }, 60_000);

  it("a read-only cache directory: a warning, and the run goes on", async () => {
    if (process.getuid?.() === 0) {
      // root writes through permissions; a cache whose directories are files is the same failure for it.
      const cache = temp.make("deb-lock-cache-ro-");
      for (const area of ["sha256", "derived", "by-url"]) writeFileSync(join(cache, area), "");
      const r = await lockWith(archive.server, workspace(), cache);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/warning: the cache .* cannot be used/);
      return;
    }
    const cache = temp.make("deb-lock-cache-ro-");
    chmodSync(cache, 0o500);
    const r = await lockWith(archive.server, workspace(), cache);
    chmodSync(cache, 0o700);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the cache .* cannot be used/);
  });
});

describe("a reader that stops early", () => {
  it("`check | head`: no EPIPE stack trace", async () => {
    const bin = builtCli();
    const ws = temp.make("deb-lock-pipe-");
    const names = Array.from({ length: 5000 }, (_, i) => `  - pkg-${i}\n`).join("");
    writeTree(ws, {
      "MODULE.bazel": "",
      "private/repos/deb/bookworm.yaml": `version: 1\n${BOOKWORM_SOURCES}archs: [amd64]\npackages:\n${names}`,
      "private/repos/deb/bookworm.lock.json": JSON.stringify({ packages: [], version: 1 }, null, "\t"),
    });
    const child = spawn("sh", ["-c", `"${process.execPath}" "${bin}" check -C "${ws}" | head -n 1`], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => child.on("close", resolve));
    expect(stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(stdout).toMatch(/bookworm\.(yaml|lock\.json)/);
    expect(stderr).not.toMatch(/EPIPE|internal error|at /);
  }, 60_000);
});
