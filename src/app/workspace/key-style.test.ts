import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryWorkspaceFiles } from "../../io/workspace-files.js";
import { keyStyleOfRelease, rulesDistrolessRelease, workspaceKeyStyle } from "./key-style.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/workspaces");
const text = (rel: string): string => readFileSync(join(FIXTURES, rel), "utf8");

describe("key style of a rules_distroless release", () => {
  // apt/private/util.bzl `_sanitize` gained .replace("~", "_") in v0.3.4 (2024-06-17).
  it.each([
    ["0.3.2", "tilde-kept"],
    ["0.3.3", "tilde-kept"],
    ["0.2.1", "tilde-kept"],
    ["0.3.4", "tilde-replaced"],
    ["v0.3.6", "tilde-replaced"],
    ["0.5.1", "tilde-replaced"],
    ["1.0.0", "tilde-replaced"],
  ])("%s → %s", (version, style) => expect(keyStyleOfRelease(version)).toBe(style));

  it("is unknown for what is not a release number", () => expect(keyStyleOfRelease("main")).toBeUndefined());
});

describe("the release a workspace uses", () => {
  it("reads bazel_dep in MODULE.bazel and the http_archive of WORKSPACE (real distroless trees)", () => {
    expect(rulesDistrolessRelease(text("wspace-module-2024/MODULE.bazel"), undefined)).toBe("0.3.2");
    expect(rulesDistrolessRelease(text("wspace-module-2026/MODULE.bazel"), undefined)).toBe("0.8.0");
    expect(rulesDistrolessRelease(undefined, text("wspace-workspace-2024/WORKSPACE"))).toBe("0.3.2");
  });

  it("says nothing when an override replaces the released code", () => {
    const module =
      'bazel_dep(name = "rules_distroless", version = "0.3.2")\ngit_override(\n    module_name = "rules_distroless",\n    commit = "abc",\n)\n';
    expect(rulesDistrolessRelease(module, undefined)).toBeUndefined();
  });
});

describe("the workspace's key style", () => {
  const lock = (version: string, key: string) =>
    JSON.stringify(
      { packages: [{ arch: "amd64", dependencies: [], key, name: "p", sha256: "0".repeat(64), urls: ["https://x/p.deb"], version }], version: 1 },
      null,
      "\t",
    );
  const manifest = "version: 1\nsources:\n  - channel: bookworm main\n    url: https://x\narchs: [amd64]\npackages: [p]\n";

  it("comes from the rules_distroless release first", async () => {
    const files = memoryWorkspaceFiles({ "/ws/MODULE.bazel": 'bazel_dep(name = "rules_distroless", version = "0.3.3")\n' });
    expect(await workspaceKeyStyle("/ws", files, [])).toBe("tilde-kept");
  });

  it("else from the sibling locks whose keys show one", async () => {
    const files = memoryWorkspaceFiles({
      "/ws/WORKSPACE": "",
      "/ws/private/repos/deb/a.yaml": manifest,
      "/ws/private/repos/deb/a.lock.json": lock("1.0-1~deb12u1", "p_1.0-1~deb12u1_amd64"),
      "/ws/private/repos/deb/b.yaml": manifest,
      "/ws/private/repos/deb/b.lock.json": lock("1.0-1", "p_1.0-1_amd64"),
    });
    expect(await workspaceKeyStyle("/ws", files)).toBe("tilde-kept");
  });

  it("is undefined when nothing shows one", async () => {
    const files = memoryWorkspaceFiles({
      "/ws/WORKSPACE": "",
      "/ws/private/repos/deb/b.yaml": manifest,
      "/ws/private/repos/deb/b.lock.json": lock("1.0-1", "p_1.0-1_amd64"),
    });
    expect(await workspaceKeyStyle("/ws", files)).toBeUndefined();
  });
});
