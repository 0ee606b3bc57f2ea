import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decompress } from "../../src/io/decompress.js";
import { type ArchiveServer, type SuiteSpec, startArchiveServer } from "./archive-server.js";
import { runCli } from "./run-cli.js";

/**
 * The fake archive of the distroless fixture workspaces (test/fixtures/workspaces/distroless-2026/archive:
 * trimmed real bookworm and trixie indexes) over real HTTP, and a runner of deb-lock against it.
 */
export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "workspaces");
export const FIXTURE_ARCHIVE = join(FIXTURES, "distroless-2026", "archive");
const SNAPSHOT = "https://snapshot.debian.org/archive";
const TIMESTAMPS = ["20240706T203757Z", "20260818T205150Z", "20260818T224315Z"];

/** The plain-text Packages stanzas of a fixture archive laid out as `<dir>/<archive>/<suite>/<arch>/Packages.xz`: archive → suite → arch → text. */
export async function fixturePackages(dir = FIXTURE_ARCHIVE): Promise<Record<string, Record<string, Record<string, string>>>> {
  const out: Record<string, Record<string, Record<string, string>>> = {};
  for (const archive of readdirSync(dir).sort()) {
    out[archive] = {};
    for (const suite of readdirSync(join(dir, archive)).sort()) {
      out[archive][suite] = {};
      for (const arch of readdirSync(join(dir, archive, suite)).sort()) {
        const file = join(dir, archive, suite, arch, "Packages.xz");
        out[archive][suite][arch] = new TextDecoder().decode(await decompress(readFileSync(file), "xz", { label: file }));
      }
    }
  }
  return out;
}

/**
 * The suites of a fixture archive (real, trimmed indexes) as fake-archive specs by archive and suite: the -security
 * and -updates suites publish only plain and xz indexes, as Debian's do. `edit` may change a stanza (e.g. a newer
 * snapshot's dependencies).
 */
export async function readFixtureSuites(dir: string, edit?: (stanza: string) => string): Promise<Record<string, Record<string, SuiteSpec>>> {
  const out: Record<string, Record<string, SuiteSpec>> = {};
  for (const [archive, suitesText] of Object.entries(await fixturePackages(dir))) {
    const suites: Record<string, SuiteSpec> = {};
    for (const [suite, byArchText] of Object.entries(suitesText)) {
      const byArch: Record<string, string[]> = {};
      for (const [arch, text] of Object.entries(byArchText)) {
        const stanzas = text.trim().split(/\n\n+/);
        byArch[arch] = edit === undefined ? stanzas : stanzas.map(edit);
      }
      suites[suite] = { components: { main: byArch }, ...(/-(security|updates)$/.test(suite) ? { compressions: ["plain", "xz"] as const } : {}) };
    }
    out[archive] = suites;
  }
  return out;
}

export interface FixtureArchive {
  readonly server: ArchiveServer;
  /**
   * Runs deb-lock in-process on a workspace, against the archive; `snapshotService` (a startSnapshotService url
   * in front of this archive) replaces the direct mirror, for commands that read snapshot listings.
   */
  cli(root: string, argv: readonly string[], snapshotService?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A temporary copy of a fixture workspace (removed by close()). */
  copyWorkspace(layout: string): string;
  close(): Promise<void>;
}

/** The distroless-2026 fixture archive served at each of the fixture workspaces' snapshot timestamps. */
export async function startFixtureArchive(): Promise<FixtureArchive> {
  const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
  for (const [archive, suites] of Object.entries(await readFixtureSuites(FIXTURE_ARCHIVE)))
    archives[archive] = Object.fromEntries(TIMESTAMPS.map((ts) => [ts, suites]));
  const server = await startArchiveServer({ archives });
  const dirs: string[] = [];
  const cache = mkdtempSync(join(tmpdir(), "deb-lock-fixture-cache-"));
  dirs.push(cache);
  const keyring = join(cache, "archive.asc");
  writeFileSync(keyring, server.publicKeyArmored);
  return {
    server,
    cli: (root, argv, snapshotService) =>
      runCli(
        [
          ...argv,
          "-C",
          root,
          "--cache-dir",
          cache,
          "--keyring",
          keyring,
          "--mirror",
          snapshotService === undefined ? `${SNAPSHOT}=${server.url}/archive` : `https://snapshot.debian.org=${snapshotService}`,
          "--quiet",
        ],
        {
          cwd: root,
          homeDir: cache,
        },
      ),
    copyWorkspace(layout) {
      const root = mkdtempSync(join(tmpdir(), `deb-lock-${layout}-`));
      dirs.push(root);
      cpSync(join(FIXTURES, layout, "workspace"), root, { recursive: true });
      return root;
    },
    async close() {
      await server.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
