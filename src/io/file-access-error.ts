import { ProblemError } from "../core/errors.js";

/** What to do about an ordinary file-system refusal, by errno code. */
const REMEDIES: Readonly<Record<string, string>> = {
  EACCES: "give the user running deb-lock access to it (e.g. `chmod u+rw` on the file, `u+rwx` on its directory), or run deb-lock as its owner",
  EPERM: "give the user running deb-lock access to it, or run deb-lock as its owner",
  EROFS: "the file system is read-only: run deb-lock on a writable checkout",
  ENOSPC: "the disk is full: free some space and run the command again",
  EDQUOT: "the disk quota is exhausted: free some space and run the command again",
  EISDIR: "a directory stands where deb-lock expects a file: rename or remove it",
  ENOTDIR: "a file stands where deb-lock expects a directory: rename or remove it",
  ELOOP: "the path is a symbolic-link loop: fix the link",
  EMFILE: "too many open files: raise the limit (ulimit -n) and run the command again",
};

/**
 * An ordinary file-system error (permission, read-only, disk full, ...) as a ProblemError (exit 1) that names the
 * path and the fix; undefined for anything else. Node's own message ("EACCES: permission denied, open '/x'")
 * already names the path; `path` is used when the error does not carry one.
 */
export function fileAccessError(error: unknown, path?: string): ProblemError | undefined {
  const e = error as NodeJS.ErrnoException;
  if (typeof e !== "object" || e === null || typeof e.code !== "string" || !Object.hasOwn(REMEDIES, e.code)) return undefined;
  const where = e.path ?? path;
  const what = e.syscall === undefined ? "access" : e.syscall;
  return new ProblemError("FILE_ACCESS", `${where ?? "a file"}: cannot ${what} (${e.code})`, { hint: REMEDIES[e.code]!, cause: error });
}
