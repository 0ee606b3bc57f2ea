import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BOOKWORM_SOURCES, lockWith, SNAPSHOT, useBookwormArchive, writeTree } from "../support/bookworm-archive.js";
import { runCli } from "../support/run-cli.js";

const MODULE = `bazel_dep(name = "rules_distroless", version = "0.5.1")

apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(
    name = "bookworm",
    lock = "//private/repos/deb:bookworm.lock.json",
    manifest = "//private/repos/deb:bookworm.yaml",
)
use_repo(apt, "bookworm")
`;

const MANIFEST = `version: 1
${BOOKWORM_SOURCES}archs:
  - amd64
  - arm64
packages:
  - bash
`;

// Files under a snapshot timestamp never change: once a run has verified and cached them, later runs that read the
// same snapshot make no request at all. The fake archive counts every request it answers.
describe("a warm cache and snapshot URLs", () => {
  const archive = useBookwormArchive();

  it("why (and a second lock) on a warm cache make no network request", async () => {
    const root = archive.temp.make("deb-lock-warm-ws-");
    const cache = archive.temp.make("deb-lock-warm-cache-");
    writeTree(root, { "MODULE.bazel": MODULE, "private/repos/deb/bookworm.yaml": MANIFEST });
    expect((await lockWith(archive.server, root, cache)).code).toBe(0);
    expect(archive.server.requests.length).toBeGreaterThan(0);

    archive.server.requests.length = 0;
    const common = [
      "-C",
      root,
      "--cache-dir",
      cache,
      "--keyring",
      join(cache, "archive.asc"),
      "--mirror",
      `${SNAPSHOT}=${archive.server.url}/archive`,
    ];
    const why = await runCli(["why", "libc6", "--manifest", "private/repos/deb/bookworm.yaml", ...common], { cwd: root });
    expect(why.stderr).toMatch(/from cache/);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain("bash");
    expect(archive.server.requests).toEqual([]);

    expect((await runCli(["lock", ...common], { cwd: root })).code).toBe(0);
    expect(archive.server.requests).toEqual([]);
  });
});
