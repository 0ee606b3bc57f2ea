#!/usr/bin/env node
// trim-index.mjs — cut full Debian Packages indexes down to what resolving a list of packages can touch,
// so apt and deb-lock make the same decisions on the small copy as on the full archive.
//
// Usage:
//   node test/tools/trim-index.mjs --from DIR --to DIR --suites "bookworm bookworm-updates bookworm-security" \
//        --archs "amd64 arm64" PKG...
//
// DIR holds <archive>/dists/<suite>/main/binary-<arch>/Packages.xz (or .gz) and <archive>/dists/<suite>/InRelease
// (or Release); <archive> is debian-security for suites ending in -security, debian otherwise.
//
// Per architecture, starting from the given packages, a name is reachable when a kept stanza names it in
// any alternative of Depends or Pre-Depends. Kept are, in every suite: every stanza of a reachable name
// (every version), and every stanza that Provides a reachable name; a kept stanza's own dependencies are
// reachable in turn. Conflicts and Breaks are kept verbatim, so those whose targets are reachable still
// bite. Stanzas keep only the fields apt and deb-lock read (no descriptions), in their original order.
//
// Written per suite: main/binary-<arch>/Packages.xz and an unsigned Release (fields of the original
// Release/InRelease plus size and SHA256 of each index, compressed and uncompressed), which apt accepts
// with [trusted=yes].
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";

const KEEP_FIELDS = new Set([
  "Package",
  "Source",
  "Version",
  "Installed-Size",
  "Architecture",
  "Multi-Arch",
  "Essential",
  "Important",
  "Protected",
  "Priority",
  "Section",
  "Pre-Depends",
  "Depends",
  "Conflicts",
  "Breaks",
  "Provides",
  "Filename",
  "Size",
  "SHA256",
]);
const RELEASE_FIELDS = ["Origin", "Label", "Suite", "Version", "Codename", "Date", "NotAutomatic", "ButAutomaticUpgrades", "Acquire-By-Hash"];

const { values, positionals } = parseArgs({
  options: {
    from: { type: "string" },
    to: { type: "string" },
    suites: { type: "string", default: "bookworm bookworm-updates bookworm-security" },
    archs: { type: "string", default: "amd64 arm64" },
  },
  allowPositionals: true,
});
if (values.from === undefined || values.to === undefined || positionals.length === 0) {
  process.stderr.write("usage: trim-index.mjs --from DIR --to DIR [--suites S] [--archs A] PKG...\n");
  process.exitCode = 2;
} else {
  main(values.from, values.to, words(values.suites), words(values.archs), positionals);
}

function words(s) {
  return s.split(/[\s,]+/).filter(Boolean);
}

function archiveOf(suite) {
  return suite.endsWith("-security") ? "debian-security" : "debian";
}

function readIndex(dir) {
  const xz = join(dir, "Packages.xz");
  if (existsSync(xz)) return execFileSync("xz", ["-dc", xz], { maxBuffer: 1 << 30 }).toString("utf8");
  const gz = join(dir, "Packages.gz");
  if (existsSync(gz)) return gunzipSync(readFileSync(gz)).toString("utf8");
  throw new Error(`no Packages.xz or Packages.gz in ${dir}`);
}

/** Stanzas as [{fields: [[name, value]], text}] keeping continuation lines with their field. */
function parseStanzas(text) {
  const out = [];
  for (const block of text.split(/\n\s*\n/)) {
    if (block.trim() === "") continue;
    const fields = [];
    for (const line of block.split("\n")) {
      if (line === "") continue;
      if (line.startsWith(" ") || line.startsWith("\t")) {
        const last = fields[fields.length - 1];
        if (last !== undefined) last[1] += `\n${line}`;
        continue;
      }
      const colon = line.indexOf(":");
      fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    out.push({ fields, get: (name) => fields.find(([k]) => k === name)?.[1] });
  }
  return out;
}

/** Names in a relation field, every alternative, without versions or arch qualifiers. */
function relationNames(value) {
  if (value === undefined) return [];
  return value
    .split(/[,|]/)
    .map((s) => s.trim().split(/[\s(:[]/)[0])
    .filter(Boolean);
}

function main(from, to, suites, archs, roots) {
  for (const arch of archs) {
    const indexes = suites.map((suite) => ({
      suite,
      stanzas: parseStanzas(readIndex(join(from, archiveOf(suite), "dists", suite, "main", `binary-${arch}`))),
    }));
    const byName = new Map();
    const byProvided = new Map();
    for (const { stanzas } of indexes) {
      for (const st of stanzas) {
        const a = st.get("Architecture");
        if (a !== arch && a !== "all") continue;
        push(byName, st.get("Package"), st);
        for (const p of relationNames(st.get("Provides"))) push(byProvided, p, st);
      }
    }
    const kept = new Set();
    const reached = new Set();
    const queue = [...roots];
    while (queue.length > 0) {
      const name = queue.pop();
      if (reached.has(name)) continue;
      reached.add(name);
      for (const st of [...(byName.get(name) ?? []), ...(byProvided.get(name) ?? [])]) {
        if (kept.has(st)) continue;
        kept.add(st);
        queue.push(st.get("Package"));
        for (const n of [...relationNames(st.get("Pre-Depends")), ...relationNames(st.get("Depends"))]) queue.push(n);
      }
    }
    for (const { suite, stanzas } of indexes) {
      const text = stanzas
        .filter((st) => kept.has(st))
        .map((st) =>
          st.fields
            .filter(([k]) => KEEP_FIELDS.has(k))
            .map(([k, v]) => `${k}: ${v}\n`)
            .join(""),
        )
        .join("\n");
      const out = join(to, archiveOf(suite), "dists", suite, "main", `binary-${arch}`, "Packages.xz");
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, execFileSync("xz", ["-9e", "-c", "--check=crc64"], { input: text, maxBuffer: 1 << 28 }));
      process.stderr.write(`${suite} ${arch}: kept ${stanzas.filter((st) => kept.has(st)).length} of ${stanzas.length} stanzas\n`);
    }
  }
  for (const suite of suites) writeRelease(from, to, suite, archs);
}

function push(map, key, value) {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function writeRelease(from, to, suite, archs) {
  const dist = join(from, archiveOf(suite), "dists", suite);
  const original = existsSync(join(dist, "InRelease")) ? readFileSync(join(dist, "InRelease"), "utf8") : readFileSync(join(dist, "Release"), "utf8");
  const header = new Map();
  for (const line of original.split("\n")) {
    const m = /^([A-Za-z-]+): (.*)$/.exec(line);
    if (m !== null && RELEASE_FIELDS.includes(m[1]) && !header.has(m[1])) header.set(m[1], m[2]);
  }
  header.delete("Acquire-By-Hash"); // the trimmed copy has no by-hash directory
  const outDist = join(to, archiveOf(suite), "dists", suite);
  const lines = [...header].map(([k, v]) => `${k}: ${v}`);
  lines.push(`Architectures: ${archs.join(" ")}`, "Components: main", "SHA256:");
  for (const arch of archs) {
    // apt looks an index up by its uncompressed name, so the Release lists that too (the file itself is
    // not written: apt takes Packages.xz and checks the unpacked bytes against this entry)
    const rel = `main/binary-${arch}/Packages`;
    const xz = readFileSync(join(outDist, `${rel}.xz`));
    const plain = execFileSync("xz", ["-dc"], { input: xz, maxBuffer: 1 << 28 });
    for (const [name, bytes] of [
      [rel, plain],
      [`${rel}.xz`, xz],
    ]) {
      lines.push(` ${createHash("sha256").update(bytes).digest("hex")} ${String(bytes.length).padStart(8)} ${name}`);
    }
  }
  writeFileSync(join(outDist, "Release"), `${lines.join("\n")}\n`);
}
