import { homedir } from "node:os";
import { packageVersion } from "./version.js";

/** The only place that touches `process`: gathers the I/O surface, runs, sets the exit code. */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Answered before the command table is loaded: `deb-lock --version` costs little more than starting node.
  if (argv.length === 1 && argv[0] === "--version") {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const { run } = await import("./run.js");
  process.exitCode = await run({
    argv,
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stderr.isTTY === true,
  });
}
