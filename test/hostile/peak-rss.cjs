// Preloaded into the CLI by the hostile tests (node --require): writes the process's peak resident set size, in
// bytes, to $DEB_LOCK_TEST_RSS_FILE when it exits, worker threads included.
"use strict";
const { writeFileSync } = require("node:fs");
const file = process.env.DEB_LOCK_TEST_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
