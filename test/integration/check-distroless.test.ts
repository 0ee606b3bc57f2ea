import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staleRecordedInputs } from "../../src/app/changes/module-lock.js";
import { type ArchiveServer, type ArchiveServerSpec, type SuiteSpec, startArchiveServer } from "../support/archive-server.js";
import { readFixtureSuites } from "../support/fixture-archive.js";
import { runCli } from "../support/run-cli.js";

// The distroless-shaped fixture workspaces (2024 and 2026 layouts) with their real, trimmed indexes.
const FIXTURES = join(import.meta.dirname, "../fixtures/workspaces");
const SNAPSHOTS: Record<string, string> = { debian: "20260818T205150Z", "debian-security": "20260818T224315Z" };

/** The fixture's archive/<archive>/<suite>/<arch>/Packages.xz as a fake snapshot archive. */
async function archiveSpec(dir: string): Promise<ArchiveServerSpec> {
  const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
  for (const [archive, suites] of Object.entries(await readFixtureSuites(dir))) archives[archive] = { [SNAPSHOTS[archive]!]: suites };
  return { archives };
}

let tmp: string;
let n = 0;
let archive: ArchiveServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "deb-lock-check-distroless-"));
  archive = await startArchiveServer(await archiveSpec(join(FIXTURES, "distroless-2026/archive")));
  writeFileSync(join(tmp, "key.asc"), archive.publicKeyArmored);
});
afterAll(async () => {
  await archive?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Marks the dependencies distroless leaves out on purpose (maintainer-script helpers, data packages). */
function declareGaps(ws: string): void {
  const gaps: Record<string, string> = {
    "base-files": "awk",
    tzdata: "debconf,debconf-2.0",
    libc6: "libgcc-s1",
    libreadline8: "readline-common",
    libreadline8t64: "readline-common",
    libtirpc3: "libtirpc-common",
    libtirpc3t64: "libtirpc-common",
    libssl3t64: "openssl-provider-legacy",
  };
  for (const file of ["bookworm", "bookworm_python", "trixie", "trixie_python"]) {
    edit(ws, `private/repos/deb/${file}.yaml`, (t) =>
      t.replace(/^(\s*- )([a-z0-9.+-]+)$/gm, (line, dash: string, name: string) =>
        gaps[name] === undefined ? line : `${dash}${name} # deb-lock: without=${gaps[name]} (not needed in a distroless image)`,
      ),
    );
  }
}

function copy(layout: string): string {
  const ws = join(tmp, `ws${n++}`);
  cpSync(join(FIXTURES, layout, "workspace"), ws, { recursive: true });
  return ws;
}
const edit = (ws: string, path: string, f: (text: string) => string) => writeFileSync(join(ws, path), f(readFileSync(join(ws, path), "utf8")));
const check = (ws: string, ...argv: string[]) =>
  runCli(
    [
      "check",
      ...argv,
      "--mirror",
      `https://snapshot.debian.org=${archive.url}`,
      "--keyring",
      join(tmp, "key.asc"),
      "--cache-dir",
      join(tmp, "cache"),
      "--quiet",
    ],
    { cwd: ws, homeDir: tmp },
  );

/** The hand edit of the blog post: ffmpeg in the manifest and the image list, one lock entry per arch with "dependencies": []. */
function handEditFfmpeg(ws: string): void {
  // The hand edit: ffmpeg in the manifest and the image list, one lock entry per arch with "dependencies": [].
  const stanzas = (arch: string) =>
    execFileSync("xz", ["-dc", join(FIXTURES, "distroless-2026/archive/debian/bookworm", arch, "Packages.xz")], { encoding: "utf8" });
  const field = (stanza: string, name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(stanza)![1]!;
  edit(ws, "private/repos/deb/bookworm_python.yaml", (t) => `${t.trimEnd()}\n  - ffmpeg\n`);
  edit(ws, "python3/config.bzl", (t) => t.replace('        "libffi8",\n', '        "libffi8",\n        "ffmpeg",\n'));
  edit(ws, "private/repos/deb/bookworm_python.lock.json", (t) => {
    const lock = JSON.parse(t) as { packages: unknown[]; version: number };
    for (const arch of ["amd64", "arm64"]) {
      const stanza = stanzas(arch)
        .split(/\n\n+/)
        .find((s) => s.startsWith("Package: ffmpeg\n"))!;
      const version = field(stanza, "Version");
      lock.packages.push({
        arch,
        dependencies: [],
        key: `ffmpeg_${version.replace(":", "-").replaceAll("+", "-p-")}_${arch}`,
        name: "ffmpeg",
        sha256: field(stanza, "SHA256"),
        urls: [`https://snapshot.debian.org/archive/debian/${SNAPSHOTS.debian}/${field(stanza, "Filename")}`],
        version,
      });
    }
    return JSON.stringify(lock, null, "\t");
  });

  // A careful hand edit keeps MODULE.bazel.lock's recorded hash in step too.
  const lockPath = "private/repos/deb/bookworm_python.lock.json";
  if (existsSync(join(ws, "MODULE.bazel.lock"))) {
    const content = readFileSync(join(ws, lockPath), "utf8");
    edit(ws, "MODULE.bazel.lock", (t) =>
      staleRecordedInputs(t, new Map([[lockPath, content]])).reduce((out, s) => out.replace(s.hash, s.newHash), t),
    );
  }
}

describe.each(["distroless-2024", "distroless-2026"])("check on the %s layout", (layout) => {
  it("passes the consistent workspace, image lists included", async () => {
    const r = await check(copy(layout));
    expect(r.stdout).toBe("");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/deb-lock check: ok \(\d+ repo\(s\), \d+ lock entries, [1-9]\d* image list\(s\)\)/);
  });
});

/** A BUILD file declaring one image per arch, user and distro (the distroless 2024 pattern). */
function imageBuild(name: string, base: string, packages: readonly string[]): string {
  return [
    'load("@rules_oci//oci:defs.bzl", "oci_image")',
    'load("//:checksums.bzl", "ARCHITECTURES")',
    'load("//base:distro.bzl", "DISTROS")',
    'load("//private/util:deb.bzl", "deb")',
    "",
    "[",
    "    oci_image(",
    `        name = "${name}_" + user + "_" + arch + "_" + distro,`,
    `        base = "${base}_" + user + "_" + arch + "_" + distro,`,
    "        tars = [",
    ...packages.map((p) => `            deb.package(arch, distro, "${p}"),`),
    "        ],",
    "    )",
    "    for arch in ARCHITECTURES",
    '    for user in ["root", "nonroot"]',
    "    for distro in DISTROS",
    "]",
    "",
  ].join("\n");
}

describe("check covers every image of the workspace", () => {
  it("images named unlike their directory (java:java_base, base:static) and in nested packages are checked", async () => {
    const ws = copy("distroless-2024");
    mkdirSync(join(ws, "java"));
    writeFileSync(
      join(ws, "java/BUILD"),
      `${imageBuild("java_base", "//cc:cc", ["zlib1g"])}\n${imageBuild("java17", ":java_base", ["libjpeg62-turbo"])
        .replace(/^load.*\n/gm, "")
        .trimStart()}`,
    );
    mkdirSync(join(ws, "experimental/nodejs"), { recursive: true });
    writeFileSync(join(ws, "experimental/nodejs/BUILD"), imageBuild("nodejs20", "//cc:cc", ["libatomic1"]));
    edit(ws, "base/base.bzl", (t) =>
      t.replace(
        'deb.package(arch, distro, "netbase"),',
        'deb.package(arch, distro, "netbase"),\n                    deb.package(arch, distro, "libcap2"),',
      ),
    );
    const r = await check(ws);
    expect(r.code).toBe(1);
    const used = r.stdout
      .trim()
      .split("\n")
      .map((l) => / image (\S+) \(debian12\) uses (\S+),/.exec(l)?.slice(1, 3).join(" uses "));
    expect(used.sort()).toEqual(
      [
        "base:static uses libcap2",
        "experimental/nodejs:nodejs20 uses libatomic1",
        "java:java17 uses libjpeg62-turbo",
        "java:java_base uses zlib1g",
      ].sort(),
    );
    // every finding says once what to run, and what it says names the image as --image takes it
    expect(r.stdout).toContain("run `deb-lock add zlib1g --image java:java_base`");
  });
});

describe("check on the distroless-2026 layout", () => {
  it("catches an image list naming a package absent from the lock, at its line in config.bzl", async () => {
    const ws = copy("distroless-2026");
    edit(ws, "python3/config.bzl", (t) => t.replace('        "libffi8",\n', '        "libffi8",\n        "libmpdec3",\n'));
    const r = await check(ws);
    expect(r.code).toBe(1);
    const line =
      readFileSync(join(ws, "python3/config.bzl"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes('"libmpdec3"')) + 1;
    expect(r.stdout).toContain(
      `python3/config.bzl:${line}: image python3 (debian12) uses libmpdec3, which the bookworm_python lock has no entry for on amd64, arm64 — run \`deb-lock add libmpdec3 --image python3\``,
    );
  });

  it("--image narrows to one image", async () => {
    const ws = copy("distroless-2026");
    const r = await check(ws, "--image", "cc");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/[1-9] image list\(s\)/);
  });

  it("--deep names the dependencies distroless leaves out, and accepts them once declared", async () => {
    const ws = copy("distroless-2026");
    const strict = await check(ws, "--deep");
    expect(strict.code).toBe(1);
    const unmet = strict.stdout
      .trim()
      .split("\n")
      .map((l) => /: (\S+) \S+ \(amd64, arm64\) needs (.*?) \[/.exec(l)?.slice(1, 3).join(" → "));
    expect([...new Set(unmet)].sort()).toEqual([
      "base-files → awk",
      "libc6 → libgcc-s1",
      "libreadline8 → readline-common",
      "libreadline8t64 → readline-common",
      "libssl3t64 → openssl-provider-legacy",
      "libtirpc3 → libtirpc-common (>= 1.3.3+ds-1)",
      "libtirpc3t64 → libtirpc-common (>= 1.3.6+ds-1)",
      "tzdata → debconf (>= 0.5) | debconf-2.0",
    ]);
    expect(strict.stdout).toContain(
      "image base:base_nossl (debian12), image base (debian12), image cc (debian12), image python3 (debian12), image static (debian12) do not contain",
    );
    expect(strict.stdout).toContain("which image python3 (debian12) does not contain");
    declareGaps(ws);
    const clean = await check(ws, "--deep");
    expect(clean.stdout + clean.stderr).toContain("deb-lock check: ok");
    expect(clean.code).toBe(0);
  });

  it("--deep's hint, when it names a command, is one that fixes the finding", async () => {
    const ws = copy("distroless-2026");
    const before = await check(ws, "--deep");
    const finding = before.stdout
      .split("\n")
      .find((l) => l.startsWith("private/repos/deb/bookworm_python.lock.json") && l.includes("libreadline8 "))!;
    const command = /— run `deb-lock ([^`]+)`/.exec(finding)?.[1];
    expect(command).toBe("add readline-common --image python3");
    const add = await runCli(
      [
        ...command!.split(" "),
        "--mirror",
        `https://snapshot.debian.org=${archive.url}`,
        "--keyring",
        join(tmp, "key.asc"),
        "--cache-dir",
        join(tmp, "cache"),
        "--quiet",
      ],
      { cwd: ws, homeDir: tmp },
    );
    expect(add.stderr).toBe("");
    expect(add.stdout).toContain("+ readline-common 8.2-1.3 (requested)");
    expect(add.code).toBe(0);
    const after = await check(ws, "--deep");
    expect(after.stdout).not.toContain("readline-common");
    expect(after.stdout.trim().split("\n")).toHaveLength(before.stdout.trim().split("\n").length - 2); // bookworm and trixie
  });

  it("--deep fails the lone ffmpeg hand edit and names the missing libraries", async () => {
    const ws = copy("distroless-2026");
    declareGaps(ws);

    handEditFfmpeg(ws);
    const offline = await check(ws);
    expect(offline.stdout).toBe(""); // every file agrees with every other: only the archive can tell
    const deep = await check(ws, "--deep");
    expect(deep.code).toBe(1);
    const findings = deep.stdout.trim().split("\n");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatch(
      /^private\/repos\/deb\/bookworm_python\.lock\.json:\d+: ffmpeg 7:5\.1\.9-0\+deb12u1 \(amd64, arm64\) needs libavcodec59 \(>= 7:5\.0\) \[Depends\], libavdevice59 /,
    );
    for (const lib of [
      "libavcodec59",
      "libavfilter8",
      "libavformat59",
      "libavutil57",
      "libpostproc56",
      "libsdl2-2.0-0",
      "libswresample4",
      "libswscale6",
    ]) {
      expect(findings[0]).toContain(lib);
    }
  });
});

describe("check --deep with a baseline (distroless-2026, untouched: its intentional omissions)", () => {
  it("--write-baseline records them; later checks pass, and fail only on a new omission", async () => {
    const ws = copy("distroless-2026");
    const strict = await check(ws, "--deep");
    expect(strict.code).toBe(1);
    const accepted = strict.stdout.trim().split("\n");
    expect(accepted.length).toBeGreaterThan(5);

    const write = await check(ws, "--deep", "--write-baseline");
    expect(write.code).toBe(0);
    expect(write.stderr).toContain(`recorded ${accepted.length} finding(s) in deb-lock.baseline.json`);
    const baseline = JSON.parse(readFileSync(join(ws, "deb-lock.baseline.json"), "utf8")) as {
      schemaVersion: number;
      findings: { code: string; key: string }[];
    };
    expect(baseline.schemaVersion).toBe(1);
    expect(baseline.findings.map((f) => f.key)).toContain("tzdata needs debconf|debconf-2.0");

    const deep = await check(ws, "--deep");
    expect(deep.stdout).toBe("");
    expect(deep.stderr).toContain(`; ${accepted.length} known in deb-lock.baseline.json)`);
    expect(deep.code).toBe(0);
    expect((await check(ws)).code).toBe(0); // the offline check reads the same baseline

    handEditFfmpeg(ws);
    const fresh = await check(ws, "--deep");
    expect(fresh.code).toBe(1);
    expect(fresh.stdout.trim().split("\n")).toHaveLength(1);
    expect(fresh.stdout).toMatch(/: ffmpeg \S+ \(amd64, arm64\) needs libavcodec59/);
    expect(fresh.stderr).toContain("1 new problem(s)");
  });

  it("a known finding stays known when its versions and line change; fixed ones are reported as gone", async () => {
    const ws = copy("distroless-2026");
    expect((await check(ws, "--deep", "--write-baseline", "--baseline", "accepted.json")).code).toBe(0);
    const text = readFileSync(join(ws, "accepted.json"), "utf8");
    // As if recorded before an update: other versions in the messages.
    const older = text.replace(/2026f-0\+deb12u1/g, "2025b-0+deb12u1");
    expect(older).not.toBe(text);
    writeFileSync(join(ws, "accepted.json"), older);
    const known = await check(ws, "--deep", "--baseline", "accepted.json");
    expect(known.stdout).toBe("");
    expect(known.code).toBe(0);
    expect(known.stderr).not.toContain("no longer occur");

    declareGaps(ws); // every omission declared in the manifests: nothing left to match
    const r = await check(ws, "--deep", "--baseline", "accepted.json");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\d+ finding\(s\) of accepted\.json no longer occur; run with --write-baseline to drop them/);
  });

  it("usage: a named baseline that does not exist, and --write-baseline of a narrowed check, exit 2", async () => {
    const ws = copy("distroless-2026");
    const missing = await check(ws, "--baseline", "nope.json");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("baseline nope.json does not exist");
    expect((await check(ws, "--deep", "--write-baseline", "--image", "python3")).code).toBe(2);
    expect(existsSync(join(ws, "deb-lock.baseline.json"))).toBe(false);
  });
});
