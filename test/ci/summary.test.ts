/**
 * .ci/summary.mjs judges what vitest really reported: this runs vitest itself (a child process, its JSON reporter)
 * on small test files that pass, fail to load, skip without a reason and skip with an allowed one.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript module without types
import { formatSummary, summarize } from "../../.ci/summary.mjs";

const VITEST = join(import.meta.dirname, "../../node_modules/vitest/vitest.mjs");
const SUMMARY = join(import.meta.dirname, "../../.ci/summary.mjs");
const root = mkdtempSync(join(tmpdir(), "deb-lock-summary-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Summary {
  ok: boolean;
  passed: number;
  failed: number;
  loadFailures: string[];
  allowed: string[];
  disallowed: string[];
}

/** Writes the files, runs vitest on them with its JSON reporter, and returns the report path. */
function vitestReport(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const out = join(dir, "report.json");
  const r = spawnSync(process.execPath, [VITEST, "run", "--root", dir, "--globals", "--reporter=json", `--outputFile=${out}`], {
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
  });
  expect(r.error).toBeUndefined();
  return out;
}

function judge(report: string, dir: string): Summary {
  return summarize([JSON.parse(readFileSync(report, "utf8"))], dir) as Summary;
}

describe(".ci/summary.mjs", () => {
  it("passes a run whose tests all ran and passed", () => {
    const report = vitestReport("green", { "a.test.js": 'it("adds", () => expect(1 + 1).toBe(2));\n' });
    const s = judge(report, join(root, "green"));
    expect(s).toMatchObject({ ok: true, passed: 1, failed: 0, loadFailures: [], disallowed: [] });
    expect(spawnSync(process.execPath, [SUMMARY, report], { cwd: join(root, "green") }).status).toBe(0);
  });

  it("fails on a test file that does not load, though vitest counts no failed test in it", () => {
    const report = vitestReport("broken", {
      "a.test.js": 'it("adds", () => expect(1 + 1).toBe(2));\n',
      "b.test.js": 'import "./missing-module.js";\nit("never runs", () => {});\n',
    });
    const raw = JSON.parse(readFileSync(report, "utf8")) as { numFailedTests: number };
    expect(raw.numFailedTests).toBe(0);
    const s = judge(report, join(root, "broken"));
    expect(s.ok).toBe(false);
    expect(s.loadFailures).toHaveLength(1);
    expect(s.loadFailures[0]).toMatch(/^b\.test\.js: /);
    expect(formatSummary(s)).toContain("1 files failed to load");
    const cli = spawnSync(process.execPath, [SUMMARY, report], { cwd: join(root, "broken"), encoding: "utf8" });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain("test files that failed to load (1):");
  });

  it("fails on a skip with no declared reason, and on an allowed reason used outside its files", () => {
    const report = vitestReport("skips", {
      "a.test.js": 'it.skipIf(true)("needs a tool", () => {});\n',
      "b.test.js": 'it("offline", { skip: true, meta: { skipReason: "NETWORK_UNREACHABLE" } }, () => {});\n',
    });
    const s = judge(report, join(root, "skips"));
    expect(s.ok).toBe(false);
    expect(s.disallowed).toHaveLength(2);
    expect(s.disallowed.join("\n")).toContain("no reason declared");
  });

  it("accepts, and prints, a live test skipped because the network is unreachable", () => {
    const report = vitestReport("live", {
      "test/live/a.test.js": 'describe("live", { skip: true, meta: { skipReason: "NETWORK_UNREACHABLE" } }, () => { it("fetches", () => {}); });\n',
    });
    const s = judge(report, join(root, "live"));
    expect(s).toMatchObject({ ok: true, passed: 0, disallowed: [] });
    expect(s.allowed).toHaveLength(1);
    const cli = spawnSync(process.execPath, [SUMMARY, report], { cwd: join(root, "live"), encoding: "utf8" });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain("skipped, allowed (1):");
    expect(cli.stdout).toContain("test/live/a.test.js > live fetches");
  });

  it("fails when a report is missing (the run did not finish)", () => {
    const cli = spawnSync(process.execPath, [SUMMARY, join(root, "nowhere.json")], { encoding: "utf8" });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain("no test report at");
  });
});
