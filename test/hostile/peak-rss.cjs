// Preloaded into the CLI by the hostile tests (node --require): writes the process's peak resident set size, in
// bytes, to $DEB_LOCK_TEST_RSS_FILE when it exits, worker threads included. When the launcher starts the CLI in a
// second process (huge pages, see src/cli/huge-pages.ts), both are preloaded: the file keeps the larger peak.
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const file = process.env.DEB_LOCK_TEST_RSS_FILE;
if (file)
  process.on("exit", () => {
    let before = 0;
    try {
      before = Number(readFileSync(file, "utf8")) || 0;
    } catch {}
    writeFileSync(file, String(Math.max(before, process.resourceUsage().maxRSS * 1024)));
  });
