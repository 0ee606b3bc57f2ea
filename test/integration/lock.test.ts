import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLock } from "../../src/core/lock/index.js";
import type { Fault } from "../support/archive-server.js";
import { BOOKWORM_SOURCES, fixtureStanzas, lockWith, SNAPSHOT, TS, useBookwormArchive, writeTree } from "../support/bookworm-archive.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

const MODULE = `bazel_dep(name = "rules_distroless", version = "0.5.1")

apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(
    name = "bookworm",
    lock = "//private/repos/deb:bookworm.lock.json",
    manifest = "//private/repos/deb:bookworm.yaml",
)
apt.install(
    name = "flat",
    lock = "//private/repos/deb:flat.lock.json",
    manifest = "//private/repos/deb:flat.yaml",
    resolve_transitive = False,
)
`;

const sources = BOOKWORM_SOURCES;

const TRANSITIVE = `version: 1
# packages for the shell image
${sources}
archs:
  - amd64
  - arm64

packages:
  - bash
  - ca-certificates # certificates for TLS
`;

const FLAT = `version: 1
${sources}
archs: [amd64]
packages:
  - libc6
  - libssl3
`;

const archive = useBookwormArchive();
const { temp } = archive;

function workspace(files: Record<string, string> = {}): string {
  const root = temp.make("deb-lock-ws-");
  writeTree(root, {
    "MODULE.bazel": MODULE,
    "private/repos/deb/BUILD.bazel": "",
    "private/repos/deb/bookworm.yaml": TRANSITIVE,
    "private/repos/deb/flat.yaml": FLAT,
    ...files,
  });
  return root;
}

function lock(root: string, ...extra: string[]) {
  return lockWith(archive.server, root, temp.make("deb-lock-cache-"), ...extra);
}

describe("deb-lock lock", () => {
  it("writes transitive and flat locks with canonical URLs, the apt closure, and the highest version across suites", async () => {
    const root = workspace();
    const result = await lock(root);
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);

    const text = readFileSync(join(root, "private/repos/deb/bookworm.lock.json"), "utf8");
    expect(text.endsWith("}")).toBe(true);
    const { lock: parsed } = parseLock(text, "bookworm.lock.json");
    const amd64 = parsed.packages.filter((p) => p.arch === "amd64");
    // the closure apt computes for `apt-get install --no-install-recommends bash ca-certificates` on the same data
    expect(amd64.map((p) => `${p.name} ${p.version}`).sort()).toEqual([
      "base-files 12.4+deb12u15",
      "bash 5.2.15-2+b13",
      "ca-certificates 20250419~deb12u2",
      "debconf 1.5.82",
      "debianutils 5.7-0.5~deb12u1",
      "gcc-12-base 12.2.0-14+deb12u1",
      "libc6 2.36-9+deb12u14",
      "libgcc-s1 12.2.0-14+deb12u1",
      "libssl3 3.0.22-1~deb12u2",
      "libtinfo6 6.4-4",
      "mawk 1.3.4.20200120-3.1",
      "openssl 3.0.22-1~deb12u2",
    ]);
    expect(amd64[0]!.name).toBe("bash");
    const bash = amd64[0]!;
    expect(bash.dependencies.map((d) => d.name).sort()).toEqual([
      "base-files",
      "debianutils",
      "gcc-12-base",
      "libc6",
      "libgcc-s1",
      "libtinfo6",
      "mawk",
    ]);
    const ssl = amd64.find((p) => p.name === "libssl3")!;
    expect(ssl.key).toBe("libssl3_3.0.22-1_deb12u2_amd64");
    expect(ssl.urls).toEqual([`${SNAPSHOT}/debian-security/${TS}/pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb`]);
    expect(ssl.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fixtureStanzas("bookworm-security-amd64.Packages").join("\n\n")).toContain(`SHA256: ${ssl.sha256}`);
    // every architecture-independent package is locked per target arch
    expect(parsed.packages.filter((p) => p.name === "ca-certificates").map((p) => p.arch)).toEqual(["amd64", "arm64"]);

    const flat = parseLock(readFileSync(join(root, "private/repos/deb/flat.lock.json"), "utf8"), "flat.lock.json").lock;
    expect(flat.packages.map((p) => [p.name, p.version, p.dependencies.length])).toEqual([
      ["libc6", "2.36-9+deb12u14", 0],
      ["libssl3", "3.0.22-1~deb12u2", 0],
    ]);
  });

  it("changes no byte and writes no file when re-locking an unchanged workspace", async () => {
    const root = workspace();
    expect((await lock(root)).code).toBe(0);
    const lockPath = join(root, "private/repos/deb/bookworm.lock.json");
    const before = snapshotTree(root);
    const mtime = statSync(lockPath).mtimeMs;
    const again = await lock(root);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("up to date");
    expect(snapshotTree(root)).toEqual(before);
    expect(statSync(lockPath).mtimeMs).toBe(mtime);
  });

  it("recovers from 503 and 429 answers", async () => {
    const root = workspace();
    archive.server.faults.push(
      { path: "bookworm/InRelease", status: [503, 200] },
      { path: /binary-amd64\/.*Packages/, status: [429, 200], retryAfter: 0 },
    );
    const result = await lock(root);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("retrying");
  });

  const failures: [string, Fault, string][] = [
    ["a bad signature", { path: "bookworm/InRelease", tamper: true }, "BAD_SIGNATURE"],
    ["an unknown signer", { path: "bookworm-security/InRelease", unknownSigner: true }, "UNKNOWN_SIGNER"],
    ["an index that does not match its Release", { path: /binary-arm64\/(by-hash|Packages)/, wrongContent: true }, "does not match"],
    ["a body cut short", { path: /binary-amd64\/(by-hash|Packages)/, truncateAt: 100 }, "GET"],
    ["a server error that persists", { path: "bookworm/InRelease", status: Array<number>(20).fill(500) }, "HTTP 500"],
  ];
  for (const [what, fault, message] of failures) {
    it(`exits 3 on ${what} and leaves every file as it was`, async () => {
      const root = workspace({ "private/repos/deb/bookworm.lock.json": '{\n\t"packages": [],\n\t"version": 1\n}' });
      const before = snapshotTree(root);
      archive.server.faults.push(fault);
      const result = await lock(root, "--quiet");
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("http");
      expect(snapshotTree(root)).toEqual(before);
    });
  }

  it("exits 1 naming package and arch when a package does not exist, writing nothing", async () => {
    const root = workspace({ "private/repos/deb/flat.yaml": FLAT.replace("  - libssl3\n", "  - libssl3\n  - no-such-package\n") });
    const before = snapshotTree(root);
    const result = await lock(root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no-such-package.*amd64/);
    expect(result.stderr).toContain("flat.yaml");
    expect(snapshotTree(root)).toEqual(before);
  });

  it("says so when MODULE.bazel.lock records the old hash of a rewritten lock", async () => {
    const moduleLock = {
      lockFileVersion: 13,
      moduleExtensions: {
        "@@rules_distroless~//apt:extensions.bzl%apt": {
          general: { bzlTransitiveDigest: "x", recordedFileInputs: { "@@//private/repos/deb/bookworm.lock.json": "0".repeat(64) } },
        },
      },
    };
    const root = workspace({ "MODULE.bazel.lock": `${JSON.stringify(moduleLock, null, 2)}\n` });
    const result = await lock(root);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("MODULE.bazel.lock records the old hash of private/repos/deb/bookworm.lock.json");
    expect(result.stderr).toContain("bazel mod deps --lockfile_mode=update");
  });

  it("prints one JSON document with --json", async () => {
    const root = workspace();
    const result = await lock(root, "--json");
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { schemaVersion: number; ok: boolean; repos: { name: string; changed: boolean }[] };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.ok).toBe(true);
    expect(doc.repos.map((r) => [r.name, r.changed])).toEqual([
      ["bookworm", true],
      ["flat", true],
    ]);
  });

  it("narrows to the manifests given and rejects one the workspace does not declare", async () => {
    const root = workspace();
    const result = await lock(root, join(root, "private/repos/deb/flat.yaml"));
    expect(result.code).toBe(0);
    expect(() => statSync(join(root, "private/repos/deb/bookworm.lock.json"))).toThrow();
    const bad = await lock(root, "nope.yaml");
    expect(bad.code).toBe(2);
  });
});
