import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { DebLockError } from "../errors.js";
import { formatReportJson } from "./format-json.js";
import { COLLAPSE_AT, changelogUrl, formatPrBody, trackerUrl } from "./format-markdown.js";
import { formatReportTable } from "./format-table.js";
import { buildUpdateReport, isEmptyReport, isSecurityEntry, type ReportEntry, type SnapshotMove } from "./model.js";

const ROOT = join(import.meta.dirname, "../../..");
const GOLDEN = join(ROOT, "test/golden/report");
const TEMPLATE = readFileSync(join(ROOT, "templates/pr-body.md"), "utf8");

interface GoldenInput {
  before: ReportEntry[];
  after: ReportEntry[];
  snapshots: SnapshotMove[];
}
const readInput = (name: string): GoldenInput => JSON.parse(readFileSync(join(GOLDEN, name, "input.json"), "utf8")) as GoldenInput;

describe("buildUpdateReport", () => {
  const input = readInput("bookworm-update");
  const report = buildUpdateReport(input);

  it("merges archs, puts security first and finds added and removed packages and dependencies", () => {
    expect(report.changes.map((c) => [c.name, c.archs.join(","), c.from, c.to, c.security])).toEqual([
      ["libssl3", "amd64,arm64", "3.0.20-1~deb12u2", "3.0.22-1~deb12u2", true],
      ["openssl", "amd64,arm64", "3.0.20-1~deb12u2", "3.0.22-1~deb12u2", true],
      ["curl", "amd64,arm64", "7.88.1-10+deb12u5", "7.88.1-10+deb12u15", false],
      ["libcurl4", "amd64,arm64", "7.88.1-10+deb12u5", "7.88.1-10+deb12u15", false],
      ["libc6", "amd64,arm64", "2.36-9+deb12u7", "2.36-9+deb12u14", false],
    ]);
    const libcurl = report.changes.find((c) => c.name === "libcurl4")!;
    expect([libcurl.addedDeps, libcurl.removedDeps]).toEqual([["libpsl5"], ["librtmp1"]]);
    expect(report.added.map((a) => [a.name, a.requiredBy])).toEqual([["libpsl5", ["libcurl4"]]]);
    expect(report.removed.map((a) => [a.name, a.sourceVersion, a.requiredBy])).toEqual([["librtmp1", "2.4+20151223.gitfa8646d.1-2", ["libcurl4"]]]);
    expect(report.summary).toEqual({ changed: 5, added: 1, removed: 1, security: 2, sourcePackages: 3 });
    expect(report.snapshots.map((s) => s.archive)).toEqual(["debian", "debian-security"]);
  });

  it("does not depend on the order of its input", () => {
    const shuffled = buildUpdateReport({
      ...input,
      before: [...input.before].reverse(),
      after: [...input.after].sort((a, b) => a.arch.localeCompare(b.arch)),
    });
    expect(formatReportJson(shuffled)).toBe(formatReportJson(report));
  });

  it("reports nothing when nothing moves, and flags downgrades", () => {
    const same = buildUpdateReport({ before: input.before, after: input.before });
    expect(isEmptyReport(same)).toBe(true);
    expect(formatReportTable(same)).toBe("All packages are up to date.\n");
    const down = buildUpdateReport({ before: input.after, after: input.before });
    expect(down.changes.find((c) => c.name === "libc6")?.direction).toBe("downgrade");
  });

  it("recognises security entries by suite or by URL", () => {
    expect(isSecurityEntry({ suite: "bookworm-security" })).toBe(true);
    expect(isSecurityEntry({ suite: "buster/updates" })).toBe(true);
    expect(isSecurityEntry({ url: "https://snapshot.debian.org/archive/debian-security/20260801T025533Z/pool/updates/main/o/openssl/x.deb" })).toBe(
      true,
    );
    expect(isSecurityEntry({ suite: "bookworm-updates" })).toBe(false);
  });
});

describe("report renderers (golden files)", () => {
  const report = buildUpdateReport(readInput("bookworm-update"));

  it("renders the human table", async () => {
    await expect(formatReportTable(report)).toMatchFileSnapshot(join(GOLDEN, "bookworm-update/output.txt"));
  });

  it("renders the PR body from the template", async () => {
    const md = formatPrBody(report, TEMPLATE);
    expect(md.indexOf("Security updates")).toBeLessThan(md.indexOf("### Updates"));
    expect(md).toContain(`[openssl](${trackerUrl("openssl")})`);
    expect(md).not.toMatch(/\{\{|\n\n\n/);
    await expect(md).toMatchFileSnapshot(join(GOLDEN, "bookworm-update/output.md"));
  });

  it("renders JSON with a schema version", async () => {
    const json = formatReportJson(report);
    expect(JSON.parse(json)).toMatchObject({ schemaVersion: 1, summary: { changed: 5 } });
    await expect(json).toMatchFileSnapshot(join(GOLDEN, "bookworm-update/output.json"));
  });

  it("rejects a template with an unknown section", () => {
    expect(() => formatPrBody(report, "{{summary}} {{nonsense}}")).toThrow(DebLockError);
  });

  it("links changelogs the way the archive names them", () => {
    expect(changelogUrl("glibc", "2.36-9+deb12u14")).toBe(
      "https://metadata.ftp-master.debian.org/changelogs/main/g/glibc/glibc_2.36-9%2Bdeb12u14_changelog",
    );
    expect(changelogUrl("libpsl", "0.21.2-1")).toBe("https://metadata.ftp-master.debian.org/changelogs/main/libp/libpsl/libpsl_0.21.2-1_changelog");
    expect(changelogUrl("zlib", "1:1.2.13.dfsg-1")).toContain("/z/zlib/zlib_1.2.13.dfsg-1_changelog");
  });
});

describe("a large update", () => {
  // 200 binary packages from 100 source packages, one of them a security update.
  const entries = (version: string, suite: string): ReportEntry[] =>
    Array.from({ length: 100 }, (_, i) => i).flatMap((i) =>
      ["", "-data"].map((suffix) => ({
        repo: "trixie",
        name: `pkg${String(i).padStart(3, "0")}${suffix}`,
        source: `src${String(i).padStart(3, "0")}`,
        version,
        arch: "amd64",
        suite: i === 42 ? `${suite}-security` : suite,
        dependencies: [],
      })),
    );
  const report = buildUpdateReport({ before: entries("1.0-1", "trixie"), after: entries("1.0-2", "trixie") });

  it("stays readable: one row per source package, details folded, security outside the fold", () => {
    const md = formatPrBody(report, TEMPLATE);
    expect(report.summary.changed).toBe(200);
    const rows = md.split("\n").filter((l) => l.startsWith("| [src"));
    expect(rows).toHaveLength(100);
    expect(md).toContain("<details><summary>99 source packages (198 binary packages)</summary>");
    expect(md.indexOf("[src042]")).toBeLessThan(md.indexOf("<details>"));
    expect(md.split("\n").length).toBeLessThan(140);
    expect(COLLAPSE_AT).toBeLessThan(99);
  });
});

describe("the documented JSON schema", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "templates/update-report.schema.json"), "utf8")) as {
    required: string[];
    properties: { changes: { items: { required: string[] } } };
    $defs: { presence: { required: string[] } };
  };
  const report = buildUpdateReport(readInput("bookworm-update"));
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  const errorsOf = (value: unknown): string[] => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

  it("names exactly the fields the report carries", () => {
    expect([...schema.required].sort()).toEqual(Object.keys(report).sort());
    expect([...schema.properties.changes.items.required].sort()).toEqual(Object.keys(report.changes[0]!).sort());
    expect([...schema.$defs.presence.required].sort()).toEqual(Object.keys(report.added[0]!).sort());
  });

  it("validates the --json output of real reports (ajv, JSON Schema 2020-12)", () => {
    const empty = buildUpdateReport({ before: [], after: [], snapshots: [] });
    for (const r of [report, empty]) expect(errorsOf(JSON.parse(formatReportJson(r)))).toEqual([]);
  });

  it("rejects output that breaks it (so the validation above can fail)", () => {
    const json = JSON.parse(formatReportJson(report)) as Record<string, unknown> & { changes: Array<Record<string, unknown>> };
    const { summary: _summary, ...withoutSummary } = json;
    expect(errorsOf(withoutSummary)).not.toEqual([]);
    expect(errorsOf({ ...json, schemaVersion: 2 })).not.toEqual([]);
    expect(errorsOf({ ...json, changes: [{ ...json.changes[0], security: "yes" }] })).not.toEqual([]);
  });
});

describe("moves between a repo and its arch-specific companions", () => {
  const moves = [
    { name: "libshine3", from: "bookworm_python", to: "bookworm_python_amd64_only", reason: "no longer built for arm64" },
    { name: "libmfx1", from: "bookworm_python_amd64_only", to: "bookworm_python", reason: "now built for arm64" },
  ];
  const report = buildUpdateReport({ before: [], after: [], moves });
  const schema = JSON.parse(readFileSync(join(ROOT, "templates/update-report.schema.json"), "utf8")) as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

  it("are part of the report, sorted by name, and absent when nothing moved", () => {
    expect(report.moves?.map((m) => m.name)).toEqual(["libmfx1", "libshine3"]);
    expect(isEmptyReport(report)).toBe(false);
    expect("moves" in buildUpdateReport({ before: [], after: [] })).toBe(false);
    expect(validate(JSON.parse(formatReportJson(report)))).toBe(true);
    expect(validate({ ...JSON.parse(formatReportJson(report)), moves: [{ name: "x", from: "a" }] })).toBe(false);
  });

  it("are said in the PR body and the table", () => {
    const body = formatPrBody(report, TEMPLATE);
    expect(body).toContain(
      "**Moved between repos**\n\n- `libmfx1` moved from bookworm_python_amd64_only to bookworm_python: now built for arm64\n- `libshine3` moved from bookworm_python to bookworm_python_amd64_only: no longer built for arm64",
    );
    expect(formatReportTable(report)).toContain("moved libmfx1: bookworm_python_amd64_only → bookworm_python (now built for arm64)\n");
  });
});
