import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import type { FileChange } from "../../src/app/changes/change-set.js";
import type { IndexLoader, IndexRequest, LoadedIndex } from "../../src/app/indexes/index-loader.js";
import { UniverseCache } from "../../src/app/indexes/resolve-repo.js";
import { parsePackagesIndex } from "../../src/core/debian/packages-index.js";
import type { WorkspaceFiles } from "../../src/io/workspace-files.js";
import { FIXTURE_ARCHIVE, FIXTURES, fixturePackages } from "./fixture-archive.js";

/**
 * A fixture workspace and the fixture archive held in memory, for tests of the add and remove planners: the
 * load step reads through these ports, the planners see only what it loaded, and nothing touches the disk or
 * the network after setup.
 */

/** The workspace files under `root` (absolute POSIX paths): a map anyone may edit, behind the WorkspaceFiles port. */
export interface MemoryWorkspace extends WorkspaceFiles {
  readonly root: string;
  readonly texts: Map<string, string>;
  /** The text of a workspace-relative file (undefined when absent). */
  text(rel: string): string | undefined;
  /** Applies planned changes (absolute paths) as a transaction would. */
  apply(changes: readonly FileChange[]): void;
  /** Every file, workspace-relative path → text. */
  snapshot(): Record<string, string>;
}

export const MEMORY_ROOT = "/ws";

function readTree(dir: string, rel = ""): [string, string][] {
  return readdirSync(join(dir, rel))
    .sort()
    .flatMap((entry) => {
      const r = rel === "" ? entry : `${rel}/${entry}`;
      return statSync(join(dir, r)).isDirectory() ? readTree(dir, r) : [[r, readFileSync(join(dir, r), "utf8")] as [string, string]];
    });
}

/** A copy of a fixture workspace (test/fixtures/workspaces/<layout>/workspace) in memory. */
export function memoryWorkspace(layout: string): MemoryWorkspace {
  const root = MEMORY_ROOT;
  const texts = new Map(readTree(join(FIXTURES, layout, "workspace")).map(([rel, text]) => [posix.join(root, rel), text]));
  const isDir = (path: string): boolean => [...texts.keys()].some((p) => p.startsWith(`${path.replace(/\/$/, "")}/`));
  return {
    root,
    texts,
    async readText(path) {
      const text = texts.get(posix.normalize(path));
      if (text === undefined) throw new Error(`${path}: no such file in the memory workspace`);
      return text;
    },
    async exists(path) {
      const p = posix.normalize(path);
      return texts.has(p) || isDir(p);
    },
    async listDir(path) {
      const dir = posix.normalize(path).replace(/\/$/, "");
      const names = new Set<string>();
      for (const p of texts.keys()) if (p.startsWith(`${dir}/`)) names.add(p.slice(dir.length + 1).split("/")[0]!);
      return [...names].sort();
    },
    text: (rel) => texts.get(posix.join(root, rel)),
    apply(changes) {
      for (const c of changes) {
        expectBefore(texts.get(c.path) ?? null, c);
        if (c.after === null) texts.delete(c.path);
        else texts.set(c.path, c.after);
      }
    },
    snapshot: () => Object.fromEntries([...texts].map(([p, t]) => [posix.relative(root, p), t])),
  };
}

function expectBefore(current: string | null, change: FileChange): void {
  if (current !== change.before) throw new Error(`${change.path}: the change was planned from other bytes than the file holds`);
}

/**
 * The fixture archive's indexes (trimmed real bookworm and trixie, test/fixtures/workspaces/distroless-2026/archive)
 * behind the IndexLoader port: an archive root `.../<archive>/<timestamp>` serves `<archive>/<suite>/<arch>`.
 */
export async function memoryIndexLoader(): Promise<IndexLoader & { readonly requests: IndexRequest[] }> {
  const packages = await fixturePackages(FIXTURE_ARCHIVE);
  const parsed = new Map<string, LoadedIndex>();
  const requests: IndexRequest[] = [];
  return {
    requests,
    universes: new UniverseCache(),
    async load(request) {
      requests.push(request);
      const url = request.urls[0]!;
      const archive = /\/archive\/([^/]+)\/[^/]+\/?$/.exec(url)?.[1];
      const text = archive === undefined ? undefined : packages[archive]?.[request.suite]?.[request.arch];
      if (text === undefined || request.component !== "main") throw new Error(`no fixture index for ${JSON.stringify(request)}`);
      const key = `${archive}/${request.suite}/${request.arch}`;
      let index = parsed.get(key);
      if (index === undefined) {
        const release = {
          suite: request.suite,
          architectures: [request.arch],
          components: ["main"],
          acquireByHash: false,
          notAutomatic: false,
          butAutomaticUpgrades: false,
          sha256: new Map(),
        };
        index = { records: parsePackagesIndex(new TextEncoder().encode(text), key), release, pin: 500, url };
        parsed.set(key, index);
      }
      return index;
    },
  };
}
