import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

/** Every input of the build, hashed: a build of exactly these sources is reused across test files and runs. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) hash.update(path).update(readFileSync(path));
    }
  };
  walk(join(ROOT, "src"));
  for (const f of ["tsconfig.json", "tsconfig.build.json", "package.json"]) hash.update(readFileSync(join(ROOT, f)));
  return hash.digest("hex").slice(0, 16);
}

/**
 * The CLI built from the current sources (not whatever dist/ holds), under node_modules/.cache, so tests run the
 * real binary in real processes. Built once per source state; concurrent test files share the result.
 */
export function builtCli(): string {
  const base = join(ROOT, "node_modules", ".cache", "deb-lock-hostile");
  const out = join(base, sourceHash());
  const bin = join(out, "cli", "bin.js");
  if (existsSync(bin)) return bin;
  mkdirSync(base, { recursive: true });
  const staging = `${out}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.build.json"), "--outDir", staging],
    { stdio: "pipe" },
  );
  try {
    renameSync(staging, out);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another test file built it first
  }
  return bin;
}

export interface Spawned {
  readonly child: ChildProcess;
  /** Resolves when stderr has printed a line containing `text`. */
  waitForStderr(text: string): Promise<void>;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>;
}

/** Starts the built CLI in its own process. */
export function spawnCli(
  bin: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; nodeArgs?: readonly string[] },
): Spawned {
  const started = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, NO_COLOR: "1", HOME: options.cwd, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      if (stderr.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const w of waiters.splice(0)) w.resolve();
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return {
    child,
    done,
    waitForStderr: (text) =>
      stderr.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiters.push({ text, resolve });
          }),
  };
}
