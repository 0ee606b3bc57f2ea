import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { hugePageTunables } from "./huge-pages.js";

/**
 * Starts the CLI again with huge pages when hugePageTunables says so, and returns true: the child's exit code (or
 * signal) becomes this process's, and SIGINT, SIGTERM and SIGHUP received here are passed on (the child puts the
 * workspace back on them, see main.ts). Returns false when this process is to run the command itself.
 */
export function relaunchWithHugePages(): boolean {
  const tunables = hugePageTunablesHere(process.argv.slice(2));
  if (tunables === undefined) return false;
  const child = spawn(process.execPath, [...relaunchExecArgv(process.execArgv, process.env), ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, GLIBC_TUNABLES: tunables, [LAUNCHER_PID]: String(process.pid) },
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, forward);
  child.on("error", (error) => {
    process.stderr.write(`deb-lock: cannot start ${process.execPath}: ${error.message}\n`);
    process.exit(70);
  });
  child.on("exit", (code, signal) => {
    if (signal !== null) process.exit(128 + (constants.signals[signal] ?? 0));
    process.exit(code ?? 70);
  });
  return true;
}

const LAUNCHER_PID = "DEB_LOCK_LAUNCHER_PID";

/**
 * The Node.js options of the re-launched CLI: this process's, after two that lower the peak memory of commands that
 * read indexes, neither measurably slower (README, "Performance"). Options the user gives (on the command line or
 * in NODE_OPTIONS) win.
 * - `--max-semi-space-size=4`: a young generation of at most 4 MB per semi-space (V8 grows it to 16 MB). The index
 *   data of a run is long-lived and sits outside the JavaScript heap; ~20 MB off a large cold `lock`.
 * - `--heap-growing-percent=50`: after a full collection, the old generation may grow by half of what is live
 *   before the next one, instead of up to four times it. Parsing and resolving promote short-lived objects; ~35 MB
 *   off the cold `lock` of the six-repo benchmark workspace.
 */
export function relaunchExecArgv(execArgv: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  // V8 reads `_` and `-` alike in option names
  const given = [...execArgv, env.NODE_OPTIONS ?? ""].map((a) => a.replaceAll("_", "-"));
  const added = DEFAULT_FLAGS.filter(([option]) => !given.some((a) => a.includes(option))).map(([option, value]) => `--${option}=${value}`);
  return [...added, ...execArgv];
}

const DEFAULT_FLAGS: readonly (readonly [option: string, value: string])[] = [
  ["max-semi-space-size", "4"],
  ["heap-growing-percent", "50"],
];

/**
 * In a CLI started by relaunchWithHugePages: ends this process as by SIGKILL as soon as the launcher is gone. A
 * launcher killed with SIGKILL (a timeout, the OOM killer) cannot pass that on, and the command must not go on
 * writing the workspace without it; a SIGKILL at any step is what the workspace's journal recovers from (see
 * io/files.ts).
 */
export function watchLauncher(): void {
  const launcher = Number(process.env[LAUNCHER_PID]);
  delete process.env[LAUNCHER_PID]; // not for the processes this one starts
  if (!Number.isInteger(launcher) || launcher <= 0) return;
  const check = (): void => {
    if (process.ppid !== launcher) process.kill(process.pid, "SIGKILL");
  };
  check();
  setInterval(check, 50).unref();
}

/** hugePageTunables for this process and machine, for the command-line arguments `args`. */
export function hugePageTunablesHere(args: readonly string[]): string | undefined {
  if (process.platform !== "linux") return undefined;
  return hugePageTunables({
    args,
    env: process.env,
    platform: process.platform,
    glibc: glibcVersion(),
    thp: readOrUndefined("/sys/kernel/mm/transparent_hugepage/enabled"),
  });
}

function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
