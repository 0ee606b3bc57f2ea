import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/**
 * apt's closure of `pkg` on an empty system for one arch (test/oracle/apt-closure.sh), from Packages texts laid out
 * under `root` as an archive (`<archive>/dists/<suite>/main/binary-<arch>/Packages[.xz]` and a Release listing
 * them). `packagesOf(archive, suite)` gives each suite's Packages text; -security suites live in debian-security.
 */
export function aptClosureOf(
  root: string,
  suites: readonly string[],
  arch: string,
  pkg: string,
  packagesOf: (archive: string, suite: string) => string,
): string[] {
  for (const suite of suites) {
    const archiveName = suite.endsWith("-security") ? "debian-security" : "debian";
    const dist = join(root, archiveName, "dists", suite);
    mkdirSync(join(dist, "main", `binary-${arch}`), { recursive: true });
    const rel = `main/binary-${arch}/Packages`;
    writeFileSync(join(dist, rel), packagesOf(archiveName, suite));
    spawnSync("xz", ["-k", join(dist, rel)]);
    const hashOf = (f: string) => spawnSync("sha256sum", [join(dist, f)], { encoding: "utf8" }).stdout.split(" ")[0];
    const sizeOf = (f: string) => readFileSync(join(dist, f)).length;
    writeFileSync(
      join(dist, "Release"),
      `Suite: ${suite}\nCodename: ${suite}\nArchitectures: ${arch}\nComponents: main\nSHA256:\n ${hashOf(rel)} ${sizeOf(rel)} ${rel}\n ${hashOf(`${rel}.xz`)} ${sizeOf(`${rel}.xz`)} ${rel}.xz\n`,
    );
  }
  const r = spawnSync(
    join(import.meta.dirname, "..", "oracle", "apt-closure.sh"),
    ["--root", root, "--suites", suites.join(" "), "--arch", arch, pkg],
    {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split("\n");
}
