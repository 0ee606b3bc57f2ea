import type { Stats } from "node:fs";
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { posix } from "node:path";
import { ProblemError } from "../core/errors.js";
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
    readText: readWorkspaceText,
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

/**
 * Reads a workspace file as text. What is not a readable regular file — missing, a dangling symlink, a symlink
 * loop, a directory, a FIFO or device (which would block the read forever) — is a ProblemError naming the file.
 */
async function readWorkspaceText(path: string): Promise<string> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ELOOP")
      throw fileAccessError(e, path) ?? unreadable(path, e, await describeMissing(path, e));
    throw unreadable(path, e, await describeMissing(path, e));
  }
  if (!info.isFile()) {
    const kind = info.isDirectory() ? "a directory" : info.isFIFO() ? "a FIFO (named pipe)" : info.isSocket() ? "a socket" : "a device";
    throw new ProblemError("NOT_A_FILE", `${path}: is ${kind}, not a file`, {
      hint: "deb-lock reads this path as a file: replace it with one, or correct the label that names it",
    });
  }
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw fileAccessError(e, path) ?? unreadable(path, e, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function describeMissing(path: string, e: unknown): Promise<string> {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ELOOP") return "is a symlink loop";
  if (code === "ENOENT") {
    const isLink = await lstat(path).then(
      (l) => l.isSymbolicLink(),
      () => false,
    );
    return isLink ? "is a dangling symlink (its target does not exist)" : "does not exist";
  }
  if (code === "ENOTDIR") return "does not exist (a parent is not a directory)";
  return `cannot be read (${code ?? (e as Error).message})`;
}

function unreadable(path: string, cause: unknown, what: string): ProblemError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new ProblemError(code === "ENOENT" || code === "ENOTDIR" ? "FILE_NOT_FOUND" : "FILE_UNREADABLE", `${path}: ${what}`, {
    hint:
      code === "ENOENT" || code === "ENOTDIR"
        ? "create the file, or correct the label in MODULE.bazel (or the include()) that names it"
        : "fix the file or its permissions, or correct the label that names it",
    cause,
  });
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
