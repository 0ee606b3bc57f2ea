// Reads the vitest JSON reports of this run and prints one closing verdict for CI. It fails (exit 1) when a report
// is missing, a test failed, a test file failed to load (its tests never ran, so vitest counts none of them), or a
// test was skipped for a reason that is not on ALLOWED_SKIPS below. A skip is allowed only when the test declares
// its reason in its meta (`meta: { skipReason: "..." }`, see test/support/skip-reason.ts) and the reason is allowed
// for that file; every allowed skip is printed with its reason, so a green run says what it did not test.
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";

/** The only skips CI accepts: file prefix, the declared reason, and why it is acceptable. */
export const ALLOWED_SKIPS = [
  {
    files: "test/live/",
    skipReason: "NETWORK_UNREACHABLE",
    why: "live tests need the Debian mirror of this machine's apt sources; they skip only when its host cannot be reached (no DNS answer, no route, connect timeout)",
  },
];

/** Judges parsed vitest JSON reports; pure, so it can be tested. */
export function summarize(reports, root = process.cwd()) {
  let passed = 0;
  let failed = 0;
  const loadFailures = [];
  const allowed = [];
  const disallowed = [];
  for (const report of reports) {
    for (const file of report.testResults ?? []) {
      const name = relative(root, file.name);
      const results = file.assertionResults ?? [];
      const failedHere = results.filter((t) => t.status === "failed").length;
      passed += results.filter((t) => t.status === "passed").length;
      failed += failedHere;
      if (file.status === "failed" && failedHere === 0) {
        loadFailures.push(`${name}: ${(file.message ?? "").split("\n")[0] || "failed without a failing test"}`);
      }
      for (const t of results) {
        if (t.status === "passed" || t.status === "failed") continue;
        const reason = t.meta?.skipReason;
        const rule = ALLOWED_SKIPS.find((r) => name.startsWith(r.files) && r.skipReason === reason);
        const line = `${name} > ${t.fullName} (${t.status}${reason === undefined ? ", no reason declared" : `, ${reason}`})`;
        if (rule === undefined) disallowed.push(line);
        else allowed.push(`${line}: ${rule.why}`);
      }
    }
  }
  const ok = failed === 0 && loadFailures.length === 0 && disallowed.length === 0;
  return { ok, passed, failed, loadFailures, allowed, disallowed };
}

export function formatSummary(s) {
  const lines = [];
  if (s.loadFailures.length > 0) lines.push(`test files that failed to load (${s.loadFailures.length}):`, ...s.loadFailures.map((l) => `  ${l}`));
  if (s.disallowed.length > 0) {
    lines.push(`skipped for a reason not on the allow-list in .ci/summary.mjs (${s.disallowed.length}):`, ...s.disallowed.map((l) => `  ${l}`));
  }
  if (s.allowed.length > 0) lines.push(`skipped, allowed (${s.allowed.length}):`, ...s.allowed.map((l) => `  ${l}`));
  lines.push(
    `${s.passed} passed, ${s.failed + s.loadFailures.length} failed (${s.loadFailures.length} files failed to load), ` +
      `${s.allowed.length + s.disallowed.length} skipped (${s.disallowed.length} not allowed)${s.ok ? "" : " — FAILED"}`,
  );
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reports = [];
  let missing = false;
  for (const file of process.argv.slice(2)) {
    if (!existsSync(file)) {
      console.error(`no test report at ${file}: that test run did not finish`);
      missing = true;
      continue;
    }
    reports.push(JSON.parse(readFileSync(file, "utf8")));
  }
  const s = summarize(reports);
  process.stdout.write(`allowed skip reasons: ${ALLOWED_SKIPS.map((r) => `${r.skipReason} in ${r.files}`).join("; ")}\n`);
  process.stdout.write(formatSummary(s));
  if (!s.ok || missing) process.exitCode = 1;
}
