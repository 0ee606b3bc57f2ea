import { readdir, readFile, stat } from "node:fs/promises";
import { posix } from "node:path";
import { fileAccessError } from "./file-access-error.js";

/**
 * The small read-only view of the user's workspace that discovery needs. Paths are absolute POSIX paths.
 * `listDir` gives entry names (files and directories), sorted; a missing directory gives [].
 */
export interface WorkspaceFiles {
  readText(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  listDir(path: string): Promise<string[]>;
}

/** The real file system. */
export function nodeWorkspaceFiles(): WorkspaceFiles {
  return {
    readText: async (path) => {
      try {
        return await readFile(path, "utf8");
      } catch (e) {
        throw fileAccessError(e, path) ?? e;
      }
    },
    exists: async (path) => {
      try {
        await stat(path);
        return true;
      } catch {
        return false;
      }
    },
    listDir: async (path) => {
      try {
        return (await readdir(path)).sort();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return [];
        throw fileAccessError(e, path) ?? e;
      }
    },
  };
}

/** Files held in memory, keyed by absolute path; directories exist implicitly. For tests and dry runs. */
export function memoryWorkspaceFiles(files: Readonly<Record<string, string>>): WorkspaceFiles {
  const paths = Object.keys(files).map((p) => posix.normalize(p));
  const contents = new Map(Object.entries(files).map(([p, t]) => [posix.normalize(p), t]));
  const isDir = (path: string): boolean => {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return paths.some((p) => p.startsWith(prefix));
  };
  return {
    readText: async (path) => {
      const text = contents.get(posix.normalize(path));
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
      return text;
    },
    exists: async (path) => contents.has(posix.normalize(path)) || isDir(posix.normalize(path)),
    listDir: async (path) => {
      const prefix = posix.normalize(path).replace(/\/?$/, "/");
      const names = new Set(paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split("/")[0]!));
      return [...names].sort();
    },
  };
}
