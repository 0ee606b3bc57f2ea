import { randomBytes } from "node:crypto";
import * as nodeFs from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { DebLockError, InternalError } from "../core/errors.js";

/** One file edit: `before` is the content it must still hold (null: must not exist); `after` null deletes it. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** The file-system calls a transaction makes; tests wrap the real ones to inject failures. */
export interface TransactionFs {
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Uint8Array | string, options: { mode?: number; flag: string; flush?: boolean }): Promise<void>;
  lstat(path: string): Promise<{ mode: number; isFile(): boolean; isSymbolicLink(): boolean }>;
  realpath(path: string): Promise<string>;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  rm(path: string, options: { recursive: true; force: true }): Promise<void>;
  rmdir(path: string): Promise<void>;
}

export const realTransactionFs: TransactionFs = {
  readFile: (p) => nodeFs.readFile(p),
  writeFile: (p, d, o) => nodeFs.writeFile(p, d, o),
  lstat: (p) => nodeFs.lstat(p),
  realpath: (p) => nodeFs.realpath(p),
  chmod: (p, m) => nodeFs.chmod(p, m),
  rename: (a, b) => nodeFs.rename(a, b),
  link: (a, b) => nodeFs.link(a, b),
  copyFile: (a, b) => nodeFs.copyFile(a, b),
  unlink: (p) => nodeFs.unlink(p),
  mkdir: (p, o) => nodeFs.mkdir(p, o),
  rm: (p, o) => nodeFs.rm(p, o),
  rmdir: (p) => nodeFs.rmdir(p),
};

/** A sibling path no one else uses, for temporary and backup files (same directory, so rename is atomic). */
function siblingPath(path: string, tag: "tmp" | "bak"): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.deb-lock-${tag}`);
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Writes `path` atomically: a temporary sibling first, then a rename over the target, so readers see the old or
 * the new content, never a mix. An existing file keeps its permission bits. `flush` (default true) syncs the data
 * before the rename; caches, which verify on read, can skip it.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: { flush?: boolean } = {},
  fs: TransactionFs = realTransactionFs,
): Promise<void> {
  path = await followSymlink(path, fs);
  let mode: number | undefined;
  try {
    mode = (await fs.lstat(path)).mode & 0o7777;
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  const tmp = siblingPath(path, "tmp");
  try {
    await fs.writeFile(tmp, data, { flag: "wx", flush: options.flush ?? true, ...(mode === undefined ? {} : { mode }) });
    if (mode !== undefined) await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** A symlinked file is edited where it really lives, so the link stays a link. */
async function followSymlink(path: string, fs: TransactionFs): Promise<string> {
  try {
    if (!(await fs.lstat(path)).isSymbolicLink()) return path;
  } catch (e) {
    if (isMissing(e)) return path;
    throw e;
  }
  try {
    return await fs.realpath(path);
  } catch (e) {
    if (isMissing(e)) return path; // a dangling link: handled (refused) like any other unexpected file
    throw e;
  }
}

/** What was done to one target, so it can be undone. */
interface Applied {
  readonly path: string;
  /** Where the old file now lives (undefined: there was none). */
  readonly backup: string | undefined;
}

/**
 * Applies every change or none. Steps: (1) write each new content to a temporary sibling, with the mode of the
 * file it replaces; (2) check that each target still holds `before` — if not, nothing is touched and a
 * FILE_CHANGED error names the file; (3) swap each file in (the old one kept as a hard-linked backup); on any
 * failure, put every backup back and remove created files, so the workspace is exactly as it was.
 * Directories created for new files are removed again on failure.
 */
export async function applyChangeSet(changes: readonly FileChange[], fs: TransactionFs = realTransactionFs): Promise<void> {
  const work: FileChange[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    const real = resolve(await followSymlink(c.path, fs));
    if (seen.has(real)) throw new InternalError("DUPLICATE_CHANGE", `${c.path}: changed twice in one change set`);
    seen.add(real);
    if (c.before !== c.after) work.push(real === resolve(c.path) ? c : { ...c, path: real });
  }
  const temps = new Map<string, string>();
  const createdDirs: string[] = [];
  const cleanupTemps = async (): Promise<void> => {
    for (const tmp of temps.values()) await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    // Deepest first; rmdir only removes a directory that is empty again.
    for (const dir of [...createdDirs].reverse()) await fs.rmdir(dir).catch(() => {});
  };

  // 1. New contents to temporary siblings.
  try {
    for (const c of work) {
      if (c.after === null) continue;
      const mode = await currentMode(c.path, fs);
      if (mode === undefined) {
        const made = await fs.mkdir(dirname(c.path), { recursive: true });
        // mkdir reports the top directory it made; remember it and every one below it, top first.
        if (made !== undefined) {
          const chain: string[] = [];
          for (let d = resolve(dirname(c.path)); d.length >= resolve(made).length; d = dirname(d)) chain.unshift(d);
          createdDirs.push(...chain);
        }
      }
      const tmp = siblingPath(c.path, "tmp");
      temps.set(c.path, tmp);
      // flush: the new content is on disk before the rename makes it visible, so a crash cannot leave an empty file.
      await fs.writeFile(tmp, c.after, { flag: "wx", flush: true, ...(mode === undefined ? {} : { mode }) });
      if (mode !== undefined) await fs.chmod(tmp, mode);
    }
  } catch (cause) {
    await cleanupTemps();
    throw writeFailed(cause, "nothing was changed");
  }

  // 2. Every target must still be as the plan saw it.
  try {
    for (const c of work) await checkBefore(c, fs);
  } catch (e) {
    await cleanupTemps();
    throw writeFailed(e, "nothing was changed");
  }

  // 3. Swap in, keeping backups until all succeeded.
  const applied: Applied[] = [];
  let strayBackup: string | undefined;
  try {
    for (const c of work) {
      if (c.after === null) {
        const backup = siblingPath(c.path, "bak");
        await fs.rename(c.path, backup);
        applied.push({ path: c.path, backup });
      } else if (c.before !== null) {
        const backup = siblingPath(c.path, "bak");
        try {
          await fs.link(c.path, backup);
        } catch {
          await fs.copyFile(c.path, backup);
        }
        strayBackup = backup;
        await fs.rename(temps.get(c.path)!, c.path);
        strayBackup = undefined;
        applied.push({ path: c.path, backup });
      } else {
        await fs.rename(temps.get(c.path)!, c.path);
        applied.push({ path: c.path, backup: undefined });
      }
    }
  } catch (cause) {
    if (strayBackup !== undefined) await fs.unlink(strayBackup).catch(() => {});
    const notRestored = await rollBack(applied, fs);
    await cleanupTemps();
    if (notRestored.length > 0) {
      throw new DebLockError("ROLLBACK_FAILED", `writing the change set failed (${describe(cause)}) and these files could not be restored: ${notRestored.join(", ")}`, {
        hint: "their previous content is in the .deb-lock-bak files next to them; restore them by hand or with version control",
        cause,
      });
    }
    throw writeFailed(cause, "every file was restored");
  }
  for (const a of applied) if (a.backup !== undefined) await fs.unlink(a.backup).catch(() => {});
}

async function currentMode(path: string, fs: TransactionFs): Promise<number | undefined> {
  try {
    return (await fs.lstat(path)).mode & 0o7777;
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

async function checkBefore(c: FileChange, fs: TransactionFs): Promise<void> {
  const changed = (found: string): DebLockError =>
    new DebLockError("FILE_CHANGED", `${c.path}: ${found} since deb-lock read it; nothing was changed`, {
      hint: "another program edited the workspace meanwhile; run the command again",
    });
  let stat: { isFile(): boolean };
  try {
    stat = await fs.lstat(c.path);
  } catch (e) {
    if (!isMissing(e)) throw e;
    if (c.before === null) return;
    throw changed("was deleted");
  }
  if (c.before === null) throw changed("was created");
  if (!stat.isFile()) throw changed("is no longer a regular file");
  const now = (await fs.readFile(c.path)).toString("utf8");
  if (now !== c.before) throw changed("was modified");
}

/** Undoes applied steps in reverse order; returns the paths it could not restore. */
async function rollBack(applied: readonly Applied[], fs: TransactionFs): Promise<string[]> {
  const failed: string[] = [];
  for (const a of [...applied].reverse()) {
    try {
      if (a.backup !== undefined) await fs.rename(a.backup, a.path);
      else await fs.unlink(a.path);
    } catch {
      failed.push(a.path);
    }
  }
  return failed;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function writeFailed(cause: unknown, outcome: string): DebLockError {
  if (cause instanceof DebLockError) return cause;
  return new DebLockError("WRITE_FAILED", `could not write the workspace files (${describe(cause)}); ${outcome}`, {
    hint: "check that the files and their directories are writable and the disk has space",
    cause,
  });
}
