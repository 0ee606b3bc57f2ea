import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decompress } from "../../src/io/decompress.js";
import { type ArchiveServer, startArchiveServer } from "../support/archive-server.js";
import { lockWith, SNAPSHOT, TS, tempDirs, writeTree } from "../support/bookworm-archive.js";

// rules_distroless's own output is the oracle here. The expected lock was written by rules_distroless v0.8.0's
// Starlark resolver and lock writer themselves (run unedited under Python by test/tools/rules-distroless-lock.py;
// the command is in test/fixtures/lock/README.md), for the same manifest over the same real (trimmed) bookworm and
// bookworm-security indexes this test serves. Many versions are in both suites; rules_distroless files records
// by (arch, name, version) in a dict while reading sources in manifest order, so the later source's record wins
// and those entries' URLs point at debian-security. deb-lock's lock must be the same bytes.
const FIXTURE = join(import.meta.dirname, "../fixtures/lock/rules-distroless-security");
const INDEXES = join(import.meta.dirname, "../fixtures/resolve/bookworm");

async function stanzas(archive: string, suite: string, arch: string): Promise<string[]> {
  const file = join(INDEXES, archive, "dists", suite, "main", `binary-${arch}`, "Packages.xz");
  const text = new TextDecoder().decode(await decompress(new Uint8Array(readFileSync(file)), "xz", { label: file }));
  return text.trim().split(/\n\n+/);
}

const temp = tempDirs();
let server: ArchiveServer;

beforeAll(async () => {
  const [mainAmd, mainArm, secAmd, secArm] = await Promise.all([
    stanzas("debian", "bookworm", "amd64"),
    stanzas("debian", "bookworm", "arm64"),
    stanzas("debian-security", "bookworm-security", "amd64"),
    stanzas("debian-security", "bookworm-security", "arm64"),
  ]);
  server = await startArchiveServer({
    archives: {
      debian: { [TS]: { bookworm: { components: { main: { amd64: mainAmd, arm64: mainArm } } } } },
      "debian-security": { [TS]: { "bookworm-security": { compressions: ["plain", "xz"], components: { main: { amd64: secAmd, arm64: secArm } } } } },
    },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});
afterEach(() => temp.cleanup());

describe("a lock identical to rules_distroless's own", () => {
  it("main + -security with shared versions: same bytes, the later source's URLs", async () => {
    const manifest = readFileSync(join(FIXTURE, "bookworm.yaml"), "utf8");
    expect(manifest).toContain(`${SNAPSHOT}/debian-security/${TS}`);
    const root = temp.make("deb-lock-rd-");
    writeTree(root, {
      "MODULE.bazel": `bazel_dep(name = "rules_distroless", version = "0.8.0")\n\napt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")\napt.install(\n    name = "bookworm",\n    lock = "//private/repos/deb:bookworm.lock.json",\n    manifest = "//private/repos/deb:bookworm.yaml",\n)\n`,
      "private/repos/deb/BUILD.bazel": "",
      "private/repos/deb/bookworm.yaml": manifest,
    });
    const result = await lockWith(server, root, temp.make("deb-lock-cache-"));
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const expected = readFileSync(join(FIXTURE, "bookworm.lock.json"), "utf8");
    // the case this guards: versions present in both suites are fetched from -security
    expect(expected).toContain(`${SNAPSHOT}/debian-security/${TS}/pool/updates/main/`);
    expect(readFileSync(join(root, "private/repos/deb/bookworm.lock.json"), "utf8")).toBe(expected);
  }, 120_000);
});
