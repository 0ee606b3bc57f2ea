/**
 * Live end-to-end test: `deb-lock lock` of a small bookworm workspace whose manifest names snapshot.debian.org,
 * fetched through `--mirror` from the Debian mirror configured in this machine's apt sources (read at run time),
 * verified with the bundled Debian keys. Skipped, with a notice, only when the mirror cannot be reached.
 *
 *   npm run test:live
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLock } from "../../src/core/lock/index.js";
import { runCli } from "../support/run-cli.js";
import { liveMirror, liveSuiteOptions } from "./live-mirror.js";

const SNAPSHOT = "https://snapshot.debian.org/archive";
const TS = "20261127T000000Z";
const live = await liveMirror();
const mirrors = live.skipReason === undefined ? live.mirrors : { debian: "", debianSecurity: "" };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("deb-lock lock against the real Debian archive", liveSuiteOptions(live), () => {
  it("locks bash, ca-certificates and libssl3 for amd64 and arm64 with canonical snapshot URLs", async () => {
    const root = mkdtempSync(join(tmpdir(), "deb-lock-live-"));
    dirs.push(root);
    mkdirSync(join(root, "private/repos/deb"), { recursive: true });
    writeFileSync(join(root, "MODULE.bazel"), 'bazel_dep(name = "rules_distroless", version = "0.5.1")\n');
    writeFileSync(
      join(root, "private/repos/deb/bookworm.yaml"),
      [
        "version: 1",
        "sources:",
        "  - channel: bookworm main",
        `    url: ${SNAPSHOT}/debian/${TS}`,
        "  - channel: bookworm-security main",
        `    url: ${SNAPSHOT}/debian-security/${TS}`,
        "archs: [amd64, arm64]",
        "packages:",
        "  - bash",
        "  - ca-certificates",
        "  - libssl3",
        "",
      ].join("\n"),
    );
    const args = [
      "lock",
      "-C",
      root,
      "--cache-dir",
      join(root, ".cache"),
      "--mirror",
      `${SNAPSHOT}/debian/${TS}=${mirrors.debian}`,
      "--mirror",
      `${SNAPSHOT}/debian-security/${TS}=${mirrors.debianSecurity}`,
    ];
    const result = await runCli(args, { cwd: root });
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const { lock } = parseLock(readFileSync(join(root, "private/repos/deb/bookworm.lock.json"), "utf8"), "bookworm.lock.json");
    for (const arch of ["amd64", "arm64"]) {
      const names = lock.packages.filter((p) => p.arch === arch).map((p) => p.name);
      expect(names[0]).toBe("bash");
      expect(names.filter((n) => ["bash", "ca-certificates", "libssl3"].includes(n))).toEqual(["bash", "ca-certificates", "libssl3"]);
      expect(names).toEqual(expect.arrayContaining(["libc6", "openssl", "base-files", "debconf"]));
    }
    for (const p of lock.packages) {
      expect(p.urls?.[0]).toMatch(new RegExp(`^${SNAPSHOT}/debian(-security)?/${TS}/pool/`));
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // re-locking from the cache changes no byte
    const before = readFileSync(join(root, "private/repos/deb/bookworm.lock.json"), "utf8");
    const again = await runCli([...args, "--offline"], { cwd: root });
    expect(again.code).toBe(0);
    expect(readFileSync(join(root, "private/repos/deb/bookworm.lock.json"), "utf8")).toBe(before);
  });
});
