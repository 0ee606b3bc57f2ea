import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as nodeFs from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { DebLockError, InternalError, InterruptedError, ProblemError } from "../core/errors.js";
import { JOURNAL_NAME } from "./journal-name.js";

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
  lstat(path: string): Promise<{ mode: number; ino: number; isFile(): boolean; isSymbolicLink(): boolean; isDirectory(): boolean }>;
  realpath(path: string): Promise<string>;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  rm(path: string, options: { recursive: true; force: true }): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** fsync of a file or directory (a directory: so the names created or renamed in it survive a crash). */
  sync(path: string): Promise<void>;
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
  async sync(p) {
    const fh = await nodeFs.open(p, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/** A sibling path no one else uses, for temporary and backup files (same directory, so rename is atomic). */
function siblingPath(path: string, tag: "tmp" | "bak"): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.deb-lock-${tag}`);
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
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

/**
 * Where `path` really is: symlinks of the file itself and of every existing parent directory resolved, the part
 * that does not exist yet appended as it is.
 */
async function realLocation(path: string, fs: TransactionFs): Promise<string> {
  let missing = "";
  let at = resolve(path);
  for (;;) {
    try {
      const real = await fs.realpath(at);
      return missing === "" ? real : join(real, missing);
    } catch (e) {
      if (!isMissing(e)) throw e;
      // A dangling symlink: refused later like any other unexpected file; keep its own name.
      try {
        if ((await fs.lstat(at)).isSymbolicLink() && missing === "") return at;
      } catch {
        /* does not exist */
      }
      const parent = dirname(at);
      if (parent === at) return join(at, missing);
      missing = missing === "" ? basename(at) : join(basename(at), missing);
      at = parent;
    }
  }
}

function commonDirectory(paths: readonly string[]): string {
  let common = dirname(paths[0]!);
  while (!paths.every((p) => isInside(common, p))) common = dirname(common);
  return common;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** Why a transaction stops between two steps: a signal (SIGINT, SIGTERM) the process received. */
export interface Interruption {
  /** The signal received so far, if any. */
  pending(): NodeJS.Signals | undefined;
  /**
   * Holds off the signal's default (ending the process) while files are being changed; the transaction checks
   * `pending()` between steps and rolls back. Returns the release function.
   */
  hold(): () => void;
  /** Resolves when a signal arrives (used by the test pause hook). */
  whenSignalled(): Promise<void>;
}

/** One step of a transaction, as reported to `onStep` before it runs. */
export interface TransactionStep {
  readonly index: number;
  readonly action: "journal" | "mkdir" | "write" | "backup" | "fsync" | "rename" | "unlink" | "commit" | "cleanup";
  readonly path: string;
}

export interface TransactionOptions {
  /**
   * The workspace root: the journal lives there and, unless `allowOutside`, every target must be inside it.
   * Default: the deepest directory holding every target.
   */
  readonly root?: string;
  readonly fs?: TransactionFs;
  /** Write files outside `root` (or through symlinks leading out of it) instead of refusing. */
  readonly allowOutside?: boolean;
  readonly interruption?: Interruption;
  /** Called before every step that touches the disk (tests use it to trace, pause and kill at each one). */
  readonly onStep?: (step: TransactionStep) => Promise<void> | void;
}

export { JOURNAL_NAME } from "./journal-name.js";

interface JournalEntry {
  /** Target, relative to the root. */
  readonly path: string;
  /** Temporary file holding the new content (null: the target is deleted). */
  readonly tmp: string | null;
  /** Hard link (or copy) of the old content (null: the target did not exist). */
  readonly backup: string | null;
  /** SHA256 of the new content (null: deleted). */
  readonly after: string | null;
}

interface Journal {
  readonly version: 1;
  readonly pid: number;
  /** pending: not all files are in place, recovery rolls back; committed: recovery only removes backups. */
  readonly state: "pending" | "committed";
  readonly entries: readonly JournalEntry[];
  /** Directories created for new files, top first. */
  readonly dirs: readonly string[];
}

/** Transactions this process is running, by journal path: a journal of our own pid is not stale while listed. */
const activeJournals = new Set<string>();

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function defaultIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/**
 * Whether `pid` has ended but not been reaped (Linux: state Z or X in /proc/<pid>/stat). A process whose parent
 * died first stays a zombie until its new parent reaps it, and some never do (a container whose first process is
 * not an init): signal 0 still reaches it, but it writes nothing any more.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}

export interface RecoveryResult {
  /** none: there was no journal; rolled-back: the interrupted change was undone; completed: it had committed. */
  readonly outcome: "none" | "rolled-back" | "completed";
  /** Workspace-relative paths of the files the interrupted change touched. */
  readonly files: readonly string[];
}

/**
 * Finishes what an interrupted transaction left in `root`: with its journal still pending, puts every old file
 * back and removes new and temporary files; once committed, removes the backups. Refuses (WORKSPACE_BUSY) while
 * the process that wrote the journal still runs.
 */
export async function recoverWorkspace(
  root: string,
  options: { fs?: TransactionFs; isRunning?: (pid: number) => boolean } = {},
): Promise<RecoveryResult> {
  const fs = options.fs ?? realTransactionFs;
  const base = await fs.realpath(root).catch(() => resolve(root));
  const journalPath = join(base, JOURNAL_NAME);
  let text: string;
  try {
    text = (await fs.readFile(journalPath)).toString("utf8");
  } catch (e) {
    if (isMissing(e)) {
      await fs.rm(`${journalPath}.tmp`, { recursive: true, force: true }).catch(() => {});
      return { outcome: "none", files: [] };
    }
    throw journalError(journalPath, `cannot be read (${describe(e)})`);
  }
  let journal: Journal;
  try {
    journal = parseJournal(text);
  } catch (e) {
    // The journal is written whole (flushed) before any target changes, and replaced by rename: a torn journal
    // means the crash came before it was complete, when no target had been touched yet.
    if (text.length === 0 || !text.trimEnd().endsWith("}")) {
      await fs.unlink(journalPath).catch(() => {});
      return { outcome: "rolled-back", files: [] };
    }
    throw journalError(journalPath, `is not a deb-lock journal (${describe(e)})`);
  }
  if (activeJournals.has(journalPath) || (journal.pid !== process.pid && (options.isRunning ?? defaultIsRunning)(journal.pid))) {
    throw new ProblemError("WORKSPACE_BUSY", `${base}: another deb-lock (pid ${journal.pid}) is writing this workspace`, {
      hint: `wait for it to finish; if no such process runs, remove ${journalPath} after checking the workspace with version control`,
    });
  }
  await replayJournal(base, journal, fs);
  await fs.unlink(journalPath).catch((e: unknown) => {
    if (!isMissing(e)) throw e;
  });
  await fs.rm(`${journalPath}.tmp`, { recursive: true, force: true }).catch(() => {});
  await fs.sync(base).catch(() => {});
  return { outcome: journal.state === "committed" ? "completed" : "rolled-back", files: journal.entries.map((e) => e.path) };
}

function journalError(path: string, what: string): DebLockError {
  return new ProblemError("JOURNAL_UNREADABLE", `${path} ${what}`, {
    hint: "an interrupted deb-lock write left it; check the workspace with version control, then remove the file",
  });
}

function parseJournal(text: string): Journal {
  const j = JSON.parse(text) as Journal;
  const isRel = (p: unknown): p is string => typeof p === "string" && p !== "" && !isAbsolute(p);
  if (j === null || typeof j !== "object" || j.version !== 1 || typeof j.pid !== "number" || (j.state !== "pending" && j.state !== "committed")) {
    throw new Error("unknown version or state");
  }
  if (!Array.isArray(j.entries) || !Array.isArray(j.dirs) || !j.dirs.every(isRel)) throw new Error("no entries");
  for (const e of j.entries) {
    if (
      !isRel(e.path) ||
      !(e.tmp === null || isRel(e.tmp)) ||
      !(e.backup === null || isRel(e.backup)) ||
      !(e.after === null || typeof e.after === "string")
    ) {
      throw new Error("malformed entry");
    }
  }
  return j;
}

async function lstatOrUndefined(path: string, fs: TransactionFs): Promise<{ ino: number; isDirectory(): boolean } | undefined> {
  try {
    return await fs.lstat(path);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

async function exists(path: string, fs: TransactionFs): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}

/** Rolls a pending journal back, or finishes a committed one. Every step can be repeated after another crash. */
async function replayJournal(base: string, journal: Journal, fs: TransactionFs): Promise<void> {
  const abs = (p: string): string => resolve(base, p);
  const failed: string[] = [];
  for (const e of [...journal.entries].reverse()) {
    try {
      if (journal.state === "pending") {
        if (e.backup !== null) {
          const backup = await lstatOrUndefined(abs(e.backup), fs);
          if (backup !== undefined) {
            const target = await lstatOrUndefined(abs(e.path), fs);
            if (target !== undefined && target.ino === backup.ino) {
              // Never replaced: the backup is a second link of the old file.
              await fs.unlink(abs(e.backup));
            } else if (target !== undefined && target.isDirectory()) {
              // Something else put a directory there meanwhile: it is not ours to remove.
              await fs.unlink(abs(e.backup));
            } else {
              // The backup holds the old content: renaming it back restores it whatever the target holds now.
              await fs.rename(abs(e.backup), abs(e.path));
            }
          }
        } else if (e.after !== null) {
          // Created by the change: remove it only if it holds what the change wrote.
          const now = await fs.readFile(abs(e.path)).catch((err: unknown) => {
            if (isMissing(err)) return undefined;
            throw err;
          });
          if (now !== undefined && createHash("sha256").update(now).digest("hex") === e.after) await fs.unlink(abs(e.path));
        }
      } else if (e.backup !== null && (await exists(abs(e.backup), fs))) {
        await fs.unlink(abs(e.backup));
      }
      if (e.tmp !== null) await fs.rm(abs(e.tmp), { recursive: true, force: true });
    } catch {
      failed.push(abs(e.path));
    }
  }
  if (journal.state === "pending") for (const d of [...journal.dirs].reverse()) await fs.rmdir(abs(d)).catch(() => {});
  const dirs = new Set(journal.entries.map((e) => dirname(abs(e.path))));
  for (const d of dirs) await fs.sync(d).catch(() => {});
  if (failed.length > 0) {
    throw new DebLockError(
      "ROLLBACK_FAILED",
      `an interrupted write could not be ${journal.state === "pending" ? "undone" : "finished"} for: ${failed.join(", ")}`,
      {
        hint: `their previous content is in the .deb-lock-bak files next to them; the journal ${join(base, JOURNAL_NAME)} stays, so the next run of deb-lock tries again`,
      },
    );
  }
}

/**
 * Applies every change or none, across crashes too. Steps: (1) check each target is inside the workspace root;
 * (2) write the journal (every temporary and backup name, flushed) to `<root>/.deb-lock-journal`; (3) write each
 * new content to a flushed temporary sibling, with the mode of the file it replaces, and keep the old one as a
 * hard-linked backup; (4) check that each target still holds `before` — if not, nothing is touched and a
 * FILE_CHANGED error names the file; (5) rename each file in; (6) mark the journal committed; (7) remove backups
 * and the journal. Any failure or signal before (6) puts every old file back; a crash is repaired the same way by
 * `recoverWorkspace`, which every command runs first.
 */
export async function applyChangeSet(changes: readonly FileChange[], options: TransactionOptions = {}): Promise<void> {
  if (changes.length === 0) return;
  const fs = options.fs ?? realTransactionFs;
  const root = options.root ?? commonDirectory(await Promise.all(changes.map(async (c) => realLocation(c.path, fs))));
  const base = await fs.realpath(root).catch(() => resolve(root));
  const work: FileChange[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    const real = await realLocation(await followSymlink(c.path, fs), fs);
    if (!options.allowOutside && !isInside(base, real)) {
      throw new ProblemError(
        "OUTSIDE_WORKSPACE",
        `${c.path}: ${real === resolve(c.path) ? "is" : `leads to ${real}, which is`} outside the workspace ${base}; nothing was changed`,
        {
          hint: "deb-lock writes only inside the workspace; fix the label or symlink, or pass --allow-outside-workspace if this is intended",
        },
      );
    }
    if (seen.has(real)) throw new InternalError("DUPLICATE_CHANGE", `${c.path}: changed twice in one change set`);
    seen.add(real);
    if (c.before !== c.after) work.push({ ...c, path: real });
  }
  if (work.length === 0) return;

  const journalPath = join(base, JOURNAL_NAME);
  const release = options.interruption?.hold() ?? (() => {});
  let stepIndex = 0;
  let committed = false;
  const step = async (action: TransactionStep["action"], path: string): Promise<void> => {
    await options.onStep?.({ index: stepIndex++, action, path });
    const signal = committed ? undefined : options.interruption?.pending();
    if (signal !== undefined) throw new InterruptedError(signal, "every file was restored");
  };
  try {
    await recoverWorkspace(base, { fs });
    activeJournals.add(journalPath);
    try {
      await runTransaction(base, journalPath, work, fs, step, () => (committed = true));
    } finally {
      activeJournals.delete(journalPath);
    }
    const signal = options.interruption?.pending();
    if (signal !== undefined) throw new InterruptedError(signal, "the change had been written completely and was kept");
  } finally {
    release();
  }
}

async function runTransaction(
  base: string,
  journalPath: string,
  work: readonly FileChange[],
  fs: TransactionFs,
  step: (action: TransactionStep["action"], path: string) => Promise<void>,
  markCommitted: () => void,
): Promise<void> {
  const rel = (p: string): string => relative(base, p);
  // Plan every name up front, so the journal can name them before any of them exists.
  const modes = new Map<string, number | undefined>();
  const dirs: string[] = [];
  const entries: JournalEntry[] = [];
  for (const c of work) {
    const mode = await currentMode(c.path, fs);
    modes.set(c.path, mode);
    if (mode === undefined) {
      const chain: string[] = [];
      for (let d = dirname(c.path); !(await exists(d, fs)) && !dirs.includes(d); d = dirname(d)) chain.unshift(d);
      dirs.push(...chain);
    }
    entries.push({
      path: rel(c.path),
      tmp: c.after === null ? null : rel(siblingPath(c.path, "tmp")),
      backup: c.before === null || mode === undefined ? null : rel(siblingPath(c.path, "bak")),
      after: c.after === null ? null : sha256(c.after),
    });
  }
  dirs.sort((a, b) => a.length - b.length);
  const journal: Journal = { version: 1, pid: process.pid, state: "pending", entries, dirs: dirs.map(rel) };
  const abs = (p: string): string => resolve(base, p);
  const rollBackAndThrow = async (cause: unknown, outcome: string): Promise<never> => {
    try {
      await replayJournal(base, journal, fs);
      await fs.unlink(journalPath).catch(() => {});
      await fs.sync(base).catch(() => {});
    } catch (e) {
      throw new DebLockError("ROLLBACK_FAILED", `writing the change set failed (${describe(cause)}); ${describe(e)}`, {
        hint: (e as DebLockError).hint,
        cause,
      });
    }
    if (cause instanceof InterruptedError || cause instanceof DebLockError) throw cause;
    throw writeFailed(cause, outcome);
  };

  // 1. The journal, flushed and its name made durable, before anything else exists.
  await step("journal", journalPath);
  try {
    await fs.writeFile(journalPath, JSON.stringify(journal), { flag: "wx", flush: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ProblemError("WORKSPACE_BUSY", `${base}: another deb-lock is writing this workspace (${journalPath} exists)`, {
        hint: "wait for it to finish, then run the command again",
      });
    }
    throw writeFailed(e, "nothing was changed");
  }
  try {
    await step("fsync", base);
    await fs.sync(base);

    // 2. Directories, new contents and backups.
    for (const d of dirs) {
      await step("mkdir", d);
      await fs.mkdir(d, { recursive: true });
    }
    for (const [i, c] of work.entries()) {
      const e = entries[i]!;
      const mode = modes.get(c.path);
      if (e.tmp !== null) {
        await step("write", abs(e.tmp));
        // flush: the new content is on disk before the rename makes it visible, so a crash cannot leave an empty file.
        await fs.writeFile(abs(e.tmp), c.after!, { flag: "wx", flush: true, ...(mode === undefined ? {} : { mode }) });
        if (mode !== undefined) await fs.chmod(abs(e.tmp), mode);
      }
      if (e.backup !== null) {
        await step("backup", abs(e.backup));
        try {
          await fs.link(c.path, abs(e.backup));
        } catch (err) {
          if (isMissing(err)) throw err;
          await fs.copyFile(c.path, abs(e.backup));
          await fs.sync(abs(e.backup));
        }
      }
    }
  } catch (cause) {
    return rollBackAndThrow(cause, "nothing was changed");
  }

  // 3. Every target must still be as the plan saw it.
  try {
    for (const c of work) await checkBefore(c, fs);
    const parents = [...new Set(work.map((c) => dirname(c.path)))];
    for (const d of parents) {
      await step("fsync", d);
      await fs.sync(d);
    }
  } catch (cause) {
    return rollBackAndThrow(cause, "nothing was changed");
  }

  // 4. Swap in. Until the journal says committed, a crash or failure puts every old file back.
  try {
    for (const [i, c] of work.entries()) {
      const e = entries[i]!;
      if (e.tmp === null) {
        await step("unlink", c.path);
        await fs.unlink(c.path);
      } else {
        await step("rename", c.path);
        await fs.rename(abs(e.tmp), c.path);
      }
    }
    const parents = [...new Set(work.map((c) => dirname(c.path)))];
    for (const d of parents) {
      await step("fsync", d);
      await fs.sync(d);
    }
    // 5. Commit: the journal is replaced whole by its committed form.
    await step("commit", journalPath);
    await fs.writeFile(`${journalPath}.tmp`, JSON.stringify({ ...journal, state: "committed" }), { flag: "w", flush: true });
    await step("rename", journalPath);
    await fs.rename(`${journalPath}.tmp`, journalPath);
    markCommitted();
  } catch (cause) {
    await fs.rm(`${journalPath}.tmp`, { recursive: true, force: true }).catch(() => {});
    return rollBackAndThrow(cause, "every file was restored");
  }
  await step("fsync", base);
  await fs.sync(base).catch(() => {});

  // 6. Backups and the journal go; a failure here leaves a committed journal the next run finishes.
  for (const e of entries) {
    if (e.backup === null) continue;
    await step("cleanup", abs(e.backup));
    await fs.unlink(abs(e.backup)).catch(() => {});
  }
  await step("cleanup", journalPath);
  await fs.unlink(journalPath).catch(() => {});
  await fs.sync(base).catch(() => {});
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
  const bytes = await fs.readFile(c.path);
  const now = bytes.toString("utf8");
  if (now !== c.before) throw changed("was modified");
  // Text was read as UTF-8: bytes that are not would come back as U+FFFD, changing lines the edit never touched.
  if (c.after !== null && !Buffer.from(now, "utf8").equals(bytes)) {
    throw new ProblemError("NOT_UTF8", `${c.path}: holds bytes that are not UTF-8, which this edit would replace; nothing was changed`, {
      hint: "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8), then run the command again",
    });
  }
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
