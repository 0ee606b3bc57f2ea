// Runs one deb-lock command in this process and reports its wall time and peak RSS on fd 3 as JSON,
// so the benchmark measures the CLI exactly as users run it (dist/), without a shell or `time` binary.

import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { homedir } from "node:os";
import { hugePageTunablesHere, relaunchExecArgv } from "../dist/cli/relaunch.js";

// As the launcher (dist/cli/bin.js) does: a command that reads indexes runs in a second process started with
// huge pages (see src/cli/huge-pages.ts); its report goes out on the same fd 3. The bench's process time includes
// both starts.
const tunables = hugePageTunablesHere(process.argv.slice(2));
if (tunables !== undefined) {
  const child = spawn(process.execPath, [...relaunchExecArgv(process.execArgv, process.env), ...process.argv.slice(1)], {
    stdio: ["inherit", "inherit", "inherit", 3],
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  child.on("exit", (code) => process.exit(code ?? 70));
} else {
  await runHere();
}

async function runHere() {
  const { run } = await import("../dist/cli/run.js");
  const started = performance.now();
  const code = await run({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    stdout: { write: () => true },
    stderr: process.stderr,
    isTTY: false,
  });
  const ms = performance.now() - started;
  const out = createWriteStream(null, { fd: 3 });
  // Heap still in use (after a full collection when run with --expose-gc, as the benchmark does) when the command returns (what it keeps alive, mostly the records of the indexes).
  globalThis.gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  out.end(JSON.stringify({ code, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, heapMb }));
}
