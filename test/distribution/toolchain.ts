import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Tools the distribution tests run for real: Node.js releases (the registry's `node` package ships the
// official binaries) and the packed deb-lock. Installs are kept under node_modules/.cache so that a second
// run reuses them; npm's own cache makes a fresh checkout's first run cheap on a machine that ran it before.
export const ROOT = join(import.meta.dirname, "..", "..");
export const CACHE = join(ROOT, "node_modules", ".cache", "deb-lock-dist");

/** The directory holding a `node` binary of the given npm `node` package version spec, installed on first use. */
export function nodeBin(spec: string): string {
  const prefix = join(CACHE, `node-${spec}`);
  const bin = join(prefix, "node_modules", "node", "bin");
  if (!existsSync(join(bin, "node"))) {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, "package.json"), JSON.stringify({ name: `node-${spec}`, private: true }));
    // The package's preinstall script puts the platform's binary in place.
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", `node@${spec}`], { cwd: prefix, stdio: "pipe" });
  }
  return bin;
}

/** `npm pack` of this repository installed into a new empty project; returns the project directory. */
export function installPackedDebLock(): { project: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "deb-lock-dist-"));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
  const project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "dist-project", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", join(dir, packed)], { cwd: project, stdio: "pipe" });
  return { project, dir };
}

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without blocking this process (servers of the test keep answering). */
export function runAsync(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The Renovate release the tests run (its engines want Node.js 24). */
export const RENOVATE_VERSION = "44.121.2";

/**
 * node_modules/.bin of a Renovate install, made on first use with Node.js 24 on PATH. Install scripts are
 * skipped: they only build optional native modules (a faster regular expression engine), and Renovate
 * runs without them.
 */
export function renovateBin(): { bin: string; path: string } {
  const node = nodeBin("24");
  const path = `${node}:${process.env.PATH}`;
  const prefix = join(CACHE, `renovate-${RENOVATE_VERSION}`);
  const bin = join(prefix, "node_modules", ".bin");
  if (!existsSync(join(bin, "renovate"))) {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, "package.json"), JSON.stringify({ name: "renovate-cli", private: true }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", `renovate@${RENOVATE_VERSION}`], {
      cwd: prefix,
      stdio: "pipe",
      env: { ...process.env, PATH: path },
    });
  }
  return { bin, path };
}
