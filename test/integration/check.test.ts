import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, runCheck } from "../../src/app/check/check.js";
import { formatFinding } from "../../src/app/check/check-finding.js";
import type { ImageCheckInput } from "../../src/app/check/check-images.js";
import { createIndexLoader } from "../../src/app/indexes/index-loader.js";
import { type ArchiveServices, createArchiveServices } from "../../src/app/indexes/services.js";
import { planLock } from "../../src/app/lock/lock.js";
import { discoverRepos } from "../../src/app/workspace/workspace.js";
import { applyChangeSet } from "../../src/io/files.js";
import { nodeWorkspaceFiles } from "../../src/io/workspace-files.js";
import { type ArchiveServer, type ArchiveServerSpec, startArchiveServer } from "../support/archive-server.js";

const ROOT = join(import.meta.dirname, "../..");
const CHECK_FIXTURE = join(ROOT, "test/fixtures/check/bookworm");
const UPDATE_FIXTURE = join(ROOT, "test/fixtures/update");
const MANIFEST = "private/repos/deb/bookworm.yaml";
const LOCK = "private/repos/deb/bookworm.lock.json";

let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "deb-lock-check-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copy(fixture: string): string {
  const ws = join(tmp, `ws${n++}`);
  cpSync(fixture, ws, { recursive: true });
  return ws;
}
const read = (ws: string, p: string) => readFileSync(join(ws, p), "utf8");
const write = (ws: string, p: string, text: string) => writeFileSync(join(ws, p), text);

async function check(ws: string, options: { images?: ImageCheckInput[]; deep?: boolean; services?: ArchiveServices } = {}): Promise<CheckResult> {
  const files = nodeWorkspaceFiles();
  return runCheck(
    { root: ws, repos: await discoverRepos(ws, files), ...(options.images ? { images: options.images } : {}), deep: options.deep ?? false },
    { files, ...(options.services ? { loader: createIndexLoader(options.services) } : {}) },
  );
}
const codes = (r: CheckResult) => r.findings.map((f) => f.code);

describe("check (offline) on a real explicit-closure repo", () => {
  it("passes the consistent workspace", async () => {
    const r = await check(copy(CHECK_FIXTURE));
    expect(r.findings).toEqual([]);
    expect(r.stats).toMatchObject({ repos: 1, entries: 22 });
  });

  it("catches a manifest package missing from the lock, and the MODULE.bazel.lock hash going stale", async () => {
    const ws = copy(CHECK_FIXTURE);
    const lock = JSON.parse(read(ws, LOCK)) as { packages: { key: string }[] };
    lock.packages = lock.packages.filter((p) => p.key !== "tzdata_2024a-0-p-deb12u1_arm64");
    write(ws, LOCK, JSON.stringify(lock, null, "\t"));
    const r = await check(ws);
    expect(codes(r)).toEqual(["MODULE_LOCK_HASH_MISMATCH", "PACKAGE_NOT_LOCKED"]);
    const lines = r.findings.map(formatFinding);
    expect(lines[1]).toMatch(
      /^private\/repos\/deb\/bookworm\.yaml:\d+: package tzdata has no entry for arm64 in private\/repos\/deb\/bookworm\.lock\.json — run `deb-lock lock/,
    );
    expect(lines[0]).toMatch(/^MODULE\.bazel\.lock:11: records sha256 .* of private\/repos\/deb\/bookworm\.lock\.json/);
  });

  it("catches a stale lock entry", async () => {
    const ws = copy(CHECK_FIXTURE);
    write(ws, MANIFEST, read(ws, MANIFEST).replace("  - libgomp1\n", ""));
    const r = await check(ws);
    expect(codes(r)).toEqual(["STALE_LOCK_ENTRY", "STALE_LOCK_ENTRY"]);
    expect(r.findings[0]?.message).toContain("libgomp1");
  });

  it("catches a wrong key", async () => {
    const ws = copy(CHECK_FIXTURE);
    write(ws, LOCK, read(ws, LOCK).replace('"key": "netbase_6.4_amd64"', '"key": "netbase_6.3_amd64"'));
    expect(codes(await check(ws))).toEqual(["MODULE_LOCK_HASH_MISMATCH", "LOCK_KEY_MISMATCH"]);
  });

  it("catches an image list naming a package absent from the lock", async () => {
    const ws = copy(CHECK_FIXTURE);
    const image: ImageCheckInput = {
      image: "cc",
      distro: "debian12",
      archs: ["amd64", "arm64"],
      repo: "bookworm",
      packages: [
        { name: "libgcc-s1", file: "cc/BUILD", line: 10 },
        { name: "libgomp1", file: "cc/BUILD", line: 11 },
        { name: "libstdc++6", file: "cc/BUILD", line: 12 },
        { name: "zlib1g", file: "cc/BUILD", line: 13 },
      ],
    };
    const r = await check(ws, { images: [image] });
    expect(r.findings.map(formatFinding)).toEqual([
      "cc/BUILD:13: image cc (debian12) uses zlib1g, which the bookworm lock has no entry for on amd64, arm64 — run `deb-lock add zlib1g --image cc`",
    ]);
  });

  it("narrows to the manifests given", async () => {
    const ws = copy(CHECK_FIXTURE);
    write(ws, LOCK, "{}");
    const files = nodeWorkspaceFiles();
    const r = await runCheck({ root: ws, repos: [] }, { files });
    expect(r.findings).toEqual([]);
    expect(codes(await check(ws))).toEqual(["MODULE_LOCK_HASH_MISMATCH", "LOCK_INVALID"]);
  });

  it("reads a distroless-scale workspace whole (12 repos, 5 archs, ~20k entries) and finds nothing wrong", async () => {
    const ws = join(tmp, "scale");
    const lockText = read(CHECK_FIXTURE, LOCK);
    const manifestText = read(CHECK_FIXTURE, MANIFEST);
    const base = JSON.parse(lockText) as { packages: { arch: string; key: string; name: string; version: string; url: string }[] };
    const archs = ["amd64", "arm64", "armhf", "ppc64el", "s390x"];
    const names = Array.from({ length: 330 }, (_, i) => `pkg${i}`);
    const template = base.packages[0]!;
    const packages = archs.flatMap((arch) =>
      names.map((name) => ({
        ...template,
        arch,
        name,
        key: `${name}_${template.version.replaceAll("+", "-p-")}_${arch}`,
        url: template.url.replace("base-files", name),
      })),
    );
    const bigLock = JSON.stringify({ packages, version: 1 }, null, "\t");
    const bigManifest = manifestText.replace(
      /archs:[\s\S]*$/,
      `archs:\n${archs.map((a) => `  - ${a}`).join("\n")}\n\npackages:\n${names.map((x) => `  - ${x}`).join("\n")}\n`,
    );
    const module = ['module(name = "scale")', 'apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")'];
    cpSync(CHECK_FIXTURE, ws, { recursive: true });
    for (let i = 0; i < 12; i++) {
      write(ws, `private/repos/deb/r${i}.yaml`, bigManifest);
      write(ws, `private/repos/deb/r${i}.lock.json`, bigLock);
      module.push(
        `apt.install(name = "r${i}", lock = "//private/repos/deb:r${i}.lock.json", manifest = "//private/repos/deb:r${i}.yaml", resolve_transitive = False)`,
      );
    }
    write(ws, "MODULE.bazel", `${module.join("\n")}\n`);
    // Speed is measured by `npm run bench`, not here; this checks that a workspace of this size is read whole.
    const r = await check(ws);
    expect(r.stats.entries).toBe(12 * 5 * 330);
    expect(r.findings).toEqual([]);
  });

  it("reads each file once, also those the MODULE.bazel.lock check hashes", async () => {
    const ws = copy(CHECK_FIXTURE);
    const files = nodeWorkspaceFiles();
    const reads: string[] = [];
    const counting = {
      ...files,
      readText(path: string) {
        reads.push(path);
        return files.readText(path);
      },
    };
    const r = await runCheck({ root: ws, repos: await discoverRepos(ws, files) }, { files: counting });
    expect(r.findings).toEqual([]);
    expect(reads.map((path) => path.slice(ws.length + 1)).sort()).toEqual(["MODULE.bazel.lock", LOCK, MANIFEST].sort());
  });

  it("reports the first repo whose files cannot be read, in workspace order, when several cannot", async () => {
    // Every repo's files are read at once; the failures of later repos must neither win nor go unhandled.
    const ws = copy(CHECK_FIXTURE);
    const module = read(ws, "MODULE.bazel");
    write(ws, "MODULE.bazel", `${module}${module.slice(module.indexOf("apt.install(")).replaceAll("bookworm", "second")}`);
    write(ws, "private/repos/deb/second.yaml", read(ws, MANIFEST));
    mkdirSync(join(ws, "private/repos/deb/second.lock.json"));
    rmSync(join(ws, MANIFEST));
    mkdirSync(join(ws, MANIFEST));
    const repos = await discoverRepos(ws, nodeWorkspaceFiles());
    expect(repos.map((r) => r.name)).toEqual(["bookworm", "second"]);
    await expect(check(ws)).rejects.toThrow(/bookworm\.yaml: is a directory, not a file/);
  });
});

describe("check --deep against a fake archive", () => {
  let archive: ArchiveServer;
  let services: ArchiveServices;
  const data = JSON.parse(readFileSync(join(UPDATE_FIXTURE, "archive.json"), "utf8")) as { spec: ArchiveServerSpec };

  beforeAll(async () => {
    archive = await startArchiveServer(data.spec);
    writeFileSync(join(tmp, "key.asc"), archive.publicKeyArmored);
    services = createArchiveServices({
      mirrors: [{ from: "https://snapshot.debian.org", to: archive.url }],
      cacheDir: join(tmp, "cache"),
      offline: false,
      keyrings: [join(tmp, "key.asc")],
      env: {},
      homeDir: tmp,
    });
  });
  afterAll(async () => {
    await services?.close();
    await archive?.close();
  });

  async function locked(extraPackages: string[] = []): Promise<string> {
    const ws = copy(join(UPDATE_FIXTURE, "workspace"));
    if (extraPackages.length > 0) write(ws, MANIFEST, `${read(ws, MANIFEST)}${extraPackages.map((p) => `  - ${p}\n`).join("")}`);
    const files = nodeWorkspaceFiles();
    const plan = await planLock(ws, await discoverRepos(ws, files), {
      files,
      loader: createIndexLoader(services),
      defaults: { dialect: "urls", keyStyle: "tilde-replaced" },
    });
    expect(plan.problems).toEqual([]);
    await applyChangeSet(plan.changes);
    return ws;
  }

  it("passes a consistent lock", async () => {
    const ws = await locked();
    expect((await check(ws, { deep: true, services })).findings).toEqual([]);
  });

  it("fails the lone ffmpeg hand edit and names the missing libraries", async () => {
    const ws = await locked(["ffmpeg"]);
    expect((await check(ws)).findings).toEqual([]); // offline, the edit looks consistent
    const r = await check(ws, { deep: true, services });
    expect(codes(r)).toEqual(["UNSATISFIED_DEPENDENCY"]);
    const f = r.findings[0]!;
    expect(f.file).toBe(LOCK);
    expect(f.message).toMatch(/^ffmpeg 7:5\.1\.6-0\+deb12u1 \(amd64, arm64\) needs libavcodec59 \(>= 7:5\.0\) \[Depends\], libavdevice59/);
    for (const lib of ["libavcodec59", "libavformat59", "libavutil57", "libsdl2-2.0-0", "libswscale6"]) expect(f.hint).toContain(lib);
    expect(f.message).not.toContain("libc6 (>= 2.35)");
  });

  it("catches a locked sha256 that the verified index contradicts", async () => {
    const ws = await locked();
    const text = read(ws, LOCK);
    const m = /"key": "zlib1g_[^"]+_arm64",\n\t+"name": "zlib1g",\n\t+"sha256": "([0-9a-f]{64})"/.exec(text)!;
    write(ws, LOCK, text.replace(m[1]!, "0".repeat(64)));
    const r = await check(ws, { deep: true, services });
    expect(codes(r)).toEqual(["SHA256_MISMATCH"]);
    expect(r.findings[0]?.message).toContain("zlib1g");
  });
});
