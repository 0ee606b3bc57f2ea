import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decompress } from "../../src/io/decompress.js";
import type { SuiteSpec } from "./archive-server.js";

/**
 * The suites of a fixture archive laid out as `<dir>/<archive>/<suite>/<arch>/Packages.xz` (real, trimmed indexes),
 * as fake-archive specs by archive and suite: the -security and -updates suites publish only plain and xz indexes,
 * as Debian's do. `edit` may change a stanza (e.g. a newer snapshot's dependencies).
 */
export async function readFixtureSuites(dir: string, edit?: (stanza: string) => string): Promise<Record<string, Record<string, SuiteSpec>>> {
  const out: Record<string, Record<string, SuiteSpec>> = {};
  for (const archive of readdirSync(dir).sort()) {
    const suites: Record<string, SuiteSpec> = {};
    for (const suite of readdirSync(join(dir, archive)).sort()) {
      const byArch: Record<string, string[]> = {};
      for (const arch of readdirSync(join(dir, archive, suite)).sort()) {
        const file = join(dir, archive, suite, arch, "Packages.xz");
        const stanzas = new TextDecoder().decode(await decompress(readFileSync(file), "xz", { label: file })).trim().split(/\n\n+/);
        byArch[arch] = edit === undefined ? stanzas : stanzas.map(edit);
      }
      suites[suite] = { components: { main: byArch }, ...(/-(security|updates)$/.test(suite) ? { compressions: ["plain", "xz"] as const } : {}) };
    }
    out[archive] = suites;
  }
  return out;
}
