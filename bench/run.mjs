// npm run bench — measures deb-lock on real Debian data. Not a test: it prints numbers (Markdown tables on
// stdout, progress on stderr).
//
// 1. Mirrors real indexes (bookworm and trixie: main, -updates, -security; amd64 and arm64) from the
//    Debian mirror named in this machine's apt sources into .bench-cache/archive, checked against the
//    SHA256 of their InRelease. Re-runs reuse them.
// 2. (a) per index: `zcat`/`xzcat` time vs deb-lock's decompress + parse time, same file, best of 3. deb-lock's
//    time is the archive layer's own function (io/index-download.ts decompressAndParse: decompression feeding the
//    column parser).
// 3. (b) `deb-lock lock` of bench/workspace (distroless's six repositories, amd64 + arm64) served by a
//    local HTTP server laid out like snapshot.debian.org: cold (empty cache) and warm; (c) peak RSS.
//    "process ms" is spawn to exit (node start-up and module loading included), "command ms" the time inside
//    run(); "peak RSS MB" is the process's maxRSS. The machine may be shared: compare the best of several runs,
//    and read the load average printed with them.
// 4. Further commands when present (add, check, update, verify), warm.
//
// 5. (d) Side by side in one run, best of 5 each, alternating: a cold `lock` of one package for amd64 + arm64 from
//    bookworm main (.xz indexes, local server) against `xzcat` over the same two indexes one after the other, with
//    the floor under it (bench/decode-floor.mjs: Node decoding both indexes at once and nothing else, with
//    deb-lock's decoder and with `xz -dc`); `deb-lock --version` and an offline `check` of the six-repo workspace
//    against `node -e 0`. (e) Peak RSS of a cold `lock` of ffmpeg + nginx + bash + python3.11-minimal (bookworm
//    main + security, amd64 + arm64).
//
// 6. (f) resolve every name of bookworm amd64 in-process (bench/resolve-all.mjs; target under 60 s).
//
// Options: --targets-only (only (d) and (e)), --no-parse (skip (a)), --no-resolve-all (skip (f)), --warm N (warm runs, default 3), --warm-only (no cold run; the cache is kept
// in .bench-cache/deb-lock-cache between invocations), --cpu-prof DIR (V8 profiles of the CLI runs),
// --node-arg=ARG (repeatable, e.g. --node-arg=--trace-gc).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readAptDebianMirrors } from "../dist/io/apt-sources.js";
import { decompress } from "../dist/io/decompress.js";
import { decompressAndParse } from "../dist/io/index-download.js";
import { benchResolveAll } from "./resolve-all.mjs";

const { values: opts } = parseArgs({
  options: {
    // Skip (a), the per-index table.
    "no-parse": { type: "boolean", default: false },
    // Skip (d), resolving every name of bookworm amd64.
    "no-resolve-all": { type: "boolean", default: false },
    // How many warm runs of (b); the table reports each and the minimum.
    warm: { type: "string", default: "3" },
    // Skip the cold run: warm runs against a cache kept in .bench-cache/deb-lock-cache (filled on first use).
    "warm-only": { type: "boolean", default: false },
    // Extra node options for the CLI runs, e.g. --node-arg=--trace-gc (repeatable).
    "node-arg": { type: "string", multiple: true, default: [] },
    // Write V8 CPU profiles of the CLI runs into this directory (open them in Chrome DevTools).
    "cpu-prof": { type: "string" },
    // Only the side-by-side ratios and peak-memory runs ((d) and (e)), not (a)-(c).
    "targets-only": { type: "boolean", default: false },
    // Only the story: warm `add ffmpeg --image python3` on the two-arch image workspace (and warm `lock` of it),
    // against the cache kept in .bench-cache/deb-lock-cache. For profiling with --cpu-prof.
    story: { type: "boolean", default: false },
  },
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = join(ROOT, ".bench-cache");
const ARCHIVE = join(CACHE, "archive");
const ARCHS = ["amd64", "arm64"];
const SUITES = [
  ["debian", "bookworm"],
  ["debian", "bookworm-updates"],
  ["debian-security", "bookworm-security"],
  ["debian", "trixie"],
  ["debian", "trixie-updates"],
  ["debian-security", "trixie-security"],
];
const SNAPSHOT = "20261127T000000Z";
const LISTED_SNAPSHOTS = ["20261125T000000Z", "20261125T010000Z", "20261125T020000Z", "20261125T030000Z", "20261125T040000Z"];

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const log = (s) => process.stderr.write(`${s}\n`);

function releaseEntries(inRelease) {
  const entries = new Map();
  let inSha = false;
  for (const line of inRelease.split("\n")) {
    if (/^SHA256:/.test(line)) {
      inSha = true;
      continue;
    }
    if (!line.startsWith(" ")) {
      inSha = false;
      continue;
    }
    if (inSha) {
      const [hash, size, path] = line.trim().split(/\s+/);
      entries.set(path, { hash, size: Number(size) });
    }
  }
  return entries;
}

async function download(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function prepareArchive() {
  const mirrors = readAptDebianMirrors();
  const roots = { debian: mirrors.debian, "debian-security": mirrors.debianSecurity };
  const indexes = [];
  for (const [archive, suite] of SUITES) {
    const dir = join(ARCHIVE, archive, "dists", suite);
    const inReleasePath = join(dir, "InRelease");
    if (!existsSync(inReleasePath)) {
      if (!roots[archive]) throw new Error(`no ${archive} mirror in this machine's apt sources`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(inReleasePath, await download(`${roots[archive]}/dists/${suite}/InRelease`));
    }
    const entries = releaseEntries(readFileSync(inReleasePath, "utf8"));
    for (const arch of ARCHS) {
      for (const ext of ["gz", "xz"]) {
        const rel = `main/binary-${arch}/Packages.${ext}`;
        const entry = entries.get(rel);
        if (!entry) continue;
        const path = join(dir, rel);
        if (!existsSync(path) || sha256(readFileSync(path)) !== entry.hash) {
          mkdirSync(dirname(path), { recursive: true });
          let bytes = await download(`${roots[archive]}/dists/${suite}/${rel}`);
          if (sha256(bytes) !== entry.hash) {
            bytes = await download(`${roots[archive]}/dists/${suite}/main/binary-${arch}/by-hash/SHA256/${entry.hash}`);
          }
          if (sha256(bytes) !== entry.hash) throw new Error(`${rel} of ${suite} does not match its InRelease`);
          writeFileSync(path, bytes);
          log(`fetched ${archive}/${suite}/${rel} (${(bytes.length / 1e6).toFixed(1)} MB)`);
        }
        indexes.push({ label: `${suite}/${arch}.${ext}`, path, ext });
      }
    }
  }
  return indexes;
}

function bestOf(n, fn) {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, fn());
  return best;
}

async function bestOfAsync(n, fn) {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await fn());
  return best;
}

async function benchParse(indexes) {
  const rows = [];
  for (const { label, path, ext } of indexes) {
    const tool = ext === "gz" ? "zcat" : "xzcat";
    const toolMs = bestOf(3, () => {
      const t = performance.now();
      const r = spawnSync("sh", ["-c", `${tool} '${path}' >/dev/null`]);
      if (r.status !== 0) throw new Error(`${tool} failed on ${path}`);
      return performance.now() - t;
    });
    const bytes = readFileSync(path);
    // deb-lock's own path from compressed bytes in memory to the columns the cache keeps, as the archive layer runs
    // it (decoding on the decoder's thread feeding the parser), sized by the index text's size as a Release states it
    const plainSize = (await decompress(bytes, ext, { label: path })).byteLength;
    let count = 0;
    const ourMs = await bestOfAsync(3, async () => {
      const t = performance.now();
      count = (await decompressAndParse(bytes, ext, path, Number.POSITIVE_INFINITY, plainSize)).n;
      return performance.now() - t;
    });
    rows.push({
      index: label,
      packages: count,
      tool,
      "tool ms": Math.round(toolMs),
      "deb-lock ms": Math.round(ourMs),
      ratio: (ourMs / toolMs).toFixed(2),
    });
  }
  return rows;
}

/** Prints rows as a Markdown table (pastes into a README as it is). */
function printTable(rows) {
  const keys = Object.keys(rows[0] ?? {});
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((v, i) => (typeof rows[0][keys[i]] === "number" ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(" | ")} |`;
  console.log(line(keys));
  console.log(`|${widths.map((w, i) => (typeof rows[0][keys[i]] === "number" ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`);
  for (const c of cells.slice(1)) console.log(line(c));
  console.log();
}

async function fetchPoolFile(archive, rest, file) {
  const mirrors = readAptDebianMirrors();
  const base = archive === "debian-security" ? mirrors.debianSecurity : mirrors.debian;
  if (base === undefined) throw new Error("no Debian mirror in the apt sources");
  const body = await download(`${base}/${rest}`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body);
  return body;
}

function startServer() {
  // /archive/<archive>/<timestamp>/<rest> → .bench-cache/archive/<archive>/<rest>, like snapshot.debian.org
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    // The month listing `update --snapshot` reads: every bench snapshot serves the same files.
    if (/^\/archive\/[^/]+\/$/.test(url.pathname) && url.searchParams.has("month")) {
      const body = LISTED_SNAPSHOTS.map((ts) => `<a href="${ts}/">${ts}</a><br />`).join("\n");
      res.writeHead(200, { "content-type": "text/html" }).end(body);
      return;
    }
    const m = /^\/archive\/([^/]+)\/\d{8}T\d{6}Z\/(.+)$/.exec(decodeURIComponent(url.pathname));
    const file = m && join(ARCHIVE, m[1], m[2]);
    if (file && !file.includes("..") && !existsSync(file) && m[2].startsWith("pool/")) {
      // .debs (for verify): fetched once from the apt sources' Debian mirror, kept under .bench-cache/archive.
      fetchPoolFile(m[1], m[2], file).then(
        (body) => res.writeHead(200, { "content-length": body.length }).end(body),
        () => res.writeHead(404).end(),
      );
      return;
    }
    if (!file || file.includes("..") || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function runCli(args, cwd, expectedCode = 0) {
  return new Promise((resolve, reject) => {
    const nodeArgs = [...opts["node-arg"], ...(opts["cpu-prof"] === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", opts["cpu-prof"]])];
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, "bench", "child.mjs"), ...args], {
      cwd,
      stdio: ["ignore", opts["node-arg"].length > 0 ? "inherit" : "ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let report = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdio[3].on("data", (d) => (report += d));
    child.on("close", () => {
      try {
        const r = JSON.parse(report);
        if (r.code !== expectedCode) reject(new Error(`deb-lock ${args.join(" ")} exited ${r.code}, expected ${expectedCode}:\n${stderr}`));
        else resolve({ ...r, processMs: performance.now() - started });
      } catch {
        reject(new Error(`deb-lock ${args.join(" ")} crashed:\n${stderr}`));
      }
    });
  });
}

const indexes = await prepareArchive();
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${load()} at start\n`);
if (!opts["no-parse"] && !opts["targets-only"] && !opts.story) {
  log("(a) decompress + parse vs zcat/xzcat, best of 3 …");
  printTable(await benchParse(indexes));
}

if (!opts["no-resolve-all"] && !opts["targets-only"] && !opts.story) {
  log("(f) resolve every name of bookworm amd64 in-process …");
  printTable([await benchResolveAll(indexes)]);
}

const server = await startServer();
const port = server.address().port;
const mirror = ["--mirror", `https://snapshot.debian.org=http://127.0.0.1:${port}`];
if (opts.story) {
  try {
    await storyRuns(["--cache-dir", join(CACHE, "deb-lock-cache"), ...mirror, "-q"]);
  } finally {
    server.close();
  }
  process.exit(0);
}
if (opts["targets-only"]) {
  try {
    await targetRuns(indexes, mirror);
  } finally {
    server.close();
  }
  process.exit(0);
}
const ws = mkdtempSync(join(tmpdir(), "deb-lock-bench-ws-"));
const keptCache = join(CACHE, "deb-lock-cache");
const cacheDir = opts["warm-only"] ? keptCache : mkdtempSync(join(tmpdir(), "deb-lock-bench-cache-"));
cpSync(join(ROOT, "bench", "workspace"), ws, { recursive: true });
const common = ["-C", ws, "--cache-dir", cacheDir, "--mirror", `https://snapshot.debian.org=http://127.0.0.1:${port}`, "-q"];
const results = [];
try {
  if (opts["warm-only"]) {
    if (!existsSync(keptCache)) await runCli(["lock", ...common], ws);
  } else {
    log("(b) lock cold …");
    results.push({ run: "lock, cold cache", ...(await runCli(["lock", ...common], ws)) });
  }
  log("(b) lock warm …");
  for (let i = 0; i < Number(opts.warm); i++) results.push({ run: `lock, warm cache #${i + 1}`, ...(await runCli(["lock", ...common], ws)) });
  log("update --snapshot (warm) …");
  for (let i = 0; i < Number(opts.warm); i++) {
    // a new timestamp every run: every manifest URL moves, every lock is rewritten
    const ts = `20261125T0${i}0000Z`;
    results.push({ run: `update --snapshot ${ts}, warm #${i + 1}`, ...(await runCli(["update", "--snapshot", ts, ...common], ws)) });
  }
  log("check, add (warm) …");
  results.push(...(await imageRuns(common, ["--cache-dir", cacheDir, "--mirror", `https://snapshot.debian.org=http://127.0.0.1:${port}`, "-q"])));
} finally {
  server.close();
  rmSync(ws, { recursive: true, force: true });
  if (cacheDir !== keptCache) rmSync(cacheDir, { recursive: true, force: true });
}
// "process ms": spawn to exit of the whole node process (start-up and module loading included), as a user
// waits for it; "command ms": from the start of run() to its end, inside the process.
printTable(
  results.map((r) => ({ run: r.run, "process ms": Math.round(r.processMs), "command ms": Math.round(r.ms), "peak RSS MB": Math.round(r.maxRssMb) })),
);
const warm = results.filter((r) => r.run.startsWith("lock, warm"));
if (warm.length > 0) {
  const min = (key) => Math.round(Math.min(...warm.map((r) => r[key])));
  log(
    `lock, warm: best process ${min("processMs")} ms, best command ${min("ms")} ms, peak RSS ${Math.round(Math.max(...results.map((r) => r.maxRssMb)))} MB (all runs); load average ${load()}`,
  );
}

// ---- further commands, warm (issues: add <= 1.5 s, check offline < 0.5 s, update within 1.5x of lock) ----
// Workspace B is the distroless-2026-shaped test workspace (images static → base → cc → python3, bookworm and
// trixie repos, config.bzl package lists) pointed at the same real indexes. ffmpeg pulls in amd64-only
// libraries: `add ffmpeg` to python3 as built (amd64 and arm64) writes them into amd64-only companion repos;
// variant B1 builds python3 for debian13 on amd64 only.
function prepareImageWorkspace(amd64OnlyPython) {
  const dir = mkdtempSync(join(tmpdir(), "deb-lock-bench-images-"));
  cpSync(join(ROOT, "test", "fixtures", "workspaces", "distroless-2026", "workspace"), dir, { recursive: true });
  if (amd64OnlyPython) {
    const config = join(dir, "python3", "config.bzl");
    writeFileSync(config, readFileSync(config, "utf8").replace('"debian13": ["amd64", "arm64"]', '"debian13": ["amd64"]'));
    const manifest = join(dir, "private", "repos", "deb", "trixie_python.yaml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace("  - amd64\n  - arm64\n", "  - amd64\n"));
  }
  return dir;
}

/** `runs` warm `add ffmpeg --image python3` on fresh copies of the locked two-arch image workspace `both`. */
async function twoArchAddRuns(both, mirrorArgs, runs) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const d = mkdtempSync(join(tmpdir(), "deb-lock-bench-add-"));
    cpSync(both, d, { recursive: true });
    out.push({
      run: `add ffmpeg --image python3 on a two-arch image (amd64+arm64, companion repos) #${i + 1}`,
      ...(await runCli(["add", "ffmpeg", "--image", "python3", "-C", d, ...mirrorArgs], d)),
    });
    rmSync(d, { recursive: true, force: true });
  }
  return out;
}

async function storyRuns(mirrorArgs) {
  const both = prepareImageWorkspace(false);
  const out = [];
  try {
    await runCli(["lock", "-C", both, ...mirrorArgs], both); // setup, and fills the cache
    for (let i = 0; i < Number(opts.warm); i++)
      out.push({ run: `lock (images workspace), warm #${i + 1}`, ...(await runCli(["lock", "-C", both, ...mirrorArgs], both)) });
    out.push(...(await twoArchAddRuns(both, mirrorArgs, Number(opts.warm))));
  } finally {
    rmSync(both, { recursive: true, force: true });
  }
  printTable(
    out.map((r) => ({ run: r.run, "process ms": Math.round(r.processMs), "command ms": Math.round(r.ms), "peak RSS MB": Math.round(r.maxRssMb) })),
  );
}

async function imageRuns(common, mirrorArgs) {
  const out = [];
  const both = prepareImageWorkspace(false);
  const amd64 = prepareImageWorkspace(true);
  try {
    for (const dir of [both, amd64]) await runCli(["lock", "-C", dir, ...mirrorArgs], dir); // setup: locks from the real indexes
    const fresh = (from) => {
      const d = mkdtempSync(join(tmpdir(), "deb-lock-bench-add-"));
      cpSync(from, d, { recursive: true });
      return d;
    };
    for (let i = 0; i < 3; i++)
      out.push({ run: `check (offline), 6 repos #${i + 1}`, ...(await runCli(["check", ...common, "--offline"], dirname(common[1]))) });
    for (let i = 0; i < 3; i++)
      out.push({ run: `check (offline), images workspace #${i + 1}`, ...(await runCli(["check", "-C", both, ...mirrorArgs, "--offline"], both)) });
    for (let i = 0; i < 3; i++) {
      const d = fresh(amd64);
      out.push({
        run: `add ffmpeg --image python3 --distro debian13 (amd64) #${i + 1}`,
        ...(await runCli(["add", "ffmpeg", "--image", "python3", "--distro", "debian13", "-C", d, ...mirrorArgs], d)),
      });
      rmSync(d, { recursive: true, force: true });
    }
    // verify: python3 + ffmpeg (debian13, amd64), ~250 packages with the base images. The first run downloads
    // the .debs (through the local server, from the mirror) and reads them; the measured runs are warm.
    {
      const d = fresh(amd64);
      await runCli(["add", "ffmpeg", "--image", "python3", "--distro", "debian13", "-C", d, ...mirrorArgs], d);
      const verifyArgs = ["verify", "--image", "python3", "--distro", "debian13", "-C", d, ...mirrorArgs];
      // exit 1: the image lacks the libblas/liblapack links (the finding verify exists for)
      out.push({ run: "verify python3 + ffmpeg (debian13 amd64), .debs not cached", ...(await runCli(verifyArgs, d, 1)) });
      for (let i = 0; i < 3; i++)
        out.push({ run: `verify python3 + ffmpeg (debian13 amd64), warm #${i + 1}`, ...(await runCli([...verifyArgs, "--offline"], d, 1)) });
      rmSync(d, { recursive: true, force: true });
    }
    // The story: python3 built for amd64 and arm64 from one list per distro (debian12 and debian13); the
    // libraries only amd64 has go into amd64-only companion repos (target: warm <= 1.5 s).
    out.push(...(await twoArchAddRuns(both, mirrorArgs, 3)));
  } finally {
    rmSync(both, { recursive: true, force: true });
    rmSync(amd64, { recursive: true, force: true });
  }
  return out;
}

// ---- (d) and (e): the targets, measured side by side in one run ----
// Asynchronous: the local archive server answers from this process's event loop.
function spawnMs(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${stderr}`));
    });
  });
}

function writeWorkspace(files) {
  const dir = mkdtempSync(join(tmpdir(), "deb-lock-bench-target-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

// (functions, not constants: the targets run from the top of the script, before this point is reached)
function oneRepoModule() {
  return `bazel_dep(name = "rules_distroless", version = "0.5.1")
apt = use_extension("@rules_distroless//apt:extensions.bzl", "apt")
apt.install(name = "bookworm", manifest = "//private/repos/deb:bookworm.yaml")
use_repo(apt, "bookworm")
`;
}

function manifest(sources, packages) {
  return `version: 1\nsources:\n${sources.map(([archive, channel]) => `  - channel: ${channel}\n    url: https://snapshot.debian.org/archive/${archive}/${SNAPSHOT}\n`).join("")}archs:\n  - amd64\n  - arm64\npackages:\n${packages.map((p) => `  - ${p}\n`).join("")}`;
}

async function targetRuns(indexes, mirror) {
  const bin = join(ROOT, "dist", "cli", "bin.js");
  const xzFiles = ["amd64", "arm64"].map((arch) => indexes.find((i) => i.label === `bookworm/${arch}.xz`).path);
  const one = writeWorkspace({
    "MODULE.bazel": oneRepoModule(),
    "private/repos/deb/bookworm.yaml": manifest([["debian", "bookworm main"]], ["bash"]),
  });
  const six = mkdtempSync(join(tmpdir(), "deb-lock-bench-six-"));
  cpSync(join(ROOT, "bench", "workspace"), six, { recursive: true });
  const sixCache = mkdtempSync(join(tmpdir(), "deb-lock-bench-six-cache-"));
  const caches = [];
  const freshCache = () => {
    const dir = mkdtempSync(join(tmpdir(), "deb-lock-bench-cold-"));
    caches.push(dir);
    return dir;
  };
  try {
    // the six-repo workspace locked once, for the offline check
    await runCli(["lock", "-C", six, "--cache-dir", sixCache, ...mirror, "-q"], six);
    const best = { xzcat: Infinity, lock: Infinity, node: Infinity, version: Infinity, check: Infinity, liblzma: Infinity, xz: Infinity };
    const floor = join(ROOT, "bench", "decode-floor.mjs");
    const hasXz = spawnSync("xz", ["--version"]).status === 0;
    log("(d) side by side, best of 5 …");
    for (let i = 0; i < 5; i++) {
      best.xzcat = Math.min(best.xzcat, await spawnMs("sh", ["-c", xzFiles.map((f) => `xzcat '${f}' >/dev/null`).join(" && ")]));
      best.liblzma = Math.min(best.liblzma, await spawnMs(process.execPath, [floor, "liblzma", ...xzFiles]));
      if (hasXz) best.xz = Math.min(best.xz, await spawnMs(process.execPath, [floor, "xz", ...xzFiles]));
      best.lock = Math.min(best.lock, await spawnMs(process.execPath, [bin, "lock", "-C", one, "--cache-dir", freshCache(), ...mirror, "-q"], one));
      best.node = Math.min(best.node, await spawnMs(process.execPath, ["-e", "0"]));
      best.version = Math.min(best.version, await spawnMs(process.execPath, [bin, "--version"]));
      best.check = Math.min(best.check, await spawnMs(process.execPath, [bin, "check", "-C", six, "--cache-dir", sixCache, "--offline", "-q"], six));
    }
    const row = (what, ms, base, baseName, target) => ({
      measure: what,
      ms: Math.round(ms),
      against: baseName,
      "against ms": Math.round(base),
      ratio: (ms / base).toFixed(2),
      target,
    });
    printTable([
      row("cold `lock` bash, bookworm main .xz, amd64 + arm64", best.lock, best.xzcat, "`xzcat` of both indexes", "≤ 1.0"),
      // What no cold `lock` can beat: Node starting and decoding the same two indexes at once, nothing else.
      row("floor: Node decoding both indexes at once (deb-lock's liblzma), nothing else", best.liblzma, best.xzcat, "`xzcat` of both indexes", "—"),
      ...(hasXz
        ? [row("floor: Node decoding both at once with `xz -dc` children, nothing else", best.xz, best.xzcat, "`xzcat` of both indexes", "—")]
        : []),
      row("`deb-lock --version`", best.version, best.node, "`node -e 0`", "≤ 1.3"),
      row("`check --offline`, six-repo workspace", best.check, best.node, "`node -e 0`", "≤ 2.0"),
    ]);

    log("(e) peak RSS …");
    const big = writeWorkspace({
      "MODULE.bazel": oneRepoModule(),
      "private/repos/deb/bookworm.yaml": manifest(
        [
          ["debian", "bookworm main"],
          ["debian-security", "bookworm-security main"],
        ],
        ["ffmpeg", "nginx", "bash", "python3.11-minimal"],
      ),
    });
    const rss = [];
    rss.push({
      run: "cold `lock` ffmpeg nginx bash python3.11-minimal (main + security, amd64 + arm64)",
      ...(await runCli(["lock", "-C", big, "--cache-dir", freshCache(), ...mirror, "-q"], big)),
    });
    const coldSix = mkdtempSync(join(tmpdir(), "deb-lock-bench-six-cold-"));
    cpSync(join(ROOT, "bench", "workspace"), coldSix, { recursive: true });
    const coldCache = freshCache();
    rss.push({
      run: "cold `lock`, six-repo workspace",
      ...(await runCli(["lock", "-C", coldSix, "--cache-dir", coldCache, ...mirror, "-q"], coldSix)),
    });
    rss.push({
      run: "warm `update --snapshot`, six-repo workspace",
      ...(await runCli(["update", "--snapshot", "20261125T030000Z", "-C", coldSix, "--cache-dir", coldCache, ...mirror, "-q"], coldSix)),
    });
    printTable(rss.map((r) => ({ run: r.run, "process ms": Math.round(r.processMs), "peak RSS MB": Math.round(r.maxRssMb), target: "≤ 400" })));
    for (const dir of [big, coldSix]) rmSync(dir, { recursive: true, force: true });
  } finally {
    for (const dir of [one, six, sixCache, ...caches]) rmSync(dir, { recursive: true, force: true });
  }
}
