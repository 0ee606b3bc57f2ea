import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { memoryWorkspaceFiles, nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { discoverImage, distroName } from "./images.js";
import { discoverRepos, type RepoDecl } from "./workspace.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/workspaces");
const files = nodeWorkspaceFiles();

async function discover(layout: string, image: string, distro?: string) {
  const root = join(FIXTURES, layout, "workspace");
  const repos = await discoverRepos(root, files);
  return discoverImage(root, image, files, repos, distro === undefined ? {} : { distro });
}

const chain = (d: { ancestors: Readonly<Record<string, readonly { image: string; target: string; repo: string }[]>> }, arch: string) =>
  d.ancestors[arch]!.map((a) => `${a.image}:${a.target}@${a.repo}`);

describe("discoverImage, 2024 layout (inline tars, repo by directory)", () => {
  it("finds python3's list in its BUILD, its repo and the chain cc → base → static", async () => {
    const info = await discover("distroless-2024", "python3");
    expect(info.layout).toBe("inline");
    expect(info.distros.map((d) => [d.distro, d.codename, d.archs, d.repo.name])).toEqual([
      ["debian12", "bookworm", ["amd64", "arm64"], "bookworm_python"],
    ]);
    const d = info.distros[0]!;
    expect(d.list).toMatchObject({
      file: "python3/BUILD",
      format: "build",
      element: { kind: "deb.package", callee: "deb.package", args: "arch, distro" },
      archVariable: "arch",
    });
    expect(d.packages.map((p) => p.name)).toContain("python3.11-minimal");
    expect(d.packages).toHaveLength(23);
    expect(d.packages[0]).toEqual({ name: "libbz2-1.0", file: "python3/BUILD", line: 43 });
    expect(chain(d, "arm64")).toEqual([
      "cc:cc_root_arm64_debian12@bookworm",
      "base:base_root_arm64_debian12@bookworm",
      "base:static:static_root_arm64_debian12@bookworm",
    ]);
    expect(d.ancestors.amd64![1]!.packages.map((p) => p.name)).toEqual(["libc6", "libssl3"]);
  });

  it("names other images of a directory with dir:name (static lives in base/ in 2024)", async () => {
    const info = await discover("distroless-2024", "base:static");
    expect(info.image).toBe("base:static");
    expect(info.distros[0]!.packages.map((p) => p.name)).toEqual(["base-files", "netbase", "tzdata"]);
    expect(info.distros[0]!.ancestors.amd64).toEqual([]);
    const nossl = await discover("distroless-2024", "base:base_nossl");
    expect(nossl.distros[0]!.packages.map((p) => p.name)).toEqual(["libc6"]);
    expect(chain(nossl.distros[0]!, "arm64")).toEqual(["base:static:static_root_arm64_debian12@bookworm"]);
  });

  it("reads the base image from the macro in base/base.bzl, its dict comprehension included", async () => {
    const d = (await discover("distroless-2024", "base")).distros[0]!;
    expect(d.packages.map((p) => p.name)).toEqual(["libc6", "libssl3"]);
    expect(d.list.file).toBe("base/base.bzl");
    expect(d.lists.map((l) => [l.file, l.element.kind, l.packages.map((p) => p.name)])).toEqual([
      ["base/base.bzl", "deb.package", ["libc6"]],
      ["base/base.bzl", "string", ["libssl3"]],
    ]);
    expect(chain(d, "amd64")).toEqual(["base:static:static_root_amd64_debian12@bookworm"]);
  });
});

describe("discoverImage, 2026 layout (config.bzl dicts, repo suffix in deb.package)", () => {
  it("finds the per-distro lists in python3/config.bzl and the python repos", async () => {
    const info = await discover("distroless-2026", "python3");
    expect(info.layout).toBe("config");
    expect(info.distros.map((d) => [d.distro, d.codename, d.archs, d.repo.name, d.list.file, d.list.format, d.list.element.kind])).toEqual([
      ["debian12", "bookworm", ["amd64", "arm64"], "bookworm_python", "python3/config.bzl", "bzl", "string"],
      ["debian13", "trixie", ["amd64", "arm64"], "trixie_python", "python3/config.bzl", "bzl", "string"],
    ]);
    const [d12, d13] = info.distros;
    expect(d13!.packages.map((p) => p.name)).toContain("libpython3.13-stdlib");
    expect(d12!.list.packages[0]).toEqual({ name: "libbz2-1.0", file: "python3/config.bzl", line: 9 });
    expect(chain(d13!, "amd64")).toEqual([
      "cc:cc_root_amd64_debian13@trixie",
      "base:base_root_amd64_debian13@trixie",
      "static:static_root_amd64_debian13@trixie",
    ]);
    expect(d13!.ancestors.amd64![2]!.packages.map((p) => p.name)).toEqual(["base-files", "netbase", "tzdata", "tzdata-legacy", "media-types"]);
  });

  it("narrows to one distro, by either name", async () => {
    expect((await discover("distroless-2026", "python3", "bookworm")).distros.map((d) => d.distro)).toEqual(["debian12"]);
    expect((await discover("distroless-2026", "python3", "debian13")).distros.map((d) => d.distro)).toEqual(["debian13"]);
    await expect(discover("distroless-2024", "python3", "debian13")).rejects.toMatchObject({ code: "IMAGE_DISTRO_NOT_BUILT" });
  });
});

describe("discoverImage errors say what was not found", () => {
  const repos: RepoDecl[] = [];
  it("no BUILD file", async () => {
    await expect(discoverImage("/ws", "python3", memoryWorkspaceFiles({ "/ws/MODULE.bazel": "" }), repos)).rejects.toMatchObject({
      code: "IMAGE_NOT_FOUND",
    });
  });

  it("no oci_image named after the directory", async () => {
    const fs = memoryWorkspaceFiles({ "/ws/MODULE.bazel": "", "/ws/app/BUILD": 'oci_image(name = "other", tars = [])\n' });
    const err = await discoverImage("/ws", "app", fs, repos).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError); // no image of the name given: the argument is wrong (exit 2)
    expect(err).toMatchObject({ code: "IMAGE_LAYOUT_UNKNOWN" });
    expect((err as Error).message).toContain("other");
  });

  it("a repo the workspace does not declare", async () => {
    const fs = memoryWorkspaceFiles({
      "/ws/MODULE.bazel": "",
      "/ws/app/BUILD": '[oci_image(name = "app_root_" + arch + "_debian12", tars = [deb.package(arch, "debian12", "x")]) for arch in ["amd64"]]\n',
    });
    await expect(discoverImage("/ws", "app", fs, repos)).rejects.toMatchObject({ code: "IMAGE_REPO_UNKNOWN" });
  });

  it(".bzl files that load each other (Bazel refuses the cycle; reading it ends, and what is defined is read)", async () => {
    const fs = memoryWorkspaceFiles({
      "/ws/MODULE.bazel": "",
      "/ws/app/a.bzl": 'load(":b.bzl", "B")\nARCHS = ["amd64"]\n',
      "/ws/app/b.bzl": 'load(":a.bzl", "ARCHS")\nB = 1\n',
      "/ws/app/BUILD":
        'load(":a.bzl", "ARCHS")\n[oci_image(name = "app_root_" + arch + "_debian12", tars = [deb.package(arch, "debian12", "x")]) for arch in ARCHS]\n',
    });
    await expect(discoverImage("/ws", "app", fs, repos)).rejects.toMatchObject({ code: "IMAGE_REPO_UNKNOWN" });
  });
});

it("distroName accepts both spellings", () => {
  expect(distroName("bookworm")).toBe("debian12");
  expect(distroName("debian13")).toBe("debian13");
  expect(distroName("sid")).toBeUndefined();
});
