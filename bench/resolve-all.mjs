// Bench case "resolve every name of bookworm amd64 in-process" (target: under 60 s). The indexes are parsed
// first (not timed); then every package name of bookworm + bookworm-updates + bookworm-security amd64 is resolved
// on its own, with its lock entry's dependency list, as `deb-lock lock` does for a one-package manifest. Reports
// wall time and the process's CPU time of the resolution (on a shared machine CPU time is the steadier figure).
// Run alone: node bench/resolve-all.mjs [DIR] after npm run build; DIR holds <archive>/dists/<suite>/main/binary-amd64/
// Packages.(gz|xz) (default .bench-cache/archive, which npm run bench fills).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePackagesIndex } from "../dist/core/debian/packages-index.js";
import { dependencyClosureOf } from "../dist/core/resolve/dependency-closure.js";
import { resolveClosure } from "../dist/core/resolve/resolve-closure.js";
import { buildUniverse } from "../dist/core/resolve/universe.js";
import { decompress } from "../dist/io/decompress.js";

const SUITES = ["bookworm", "bookworm-updates", "bookworm-security"];

/** `indexes`: the { label, path, ext } list of bench/run.mjs (labels `<suite>/<arch>.<ext>`). */
export async function benchResolveAll(indexes, arch = "amd64") {
  const sources = [];
  for (const suite of SUITES) {
    const index = indexes.find((i) => i.label === `${suite}/${arch}.xz`) ?? indexes.find((i) => i.label === `${suite}/${arch}.gz`);
    if (index === undefined) throw new Error(`no ${suite} ${arch} index in the bench archive`);
    const bytes = await decompress(new Uint8Array(readFileSync(index.path)), index.ext, { label: index.path });
    sources.push({ id: suite, pin: 500, records: parsePackagesIndex(bytes, index.path) });
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const universe = buildUniverse(sources, arch);
  let resolved = 0;
  let refused = 0;
  let entries = 0;
  for (const name of universe.names()) {
    const result = resolveClosure({ universe, roots: [{ name }] });
    if (!result.ok) {
      refused++;
      continue;
    }
    resolved++;
    for (const root of result.roots) entries += dependencyClosureOf(result, root.name).length;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    case: `resolve every name of bookworm ${arch}`,
    names: resolved + refused,
    resolved,
    refused,
    "dependencies listed": entries,
    "wall s": (ms / 1000).toFixed(1),
    "cpu s": ((cpu.user + cpu.system) / 1e6).toFixed(1),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? join(import.meta.dirname, "..", ".bench-cache", "archive");
  const indexes = [];
  for (const suite of SUITES) {
    const archive = suite.endsWith("-security") ? "debian-security" : "debian";
    for (const ext of ["xz", "gz"]) {
      const path = join(dir, archive, "dists", suite, "main", "binary-amd64", `Packages.${ext}`);
      if (existsSync(path)) indexes.push({ label: `${suite}/amd64.${ext}`, path, ext });
    }
  }
  console.log(await benchResolveAll(indexes));
}
