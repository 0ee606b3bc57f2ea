// Runs one deb-lock command in this process and reports its wall time and peak RSS on fd 3 as JSON,
// so the benchmark measures the CLI exactly as users run it (dist/), without a shell or `time` binary.
import { createWriteStream } from "node:fs";
import { homedir } from "node:os";
import { run } from "../dist/cli/run.js";

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
