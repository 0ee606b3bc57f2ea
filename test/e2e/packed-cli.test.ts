import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLock } from "../../src/core/lock/index.js";
import { type ArchiveServer, startArchiveServer } from "../support/archive-server.js";

// The package as users get it: `npm pack`, installed into an empty project, run through `npx deb-lock`.
const ROOT = join(import.meta.dirname, "..", "..");
const TS = "20261120T000000Z";
const FIXTURES = join(ROOT, "test", "fixtures", "cli");

let dir: string;
let server: ArchiveServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "deb-lock-e2e-"));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
  const project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "e2e-project", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(dir, packed)], { cwd: project, stdio: "pipe" });
  const stanzas = (f: string) => readFileSync(join(FIXTURES, f), "utf8").trim().split(/\n\n+/);
  server = await startArchiveServer({
    archives: { debian: { [TS]: { bookworm: { components: { main: { amd64: stanzas("bookworm-amd64.Packages") } } } } } },
  });
}, 300_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the installed CLI without blocking this process: the fake archive answers from this event loop. */
function npx(args: string[], cwd = join(dir, "project")): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["--no-install", "deb-lock", ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("the packed CLI", () => {
  it("prints its version", async () => {
    const r = await npx(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  it("locks a workspace against an archive, verifying with the bundled keys plus --keyring", async () => {
    const ws = join(dir, "ws");
    mkdirSync(join(ws, "private/repos/deb"), { recursive: true });
    writeFileSync(join(ws, "MODULE.bazel"), 'bazel_dep(name = "rules_distroless", version = "0.5.1")\n');
    writeFileSync(
      join(ws, "private/repos/deb/bookworm.yaml"),
      `version: 1\nsources:\n  - channel: bookworm main\n    url: https://snapshot.debian.org/archive/debian/${TS}\narchs: [amd64]\npackages:\n  - bash\n`,
    );
    const keyring = join(dir, "archive.asc");
    writeFileSync(keyring, server.publicKeyArmored);
    const r = await npx([
      "lock",
      "-C",
      ws,
      "--cache-dir",
      join(dir, "cache"),
      "--keyring",
      keyring,
      "--mirror",
      `https://snapshot.debian.org/archive=${server.url}/archive`,
    ]);
    expect(r.stderr).not.toContain("error");
    expect(r.status).toBe(0);
    const lock = parseLock(readFileSync(join(ws, "private/repos/deb/bookworm.lock.json"), "utf8"), "bookworm.lock.json").lock;
    expect(lock.packages.map((p) => p.name)).toContain("libc6");
    expect(lock.packages[0]!.name).toBe("bash");
  });

  it("exits 2 with help on a usage error", async () => {
    const r = await npx(["lock", "--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--bogus");
  });
});
