import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.js";
import { parseLock } from "../../core/lock/parse-lock.js";
import { parseManifest } from "../../edit/manifest.js";
import { memoryWorkspaceFiles, nodeWorkspaceFiles } from "../../io/workspace-files.js";
import { type DiscoverySkip, discoverRepos, findWorkspaceRoot, labelToPath } from "./workspace.js";

const WORKSPACES = join(import.meta.dirname, "../../../test/fixtures/workspaces");
const fs = nodeWorkspaceFiles();

describe("findWorkspaceRoot", () => {
  it("finds the nearest ancestor with MODULE.bazel or WORKSPACE", async () => {
    const root = join(WORKSPACES, "wspace-module-2024");
    expect(await findWorkspaceRoot(join(root, "private/repos/deb"), fs)).toBe(root);
    expect(await findWorkspaceRoot(root, fs)).toBe(root);
    const ws = join(WORKSPACES, "wspace-workspace-2024");
    expect(await findWorkspaceRoot(join(ws, "private/repos"), fs)).toBe(ws);
  });

  it("prefers the nearest marker in nested workspaces", async () => {
    const files = memoryWorkspaceFiles({ "/w/MODULE.bazel": "", "/w/examples/inner/WORKSPACE.bazel": "", "/w/examples/inner/pkg/BUILD": "" });
    expect(await findWorkspaceRoot("/w/examples/inner/pkg", files)).toBe("/w/examples/inner");
    expect(await findWorkspaceRoot("/w/examples", files)).toBe("/w");
  });

  it("fails with WORKSPACE_NOT_FOUND outside a workspace", async () => {
    const files = memoryWorkspaceFiles({ "/other/BUILD": "" });
    await expect(findWorkspaceRoot("/home/user/project", files)).rejects.toMatchObject({
      code: "WORKSPACE_NOT_FOUND",
      hint: expect.stringContaining("--workspace"),
    });
  });
});

describe("labelToPath", () => {
  it("maps main-repository labels to workspace paths", () => {
    expect(labelToPath("//private/repos/deb:bookworm.yaml", "x")).toBe("private/repos/deb/bookworm.yaml");
    expect(labelToPath("@//private/repos/deb:bookworm.yaml", "")).toBe("private/repos/deb/bookworm.yaml");
    expect(labelToPath("@@//private/repos/deb:bookworm.yaml", "")).toBe("private/repos/deb/bookworm.yaml");
    expect(labelToPath(":x.yaml", "private/repos/deb")).toBe("private/repos/deb/x.yaml");
    expect(labelToPath("x.yaml", "")).toBe("x.yaml");
    expect(labelToPath("//:bullseye.yaml", "a")).toBe("bullseye.yaml");
    expect(labelToPath("//a/b", "")).toBe("a/b/b");
    expect(labelToPath("@rules_distroless//apt:extensions.bzl", "")).toBeUndefined();
  });
});

describe("discoverRepos", () => {
  it("reads apt.install tags of an include()d file (distroless, August 2024)", async () => {
    const root = join(WORKSPACES, "wspace-module-2024");
    const repos = await discoverRepos(root, fs);
    expect(repos).toEqual(
      ["bookworm", "bookworm_java", "bookworm_python"].map((name, i) => ({
        name,
        manifestPath: `private/repos/deb/${name}.yaml`,
        lockPath: `private/repos/deb/${name}.lock.json`,
        lockDeclared: true,
        resolveTransitive: false,
        declaredIn: { file: "private/repos/deb/deb.MODULE.bazel", line: 4 + 7 * i },
        via: "module",
      })),
    );
    for (const repo of repos) expect(parseManifest(readFileSync(join(root, repo.manifestPath), "utf8"), repo.manifestPath).version).toBe(1);
  });

  it("unrolls [apt.install(...) for repo in REPOS] with .format() (distroless, 2026)", async () => {
    const repos = await discoverRepos(join(WORKSPACES, "wspace-module-2026"), fs);
    expect(repos.map((r) => r.name)).toEqual(["trixie", "trixie_java", "trixie_adoptium", "trixie_python", "bookworm", "bookworm_s390x"]);
    expect(repos[1]).toEqual({
      name: "trixie_java",
      manifestPath: "private/repos/deb/trixie_java.yaml",
      lockPath: "private/repos/deb/trixie_java.lock.json",
      lockDeclared: true,
      resolveTransitive: false,
      declaredIn: { file: "private/repos/deb/deb.MODULE.bazel", line: 15 },
      via: "module",
    });
  });

  it("reads WORKSPACE-era deb_index() calls in loaded .bzl files (distroless, July 2024)", async () => {
    const root = join(WORKSPACES, "wspace-workspace-2024");
    const repos = await discoverRepos(root, fs);
    expect(repos.map((r) => [r.name, r.manifestPath, r.lockPath, r.resolveTransitive, r.via, r.declaredIn.line])).toEqual([
      ["bookworm", "private/repos/deb/bookworm.yaml", "private/repos/deb/bookworm.lock.json", false, "workspace", 60],
      ["bookworm_java", "private/repos/deb/bookworm_java.yaml", "private/repos/deb/bookworm_java.lock.json", false, "workspace", 69],
      ["bookworm_python", "private/repos/deb/bookworm_python.yaml", "private/repos/deb/bookworm_python.lock.json", false, "workspace", 78],
    ]);
    expect(parseLock(readFileSync(join(root, repos[0]!.lockPath), "utf8"), repos[0]!.lockPath).dialect).toBe("url");
  });

  it("defaults resolve_transitive to true (rules_distroless README setup)", async () => {
    const root = join(WORKSPACES, "rules-distroless-minimal");
    const repos = await discoverRepos(root, fs);
    expect(repos).toEqual([
      {
        name: "bullseye",
        manifestPath: "examples/apt/bullseye.yaml",
        lockPath: "examples/apt/bullseye.lock.json",
        lockDeclared: true,
        resolveTransitive: true,
        declaredIn: { file: "MODULE.bazel", line: 8 },
        via: "module",
      },
    ]);
    const { lock } = parseLock(readFileSync(join(root, repos[0]!.lockPath), "utf8"), "bullseye.lock.json");
    expect(lock.packages.find((p) => p.name === "libncurses6")!.dependencies.length).toBeGreaterThan(0);
  });

  it("falls back to private/repos/deb/*.yaml when nothing is declared", async () => {
    const repos = await discoverRepos(join(WORKSPACES, "wspace-convention"), fs);
    expect(repos).toEqual([
      {
        name: "bookworm",
        manifestPath: "private/repos/deb/bookworm.yaml",
        lockPath: "private/repos/deb/bookworm.lock.json",
        lockDeclared: false,
        resolveTransitive: true,
        declaredIn: { file: "private/repos/deb/bookworm.yaml", line: 1 },
        via: "convention",
      },
      {
        name: "trixie",
        manifestPath: "private/repos/deb/trixie.yaml",
        lockPath: "private/repos/deb/trixie.lock.json",
        lockDeclared: false,
        resolveTransitive: true,
        declaredIn: { file: "private/repos/deb/trixie.yaml", line: 1 },
        via: "convention",
      },
    ]);
  });

  it("unrolls comprehensions with conditions and several loops", async () => {
    const files = memoryWorkspaceFiles({
      "/w/MODULE.bazel": [
        'apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")',
        "[",
        '    apt.install(name = d + s, manifest = "//debs:" + d + s + ".yaml", lock = "//debs:" + d + s + ".lock.json")',
        '    for d in ["bookworm", "trixie"]',
        '    for s in ["", "_python"]',
        "    if s",
        "]",
        "",
      ].join("\n"),
    });
    const repos = await discoverRepos("/w", files);
    expect(repos.map((r) => [r.name, r.manifestPath, r.declaredIn.line])).toEqual([
      ["bookworm_python", "debs/bookworm_python.yaml", 3],
      ["trixie_python", "debs/trixie_python.yaml", 3],
    ]);
  });

  it("handles aliases, relative labels, missing locks, concatenation, duplicates and unreadable declarations", async () => {
    const files = memoryWorkspaceFiles({
      "/w/MODULE.bazel": [
        'deb = use_extension("@rules_distroless//apt:extensions.bzl", "apt")',
        'other = use_extension("//private/extensions:version.bzl", "version")',
        'DIR = "//debs"',
        "deb.install(",
        '    name = "noble",',
        '    manifest = DIR + ":noble.yaml",',
        "    resolve_transitive = True,",
        ")",
        'deb.install(name = "local", manifest = ":local.yaml", lock = "@//:local.lock.json")',
        'deb.install(name = "noble", manifest = "//x:noble.yaml")',
        'deb.install(name = "ext", manifest = "@other//x:ext.yaml")',
        'deb.install(name = "computed", manifest = select({"//c": "a.yaml"}))',
        'deb.install(name = "flag", manifest = "f.yaml", resolve_transitive = FLAG)',
        'other.install(name = "not-apt", manifest = "//:n.yaml")',
        'include("//more:more.MODULE.bazel")',
        "",
      ].join("\n"),
      "/w/more/more.MODULE.bazel":
        'apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")\napt.install(name = "more", manifest = ":m.yaml")\ninclude("//:MODULE.bazel")\n',
    });
    const skipped: DiscoverySkip[] = [];
    const repos = await discoverRepos("/w", files, { onSkip: (s) => skipped.push(s) });
    expect(repos.map((r) => [r.name, r.manifestPath, r.lockPath, r.lockDeclared, r.resolveTransitive, r.declaredIn.line])).toEqual([
      ["noble", "debs/noble.yaml", "debs/noble.lock.json", false, true, 4],
      ["local", "local.yaml", "local.lock.json", true, true, 9],
      ["more", "more/m.yaml", "more/m.lock.json", false, true, 2],
    ]);
    expect(skipped.map((s) => [s.file, s.line])).toEqual([
      ["MODULE.bazel", 10],
      ["MODULE.bazel", 11],
      ["MODULE.bazel", 12],
      ["MODULE.bazel", 13],
    ]);
    expect(skipped[0]!.reason).toContain("already declared at MODULE.bazel:4");
    expect(skipped[1]!.reason).toContain("outside the main repository");
  });

  it("skips a loaded .bzl file it cannot parse and keeps the others", async () => {
    const files = memoryWorkspaceFiles({
      "/w/WORKSPACE": 'load("//:broken.bzl", "x")\nload("//deb:repos.bzl", "repos")\nrepos()\n',
      "/w/broken.bzl": "def x(:\n",
      "/w/deb/repos.bzl": 'def repos():\n    deb_index(name = "bookworm", manifest = ":bookworm.yaml", lock = ":bookworm.lock.json")\n',
    });
    const skipped: DiscoverySkip[] = [];
    const repos = await discoverRepos("/w", files, { onSkip: (s) => skipped.push(s) });
    expect(repos.map((r) => [r.name, r.manifestPath, r.lockPath, r.via])).toEqual([
      ["bookworm", "deb/bookworm.yaml", "deb/bookworm.lock.json", "workspace"],
    ]);
    expect(skipped).toMatchObject([{ file: "broken.bzl", line: 1 }]);
    await expect(discoverRepos("/w", memoryWorkspaceFiles({ "/w/WORKSPACE": "def x(:\n" }))).rejects.toBeInstanceOf(ParseError);
  });

  it("evaluates constants with the same evaluator as image lists: list concatenation, dict lookups, %, not", async () => {
    const module = `apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
BASE = ["bookworm"]
EXTRA = {"new": ["trixie"]}
REPOS = BASE + EXTRA["new"]
FLAT = False
[apt.install(
    name = repo,
    manifest = "//private/repos/deb:%s.yaml" % repo,
    resolve_transitive = not FLAT,
) for repo in REPOS]
`;
    const repos = await discoverRepos("/w", memoryWorkspaceFiles({ "/w/MODULE.bazel": module }));
    expect(repos.map((r) => [r.name, r.manifestPath, r.lockPath, r.resolveTransitive])).toEqual([
      ["bookworm", "private/repos/deb/bookworm.yaml", "private/repos/deb/bookworm.lock.json", true],
      ["trixie", "private/repos/deb/trixie.yaml", "private/repos/deb/trixie.lock.json", true],
    ]);
  });

  it("returns nothing for a workspace without any repository", async () => {
    expect(await discoverRepos("/w", memoryWorkspaceFiles({ "/w/MODULE.bazel": 'module(name = "x")\n' }))).toEqual([]);
  });
});
