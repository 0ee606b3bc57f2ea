// npm run sweep -- --data DIR — resolves every package name of bookworm and trixie (amd64, arm64) on its own and
// reports, per distro/arch:
//   - names resolved and names refused (the resolver's problems);
//   - lock entries whose `dependencies` differ from the resolver's own choice (must be 0): the entry is built the
//     way `deb-lock lock` builds it (resolveRepo → buildLock) and compared with the resolved set minus the root;
//   - agreement with apt on a fixed random sample of names (seeded, the same on every run): deb-lock's closure
//     against `apt-get -s install --no-install-recommends NAME` on an empty system (test/oracle/apt-closure.sh).
// Not part of CI: it reads full indexes and runs apt thousands of times.
//
// DIR holds real indexes: <archive>/dists/<suite>/{InRelease,
// main/binary-<arch>/Packages.(gz|xz)}, archive = debian-security for *-security suites, else debian.
//
// Options: --data DIR (required), --sample N (default 1000), --jobs N (distro/arch cases apt runs for at once,
// default 2),
// --only distro-arch[,..] (e.g. bookworm-amd64), --apt-only (only fill the apt answer cache), --sample-only (resolve
// only the sampled names: the apt comparison without the full sweep),
// --work DIR (apt answers are cached there, default .sweep-cache), --json FILE (write the numbers),
// --show N (print up to N disagreements per distro/arch, default 10).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parsePackagesIndex } from "../../dist/core/debian/packages-index.js";
import { buildLock } from "../../dist/core/lock/build-lock.js";
import { dependencyClosureOf } from "../../dist/core/resolve/dependency-closure.js";
import { resolveClosure } from "../../dist/core/resolve/resolve-closure.js";
import { buildUniverse } from "../../dist/core/resolve/universe.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const APT_CLOSURE = join(ROOT, "test/oracle/apt-closure.sh");

const { values: opts } = parseArgs({
  options: {
    data: { type: "string" },
    sample: { type: "string", default: "1000" },
    jobs: { type: "string", default: "2" },
    only: { type: "string" },
    "apt-only": { type: "boolean", default: false },
    "sample-only": { type: "boolean", default: false },
    work: { type: "string", default: join(ROOT, ".sweep-cache") },
    json: { type: "string" },
    show: { type: "string", default: "10" },
  },
});
if (opts.data === undefined) {
  process.stderr.write("sweep: --data DIR is required (a directory of real Debian indexes, see the header of test/tools/sweep.mjs)\n");
  process.exit(2);
}
const DATA = opts.data;
const SAMPLE = Number(opts.sample);
const JOBS = Math.max(1, Number(opts.jobs));
const log = (s) => process.stderr.write(`${s}\n`);

export const CASES = [
  ["bookworm", "amd64"],
  ["bookworm", "arm64"],
  ["trixie", "amd64"],
  ["trixie", "arm64"],
].filter(([d, a]) => opts.only === undefined || opts.only.split(",").includes(`${d}-${a}`));

const suitesOf = (distro) => [distro, `${distro}-updates`, `${distro}-security`];
const archiveOf = (suite) => (suite.endsWith("-security") ? "debian-security" : "debian");

function readIndex(suite, arch) {
  const dir = join(DATA, archiveOf(suite), "dists", suite, "main", `binary-${arch}`);
  for (const [name, tool] of [
    ["Packages.xz", "xz"],
    ["Packages.gz", "gzip"],
  ]) {
    const file = join(dir, name);
    if (existsSync(file)) return parsePackagesIndex(new Uint8Array(execFileSync(tool, ["-dc", file], { maxBuffer: 1 << 30 })), file);
  }
  throw new Error(`sweep: no Packages.xz or Packages.gz in ${dir}`);
}

export function loadUniverse(distro, arch) {
  const sources = suitesOf(distro).map((suite) => ({ id: `${archiveOf(suite)} ${suite}`, pin: 500, records: readIndex(suite, arch) }));
  return buildUniverse(sources, arch);
}

/** mulberry32: a small seeded PRNG, so the sample is the same on every run and machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fixed random sample of `n` of the sorted `names` (seeded by distro and arch). */
export function sampleNames(names, n, distro, arch) {
  let seed = 0;
  for (const ch of `${distro}-${arch}`) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
  const rand = prng(seed);
  const pool = [...names];
  const k = Math.min(n, pool.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k).sort();
}

function runApt(distro, arch, names) {
  return new Promise((resolve, reject) => {
    const child = spawn("nice", [APT_CLOSURE, "--root", DATA, "--suites", suitesOf(distro).join(" "), "--arch", arch, "--batch"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    child.stdin.end(names.map((n) => `${n}\n`).join(""));
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`apt-closure.sh exited ${code}`))));
  });
}

/** apt's answers for `names`, from the cache in --work when it holds this exact sample, else by running apt. */
export async function aptAnswers(distro, arch, names) {
  mkdirSync(opts.work, { recursive: true });
  const file = join(opts.work, `apt-${distro}-${arch}.txt`);
  const header = `# sample ${names.length} of ${DATA} ${names.join(" ")}`;
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    if (text.startsWith(`${header}\n`)) return parseAnswers(text);
  }
  log(`apt: ${distro}/${arch}, ${names.length} names…`);
  const started = Date.now();
  const text = `${header}\n${await runApt(distro, arch, names)}`;
  writeFileSync(file, text);
  log(`apt: ${distro}/${arch} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return parseAnswers(text);
}

function parseAnswers(text) {
  const answers = new Map();
  let current;
  for (const line of text.split("\n")) {
    if (line.startsWith("# ")) continue;
    const head = /^== (\S+)( !)?$/.exec(line);
    if (head !== null) {
      current = { ok: head[2] === undefined, lines: [] };
      answers.set(head[1], current);
    } else if (line !== "" && current !== undefined) current.lines.push(line);
  }
  return answers;
}

/** Runs `work` over `items`, at most `jobs` at a time. */
async function inParallel(items, jobs, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** deb-lock's answer for one name, as `deb-lock lock` would write a one-package manifest's lock entry. */
function resolveOne(universe, arch, name) {
  const result = resolveClosure({ universe, roots: [{ name }] });
  if (!result.ok) return { ok: false, result };
  const root = result.roots[0];
  if (root === undefined) return { ok: true, result, entryDiffers: false, closure: [] };
  const candidate = (p) => ({
    name: p.name,
    version: p.version,
    filename: p.record.filename,
    sha256: p.record.sha256,
    sourceUrls: ["http://archive.invalid"],
  });
  const lock = buildLock([{ arch, roots: [{ package: candidate(root), dependencies: dependencyClosureOf(result, root.name).map(candidate) }] }], {
    resolveTransitive: true,
  });
  const entry = lock.packages[0];
  const listed = entry.dependencies.map((d) => `${d.name} ${d.version}`).sort();
  const chosen = result.packages
    .filter((p) => p.name !== root.name)
    .map((p) => `${p.name} ${p.version}`)
    .sort();
  const closure = result.packages.map((p) => `${p.name} ${p.version}`).sort();
  return { ok: true, result, entryDiffers: listed.join("\n") !== chosen.join("\n"), closure };
}

async function sweepCase(distro, arch, answers, sample) {
  const loadStarted = performance.now();
  const universe = loadUniverse(distro, arch);
  const names = opts["sample-only"] ? sample : universe.names();
  const loadMs = performance.now() - loadStarted;
  const started = performance.now();
  let resolved = 0;
  let refused = 0;
  let entriesDiffer = 0;
  const differing = [];
  const mine = new Map();
  for (const name of names) {
    const r = resolveOne(universe, arch, name);
    if (r.ok) resolved++;
    else refused++;
    if (r.ok && r.entryDiffers) {
      entriesDiffer++;
      if (differing.length < 10) differing.push(name);
    }
    if (answers?.has(name)) mine.set(name, r);
  }
  const resolveMs = performance.now() - started;
  const out = {
    distro,
    arch,
    names: names.length,
    resolved,
    refused,
    entriesDiffer,
    differing,
    loadMs: Math.round(loadMs),
    resolveMs: Math.round(resolveMs),
  };
  if (answers !== undefined) {
    let agree = 0;
    const disagreements = [];
    for (const name of sample) {
      const apt = answers.get(name);
      const me = mine.get(name);
      if (apt === undefined || me === undefined) continue;
      const same = apt.ok === me.ok && (!apt.ok || apt.lines.join("\n") === me.closure.join("\n"));
      if (same) agree++;
      else disagreements.push({ name, apt: apt.ok ? "installs" : "refuses", debLock: me.ok ? "installs" : "refuses" });
    }
    Object.assign(out, { sample: sample.length, aptAgree: agree, disagreements });
  }
  return out;
}

async function main() {
  // apt first, distro/arch cases in parallel (apt runs in child processes)
  const answers = await inParallel(CASES, JOBS, async ([distro, arch]) => {
    const sample = sampleNames(loadUniverse(distro, arch).names(), SAMPLE, distro, arch);
    return { sample, answers: SAMPLE > 0 ? await aptAnswers(distro, arch, sample) : undefined };
  });
  if (opts["apt-only"]) return;
  const results = [];
  for (let i = 0; i < CASES.length; i++) {
    const [distro, arch] = CASES[i];
    log(`resolving every name of ${distro}/${arch}…`);
    const r = await sweepCase(distro, arch, answers[i].answers, answers[i].sample);
    results.push(r);
    log(JSON.stringify({ ...r, disagreements: r.disagreements?.slice(0, Number(opts.show)) }));
  }
  const lines = [
    "| distro/arch | names | resolved | refused | entries ≠ resolver | apt agrees (sample) | resolve all, s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.distro}/${r.arch} | ${r.names} | ${r.resolved} | ${r.refused} | ${r.entriesDiffer} | ${r.aptAgree === undefined ? "–" : `${r.aptAgree} of ${r.sample}`} | ${(r.resolveMs / 1000).toFixed(1)} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (opts.json !== undefined) writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
}

await main();
