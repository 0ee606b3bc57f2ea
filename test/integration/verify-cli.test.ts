/**
 * `deb-lock verify` end to end on synthetic .debs served over real HTTP (127.0.0.1): a clean image, an image that
 * needs a link only a maintainer script makes, a missing library, and bad input (hash mismatch, truncated
 * download, truncated package, unknown compression, --offline without cache) — each bad case exits 3 or 1 with
 * the URL and leaves the workspace and the cache's .deb store untouched.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeb, buildElf, type DebSpec } from "../support/deb-builder.js";
import { type HttpTestServer, startHttpTestServer } from "../support/http-test-server.js";
import { runCli } from "../support/run-cli.js";

const T = "x86_64-linux-gnu";
const LD = "/lib64/ld-linux-x86-64.so.2";
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

const DEBS: Record<string, DebSpec> = {
  libc6: {
    files: [
      { path: "/usr", kind: "dir" },
      { path: `/usr/lib/${T}/ld-linux-x86-64.so.2`, kind: "file", data: buildElf({ soname: "ld-linux-x86-64.so.2" }) },
      { path: "/lib64", kind: "dir" },
      { path: LD, kind: "symlink", target: `/usr/lib/${T}/ld-linux-x86-64.so.2` },
      { path: `/usr/lib/${T}/libc.so.6`, kind: "file", data: buildElf({ soname: "libc.so.6" }) },
    ],
  },
  app: { files: [{ path: "/usr/bin/app", kind: "file", mode: 0o755, data: buildElf({ interpreter: LD, needed: ["libc.so.6"] }) }] },
  "app-blas": {
    files: [{ path: "/usr/bin/app-blas", kind: "file", mode: 0o755, data: buildElf({ interpreter: LD, needed: ["libc.so.6", "libblas.so.3"] }) }],
  },
  libblas3: {
    files: [{ path: `/usr/lib/${T}/blas/libblas.so.3`, kind: "file", data: buildElf({ soname: "libblas.so.3" }) }],
    postinst: `#!/bin/sh\nset -e\nupdate-alternatives --install /usr/lib/${T}/libblas.so.3 \\\n  libblas.so.3-${T} /usr/lib/${T}/blas/libblas.so.3 10\n`,
  },
  "app-foo": {
    files: [{ path: "/usr/bin/app-foo", kind: "file", mode: 0o755, data: buildElf({ interpreter: LD, needed: ["libc.so.6", "libfoo.so.2"] }) }],
  },
  "bad-compression": { files: [{ path: "/usr/share/x", kind: "file", data: "x" }], compression: "bz2" },
};

let server: HttpTestServer;
const bytes = new Map<string, Uint8Array>();
const dirs: string[] = [];

beforeAll(async () => {
  server = await startHttpTestServer();
  for (const [name, spec] of Object.entries(DEBS)) {
    const b = buildDeb(spec);
    bytes.set(name, b);
    server.script(`/pool/${name}_1_amd64.deb`, { body: b });
  }
  const whole = bytes.get("app")!;
  server.script("/pool/truncated-download_1_amd64.deb", { body: whole, truncateAt: 100 });
  server.script("/pool/truncated-package_1_amd64.deb", { body: whole.subarray(0, whole.length - 300) });
});
afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Entry {
  name: string;
  /** The file served under /pool/<file>_1_amd64.deb (default: name). */
  file?: string;
  /** The SHA-256 the lock records (default: that of the served bytes). */
  sha?: string;
}

function workspace(entries: readonly Entry[]): string {
  const root = mkdtempSync(join(tmpdir(), "deb-lock-verify-"));
  dirs.push(root);
  mkdirSync(join(root, "private/repos/deb"), { recursive: true });
  writeFileSync(join(root, "WORKSPACE"), 'workspace(name = "t")\n');
  writeFileSync(
    join(root, "private/repos/deb/test.yaml"),
    `version: 1\nsources:\n  - channel: bookworm main\n    url: ${server.origin}\narchs: [amd64]\npackages:\n${entries.map((e) => `  - ${e.name}\n`).join("")}`,
  );
  const lock = {
    packages: entries.map((e) => {
      const file = e.file ?? e.name;
      const served = bytes.get(file) ?? new Uint8Array();
      return {
        arch: "amd64",
        dependencies: [],
        key: `${e.name}_1_amd64`,
        name: e.name,
        sha256: e.sha ?? sha256(served),
        urls: [`${server.origin}/pool/${file}_1_amd64.deb`],
        version: "1",
      };
    }),
    version: 1,
  };
  writeFileSync(join(root, "private/repos/deb/test.lock.json"), JSON.stringify(lock, null, "\t"));
  return root;
}

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.name === ".cache") continue;
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}

const verifyArgs = (root: string, ...more: string[]): string[] => [
  "verify",
  "-C",
  root,
  "--manifest",
  "private/repos/deb/test.yaml",
  "--cache-dir",
  join(root, ".cache"),
  ...more,
];

describe("deb-lock verify", () => {
  it("passes a clean image, and a warm run fetches nothing", async () => {
    const root = workspace([{ name: "libc6" }, { name: "app" }]);
    const r = await runCli(verifyArgs(root), { cwd: root });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("test (amd64): 2 packages, 1 dynamically linked ELF files checked — ok");
    const before = server.log.length;
    const warm = await runCli(verifyArgs(root, "--offline"), { cwd: root });
    expect(warm.code).toBe(0);
    expect(server.log.length).toBe(before);
  });

  it("fails an image whose library resolves only through an update-alternatives link, naming link, package and fix", async () => {
    const root = workspace([{ name: "libc6" }, { name: "libblas3" }, { name: "app-blas" }]);
    const r = await runCli(verifyArgs(root, "--json"), { cwd: root });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as {
      ok: boolean;
      targets: {
        findings: { code: string; needs: string; file: string; pkg: string; link: { link: string; target: string; pkg: string }; fix: string }[];
        neededLinks: unknown[];
      }[];
    };
    expect(json.ok).toBe(false);
    expect(json.targets[0]!.findings).toMatchObject([
      {
        code: "LINK_NEEDED",
        needs: "libblas.so.3",
        file: "/usr/bin/app-blas",
        pkg: "app-blas",
        link: { link: `/usr/lib/${T}/libblas.so.3`, target: `/usr/lib/${T}/blas/libblas.so.3`, pkg: "libblas3" },
      },
    ]);
    expect(json.targets[0]!.findings[0]!.fix).toContain(`add the link /usr/lib/${T}/libblas.so.3 -> /usr/lib/${T}/blas/libblas.so.3`);
    expect(json.targets[0]!.findings[0]!.fix).toContain("pkg_tar(symlinks = {...})");
  });

  it("fails an image missing a library, naming file, soname and the directories searched", async () => {
    const root = workspace([{ name: "libc6" }, { name: "app-foo" }]);
    const r = await runCli(verifyArgs(root), { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("LIBRARY_MISSING: libfoo.so.2 not found");
    expect(r.stdout).toContain("needed by /usr/bin/app-foo (app-foo)");
    expect(r.stdout).toContain(`searched: /lib/${T}/libfoo.so.2, /usr/lib/${T}/libfoo.so.2, /lib/libfoo.so.2, /usr/lib/libfoo.so.2`);
  });

  const bad: [string, Entry, number, RegExp][] = [
    ["a .deb whose SHA-256 differs from the lock", { name: "app", sha: "0".repeat(64) }, 3, /does not match its lock/],
    ["a download cut short", { name: "app", file: "truncated-download", sha: "1".repeat(64) }, 3, /truncated-download_1_amd64\.deb/],
    ["a truncated package that matches its lock", { name: "app", file: "truncated-package", sha: "" }, 1, /not a readable \.deb: truncated/],
    ["a data archive of unknown compression", { name: "bad-compression" }, 1, /compression deb-lock cannot read \(bz2\)/],
  ];
  for (const [what, entry, code, message] of bad) {
    it(`exits ${code} with the URL on ${what}, writing nothing`, async () => {
      const e = entry.file === "truncated-package" ? { ...entry, sha: sha256(bytes.get("app")!.subarray(0, bytes.get("app")!.length - 300)) } : entry;
      const root = workspace([{ name: "libc6" }, e]);
      const before = snapshot(root);
      const r = await runCli(verifyArgs(root), { cwd: root });
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(`${server.origin}/pool/${e.file ?? e.name}_1_amd64.deb`);
      expect(snapshot(root)).toEqual(before);
      if (code === 3) expect(existsSync(join(root, ".cache/sha256", e.sha!.slice(0, 2), e.sha!))).toBe(false);
    });
  }

  it("says why --run cannot start a foreign-arch image here and what to install", async () => {
    const foreign = process.arch === "arm64" ? "amd64" : "arm64";
    const root = workspace([{ name: "libc6" }, { name: "app" }]);
    for (const rel of ["private/repos/deb/test.yaml", "private/repos/deb/test.lock.json"]) {
      const path = join(root, rel);
      // the arch of the manifest and of each lock entry (the served files keep their names)
      writeFileSync(
        path,
        readFileSync(path, "utf8")
          .replace("[amd64]", `[${foreign}]`)
          .replaceAll('"arch": "amd64"', `"arch": "${foreign}"`)
          .replace(/_1_amd64",/g, `_1_${foreign}",`),
      );
    }
    // No emulator on this PATH: the run cannot happen, and verify says so (the check itself still runs).
    const r = await runCli(verifyArgs(root, "--run", "/usr/bin/app --version"), { cwd: root, env: { PATH: "/nonexistent" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`run /usr/bin/app --version: cannot run here: the image is ${foreign}`);
    expect(r.stdout).toContain("install Debian's qemu-user-static package");
  });

  it("exits 3 naming the URL when --offline finds a .deb missing from the cache", async () => {
    const root = workspace([{ name: "libc6" }, { name: "app" }]);
    const r = await runCli(verifyArgs(root, "--offline"), { cwd: root });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${server.origin}/pool/`);
    expect(r.stderr).toContain("--offline");
  });
});
