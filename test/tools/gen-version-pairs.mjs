#!/usr/bin/env node
// Generates test/fixtures/debian/version-pairs.tsv.gz: pairs of Debian versions with the order
// `dpkg --compare-versions` gives them. src/core/debian/version.test.ts checks every row
// against compareVersions.
//
// Usage:  node test/tools/gen-version-pairs.mjs [INDEX_ROOT] [OUT]
//   INDEX_ROOT  directory searched recursively for Packages.xz / Packages.gz files
//               (default /tmp/debdata, laid out as <archive>/dists/<suite>/main/binary-<arch>/)
//   OUT         output path (default test/fixtures/debian/version-pairs.tsv.gz)
// Needs: dpkg, xzcat, zcat, sort (GNU coreutils, for -V), xargs. Takes about a minute.
//
// Output: gzip'd TSV, one pair per line, `a<TAB>b<TAB>sign` with sign -1, 0 or 1 (the sign of a
// compared with b), sorted and without duplicates. The pairs are sampled deterministically (seeded)
// from, at most:
//   1. 7000 pairs of versions of the same package across suites and architectures;
//   2. 4500 + 4500 neighbours when all versions are sorted by string order and by `sort -V`;
//   3. 4000 random pairs of versions of related packages (same source package);
//   4. 4000 versions written in Depends/Pre-Depends/Breaks/Conflicts/Provides against the versions
//      of the package they name (the comparisons a resolver makes);
//   5. 200 versions against themselves with an explicit `0:` epoch (equal pairs), and hand-written
//      edge cases both ways round (~, ~~, epochs, +b1, +deb12u1 vs +deb12u10, letters vs digits,
//      leading zeros, 1.0 vs 1.0-0, ...).
// Rerunning on the same indexes gives the same bytes (checked: identical SHA256 on two runs).

import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const root = process.argv[2] ?? "/tmp/debdata";
const out = resolve(process.argv[3] ?? join(import.meta.dirname, "../fixtures/debian/version-pairs.tsv.gz"));

/** Deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261128);
const pick = (arr) => arr[Math.floor(random() * arr.length)];

function findIndexes(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findIndexes(path));
    else if (entry.name === "Packages.xz" || entry.name === "Packages.gz") found.push(path);
  }
  // One file per directory: the .xz when both exist (they hold the same data).
  return found.filter((p) => !(p.endsWith(".gz") && found.includes(p.replace(/\.gz$/, ".xz"))));
}

// Versions dpkg accepts without complaint (and that are safe as shell words).
const VALID = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~:-]*(?:-[A-Za-z0-9.+~]+)?$/;

const versionsOf = new Map(); // package name -> Set of versions
const sourceVersions = new Map(); // source name -> Set of versions (of it and its binaries)
const relationPairs = []; // [package name, required version]
const add = (map, key, v) => {
  if (!VALID.test(v)) return;
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(v);
};

const indexes = findIndexes(root);
if (indexes.length === 0) throw new Error(`no Packages.xz/.gz under ${root}`);
for (const file of indexes) {
  const text = execFileSync(file.endsWith(".xz") ? "xzcat" : "zcat", [file], { maxBuffer: 1 << 30, encoding: "utf8" });
  for (const stanza of text.split("\n\n")) {
    const name = /^Package: (\S+)/m.exec(stanza)?.[1];
    const version = /^Version: (\S+)/m.exec(stanza)?.[1];
    if (!name || !version) continue;
    add(versionsOf, name, version);
    const source = /^Source: (\S+)(?: \((\S+)\))?/m.exec(stanza);
    const sourceName = source?.[1] ?? name;
    add(sourceVersions, sourceName, version);
    if (source?.[2]) add(sourceVersions, sourceName, source[2]);
    for (const m of stanza.matchAll(/^(?:Depends|Pre-Depends|Breaks|Conflicts|Provides): (.*)$/gm)) {
      for (const r of m[1].matchAll(/([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)? \((?:<<|<=|=|>=|>>) ([^)\s]+)\)/g)) {
        if (VALID.test(r[2])) relationPairs.push([r[1], r[2]]);
      }
    }
  }
  process.stderr.write(`read ${file}\n`);
}

const pairs = new Set();
/** Adds up to `limit` pairs drawn at random (seeded) from `candidates`. */
function addSample(candidates, limit) {
  const c = candidates.filter(([a, b]) => a !== b && VALID.test(a) && VALID.test(b));
  for (let i = 0, added = 0; i < c.length && added < limit; i++) {
    const j = i + Math.floor(random() * (c.length - i));
    [c[i], c[j]] = [c[j], c[i]];
    const key = `${c[i][0]}\t${c[i][1]}`;
    if (!pairs.has(key)) {
      pairs.add(key);
      added++;
    }
  }
  return pairs.size;
}

// 1. Same package across suites and architectures.
const same = [];
for (const set of versionsOf.values()) {
  const vs = [...set];
  for (let i = 0; i < vs.length; i++) for (let j = i + 1; j < vs.length; j++) same.push(random() < 0.5 ? [vs[i], vs[j]] : [vs[j], vs[i]]);
}
const afterSame = addSample(same, 7000);

// 2. Neighbours in sorted order (string order, and `sort -V` order).
const all = [...new Set([...versionsOf.values()].flatMap((s) => [...s]))].sort();
const byString = all.slice(1).map((v, i) => [all[i], v]);
const sortedV = spawnSync("sort", ["-V"], { input: all.join("\n"), encoding: "utf8", maxBuffer: 1 << 28 })
  .stdout.split("\n")
  .filter(Boolean);
const bySortV = sortedV.slice(1).map((v, i) => [v, sortedV[i]]);
addSample(byString, 4500);
const afterNeighbours = addSample(bySortV, 4500);

// 3. Random pairs within source packages (binaries of one source: +bN rebuilds, epochs, bumps).
const groups = [...sourceVersions.values()].map((s) => [...s]).filter((g) => g.length > 1);
const related = [];
for (let n = 0; n < 40000; n++) {
  const g = pick(groups);
  related.push([pick(g), pick(g)]);
}
const afterRelated = addSample(related, 4000);

// 4. Versions in relations against the versions of the package they name.
const required = [];
for (const [target, version] of relationPairs) {
  const candidates = versionsOf.get(target);
  if (candidates) for (const c of candidates) required.push(random() < 0.5 ? [c, version] : [version, c]);
}
const afterRelations = addSample(required, 4000);

// A few identical pairs: equality must hold too.
addSample(
  all.map((v) => [v, `${v}`]).map(([a, b]) => [a, b.replace(/^(?![0-9]+:)/, "0:")]),
  200,
);

// 5. Edge cases.
const EDGE = [
  ["1.0~rc1", "1.0"],
  ["1.0~~", "1.0~"],
  ["1.0~~a", "1.0~~"],
  ["1.0~", "1.0"],
  ["1.0~rc1", "1.0~rc1-1"],
  ["1.0~beta", "1.0~alpha"],
  ["1~", "1~~"],
  ["0~", "0"],
  ["1.0~1", "1.0~a"],
  ["1.0-1~bpo12+1", "1.0-1"],
  ["1:0.1", "2.0"],
  ["0:1.0", "1.0"],
  ["2:1.0", "10:0.1"],
  ["1:1.0-1", "1.0-1"],
  ["10:1", "9:1"],
  ["1.0-1+b1", "1.0-1"],
  ["1.0-1+b1", "1.0-1+b2"],
  ["1.0-1+b10", "1.0-1+b9"],
  ["1.0-1+b1", "1.0-2"],
  ["2.36-9+deb12u1", "2.36-9+deb12u10"],
  ["2.36-9+deb12u9", "2.36-9+deb12u10"],
  ["2.36-9+deb12u4", "2.36-9"],
  ["1.0a", "1.0"],
  ["1.0a", "1.0+"],
  ["1.0a", "1.0."],
  ["1.0a", "1.0~"],
  ["1.0a", "1.0b"],
  ["1.0Z", "1.0a"],
  ["1.0", "1.0a0"],
  ["1.0.1", "1.0a"],
  ["1.0+", "1.0."],
  ["1.0-a", "1.0-1"],
  ["1a", "1.0"],
  ["1.0", "1+"],
  ["007", "7"],
  ["1.007", "1.7"],
  ["1.0010", "1.9"],
  ["1.00", "1.0"],
  ["1.0-01", "1.0-1"],
  ["0", "00"],
  ["1.0", "1.0-0"],
  ["1.0", "1.0-1"],
  ["1.0-0", "1.0-0.0"],
  ["1.0-0", "1.0-00"],
  ["1.0-1", "1.0-1.0"],
  ["1.2-3-4", "1.2-3"],
  ["1.2-3-4", "1.2-4"],
  ["1-2-3", "1-2.3"],
  ["1.2.3", "1.2-3"],
  ["99999999999999999999", "99999999999999999998"],
  ["1.18446744073709551616", "1.18446744073709551615"],
  ["3.0.2-0ubuntu1", "3.0.2-1"],
  ["1.2.3+dfsg-1", "1.2.3-1"],
  ["1.2.3+dfsg1-1", "1.2.3+dfsg-1"],
  ["5.2.15-2+b13", "5.2.15-2+b2"],
  ["1:2.38.1-5+deb12u3", "1:2.38.1-5+b1"],
  ["2.36-9+deb12u10", "2.36-9+deb12u9~"],
  ["1.0+git20240101", "1.0+git20231231"],
  ["1.0~git", "1.0~rc"],
  ["1.0.0~alpha.1", "1.0.0~alpha.beta"],
  ["0.0", "0.0.0"],
  ["0.9", "0.10"],
  ["1.09", "1.1"],
  ["2:0", "1:9999"],
  ["1.a", "1.+"],
  ["1.~", "1."],
];
for (const [a, b] of EDGE) {
  pairs.add(`${a}\t${b}`);
  pairs.add(`${b}\t${a}`);
}
process.stderr.write(
  `pairs: same package ${afterSame}, +neighbours ${afterNeighbours - afterSame}, +related ${afterRelated - afterNeighbours}, ` +
    `+relations ${afterRelations - afterRelated}, +equal and edge ${pairs.size - afterRelations} = ${pairs.size}\n`,
);

// Ask dpkg, two processes at a time. Each shell prints "a<TAB>b<TAB>sign" per pair, or "?" on error.
const script = `
while [ $# -gt 1 ]; do
  if dpkg --compare-versions "$1" lt "$2" 2>/dev/null; then s=-1
  elif dpkg --compare-versions "$1" eq "$2" 2>/dev/null; then s=0
  elif dpkg --compare-versions "$1" gt "$2" 2>/dev/null; then s=1
  else s="?"; fi
  printf '%s\\t%s\\t%s\\n' "$1" "$2" "$s"
  shift 2
done`;
const input = `${[...pairs].map((p) => p.replace("\t", "\0")).join("\0")}\0`;
const res = spawnSync("xargs", ["-0", "-P2", "-n", "400", "sh", "-c", script, "sh"], { input, encoding: "utf8", maxBuffer: 1 << 28 });
if (res.status !== 0) throw new Error(`xargs/dpkg failed: ${res.stderr}`);
const rows = res.stdout.split("\n").filter(Boolean);
const bad = rows.filter((r) => r.endsWith("\t?"));
if (bad.length > 0) throw new Error(`dpkg rejected ${bad.length} pairs, e.g. ${bad[0]}`);
if (rows.length !== pairs.size) throw new Error(`expected ${pairs.size} answers from dpkg, got ${rows.length}`);
rows.sort();
writeFileSync(out, gzipSync(`${rows.join("\n")}\n`, { level: 9 }));
const count = (s) => rows.filter((r) => r.endsWith(`\t${s}`)).length;
process.stderr.write(`wrote ${rows.length} rows to ${out} (-1: ${count("-1")}, 0: ${count("0")}, 1: ${count("1")})\n`);
