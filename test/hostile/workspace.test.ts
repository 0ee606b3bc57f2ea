import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BOOKWORM_SOURCES, lockWith, useBookwormArchive, writeTree } from "../support/bookworm-archive.js";
import { runCli } from "../support/run-cli.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// Hostile and unlucky workspaces: labels and symlinks leading out of the workspace, manifests and locks that are
// missing, directories, dangling symlinks, loops or FIFOs, a missing include(). Each must be refused with exit 1,
// naming the file (and label), quickly, and write nothing anywhere.

const archive = useBookwormArchive();
const { temp } = archive;

const MANIFEST = `version: 1\n${BOOKWORM_SOURCES}archs: [amd64]\npackages:\n  - libc6\n`;

function moduleWith(lockLabel: string, manifestLabel = "//private/repos/deb:bookworm.yaml"): string {
  return `bazel_dep(name = "rules_distroless", version = "0.5.1")

apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(
    name = "bookworm",
    lock = "${lockLabel}",
    manifest = "${manifestLabel}",
)
`;
}

/** A parent directory holding the workspace `ws` and a sibling `outside`, so escapes can be observed. */
function layout(files: Record<string, string>): { ws: string; outside: string; parent: string } {
  const parent = temp.make("deb-lock-hostile-ws-");
  const ws = join(parent, "ws");
  const outside = join(parent, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "keep.lock.json"), JSON.stringify({ packages: [], version: 1 }, null, "\t"));
  writeTree(ws, { "private/repos/deb/BUILD.bazel": "", "private/repos/deb/bookworm.yaml": MANIFEST, ...files });
  return { ws, outside, parent };
}

function lock(ws: string, ...extra: string[]) {
  return lockWith(archive.server, ws, temp.make("deb-lock-cache-"), ...extra);
}

describe("writes stay inside the workspace", () => {
  it.each([
    ["a lock label climbing out with '..'", "//../outside:x.lock.json"],
    ["a lock label in a package with '..'", "//private/../../outside:keep.lock.json"],
  ])("refuses %s, naming the label, writing nothing", async (_what, label) => {
    const { ws, parent } = layout({ "MODULE.bazel": moduleWith(label) });
    const before = snapshotTree(parent);
    const r = await lock(ws);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[LABEL_OUTSIDE_WORKSPACE]");
    expect(r.stderr).toContain(label);
    expect(r.stderr).toMatch(/MODULE\.bazel:4/);
    expect(snapshotTree(parent)).toEqual(before);
  });

  it("refuses a lock file that is a symlink to outside the workspace, unless --allow-outside-workspace", async () => {
    const { ws, outside, parent } = layout({ "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json") });
    symlinkSync(join(outside, "keep.lock.json"), join(ws, "private/repos/deb/bookworm.lock.json"));
    const before = snapshotTree(parent);
    const r = await lock(ws);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[OUTSIDE_WORKSPACE]");
    expect(r.stderr).toContain("bookworm.lock.json");
    expect(snapshotTree(parent)).toEqual(before);
    const allowed = await lock(ws, "--allow-outside-workspace");
    expect(allowed.code).toBe(0);
    expect(readFileSync(join(outside, "keep.lock.json"), "utf8")).toContain('"name": "libc6"');
  });

  it("refuses a lock directory that is a symlink leading out of the workspace", async () => {
    const { ws, outside, parent } = layout({ "MODULE.bazel": moduleWith("//private/locks:bookworm.lock.json") });
    symlinkSync(outside, join(ws, "private/locks"));
    const before = snapshotTree(parent);
    const r = await lock(ws);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[OUTSIDE_WORKSPACE]");
    expect(snapshotTree(parent)).toEqual(before);
    expect(readdirSync(outside)).toEqual(["keep.lock.json"]);
  });

  it("warns about an apt.install it cannot use instead of ignoring it silently", async () => {
    const { ws } = layout({ "MODULE.bazel": moduleWith("@other//deb:x.lock.json") });
    const r = await runCli(["check", "-C", ws], { cwd: ws });
    expect(r.stderr).toMatch(/warning: MODULE\.bazel:4: ignored: repository bookworm: the lock is not a plain label of the main repository/);
  });
});

describe("ordinary conditions are exit 1 with the file named, never an internal error", () => {
  const setups: [string, (ws: string) => void, RegExp][] = [
    ["missing", (ws) => execFileSync("rm", [join(ws, "private/repos/deb/bookworm.yaml")]), /bookworm\.yaml: does not exist/],
    [
      "a directory",
      (ws) => {
        execFileSync("rm", [join(ws, "private/repos/deb/bookworm.yaml")]);
        mkdirSync(join(ws, "private/repos/deb/bookworm.yaml"));
      },
      /bookworm\.yaml: is a directory, not a file/,
    ],
    [
      "a dangling symlink",
      (ws) => {
        execFileSync("rm", [join(ws, "private/repos/deb/bookworm.yaml")]);
        symlinkSync("nowhere.yaml", join(ws, "private/repos/deb/bookworm.yaml"));
      },
      /bookworm\.yaml: is a dangling symlink/,
    ],
    [
      "a symlink loop",
      (ws) => {
        execFileSync("rm", [join(ws, "private/repos/deb/bookworm.yaml")]);
        symlinkSync("bookworm.yaml", join(ws, "private/repos/deb/bookworm.yaml"));
      },
      /bookworm\.yaml: is a symlink loop/,
    ],
    [
      "a FIFO",
      (ws) => {
        execFileSync("rm", [join(ws, "private/repos/deb/bookworm.yaml")]);
        execFileSync("mkfifo", [join(ws, "private/repos/deb/bookworm.yaml")]);
      },
      /bookworm\.yaml: is a FIFO/,
    ],
  ];
  for (const [what, setup, message] of setups) {
    it(`a manifest that is ${what}: lock exits 1 at once`, async () => {
      const { ws } = layout({ "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json") });
      setup(ws);
      const started = Date.now();
      const r = await lock(ws);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain("internal error");
      expect(Date.now() - started).toBeLessThan(20_000);
    });
  }

  it.each([["a directory"], ["a FIFO"]])("a lock that is %s: check exits 1 naming it", async (what) => {
    const { ws } = layout({ "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json") });
    const path = join(ws, "private/repos/deb/bookworm.lock.json");
    if (what === "a FIFO") execFileSync("mkfifo", [path]);
    else mkdirSync(path);
    const r = await runCli(["check", "-C", ws], { cwd: ws });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bookworm\.lock\.json: is a (directory|FIFO)/);
    expect(r.stderr).not.toContain("internal error");
  });

  it("a missing include() names the including file and line", async () => {
    const { ws } = layout({
      "MODULE.bazel": 'bazel_dep(name = "rules_distroless", version = "0.5.1")\n\ninclude("//private/repos/deb:deb.MODULE.bazel")\n',
    });
    const r = await runCli(["check", "-C", ws], { cwd: ws });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[INCLUDE_NOT_FOUND]");
    expect(r.stderr).toMatch(/MODULE\.bazel:3: include\("\/\/private\/repos\/deb:deb\.MODULE\.bazel"\)/);
    expect(existsSync(join(ws, "private/repos/deb/deb.MODULE.bazel"))).toBe(false);
  });

  const deep = (open: string, close: string, n = 100_000): string => open.repeat(n) + close.repeat(n);
  it.each([
    ["a lock", "private/repos/deb/bookworm.lock.json", deep("[", "]"), /bookworm\.lock\.json:1(:\d+)?: nested more than 256 levels deep/],
    ["MODULE.bazel.lock", "MODULE.bazel.lock", `{"a":${deep("[", "]")}}`, /MODULE\.bazel\.lock:1:\d+: nested more than 256 levels deep/],
    ["MODULE.bazel", "MODULE.bazel", `X = ${deep("[", "]")}\n`, /MODULE\.bazel:1:\d+: expressions nested more than 200 levels deep/],
    ["a manifest", "private/repos/deb/bookworm.yaml", `${MANIFEST}extra: ${deep("[", "]", 20_000)}\n`, /bookworm\.yaml/],
  ])("deep nesting in %s: check exits 1 naming the file, without overflowing the stack", async (_what, file, text, message) => {
    const { ws } = layout({ "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json") });
    writeTree(ws, { [file]: text });
    const r = await runCli(["check", "-C", ws], { cwd: ws });
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(message);
  });

  it.each([
    ["url: not a url", "    url: not a url\n", /\[BAD_SOURCE_URL\].*url "not a url" is not an http:\/\/ or https:\/\/ archive URL/],
    ["an ftp:// url", "    url: ftp://ftp.example.org/debian\n", /url "ftp:\/\/ftp\.example\.org\/debian" is not an http/],
    ["a file: url", "    url: file:///srv/debian\n", /is not an http/],
  ])("a manifest with %s exits 1 at once, naming the line, without a network attempt", async (_what, urlLine, message) => {
    const { ws } = layout({
      "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json"),
      "private/repos/deb/bookworm.yaml": `version: 1\nsources:\n  - channel: bookworm main\n${urlLine}archs: [amd64]\npackages:\n  - libc6\n`,
    });
    archive.server.requests.length = 0;
    const r = await lock(ws);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bookworm\.yaml:\d+/);
    expect(r.stderr).toMatch(message);
    expect(archive.server.requests).toEqual([]);
  });

  it("a channel climbing with '..' is refused", async () => {
    const { ws } = layout({
      "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json"),
      "private/repos/deb/bookworm.yaml": MANIFEST.replace("bookworm main", "../../etc main"),
    });
    const r = await lock(ws);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"\.\.\/\.\.\/etc" is not a suite or component name/);
  });

  it("a manifest of 16,000 unknown packages is reported quickly (problems de-duplicated in linear time)", async () => {
    const names = Array.from({ length: 16_000 }, (_, i) => `  - no-such-package-${i}\n`).join("");
    const { ws } = layout({
      "MODULE.bazel": moduleWith("//private/repos/deb:bookworm.lock.json"),
      "private/repos/deb/bookworm.yaml": `version: 1\n${BOOKWORM_SOURCES}archs: [amd64]\npackages:\n${names}`,
    });
    const started = Date.now();
    const r = await lock(ws);
    const ms = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no-such-package-15999");
    expect(r.stderr).toMatch(/16000 problem\(s\); no file was written/);
    process.stdout.write(`16,000 unknown packages: ${ms} ms\n`);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});
