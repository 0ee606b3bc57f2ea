import { constants, homedir } from "node:os";
import type { Interruption } from "../io/files.js";
import { packageVersion } from "./version.js";

/** The only place that touches `process`: gathers the I/O surface, runs, sets the exit code. */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Answered before the command table is loaded: `deb-lock --version` costs little more than starting node.
  if (argv.length === 1 && argv[0] === "--version") {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const interruption = processInterruption();
  // `deb-lock check | head`: the reader may go away early. What it did not read is not an error of the run.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
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
    interruption,
    stdoutIsTTY: process.stdout.isTTY === true,
  });
}

/**
 * SIGINT and SIGTERM: outside a write, the run simply ends (nothing of the workspace has changed yet) with
 * 128 + the signal's number. While files are being written the signal is held: the transaction sees it at its
 * next step, puts every file back and fails with INTERRUPTED, which run() turns into the same exit code.
 */
function processInterruption(): Interruption {
  let pending: NodeJS.Signals | undefined;
  let holds = 0;
  const waiters: (() => void)[] = [];
  const onSignal = (signal: NodeJS.Signals): void => {
    if (pending === undefined) pending = signal;
    for (const wake of waiters.splice(0)) wake();
    // Ending the process here is the signal's own meaning; no file is half-written outside a hold.
    if (holds === 0) process.exit(128 + constants.signals[signal]);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    pending: () => pending,
    hold() {
      holds++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds--;
      };
    },
    whenSignalled: () =>
      pending !== undefined
        ? Promise.resolve()
        : new Promise<void>((resolveWait) => {
            // Keeps the event loop alive while a test pauses the transaction.
            const keepAlive = setInterval(() => {}, 1 << 30);
            waiters.push(() => {
              clearInterval(keepAlive);
              resolveWait();
            });
          }),
  };
}
