import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staleRecordedInputs } from "../../src/app/changes/module-lock.js";
import { type ArchiveServer, type ArchiveServerSpec, startArchiveServer } from "../support/archive-server.js";
import { runCli } from "../support/run-cli.js";
import { type SnapshotService, startSnapshotService } from "../support/snapshot-listing.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURE = join(ROOT, "test/fixtures/update");
const data = JSON.parse(readFileSync(join(FIXTURE, "archive.json"), "utf8")) as {
  now: string;
  runs: Record<string, string[]>;
  spec: ArchiveServerSpec;
};
const MANIFEST = "private/repos/deb/bookworm.yaml";
const LOCK = "private/repos/deb/bookworm.lock.json";

let archive: ArchiveServer;
let service: SnapshotService;
let tmp: string;
let n = 0;

const common = () => [
  "--mirror",
  `https://snapshot.debian.org=${service.url}`,
  "--keyring",
  join(tmp, "key.asc"),
  "--cache-dir",
  join(tmp, "cache"),
  "--quiet",
];
const env = { DEB_LOCK_NOW: data.now };
const cli = (ws: string, ...argv: string[]) => runCli([...argv, ...common()], { cwd: ws, env, homeDir: tmp });

/** A copy of the fixture workspace, locked at the old snapshots, with a MODULE.bazel.lock recording the lock's hash. */
async function workspace(): Promise<string> {
  const ws = join(tmp, `ws${n++}`);
  cpSync(join(FIXTURE, "workspace"), ws, { recursive: true });
  const locked = await cli(ws, "lock");
  expect(locked.code, locked.stderr).toBe(0);
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256")
    .update(readFileSync(join(ws, LOCK)))
    .digest("hex");
  writeFileSync(
    join(ws, "MODULE.bazel.lock"),
    `${JSON.stringify(
      {
        lockFileVersion: 11,
        registryFileHashes: {},
        selectedYankedVersions: {},
        moduleExtensions: {
          "@@rules_distroless+//apt:extensions.bzl%apt": {
            general: {
              bzlTransitiveDigest: "x",
              usagesDigest: "y",
              recordedFileInputs: { [`@@//${LOCK}`]: hash },
              recordedDirentsInputs: {},
              envVariables: {},
              generatedRepoSpecs: {},
            },
          },
        },
        facts: {},
      },
      null,
      2,
    )}\n`,
  );
  return ws;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "deb-lock-update-cli-"));
  archive = await startArchiveServer(data.spec);
  writeFileSync(join(tmp, "key.asc"), archive.publicKeyArmored);
  service = await startSnapshotService(data.runs, archive.url);
});
afterAll(async () => {
  await service?.close();
  await archive?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("deb-lock snapshots", () => {
  it("prints the latest usable run per archive, skipping today's", async () => {
    const r = await cli(tmp, "snapshots");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("debian           20260801T021544Z\ndebian-security  20260801T025533Z\n");
    const today = await cli(tmp, "snapshots", "--archive", "debian", "--include-today");
    expect(today.stdout).toBe("debian  20260802T021000Z\n");
  });

  it("answers --at and --json", async () => {
    const r = await cli(tmp, "snapshots", "--at", "20260731T000000Z", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({
      schemaVersion: 1,
      command: "snapshots",
      snapshots: [
        { host: "snapshot.debian.org", archive: "debian", timestamp: "20260701T024210Z" },
        { host: "snapshot.debian.org", archive: "debian-security", timestamp: "20260701T031207Z" },
      ],
    });
    expect((await cli(tmp, "snapshots", "--at", "yesterday")).code).toBe(2);
    const none = await cli(tmp, "snapshots", "--archive", "debian-ports");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("NO_SNAPSHOT");
  });
});

describe("deb-lock update / outdated / check", () => {
  it("outdated and update --dry-run write nothing; --pr-body is written", async () => {
    const ws = await workspace();
    const before = snapshotTree(ws);
    const outdated = await cli(ws, "outdated");
    expect(outdated.code, outdated.stderr).toBe(0);
    expect(outdated.stdout).toMatch(/^libssl3 \[security\] +bookworm +amd64,arm64 +3\.0\.11-1~deb12u2 → 3\.0\.22-1~deb12u2 +bookworm-security/m);
    const body = join(tmp, `body${n}.md`);
    const dry = await cli(ws, "update", "--dry-run", "--pr-body", body);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("would write 3 file(s): private/repos/deb/bookworm.yaml, private/repos/deb/bookworm.lock.json, MODULE.bazel.lock");
    expect(dry.stdout).toContain("--- a/private/repos/deb/bookworm.yaml\n+++ b/private/repos/deb/bookworm.yaml\n");
    expect(dry.stdout).toContain(
      "\n-    url: https://snapshot.debian.org/archive/debian/20260701T024210Z\n+    url: https://snapshot.debian.org/archive/debian/20260801T021544Z\n",
    );
    expect(dry.stdout).toContain("\n+  - libpsl5 # dependency of libcurl4\n");
    expect(snapshotTree(ws)).toEqual(before);
    expect(readFileSync(body, "utf8")).toContain("### :warning: Security updates");
  });

  it("update writes manifest, lock and MODULE.bazel.lock together, after which check passes", async () => {
    const ws = await workspace();
    const r = await cli(ws, "update", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: string[]; report: { schemaVersion: number; summary: { security: number } } };
    expect(out).toMatchObject({ ok: true, dryRun: false, report: { schemaVersion: 1, summary: { security: 1 } } });
    expect(out.files).toEqual([MANIFEST, LOCK, "MODULE.bazel.lock"]);
    expect(readFileSync(join(ws, MANIFEST), "utf8")).toContain("  - libpsl5 # dependency of libcurl4");
    const moduleLock = readFileSync(join(ws, "MODULE.bazel.lock"), "utf8");
    expect(staleRecordedInputs(moduleLock, new Map([[LOCK, readFileSync(join(ws, LOCK), "utf8")]]))).toEqual([]);
    const check = await cli(ws, "check");
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stderr).toContain("deb-lock check: ok");
    const deep = await cli(ws, "check", "--deep");
    expect(deep.code, deep.stdout + deep.stderr).toBe(0);
  });

  it("a verification failure during update writes nothing (exit 3)", async () => {
    const ws = await workspace();
    const before = snapshotTree(ws);
    archive.faults = [{ path: "/archive/debian/20260801T021544Z/dists/bookworm/InRelease", tamper: true }];
    try {
      // a cache of its own: a snapshot's InRelease that an earlier test cached is used without a request
      const argv = ["update", ...common().map((a) => (a === join(tmp, "cache") ? join(tmp, "cache-tampered") : a))];
      const r = await runCli(argv, { cwd: ws, env, homeDir: tmp });
      expect(r.code).toBe(3);
    } finally {
      archive.faults = [];
    }
    expect(snapshotTree(ws)).toEqual(before);
  });

  it("--no-new-deps fails with exit 1 and writes nothing", async () => {
    const ws = await workspace();
    const before = snapshotTree(ws);
    const r = await cli(ws, "update", "--no-new-deps");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NEW_DEPENDENCY");
    expect(snapshotTree(ws)).toEqual(before);
  });

  it("check prints file:line findings and exits 1", async () => {
    const ws = await workspace();
    writeFileSync(join(ws, MANIFEST), readFileSync(join(ws, MANIFEST), "utf8").replace("  - curl\n", "  - curl\n  - ffmpeg\n"));
    const r = await cli(ws, "check");
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([
      "private/repos/deb/bookworm.yaml:28: package ffmpeg has no entry for amd64, arm64 in private/repos/deb/bookworm.lock.json — run `deb-lock lock private/repos/deb/bookworm.yaml` to regenerate the lock",
    ]);
    expect(existsSync(join(ws, "MODULE.bazel.lock"))).toBe(true);
  });
});
