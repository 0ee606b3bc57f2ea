import { posix } from "node:path";
import type { FileChange } from "../io/files.js";
import type { WorkspaceFiles } from "../io/workspace-files.js";
import { updateRecordedInputs } from "./module-lock.js";

/**
 * The edits one command plans over workspace files, kept in memory until the caller applies them in one
 * transaction. Several targets may edit the same file: each edit starts from the text the set holds so far.
 */

/** A text file being edited in several places; list offsets of the original text are mapped through earlier edits. */
export class FileEdit {
  private readonly shifts: { at: number; delta: number }[] = [];
  text: string;

  constructor(
    readonly path: string,
    readonly before: string,
  ) {
    this.text = before;
  }

  /** The offset in the current text of an offset of the original text outside every edited region. */
  map(offset: number): number {
    return offset + this.shifts.filter((s) => s.at < offset).reduce((n, s) => n + s.delta, 0);
  }

  record(originalAt: number, newText: string): void {
    this.shifts.push({ at: originalAt, delta: newText.length - this.text.length });
    this.text = newText;
  }
}

export class ChangeSet {
  readonly edits = new Map<string, FileEdit>();

  constructor(
    private readonly root: string,
    private readonly files: WorkspaceFiles,
  ) {}

  /** The edit of a workspace-relative file, read on first use. */
  async file(rel: string): Promise<FileEdit> {
    let e = this.edits.get(rel);
    if (e === undefined) {
      e = new FileEdit(rel, await this.files.readText(posix.join(this.root, rel)));
      this.edits.set(rel, e);
    }
    return e;
  }

  set(rel: string, before: string, after: string): void {
    const e = this.edits.get(rel) ?? new FileEdit(rel, before);
    e.text = after;
    this.edits.set(rel, e);
  }

  /** File changes (absolute paths, sorted), with MODULE.bazel.lock brought in step with them. */
  async changes(): Promise<FileChange[]> {
    const changed = [...this.edits.values()].filter((e) => e.text !== e.before);
    const out: FileChange[] = changed.map((e) => ({ path: posix.join(this.root, e.path), before: e.before, after: e.text }));
    const moduleLock = await moduleLockChange(this.root, this.files, changed);
    if (moduleLock !== undefined) out.push(moduleLock);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/**
 * MODULE.bazel.lock for the edits of a change set: the one place add and remove decide how it follows them.
 * Only the stale hashes of changed files are replaced (not the whole extension entry dropped), so that add
 * then remove gives back MODULE.bazel.lock byte for byte, like every other file.
 */
async function moduleLockChange(root: string, files: WorkspaceFiles, changed: readonly FileEdit[]): Promise<FileChange | undefined> {
  const path = posix.join(root, "MODULE.bazel.lock");
  if (changed.length === 0 || !(await files.exists(path))) return undefined;
  const text = await files.readText(path);
  const updated = updateRecordedInputs(text, new Map(changed.map((e) => [e.path, e.text])), { strategy: "rehash" });
  return updated === text ? undefined : { path, before: text, after: updated };
}
