import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ArchiveServer, startArchiveServer } from "../support/archive-server.js";
import { fixtureStanzas, lockWith, SNAPSHOT, TS, tempDirs, writeTree } from "../support/bookworm-archive.js";
import { snapshotTree } from "../support/workspace-snapshot.js";

// An archive that is validly signed but says more than it should: another suite's Release at this suite's URL,
// Filenames that climb out of the archive or name another host. Each must be refused, writing nothing.

const temp = tempDirs();
let server: ArchiveServer;

const amd64 = fixtureStanzas("bookworm-amd64.Packages");
const withFilename = (pkg: string, filename: string): string[] =>
  amd64.map((s) => (s.startsWith(`Package: ${pkg}\n`) ? s.replace(/^Filename: .*$/m, `Filename: ${filename}`) : s));

beforeAll(async () => {
  server = await startArchiveServer({
    archives: {
      debian: {
        [TS]: {
          // trixie's Release served at the bookworm URL: the signature is good, the suite is not.
          bookworm: { suite: "testing", codename: "trixie", components: { main: { amd64 } } },
          "bookworm-updates": { suite: "oldstable-updates", codename: "bookworm-updates", components: { main: { amd64 } } },
          "bookworm-passwd": { components: { main: { amd64: withFilename("libc6", "../../../../etc/passwd") } } },
          "bookworm-absolute": { components: { main: { amd64: withFilename("libc6", "/etc/passwd") } } },
          "bookworm-baddeps": {
            components: {
              main: { amd64: amd64.map((st) => (st.startsWith("Package: libc6\n") ? st.replace(/^Depends: .*$/m, "Depends: Libgcc-s1 (>> )") : st)) },
            },
          },
          "bookworm-url": { components: { main: { amd64: withFilename("libc6", "https://evil.example/libc6.deb") } } },
        },
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => temp.cleanup());

function workspace(channel: string): string {
  const ws = temp.make("deb-lock-trust-");
  writeTree(ws, {
    "MODULE.bazel": "",
    "private/repos/deb/bookworm.yaml": `version: 1\nsources:\n  - channel: ${channel}\n    url: ${SNAPSHOT}/debian/${TS}\narchs: [amd64]\npackages:\n  - libc6\n`,
  });
  return ws;
}

describe("archive data is trusted only as far as it is checked", () => {
  it("refuses a signed Release of another suite (trixie at .../dists/bookworm), exit 3, nothing written", async () => {
    const ws = workspace("bookworm main");
    const before = snapshotTree(ws);
    const r = await lockWith(server, ws, temp.make("deb-lock-cache-"));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("[SUITE_MISMATCH]");
    expect(r.stderr).toMatch(/dists\/bookworm\/InRelease: the signed Release is not of bookworm \(it says Suite testing, Codename trixie\)/);
    expect(snapshotTree(ws)).toEqual(before);
  });

  it("accepts a Release whose Codename is the channel's suite while its Suite is an alias", async () => {
    const ws = workspace("bookworm-updates main");
    const r = await lockWith(server, ws, temp.make("deb-lock-cache-"));
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
  });

  it.each([
    ["bookworm-passwd", "../../../../etc/passwd"],
    ["bookworm-absolute", "/etc/passwd"],
    ["bookworm-url", "https://evil.example/libc6.deb"],
  ])("refuses a stanza whose Filename leaves the archive (%s), naming the index and line", async (suite, filename) => {
    const ws = workspace(`${suite} main`);
    const before = snapshotTree(ws);
    const r = await lockWith(server, ws, temp.make("deb-lock-cache-"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[BAD_PACKAGES_INDEX]");
    expect(r.stderr).toMatch(new RegExp(`dists/${suite}/main/binary-amd64/Packages(\\.xz|\\.gz)?:\\d+: Filename of libc6 is`));
    expect(r.stderr).toContain(JSON.stringify(filename));
    expect(snapshotTree(ws)).toEqual(before);
  });

  it("a malformed Depends in an index names the package and the index, exit 1", async () => {
    const ws = workspace("bookworm-baddeps main");
    const r = await lockWith(server, ws, temp.make("deb-lock-cache-"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[BAD_RELATION\]: package libc6 \S+ \(index bookworm-baddeps\/main, architecture amd64\): invalid package relation/);
    expect(r.stderr).not.toContain("internal error");
  });
});
