import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDirs, writeTree } from "../support/bookworm-archive.js";
import { clearsign, getTestKey, type TestKey } from "../support/test-key.js";
import { snapshotTree } from "../support/workspace-snapshot.js";
import { builtCli, spawnCli } from "./built-cli.js";

// A hostile HTTP server on 127.0.0.1: decompression bombs, endless and trickling bodies, a server that never
// answers, Retry-After: 3600, a proxy asking for credentials. Each run of the real CLI must end with exit 3 within
// the documented bound, peak RSS under 400 MB, and the workspace untouched.
//
// Bounds (README, "Failure model"): with DEB_LOCK_HTTP_TIMEOUT=2 and DEB_LOCK_HTTP_TRANSFER_TIMEOUT=8, a stalled or
// silent server costs at most the transfer cap (8 s) plus start-up; a body longer than allowed stops as soon as
// the limit is passed.

const ROOT = join(import.meta.dirname, "..", "..");
const RSS_LIMIT = 400 * 1024 * 1024;
const WALL_BOUND_MS = 30_000; // the 8 s transfer cap, Node start-up and a loaded 2-core machine
const GiB = 1024 * 1024 * 1024;

const temp = tempDirs();
let server: Server;
let base: string;
let key: TestKey;
let bin: string;
let gzBomb: Uint8Array;
let xzBomb: Uint8Array;
const proxyRequests: string[] = [];

/** A bomb made once per machine: one stanza whose Description is `size` bytes of "a", compressed. */
function bomb(kind: "gz" | "xz", size: number): Uint8Array {
  const dir = join(ROOT, "node_modules", ".cache", "deb-lock-hostile", "bombs");
  const path = join(dir, `one-field-${size}.${kind}`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const script = `printf 'Package: bomb\\nVersion: 1\\nDescription: '; head -c ${size} /dev/zero | tr '\\\\0' a`;
    const compress = kind === "gz" ? "gzip -1" : "xz -T1 -1";
    const r = spawnSync("sh", ["-c", `(${script}) | ${compress} > '${path}.tmp'`], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`could not make the ${kind} bomb`);
    renameSync(`${path}.tmp`, path);
  }
  return new Uint8Array(readFileSync(path));
}

function releaseText(files: Record<string, { size: number; sha256: string }>): string {
  const lines = [
    "Origin: Debian",
    "Label: Debian",
    "Suite: bookworm",
    "Codename: bookworm",
    "Date: Sat, 01 Nov 2026 00:00:00 UTC",
    "Architectures: amd64",
    "Components: main",
    "SHA256:",
  ];
  for (const [path, f] of Object.entries(files)) lines.push(` ${f.sha256} ${String(f.size).padStart(16)} ${path}`);
  return `${lines.join("\n")}\n`;
}

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Writes `chunk` forever (as fast as the client reads), until the client goes away. */
function endless(res: ServerResponse, chunk: Buffer): void {
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  res.on("close", () => res.removeAllListeners("drain"));
  pump();
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  if (url.startsWith("http://")) {
    // An absolute-URI request: we are being used as a proxy, and want credentials.
    proxyRequests.push(url);
    res.writeHead(407, { "proxy-authenticate": 'Basic realm="proxy"' }).end();
    return;
  }
  const [, kind, ...rest] = url.split("/");
  const path = rest.join("/");
  const inRelease = path === "dists/bookworm/InRelease";
  const signed = async (files: Record<string, { size: number; sha256: string }>): Promise<void> => {
    res.writeHead(200).end(await clearsign(releaseText(files), [key]));
  };
  switch (kind) {
    case "gzbomb":
      // The Release states the uncompressed size too (as Debian's do): the bound is exact.
      if (inRelease)
        return signed({
          "main/binary-amd64/Packages.gz": { size: gzBomb.byteLength, sha256: sha(gzBomb) },
          "main/binary-amd64/Packages": { size: 4096, sha256: "0".repeat(64) },
        });
      if (path === "dists/bookworm/main/binary-amd64/Packages.gz") return void res.writeHead(200).end(gzBomb);
      break;
    case "xzbomb":
      // Only the .xz is listed: the bound is 20 × its size, at least 64 MiB.
      if (inRelease) return signed({ "main/binary-amd64/Packages.xz": { size: xzBomb.byteLength, sha256: sha(xzBomb) } });
      if (path === "dists/bookworm/main/binary-amd64/Packages.xz") return void res.writeHead(200).end(xzBomb);
      break;
    case "endless-inrelease":
      if (inRelease) return void endless(res.writeHead(200), Buffer.alloc(64 * 1024, "A"));
      break;
    case "endless-index":
      if (inRelease) return signed({ "main/binary-amd64/Packages.gz": { size: 1000, sha256: "1".repeat(64) } });
      if (path === "dists/bookworm/main/binary-amd64/Packages.gz") return void endless(res.writeHead(200), Buffer.alloc(64 * 1024, 0));
      break;
    case "drip":
      if (inRelease) {
        res.writeHead(200);
        const timer = setInterval(() => res.write("-"), 500);
        res.on("close", () => clearInterval(timer));
        return;
      }
      break;
    case "silent":
      req.socket.setTimeout(0);
      res.on("close", () => {});
      return; // never answers
    case "retry-after":
      return void res.writeHead(503, { "retry-after": "3600" }).end();
    case "flaky":
      return void res.writeHead(503).end();
  }
  res.writeHead(404).end();
}

beforeAll(async () => {
  bin = builtCli();
  key = await getTestKey("archive");
  gzBomb = bomb("gz", 4 * GiB);
  xzBomb = bomb("xz", GiB);
  server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  temp.cleanup();
});
afterEach(() => {
  proxyRequests.length = 0;
});

function workspace(urls: string[]): string {
  const ws = temp.make("deb-lock-hostile-net-");
  const sources = urls.map((u) => `  - channel: bookworm main\n    url: ${u}\n`).join("");
  writeTree(ws, { "MODULE.bazel": "", "private/repos/deb/bookworm.yaml": `version: 1\nsources:\n${sources}archs: [amd64]\npackages:\n  - libc6\n` });
  return ws;
}

async function lock(ws: string, extraEnv: Record<string, string> = {}, args: string[] = []) {
  const cache = temp.make("deb-lock-hostile-cache-");
  writeFileSync(join(cache, "key.asc"), key.publicKeyArmored);
  const rssFile = join(cache, "rss");
  const run = spawnCli(bin, ["lock", "-C", ws, "--cache-dir", join(cache, "c"), "--keyring", join(cache, "key.asc"), ...args], {
    cwd: ws,
    nodeArgs: ["--require", join(import.meta.dirname, "peak-rss.cjs")],
    env: { DEB_LOCK_HTTP_TIMEOUT: "2", DEB_LOCK_HTTP_TRANSFER_TIMEOUT: "8", DEB_LOCK_TEST_RSS_FILE: rssFile, ...extraEnv },
  });
  const result = await run.done;
  return { ...result, rss: Number(readFileSync(rssFile, "utf8")) };
}

describe("hostile servers end in exit 3, quickly, in bounded memory, writing nothing", () => {
  it.each([
    ["a 4 GiB gzip bomb (one field)", "gzbomb", /\[INDEX_TOO_LARGE\].*decompresses to more than 4096 bytes/],
    ["a 1 GiB xz bomb (one field)", "xzbomb", /\[INDEX_TOO_LARGE\].*decompresses to more than 67108864 bytes/],
    ["an endless InRelease", "endless-inrelease", /\[TOO_LARGE\].*InRelease: the body is longer than the 16777216 bytes expected/],
    ["an endless index", "endless-index", /\[TOO_LARGE\].*Packages\.gz: the body is longer than the 1000 bytes expected/],
    ["a body trickling at 2 bytes/s", "drip", /\[TIMEOUT\].*InRelease: timed out waiting for the body \(less than 1 KiB in 2 s\)/],
    ["a server that never answers", "silent", /\[TIMEOUT\].*InRelease: timed out/],
    ["Retry-After: 3600", "retry-after", /\[HTTP_STATUS\].*503.*the server asks to retry in 3600 s; one transfer may take at most 8 s/],
  ])(
    "%s",
    async (_what, kind, message) => {
      const ws = workspace([`${base}/${kind}`]);
      const before = snapshotTree(ws);
      const r = await lock(ws);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr.replace(/\n\s+/g, " ")).toMatch(message);
      expect(r.stderr).not.toContain("internal error");
      expect(r.ms).toBeLessThan(WALL_BOUND_MS);
      expect(r.rss).toBeGreaterThan(0);
      expect(r.rss).toBeLessThan(RSS_LIMIT);
      expect(snapshotTree(ws)).toEqual(before);
      process.stdout.write(`hostile ${kind}: exit ${r.code} in ${r.ms} ms, peak RSS ${Math.round(r.rss / 2 ** 20)} MiB\n`);
    },
    60_000,
  );

  it("a proxy's 407 is reported as proxy authentication, without retrying", async () => {
    const ws = workspace(["http://deb.example.invalid/debian"]);
    const r = await lock(ws, { HTTP_PROXY: base });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/HTTP 407 Proxy Authentication Required/);
    expect(r.stderr).toMatch(/hint: check the proxy credentials/);
    expect(proxyRequests).toHaveLength(1);
  });

  it("stops the whole run at the first fatal error: no retry warnings for the other downloads afterwards", async () => {
    const ws = workspace([`${base}/flaky`, `${base}/missing-suite`]);
    const r = await lock(ws, { DEB_LOCK_HTTP_TRANSFER_TIMEOUT: "60" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[SUITE_NOT_FOUND]");
    const lines = r.stderr.trimEnd().split("\n");
    // The error is the end of the output, not buried under retries of the other source.
    const errorAt = lines.findIndex((l) => l.includes("[SUITE_NOT_FOUND]"));
    expect(lines.slice(errorAt).filter((l) => l.includes("retrying"))).toEqual([]);
    expect(r.ms).toBeLessThan(WALL_BOUND_MS);
  });
});

describe("signals outside the write", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s while downloading ends the run at once with %i, writing nothing", async (signal, code) => {
    const ws = workspace([`${base}/silent`]);
    const before = snapshotTree(ws);
    const cache = temp.make("deb-lock-hostile-cache-");
    writeFileSync(join(cache, "key.asc"), key.publicKeyArmored);
    const run = spawnCli(bin, ["lock", "-C", ws, "--cache-dir", join(cache, "c"), "--keyring", join(cache, "key.asc")], { cwd: ws });
    await run.waitForStderr("GET ");
    run.child.kill(signal);
    const r = await run.done;
    expect(r.code).toBe(code);
    expect(snapshotTree(ws)).toEqual(before);
  });
});

describe("credentials never appear in output", () => {
  it("a user:password URL in a manifest and a --mirror is redacted in progress, errors and --json", async () => {
    const secret = "s3cr3t-pa55";
    const mirrorSecret = "m1rr0r-pa55";
    const ws = workspace([`http://alice:${secret}@127.0.0.1:1/debian`]);
    for (const args of [["-v"], ["--json"]]) {
      const r = await lock(ws, {}, [
        ...args,
        "--mirror",
        `http://alice:${secret}@127.0.0.1:1=http://bob:${mirrorSecret}@${base.slice("http://".length)}/nothing`,
      ]);
      expect(r.code).not.toBe(0);
      const out = r.stdout + r.stderr;
      expect(out).toContain("***@");
      expect(out).not.toContain(secret);
      expect(out).not.toContain(mirrorSecret);
    }
  });
});
