#!/usr/bin/env node
// The launcher. An old Node.js must be able to parse this file and node-version.js to print a clear message, so
// the CLI itself (which needs Node.js 20.18.1) is loaded only after the version check, by a dynamic import.
import { mayReadIndexes } from "./index-commands.js";
import { unsupportedNodeMessage } from "./node-version.js";

const unsupported = unsupportedNodeMessage(process.versions.node);
if (unsupported !== undefined) {
  process.stderr.write(`${unsupported}\n`);
  process.exitCode = 2; // ExitCode.USAGE: exit-codes.ts is not loaded here, it needs the newer Node.js
} else if (process.platform === "linux" && process.env.DEB_LOCK_HUGE_PAGES !== "0" && mayReadIndexes(process.argv.slice(2))) {
  import("./relaunch.js").then((r) => {
    if (r.relaunchWithHugePages()) return;
    r.watchLauncher();
    return import("./main.js").then((cli) => cli.main());
  });
} else {
  import("./main.js").then((cli) => cli.main());
}
