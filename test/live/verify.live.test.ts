/**
 * Live end-to-end test of `deb-lock verify` on real .debs from the Debian mirror of this machine's apt sources
 * (the fixture workspaces name snapshot.debian.org; `--mirror` maps those URLs), checked against what the
 * assembled image does when it runs:
 * - the distroless-2026 python3 image (debian12, amd64) verifies clean, and python runs in it;
 * - after `deb-lock add ffmpeg --image python3 --distro D` on the image as distroless builds it (amd64 + arm64; the
 *   amd64-only libraries in a companion repo), for debian12 and debian13, it fails on each arch naming
 *   libblas.so.3, reachable only through the link libblas3's postinst makes; with that link layer written
 *   (pkg_tar(symlinks = ...)) both archs verify clean and `ffmpeg -version` runs in the assembled root — on arm64
 *   under qemu-user-static;
 * - the seed's hand edit on the 2024 layout (ffmpeg alone in manifest, lock and tars, `"dependencies": []`)
 *   fails naming the libraries ffmpeg's own dependencies would have brought.
 *
 *   npm run test:live
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkLayerName } from "../../src/app/links/link-layers.js";
import type { NeededLink } from "../../src/core/image/verify-image.js";
import { runCli } from "../support/run-cli.js";
import { liveMirror } from "./live-mirror.js";

const live = await liveMirror();
if (live.skipReason !== undefined) console.warn(`SKIPPED live verify test: ${live.skipReason}`);
const mirrors = live.skipReason === undefined ? live.mirrors : { debian: "", debianSecurity: "" };
const FIXTURES = join(import.meta.dirname, "../fixtures/workspaces");
const dirs: string[] = [];
const cache = mkdtempSync(join(tmpdir(), "deb-lock-live-verify-cache-"));
dirs.push(cache);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function copyWorkspace(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `deb-lock-live-verify-${name}-`));
  dirs.push(root);
  cpSync(join(FIXTURES, name, "workspace"), root, { recursive: true });
  return root;
}

function mirrorArgs(root: string): string[] {
  const out: string[] = ["--cache-dir", cache];
  const seen = new Set<string>();
  for (const f of ["bookworm", "bookworm_python", "trixie", "trixie_python"]) {
    let yaml: string;
    try {
      yaml = readFileSync(join(root, "private/repos/deb", `${f}.yaml`), "utf8");
    } catch {
      continue;
    }
    for (const m of yaml.matchAll(/https:\/\/snapshot\.debian\.org\/archive\/(debian(?:-security)?)\/\d{8}T\d{6}Z/g)) {
      if (seen.has(m[0])) continue;
      seen.add(m[0]);
      out.push("--mirror", `${m[0]}=${m[1] === "debian" ? mirrors.debian : mirrors.debianSecurity}`);
    }
  }
  return out;
}

function edit(root: string, file: string, from: string | RegExp, to: string): void {
  const path = join(root, file);
  const text = readFileSync(path, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: ${String(from)} not found`);
  writeFileSync(path, next);
}

async function cli(root: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli([...args, "-C", root, ...mirrorArgs(root)], { cwd: root });
}

describe.skipIf(live.skipReason !== undefined)("deb-lock verify on real Debian packages", () => {
  let root2026: string;
  beforeAll(async () => {
    // python3 as distroless builds it: debian12 and debian13, each for amd64 and arm64.
    root2026 = copyWorkspace("distroless-2026");
    const lock = await cli(root2026, "lock", "-q");
    expect(lock.stderr).toBe("");
    expect(lock.code).toBe(0);
  });

  it("verifies the python3 image clean, and python runs in it", async () => {
    const r = await cli(
      root2026,
      "verify",
      "--image",
      "python3",
      "--distro",
      "debian12",
      "--arch",
      "amd64",
      "--run",
      "/usr/bin/python3.11 -c 'import ssl, sqlite3, decimal; print(21 * 2)'",
      "-q",
    );
    expect(r.stdout).toMatch(/python3 \(debian12, amd64\): \d+ packages, \d+ dynamically linked ELF files checked — ok/);
    expect(r.stdout).toContain("exit 0");
    expect(r.stdout).toContain("| 42");
    expect(r.code).toBe(0);
  });

  // The story: ffmpeg into python3 on every arch it builds. Its closure has amd64-only libraries (bookworm: libmfx1,
  // libdrm-intel1, libquadmath0; trixie: libvpl2, ...), which go into an amd64-only companion repo; the image must
  // then start on both archs.
  const TRIPLETS = { amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" } as const;
  for (const distro of ["debian12", "debian13"] as const) {
    it(`python3 + ffmpeg (${distro}, amd64 + arm64): fails naming libblas.so.3 on each arch; with the links layer both verify clean and run ffmpeg -version`, async () => {
      const add = await cli(root2026, "add", "ffmpeg", "--image", "python3", "--distro", distro, "-q");
      expect(add.code, add.stderr).toBe(0);
      const companion = `${distro === "debian12" ? "bookworm" : "trixie"}_python_amd64_only`;
      expect(readFileSync(join(root2026, "private/repos/deb", `${companion}.yaml`), "utf8")).toMatch(/archs:\n {2}- amd64\n/);
      const r = await cli(root2026, "verify", "--image", "python3", "--distro", distro, "--json", "-q");
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as {
        targets: { arch: string; findings: { code: string; needs?: string; scope: string }[]; neededLinks: NeededLink[] }[];
      };
      expect(report.targets.map((t) => t.arch).sort()).toEqual(["amd64", "arm64"]);
      for (const t of report.targets) {
        const startup = t.findings.filter((f) => f.scope === "startup");
        expect(startup.length, t.arch).toBeGreaterThan(0);
        expect(startup.every((f) => f.code === "LINK_NEEDED")).toBe(true);
        expect(startup.map((f) => f.needs)).toContain("libblas.so.3");
        expect(t.neededLinks.map((l) => l.link)).toContain(`/usr/lib/${TRIPLETS[t.arch as keyof typeof TRIPLETS]}/libblas.so.3`);
      }
      // add --links writes the links layers (the package is already there: only the layers change); the image's
      // tars must list them, which deb-lock asks for until the image names them.
      const wired = readFileSync(join(root2026, "python3/python.bzl"), "utf8").includes('_links_" + arch');
      const links = await cli(root2026, "add", "ffmpeg", "--image", "python3", "--distro", distro, "--links", "-q");
      expect(links.code, links.stderr).toBe(0);
      const build = readFileSync(join(root2026, "python3/BUILD"), "utf8");
      for (const t of report.targets)
        for (const l of t.neededLinks) expect(build).toContain(`${JSON.stringify(l.link)}: ${JSON.stringify(l.target)},`);
      if (!wired) {
        expect(links.stderr).toContain(
          `the links layer ${linkLayerName("python3", "amd64", distro)} is written in python3's BUILD file, but the image's tars do not list it yet`,
        );
        // what the warning asks for, once for every arch and distro of the macro
        edit(
          root2026,
          "python3/python.bzl",
          /(tars = \[\n\s*deb\.package\(arch, distro, pkg, "python"\)\n\s*for pkg in packages\n\s*\])/,
          '$1 + [":python3_links_" + arch + "_" + distro]',
        );
      }
      const clean = await cli(root2026, "verify", "--image", "python3", "--distro", distro, "--run", "/usr/bin/ffmpeg -version", "-q");
      for (const arch of ["amd64", "arm64"]) {
        expect(clean.stdout).toMatch(new RegExp(`python3 \\(${distro}, ${arch}\\): \\d+ packages, \\d+ dynamically linked ELF files checked — ok`));
      }
      expect(clean.stdout.match(/run \/usr\/bin\/ffmpeg -version \([^)]*\): exit 0/g)).toHaveLength(2);
      expect(clean.stdout.match(/\| ffmpeg version/g)?.length).toBeGreaterThanOrEqual(2);
      expect(clean.stdout).toContain("qemu-aarch64-static");
      expect(clean.code).toBe(0);
      // and the workspace stays consistent
      const check = await cli(root2026, "check", "-q");
      expect(check.code, check.stdout + check.stderr).toBe(0);
    }, 1_800_000); // ~250 real .debs per arch downloaded, read twice, and two images written and run (arm64 under emulation)
  }

  it("fails the seed's hand edit (ffmpeg alone, no dependencies) naming the missing libraries and their packages", async () => {
    const root = copyWorkspace("distroless-2024");
    edit(root, "private/repos/deb/bookworm_python.yaml", /packages:\n/, "packages:\n  - ffmpeg\n");
    edit(
      root,
      "python3/BUILD",
      'deb.package(arch, distro, "libbz2-1.0"),',
      'deb.package(arch, distro, "ffmpeg"),\n            deb.package(arch, distro, "libbz2-1.0"),',
    );
    const lock = await cli(root, "lock", "-q");
    expect(lock.code).toBe(0);
    const lockText = readFileSync(join(root, "private/repos/deb/bookworm_python.lock.json"), "utf8");
    expect(lockText).toMatch(/"dependencies": \[\],\n\t\t\t"key": "ffmpeg_/);
    const r = await cli(root, "verify", "--image", "python3", "--arch", "amd64", "-q");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("LIBRARY_MISSING: libavcodec.so.59 not found");
    expect(r.stdout).toContain("needed by /usr/bin/ffmpeg (ffmpeg)");
    expect(r.stdout).toContain("add libavcodec59");
    expect(r.stdout).toContain("deb-lock add libavcodec59 --image python3");
  });
});
