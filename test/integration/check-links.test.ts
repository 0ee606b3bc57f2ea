/**
 * `deb-lock check` on links layers (pkg_tar(name = "<image>_links_<arch>_<distro>", symlinks = ...)) of the
 * distroless-2026-shaped fixture: a layer the image's tars do not list, and one for an arch the image is not
 * built for, are findings; listed in the tars, the layer passes.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";

const FIXTURE = join(import.meta.dirname, "../fixtures/workspaces/distroless-2026/workspace");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const layer = (name: string): string =>
  `\npkg_tar(\n    name = "${name}",\n    symlinks = {\n        "/usr/lib/x86_64-linux-gnu/libblas.so.3": "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",\n    },\n)\n`;

describe("deb-lock check and links layers", () => {
  it("finds a layer missing from the tars and one for an arch the image does not build; passes a listed one", async () => {
    const root = mkdtempSync(join(tmpdir(), "deb-lock-check-links-"));
    dirs.push(root);
    cpSync(FIXTURE, root, { recursive: true });
    const before = await runCli(["check", "-C", root, "--json"], { cwd: root });
    const baseline = (JSON.parse(before.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code);
    expect(baseline.filter((c) => c.startsWith("LINKS_"))).toEqual([]);

    const build = join(root, "python3/BUILD");
    writeFileSync(
      build,
      `${readFileSync(build, "utf8").replace('load(":config.bzl"', 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\nload(":config.bzl"')}${layer("python3_links_amd64_debian12")}${layer("python3_links_riscv64_debian12")}`,
    );
    const r = await runCli(["check", "-C", root, "--json"], { cwd: root });
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: { code: string; file: string; message: string }[] }).findings.filter((f) =>
      f.code.startsWith("LINKS_"),
    );
    expect(findings.map((f) => [f.code, f.file])).toEqual([
      ["LINKS_LAYER_NOT_IN_TARS", "python3/BUILD"],
      ["LINKS_LAYER_UNUSED", "python3/BUILD"],
    ]);
    expect(findings[0]!.message).toContain("python3_links_amd64_debian12");
    expect(findings[1]!.message).toContain("python3_links_riscv64_debian12");

    const macro = join(root, "python3/python.bzl");
    writeFileSync(macro, readFileSync(macro, "utf8").replace(/(for pkg in packages\n\s*\])/, '$1 + [":python3_links_" + arch + "_" + distro]'));
    const listed = await runCli(["check", "-C", root, "--json"], { cwd: root });
    const codes = (JSON.parse(listed.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code).filter((c) => c.startsWith("LINKS_"));
    expect(codes).toEqual(["LINKS_LAYER_UNUSED"]);
  });
});
