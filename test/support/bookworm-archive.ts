import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type ArchiveServer, startArchiveServer } from "./archive-server.js";
import { type CliResult, runCli } from "./run-cli.js";

/**
 * The small real-data archive of the CLI tests: bookworm and bookworm-security (xz and plain only, as Debian
 * publishes -security), amd64 and arm64, from the stanzas in test/fixtures/cli, served as a fake
 * snapshot.debian.org at one timestamp.
 */
export const SNAPSHOT = "https://snapshot.debian.org/archive";
export const TS = "20261120T000000Z";
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "cli");

/** The stanzas of a fixture Packages file. */
export function fixtureStanzas(file: string): string[] {
  return readFileSync(join(FIXTURES, file), "utf8").trim().split(/\n\n+/);
}

/** `sources:` of a manifest on that archive (bookworm main and bookworm-security main, canonical snapshot URLs). */
export const BOOKWORM_SOURCES = `sources:
  - channel: bookworm main
    url: ${SNAPSHOT}/debian/${TS}
  - channel: bookworm-security main
    url: ${SNAPSHOT}/debian-security/${TS} # security updates
`;

export function startBookwormArchive(): Promise<ArchiveServer> {
  return startArchiveServer({
    archives: {
      debian: {
        [TS]: {
          bookworm: { components: { main: { amd64: fixtureStanzas("bookworm-amd64.Packages"), arm64: fixtureStanzas("bookworm-arm64.Packages") } } },
        },
      },
      "debian-security": {
        [TS]: {
          "bookworm-security": {
            compressions: ["plain", "xz"],
            components: {
              main: { amd64: fixtureStanzas("bookworm-security-amd64.Packages"), arm64: fixtureStanzas("bookworm-security-arm64.Packages") },
            },
          },
        },
      },
    },
  });
}

/** Temporary directories of a test file, removed by `cleanup()` (call it in afterEach). */
export function tempDirs(): { make(prefix: string): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    make(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    cleanup() {
      while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
    },
  };
}

/** Writes `files` (workspace-relative path → text) into `root`. */
export function writeTree(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** Runs `deb-lock lock` on `root` against `server`, with a fresh cache and the server's key as --keyring. */
export async function lockWith(server: ArchiveServer, root: string, cacheDir: string, ...extra: string[]): Promise<CliResult> {
  const keyring = join(cacheDir, "archive.asc");
  writeFileSync(keyring, server.publicKeyArmored);
  return runCli(["lock", "-C", root, "--cache-dir", cacheDir, "--keyring", keyring, "--mirror", `${SNAPSHOT}=${server.url}/archive`, ...extra], {
    cwd: root,
  });
}

/**
 * For a test file: starts the archive before its tests and stops it after, clears faults and removes the
 * temporary directories after each test. `archive.server` is valid inside tests and hooks.
 */
export function useBookwormArchive(): { readonly server: ArchiveServer; readonly temp: ReturnType<typeof tempDirs> } {
  const temp = tempDirs();
  let server: ArchiveServer | undefined;
  beforeAll(async () => {
    server = await startBookwormArchive();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    if (server !== undefined) server.faults.length = 0;
    temp.cleanup();
  });
  return {
    get server() {
      if (server === undefined) throw new Error("the archive runs only inside tests and hooks");
      return server;
    },
    temp,
  };
}
