import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decompress } from "../../src/io/decompress.js";
import { startArchiveServer, type ArchiveServer, type SuiteSpec } from "./archive-server.js";
import { runCli } from "./run-cli.js";

/**
 * The fake archive of the distroless fixture workspaces (test/fixtures/workspaces/distroless-2026/archive:
 * trimmed real bookworm and trixie indexes) over real HTTP, and a runner of deb-lock against it.
 */
export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "workspaces");
export const FIXTURE_ARCHIVE = join(FIXTURES, "distroless-2026", "archive");
const SNAPSHOT = "https://snapshot.debian.org/archive";
const TIMESTAMPS = ["20240706T203757Z", "20260818T205150Z", "20260818T224315Z"];

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

/** The plain-text Packages stanzas of the fixture archive: archive → suite → arch → text. */
export async function fixturePackages(): Promise<Record<string, Record<string, Record<string, string>>>> {
  const out: Record<string, Record<string, Record<string, string>>> = {};
  for (const archive of readdirSync(FIXTURE_ARCHIVE)) {
    out[archive] = {};
    for (const suite of readdirSync(join(FIXTURE_ARCHIVE, archive))) {
      out[archive][suite] = {};
      for (const arch of readdirSync(join(FIXTURE_ARCHIVE, archive, suite))) {
        out[archive][suite][arch] = new TextDecoder().decode(await decompress(readFileSync(join(FIXTURE_ARCHIVE, archive, suite, arch, "Packages.xz")), "xz", suite));
      }
    }
  }
  return out;
}

export async function startFixtureArchive(): Promise<FixtureArchive> {
  const archives: Record<string, Record<string, Record<string, SuiteSpec>>> = {};
  for (const [archive, suitesText] of Object.entries(await fixturePackages())) {
    const suites: Record<string, SuiteSpec> = {};
    for (const [suite, byArchText] of Object.entries(suitesText)) {
      const byArch: Record<string, string[]> = {};
      for (const [arch, text] of Object.entries(byArchText)) byArch[arch] = text.trim().split(/\n\n+/);
      suites[suite] = { components: { main: byArch }, ...(suite.includes("-") ? { compressions: ["plain", "xz"] as const } : {}) };
    }
    archives[archive] = Object.fromEntries(TIMESTAMPS.map((ts) => [ts, suites]));
  }
  const server = await startArchiveServer({ archives });
  const dirs: string[] = [];
  const cache = mkdtempSync(join(tmpdir(), "deb-lock-fixture-cache-"));
  dirs.push(cache);
  const keyring = join(cache, "archive.asc");
  writeFileSync(keyring, server.publicKeyArmored);
  return {
    server,
    cli: (root, argv, snapshotService) =>
      runCli([...argv, "-C", root, "--cache-dir", cache, "--keyring", keyring, "--mirror", snapshotService === undefined ? `${SNAPSHOT}=${server.url}/archive` : `https://snapshot.debian.org=${snapshotService}`, "--quiet"], {
        cwd: root,
        homeDir: cache,
      }),
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
