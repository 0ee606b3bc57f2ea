import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkCommand } from "../../src/cli/commands/check.js";

const ROOT = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Hook {
  id: string;
  entry: string;
  language: string;
  files: string;
  pass_filenames?: boolean;
  stages?: string[];
}

const WATCHED = [
  "private/repos/deb/bookworm.yaml",
  "private/repos/deb/bookworm.lock.json",
  "private/repos/deb/deb.MODULE.bazel",
  "python3/BUILD",
  "cc/BUILD.bazel",
  "base/config.bzl",
  "private/oci/defs.bzl",
  "MODULE.bazel",
  "MODULE.bazel.lock",
];
const IGNORED = ["README.md", "go/main.go", "private/repos/deb/README", "python3/testdata/python3.yaml", "BUILDING.md"];

describe(".pre-commit-hooks.yaml", () => {
  const hooks = parse(read(".pre-commit-hooks.yaml")) as Hook[];

  it("declares the check hooks, running deb-lock check on the whole workspace", () => {
    expect(hooks.map((h) => h.id)).toEqual(["deb-lock-check", "deb-lock-check-deep"]);
    for (const h of hooks) {
      expect(h.entry.split(" ").slice(0, 2)).toEqual(["deb-lock", "check"]);
      expect(h.language).toBe("node");
      expect(h.pass_filenames).toBe(false);
    }
    expect(hooks[1]?.entry).toBe("deb-lock check --deep");
    // The entries name a real command and real options.
    expect(checkCommand.name).toBe("check");
    expect(Object.keys(checkCommand.options)).toContain("deep");
  });

  it("loads in pre-commit 3.0 (Debian 12) and current releases, and runs on the Node.js on PATH", () => {
    // Stage names both pre-commit 3.0 and 4.x accept without deprecation (3.0 knows push/commit, 3.2+ pre-push/pre-commit).
    const portable = ["manual", "commit-msg", "prepare-commit-msg", "post-checkout", "post-commit", "post-merge", "post-rewrite"];
    for (const h of [...hooks, ...(parse(read("templates/pre-commit-config.yaml")) as { repos: { hooks: Hook[] }[] }).repos[0]!.hooks]) {
      for (const stage of h.stages ?? []) expect(portable).toContain(stage);
    }
    // `system`: a workspace's default_language_version (distroless pins node 16.18.0) does not apply.
    for (const h of hooks) expect((h as Hook & { language_version?: string }).language_version).toBe("system");
    expect(hooks.find((h) => h.id === "deb-lock-check")?.stages).toBeUndefined();
    expect(hooks.find((h) => h.id === "deb-lock-check-deep")?.stages).toEqual(["manual"]);
  });

  it("triggers on Debian manifests, locks, BUILD, .bzl and MODULE files only", () => {
    for (const h of hooks) {
      const re = new RegExp(h.files);
      expect(WATCHED.filter((p) => !re.test(p))).toEqual([]);
      expect(IGNORED.filter((p) => re.test(p))).toEqual([]);
    }
  });

  it("is mirrored by the example config in templates/", () => {
    const config = parse(read("templates/pre-commit-config.yaml")) as { repos: { hooks: Hook[] }[] };
    const local = config.repos[0]!.hooks;
    expect(local.map((h) => h.id)).toEqual(hooks.map((h) => h.id));
    for (const [i, h] of local.entries()) {
      expect(h.files).toBe(hooks[i]!.files);
      expect(h.entry).toBe(`npx --no-install ${hooks[i]!.entry}`);
    }
  });
});
